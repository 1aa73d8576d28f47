/// @file
/// Joining existing namespaces with setns(2).
#pragma once

#include <nsutil/export.hpp>
#include <nsutil/ns_handle.hpp>
#include <nsutil/ns_type.hpp>

namespace nsutil {

class process;

/// Moves the calling thread into the namespace `ns` (setns(2) with its type checked).
///
/// Changes the calling thread; for a user namespace the process must be single-threaded, for a
/// mount namespace its filesystem attributes must not be shared. pid and time namespaces apply
/// to children forked afterwards only. Needs CAP_SYS_ADMIN in the target's owning user namespace
/// (and in the caller's for most types). Throws nsutil::error("setns", ns.name()).
NSUTIL_API void enter(const ns_handle& ns);

/// Whether setns(2) accepts a pidfd with several CLONE_NEW* flags (Linux 5.8). Probed once.
NSUTIL_API bool kernel_can_enter_by_pidfd() noexcept;

/// Moves the calling thread into every namespace of `types` that `target` is in, atomically
/// (all or none) through setns(pidfd, flags). Needs Linux 5.8 (see kernel_can_enter_by_pidfd())
/// and the same privilege as enter(). The kernel orders the user namespace correctly itself.
/// Throws nsutil::error("setns", "/proc/PID/ns") (ESRCH when the target has exited), or
/// ENOSYS when `target` has no pidfd (a kernel before 5.3).
NSUTIL_API void enter(const process& target, ns_set types);

}  // namespace nsutil
