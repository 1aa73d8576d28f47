#include <sched.h>

#include <atomic>
#include <cerrno>
#include <nsutil/enter.hpp>
#include <nsutil/error.hpp>
#include <nsutil/process.hpp>

#include "base/compat.hpp"

namespace nsutil {

void enter(const ns_handle& ns) {
  if (::setns(ns.fd().get(), info(ns.type()).clone_flag) < 0)
    throw_errno("setns", ns.name());
}

bool kernel_can_enter_by_pidfd() noexcept {
  static const bool can = [] {
    unique_fd self(compat::pidfd_open(::getpid(), 0));
    if (!self)
      return false;
    // Rejoining our own UTS namespace changes nothing. A kernel before 5.8 rejects a pidfd with
    // EINVAL; a newer one accepts it, or refuses with EPERM when we lack CAP_SYS_ADMIN.
    return ::setns(self.get(), CLONE_NEWUTS) == 0 || errno == EPERM;
  }();
  return can;
}

void enter(const process& target, ns_set types) {
  if (!target.pidfd())
    throw_error(ENOSYS, "setns", target.proc_path(""), "this kernel has no pidfds (Linux 5.3)");
  if (::setns(target.pidfd().get(), types.clone_flags()) < 0)
    throw_errno("setns", target.proc_path("ns"));
}

}  // namespace nsutil
