// xnsenter's run logic: resolve, open everything, enter, set up, then exec or fork and wait.
#include "xnsenter.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <nsutil/containers.hpp>
#include <nsutil/credentials.hpp>
#include <nsutil/discovery.hpp>
#include <nsutil/error.hpp>
#include <nsutil/persist.hpp>
#include <nsutil/supervise.hpp>
#include <stdexcept>

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
                            "{}={}",
                            to_string(*type), cli::ns_option({*type}), path));
  throw_error(EINVAL, "--target", path, "takes a PID; namespace files go to --net=FILE etc.");
}

[[noreturn]] void no_selinux() {
  bool enabled = ::access("/sys/fs/selinux/enforce", F_OK) == 0;
  throw_error(EOPNOTSUPP, "--follow-context", "",
              enabled ? "xnsenter is built without SELinux support"
                      : "SELinux is not enabled on this system, so there is no context to follow");
}

// Our option for the enter_request member an error names: a member is named after nsenter's
// long option, '_' for '-', but for a namespace ("ns") and `follow` ("uid", "gid").
std::string option_for(const error& e) {
  if (e.op() == "ns")
    return cli::ns_option(e.namespaces());
  if (e.op() == "uid" || e.op() == "gid")
    return fmt::format("--set{} follow", e.op());
  std::string option = "--" + e.op();
  std::replace(option.begin(), option.end(), '_', '-');
  return option;
}

}  // namespace

error in_our_words(const error& e) {
  auto say = [&](std::string op, std::string detail) {
    return error(e.errno_value(), std::move(op), e.path(), std::move(detail), e.reason(),
                 e.namespaces());
  };
  switch (e.reason()) {
    case error_reason::no_target:
      return say(option_for(e), e.namespaces().empty()
                                    ? "needs a target PID (-t PID)"
                                    : "no target PID given (use -t PID) and no file");
    case error_reason::parent_is_own:
    case error_reason::no_cgroup2:
      return say(option_for(e), e.detail());
    case error_reason::needs_owner_userns:
      return say(e.op(), fmt::format("{} (needs CAP_SYS_ADMIN over it; an unprivileged user must "
                                     "enter the user namespace that owns it with -U) [{}]",
                                     std::strerror(e.errno_value()), to_string(e.namespaces())));
    case error_reason::setgroups_denied:
      return say(e.op(), e.detail() + "; use --preserve-credentials to keep your IDs");
    default:
      return e;
  }
}

