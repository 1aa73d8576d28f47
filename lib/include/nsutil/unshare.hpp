/// @file
/// Leaving namespaces: unshare(2) and the mount-propagation step that follows a new mount
/// namespace.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nsutil/export.hpp>
#include <nsutil/ns_type.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace nsutil {

/// What unshare() is to take care of beyond the unshare(2) itself.
struct unshare_options {
  /// sizeof(unshare_options) in the caller's build; leave it as it is. The library refuses another
  /// size (EINVAL), so that a program built against other headers is not misread.
  std::uint32_t struct_size = sizeof(unshare_options);
  /// The new mount namespace is to be bind-mounted (persisted) from the caller's current mount
  /// namespace, e.g. by a persist_helper started before. The kernel allows that only when the new
  /// namespace's ID is higher than that mount namespace's; since Linux 6.18 IDs come from per-CPU
  /// batches and a new namespace can get a lower one. unshare() then makes the new mount
  /// namespace again, on one CPU after the other (the calling thread's CPU affinity is changed
  /// for each attempt and restored), until its ID is higher. The namespace it keeps has the same
  /// mounts and propagation as the first. Costs an open and two ioctls; nothing more on kernels
  /// whose IDs are in creation order or without NS_GET_ID (before 6.18).
  bool persist_mnt = false;
};

/// Moves the calling process into new namespaces of every type in `types`, in one unshare(2).
///
/// Changes the calling process. pid and time are special: the caller stays where it is and only
/// children it forks afterwards are in the new namespace (fork_child() after this makes the
/// program PID 1). A new user namespace needs a single-threaded caller; every other type needs
/// CAP_SYS_ADMIN in the caller's user namespace, unless `types` includes user (then the new user
/// namespace grants it). Throws nsutil::error("unshare") with the kernel's errno and no
/// detail (an unprivileged caller without user gets a plain EPERM; xunshare adds the hint).
/// With unshare_options::persist_mnt and a new mount namespace, when no CPU gives it an ID above
/// the old one's, throws nsutil::error("unshare", EAGAIN) with a detail saying so (the calling
/// process is then in a new mount namespace all the same); errors opening /proc/self/ns/mnt
/// are thrown as ns_handle::open() throws them, and nsutil::error(EINVAL, "unshare_options")
/// when its struct_size is not this library's, before anything is changed.
NSUTIL_API void unshare(ns_set types, const unshare_options& options = {});

/// What the new mount namespace's mounts do with mount events from and to the old one.
enum class propagation { slave, shared, private_, unchanged };

/// Parses "slave", "shared", "private" or "unchanged".
NSUTIL_API std::optional<propagation> parse_propagation(std::string_view name) noexcept;

/// Applies `mode` recursively to every mount in the calling process's mount namespace, which
/// must be a new one (else the host's mounts change). Does nothing for propagation::unchanged.
/// Needs CAP_SYS_ADMIN in the namespace's owner. Throws nsutil::error("mount", "/"); when "/" is
/// not a mount point (inside a chroot) the detail says to use unchanged.
NSUTIL_API void set_root_propagation(propagation mode);

/// Clock offsets of a new time namespace, in seconds (negative values allowed).
struct time_offsets {
  /// CLOCK_MONOTONIC's offset; nullopt leaves it at 0.
  std::optional<std::int64_t> monotonic;
  /// CLOCK_BOOTTIME's offset; nullopt leaves it at 0.
  std::optional<std::int64_t> boottime;
};

/// Writes `offsets` to /proc/self/timens_offsets (boottime first, then monotonic). Valid only
/// after unshare() with a new time namespace and before any process is in it (before the first
/// fork); needs CAP_SYS_TIME in the namespace's owning user namespace. Linux 5.6. Throws
/// nsutil::error("write", "/proc/self/timens_offsets").
NSUTIL_API void set_time_offsets(const time_offsets& offsets);

/// Mounts a new proc filesystem on `dir` (nosuid, noexec, nodev), as seen from the calling
/// process's PID namespace; call it in a process that is inside the new PID namespace. When
/// `make_private` is set, `dir` is first made a private mount (EINVAL, e.g. when it is no mount
/// point yet, is ignored), so the new mount does not propagate back to the host. Needs
/// CAP_SYS_ADMIN over the mount namespace. Throws nsutil::error("mount", dir).
NSUTIL_API void mount_proc(const std::string& dir, bool make_private);

/// Mounts a binfmt_misc filesystem on `dir` (nosuid, noexec, nodev). On kernels before 6.7
/// binfmt_misc is not per user namespace and this fails for a non-root owner. Throws
/// nsutil::error("mount", dir).
NSUTIL_API void mount_binfmt(const std::string& dir);

/// Registers an interpreter by writing `definition` (":name:type:offset:magic:mask:interpreter:
/// flags") to DIR/register. Throws nsutil::error("write", "DIR/register").
NSUTIL_API void register_binfmt(const std::string& dir, const std::string& definition);

}  // namespace nsutil
