/// @file
/// Switching the user and group IDs of the process that will run a program, after entering a
/// user namespace: supplementary groups, gid, uid, and capabilities kept across exec.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nsutil/export.hpp>
#include <optional>

namespace nsutil {

class process;

/// The identity a program should run with.
struct credentials {
  /// sizeof(credentials) in the caller's build; leave it as it is. The library refuses another
  /// size (EINVAL), so that a program built against other headers is not misread.
  std::uint32_t struct_size = sizeof(credentials);
  /// setgid() to this; nullopt leaves the gid alone.
  std::optional<gid_t> gid;
  /// setuid() to this; nullopt leaves the uid alone.
  std::optional<uid_t> uid;
  /// Drop every supplementary group (setgroups(0)).
  bool drop_groups = false;
  /// The groups were already dropped successfully (before entering a user namespace, where
  /// setgroups may be denied), so a failure now is no error.
  bool groups_dropped = false;
  /// Whether a user namespace was entered: the error hints depend on it.
  bool entered_userns = false;
  /// Raise every permitted capability into the ambient set, so that it survives exec under a
  /// non-zero uid (--keep-caps; the tools ask for it only after joining a user namespace).
  bool keep_caps = false;
};

/// Applies `c` to the calling process: setgroups, setgid, setuid, then the ambient capabilities.
/// Needs CAP_SETUID/CAP_SETGID (in the user namespace just entered) unless the IDs are the
/// caller's. Changing IDs makes the kernel clear PR_SET_PDEATHSIG, so when `death_signal` is
/// non-zero it is armed again afterwards, and if `parent` has already died the caller gets the
/// signal at once. Changes the calling process. Throws nsutil::error("setgroups"/"setgid"/
/// "setuid", or those of keep_capabilities() with keep_caps); EPERM from setgroups after entering
/// a user namespace (entered_userns) has error_reason::setgroups_denied.
NSUTIL_API void apply(const credentials& c, int death_signal = 0, const process* parent = nullptr);

/// Copies the permitted capabilities into the inheritable and ambient sets, so that they survive
/// execve(2) even for a non-root user ID (--keep-caps). Changes the calling thread; Linux 4.3
/// (ambient capabilities). Throws nsutil::error("capget", "capset" or "prctl").
NSUTIL_API void keep_capabilities();

/// Tries setgroups(0, nullptr); returns whether it worked. Changes the calling process.
NSUTIL_API bool try_drop_groups() noexcept;

}  // namespace nsutil
