// xnsenter's run logic: resolve, open everything, enter, set up, then exec or fork and wait.
#include "xnsenter.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <nsutil/credentials.hpp>
#include <nsutil/error.hpp>
#include <nsutil/persist.hpp>
#include <nsutil/supervise.hpp>

#if defined(__SANITIZE_ADDRESS__)
#  include <sanitizer/lsan_interface.h>
#endif

namespace nsutil::xnsenter {
namespace {

// `-t /run/netns/NAME`: say which option takes a namespace file.
[[noreturn]] void explain_path_target(const std::string& path) {
  std::optional<ns_type> type;
  try {
    type = ns_handle::open(path).type();
  } catch (const error&) {
  }
  if (type)
    throw_error(EINVAL, "--target", path,
                fmt::format("a namespace file, not a PID; to enter the {} namespace in it, use "
                            "--{}={}",
                            to_string(*type), info(*type).option, path));
  throw_error(EINVAL, "--target", path, "takes a PID; namespace files go to --net=FILE etc.");
}

[[noreturn]] void no_selinux() {
  bool enabled = ::access("/sys/fs/selinux/enforce", F_OK) == 0;
  throw_error(EOPNOTSUPP, "--follow-context", "",
              enabled ? "xnsenter is built without SELinux support"
                      : "SELinux is not enabled on this system, so there is no context to follow");
}

}  // namespace

int run(const options& o) {
  if (!o.target_path.empty())
    explain_path_target(o.target_path);
  if (o.follow_context)
    no_selinux();
  enter_request req = o.request;
  if (o.netns) {
    req.source(ns_type::net).enabled = true;
    req.source(ns_type::net).file = netns_path(*o.netns);
  }
  enter_plan plan = enter_plan::open(req);
  bool fork = plan.enters_pid_namespace() && !o.no_fork;
  // The child checks this pidfd to close the race where we die before its death signal is set.
  std::optional<process> self;
  if (fork) {
    self.emplace(process::open(::getpid()));
#if defined(__SANITIZE_ADDRESS__)
    // LeakSanitizer's exit-time check clones a tracer that would start in the entered PID
    // namespace, where it cannot see us, and the check then never ends. Check here instead.
    __lsan_do_leak_check();
#endif
  }

  plan.enter();
  plan.setup();
  // After -e and the mount namespace, as util-linux: $SHELL and passwd are the target's.
  auto [file, argv] =
      o.command.empty() ? cli::default_shell()
                        : std::pair<std::string, std::vector<std::string>>{o.command[0], o.command};
  if (!fork) {
    apply(plan.creds());
    exec_program(file, argv);
  }
  // The child is not init of the PID namespace it joins, and our /proc may be the target's now:
  // no PID-1 rewrite. Stops are mirrored as nsenter does.
  supervisor sup({.pid1_default_action = false, .mirror_stops = true});
  // Structured bindings are captured by name in an init-capture: clang before 16 refuses them
  // in a plain [&].
  child c = fork_child(
      [&, &exec_file = file, &exec_argv = argv] {
        apply(plan.creds(), SIGKILL, &*self);
        exec_program(exec_file, exec_argv);
      },
      {.death_signal = SIGKILL, .signal_mask = sup.child_mask()});
  return cli::mirror_status(sup.wait(c));
}

}  // namespace nsutil::xnsenter
