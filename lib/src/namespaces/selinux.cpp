// enter_plan::follow_context(): nsenter -Z, with libselinux loaded on first use.
#include <selinux/selinux.h>

#include <cerrno>
#include <memory>
#include <nsutil/enter_plan.hpp>
#include <nsutil/error.hpp>
#include <optional>
#include <string>

#include "base/dl.hpp"
#include "namespaces/enter_plan_impl.hpp"

namespace nsutil {
namespace {

// libselinux, loaded on first use: only -Z needs it, and linking it would map it (and libpcre2)
// into every run of every tool. The soname is libselinux's ABI, which SELinux userspace keeps.
struct libselinux_api {
  decltype(&is_selinux_enabled) enabled;
  decltype(&getpidcon) get_pid_context;
  decltype(&setexeccon) set_exec_context;
  decltype(&freecon) free_context;
};

// Nothing where libselinux is not installed: no SELinux policy can be running without it.
const libselinux_api* libselinux() {
  static const std::optional<libselinux_api> api =
      detail::load_library<libselinux_api>("libselinux.so.1", [](libselinux_api& a, auto bind) {
        return bind(a.enabled, "is_selinux_enabled") && bind(a.get_pid_context, "getpidcon") &&
               bind(a.set_exec_context, "setexeccon") && bind(a.free_context, "freecon");
      });
  return api ? &*api : nullptr;
}

}  // namespace

std::optional<std::string> enter_plan::impl::follow_context() {
  const libselinux_api* se = libselinux();
  if (se == nullptr || se->enabled() <= 0)
    return std::nullopt;
  if (!target_)
    throw error(EINVAL, "follow_context", "", "needs a target process (enter_request::target is 0)",
                error_reason::no_target);
  char* raw = nullptr;
  if (se->get_pid_context(target_->pid(), &raw) < 0)
    throw_errno("getpidcon", std::to_string(target_->pid()));
  std::unique_ptr<char, decltype(se->free_context)> context(raw, se->free_context);
  // A PID recycled since open() would have given a stranger's context.
  target_->check_alive();
  if (se->set_exec_context(context.get()) < 0)
    throw_errno("setexeccon", context.get());
  return std::string(context.get());
}

}  // namespace nsutil
