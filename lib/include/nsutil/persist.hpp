/// @file
/// Keeping namespaces alive after their processes end, by bind-mounting their files.
#pragma once

#include <sys/types.h>

#include <nsutil/export.hpp>
#include <nsutil/ns_type.hpp>
#include <nsutil/process.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nsutil {

/// Checks that `target` can take a namespace bind mount: its directory exists, it is not a
/// directory, its name is not too long, and it does not already hold a namespace (stacking a second
/// one on e.g. /run/netns/NAME is refused: EBUSY, error_reason::holds_namespace, the type there in
/// error::namespaces()). `target` is looked up one component at a time: a symbolic link on the
/// way is followed only when root or the caller (effective UID) owns it, EPERM naming the link
/// otherwise, and `target` itself must not be a symbolic link (ELOOP), so that another user
/// cannot steer a bind onto a file of their choosing. Does not create or change anything.
/// Throws nsutil::error("persist", target).
NSUTIL_API void check_persist_target(const std::string& target);

/// Bind-mounts namespace file `source` (e.g. /proc/PID/ns/uts) onto `target`, creating
/// `target` as an empty file first if needed (see check_persist_target()). `target` is resolved
/// once, as check_persist_target() does, and the file is created (O_EXCL, in the directory found)
/// and bound through descriptors of what was found, so a name changed meanwhile cannot redirect
/// the bind. If the mount fails, a file it created is removed again. Needs CAP_SYS_ADMIN in the
/// user namespace that owns the caller's mount namespace; a mount namespace can be bound only from
/// outside it, onto a mount that is not shared, and only when its ID is above that of the caller's
/// mount namespace (since Linux 6.18 a newer one can have a lower ID: see
/// unshare_options::persist_mnt); the detail of EINVAL says which. Throws nsutil::error: those of
/// check_persist_target() and of opening `source`, ("create", target), ("mount", target).
NSUTIL_API void persist(const std::string& source, const std::string& target);

/// Undoes persist(): detaches the namespace bind mount on `target` (the file stays, as with
/// umount(8)), resolved as persist() resolves it. Throws nsutil::error("umount", target), EINVAL
/// with a detail when `target` holds no namespace.
NSUTIL_API void unpersist(const std::string& target);

/// The type of the namespace bind-mounted on `path`, or nullopt when `path` is not a namespace
/// file (or does not exist). A query: it follows symbolic links, as stat(2) does. Does not change
/// anything.
NSUTIL_API std::optional<ns_type> persisted_type(const std::string& path) noexcept;

/// One bind to make: the namespace of `type` of the process, onto `target`.
struct persist_request {
  ns_type type;
  std::string target;
};

/// A helper process that persists the caller's namespaces from outside them.
///
/// Start it *before* unshare(): it stays in the original namespaces, which a mount namespace
/// needs (the bind must be made in the old mount namespace) and a user namespace needs (the
/// caller loses its privilege over the old mount namespace). After unshare() (and after forking
/// the first child, for pid and time, whose *_for_children entries are bound), call bind(): the
/// helper binds /proc/CALLER/ns/X onto each target and exits. If any bind fails it undoes the
/// others and bind() throws that error. The helper ends with its parent if that dies first.
/// For a new mount namespace, unshare() it with unshare_options::persist_mnt, or the bind can
/// fail with EINVAL on Linux 6.18 and later (see persist()).
class NSUTIL_API persist_helper : private gated_helper {
 public:
  /// Forks the helper. Throws nsutil::error("pipe") or ("fork").
  static persist_helper start(std::vector<persist_request> requests);
  /// Lets the helper bind the caller's namespaces and waits for it. Throws the helper's error.
  void bind();

  // A helper never told to bind() is told to stop, and reaped (~gated_helper).

 private:
  using gated_helper::gated_helper;
};

/// Binds the caller's own namespaces (for_children entries for pid and time) for `requests`
/// directly, from the calling process: enough when the caller keeps its mount namespace and
/// its privilege (no new mnt or user namespace). On failure undoes the ones already made.
NSUTIL_API void persist_own(const std::vector<persist_request>& requests);

}  // namespace nsutil
