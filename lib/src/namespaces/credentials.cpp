#include <fmt/format.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <nsutil/credentials.hpp>
#include <nsutil/error.hpp>
#include <nsutil/process.hpp>
#include <string>

#include "base/struct_size.hpp"

namespace nsutil {
bool try_drop_groups() noexcept {
  return ::setgroups(0, nullptr) == 0;
}

// glibc has no wrapper for capget/capset without libcap.
void keep_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (::syscall(SYS_capget, &header, data) < 0)
    throw_errno("capget");
  // Ambient capabilities must also be permitted and inheritable.
  for (auto& d : data)
    d.inheritable = d.permitted;
  if (::syscall(SYS_capset, &header, data) < 0)
    throw_errno("capset");
  for (unsigned cap = 0; cap < 32 * _LINUX_CAPABILITY_U32S_3; ++cap) {
    if ((data[cap / 32].permitted & (1U << (cap % 32))) == 0)
      continue;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 && errno != EINVAL)
      throw_errno("prctl", fmt::format("PR_CAP_AMBIENT_RAISE {}", cap));
  }
}

void apply(const credentials& c, int death_signal, const process* parent) {
  detail::check_struct_size(c, "credentials");
  if (c.drop_groups && !try_drop_groups() && !c.groups_dropped) {
    if (errno == EPERM && c.entered_userns)
      throw error(EPERM, "setgroups", "",
                  "not permitted in this user namespace (setgroups is denied there, or it maps "
                  "no group of yours)",
                  error_reason::setgroups_denied);
    throw_errno("setgroups");
  }
  if (c.gid && ::setgid(*c.gid) < 0) {
    if (errno == EINVAL)
      throw_error(EINVAL, "setgid", std::to_string(*c.gid),
                  "this group ID is not mapped in the user namespace");
    throw_errno("setgid", std::to_string(*c.gid));
  }
  if (c.uid && ::setuid(*c.uid) < 0) {
    if (errno == EINVAL)
      throw_error(EINVAL, "setuid", std::to_string(*c.uid),
                  "this user ID is not mapped in the user namespace");
    throw_errno("setuid", std::to_string(*c.uid));
  }
  if (c.keep_caps)
    keep_capabilities();
  // commit_creds() clears the parent-death signal whenever the euid or egid changes.
  if (death_signal != 0) {
    ::prctl(PR_SET_PDEATHSIG, static_cast<unsigned long>(death_signal));
    if (parent != nullptr && !parent->alive())
      ::raise(death_signal);
  }
}

}  // namespace nsutil