namespace {

// Runs `f`, throwing the library's errors in our words.
template <class F>
decltype(auto) worded(F&& f) {
  try {
    return f();
  } catch (const error& e) {
    throw in_our_words(e);
  }
}

std::string netns_file(const std::string& name) {
  try {
    return netns_path(name);
  } catch (const error& e) {
    throw error(e.errno_value(), "--netns", e.path(), e.detail());
  }
}

std::string list_of(const std::vector<running_container>& found, bool with_ids) {
  std::string out;
  for (const auto& c : found) {
    if (!out.empty())
      out += ", ";
    // With the main PID: two containers of one name and engine differ in nothing else shown.
    out += with_ids ? fmt::format("{} ({} {}, PID {})", c.info.id.substr(0, 12),
                                  to_string(c.info.engine), qualified_name(c.info), c.main_pid)
                    : qualified_name(c.info);
  }
  return out;
}

// Nothing of the caller's answers to `query`: the containers of other owners that do, each as
// the name that would enter it.
[[noreturn]] void no_container(const std::string& text, const container_query& query,
                               const std::vector<running_container>& running) {
  std::vector<running_container> others;
  if (!query.owner)
    for (const auto& c : running)
      if (c.info.owner && *c.info.owner != ::geteuid() &&
          !match_containers({c}, {c.info.owner, query.name_or_id}, 0).empty())
        others.push_back(c);
  if (!others.empty())
    throw_error(ENOENT, "--container", text,
                fmt::format("none of your running containers has that name or ID; {} of another "
                            "user does (a name without an owner names only your own containers: "
                            "give OWNER/NAME to enter another user's)",
                            list_of(others, false)));
  throw_error(ENOENT, "--container", text,
              running.empty() ? "no such running container (none is running)"
                              : fmt::format("no such running container (running: {})",
                                            list_of(running, false)));
}

// --container: the running container it names, its main process held by a pidfd.
process open_container(const std::string& text) {
  container_query query;
  try {
    query = parse_container_query(text);
  } catch (const error& e) {
    throw error(e.errno_value(), "--container", e.path(), e.detail());
  }
  container_resolver resolver;
  auto running = resolver.running();
  auto found = match_containers(running, query, ::geteuid());
  if (found.empty())
    no_container(text, query, running);
  if (found.size() > 1)
    throw_error(EINVAL, "--container", text,
                fmt::format("matches several containers: {}", list_of(found, true)));
  try {
    return open_main_process(found.front(), resolver);
  } catch (const error& e) {
    if (e.errno_value() != ESRCH)
      throw;
    throw_error(ESRCH, "--container", text, "the container stopped");
  }
}

// What a program entered into a container runs as: within the container's user namespace, as
// `docker exec` runs, so that no program or file of the container runs or is read with the
// caller's privilege over the host. --keep-userns keeps the caller's instead.
void choose_user_namespace(const options& o, const process& container, enter_request& req) {
  if (o.keep_userns) {
    if (req.all) {
      req.all = false;
      for (const auto& row : ns_types)
        if (row.type != ns_type::user && kernel_has(row.type))
          req.source(row.type).enabled = true;
    }
    return;
  }
  if (req.all || req.source(ns_type::user).enabled)
    return;
  if (ns_handle::of_process(container, ns_type::user).inode() !=
      ns_handle::of_process(::getpid(), ns_type::user).inode())
    req.source(ns_type::user).enabled = true;
}

int run_plan(const options& o) {
  if (!o.target_path.empty())
    explain_path_target(o.target_path);
  if (o.follow_context)
    no_selinux();
  enter_request req = o.request;
  req.open_by_id = [](std::uint64_t id, ns_type type) { return open_namespace_by_id(id, type); };
  if (o.netns) {
    req.source(ns_type::net).enabled = true;
    req.source(ns_type::net).file = netns_file(*o.netns);
  }
  std::optional<process> container;
  if (o.container) {
    container.emplace(open_container(*o.container));
    req.target = container->pid();
    choose_user_namespace(o, *container, req);
  }
  enter_plan plan = enter_plan::open(req);
  if (!chooses_namespace(o))
    throw std::runtime_error("no namespace specified");
  // Everything of the target is open now: if its main process still runs, it was the
  // container's (the pidfd was taken before the check that it is in the container).
  if (container && !container->alive())
    throw_error(ESRCH, "--container", *o.container, "the container stopped");
  bool fork = plan.enters_pid_namespace() && !o.no_fork;
  // The child checks this pidfd to close the race where we die before its death signal is set.
  std::optional<process> self;
  if (fork)
    self.emplace(process::open(::getpid()));
  // Our children start in the PID namespace we enter, and /proc may be another one (or none)
  // in the mount namespace or root we enter: no exit handler may depend on them, on any path
  // from here (an error included).
  if (plan.enters_pid_namespace() || plan.types().contains(ns_type::mnt) || req.root)
    cli::skip_exit_handlers();

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
        // In the child: fork_child() passes on the words of an error, not its reason.
        worded([&] { apply(plan.creds(), SIGKILL, &*self); });
        exec_program(exec_file, exec_argv);
      },
      {.death_signal = SIGKILL, .signal_mask = sup.child_mask()});
  return cli::mirror_status(sup.wait(c));
}

}  // namespace

int run(const options& o) {
  return worded([&] { return run_plan(o); });
}

}  // namespace nsutil::xnsenter
