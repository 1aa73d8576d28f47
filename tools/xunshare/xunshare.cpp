// xunshare's run(): the order of operations of util-linux unshare, with the library doing the
// work. What differs on purpose: -p forks, signals reach a PID 1, persistence never stacks.
#include "xunshare.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <nsutil/credentials.hpp>
#include <nsutil/error.hpp>
#include <nsutil/init.hpp>
#include <nsutil/supervise.hpp>

#include "maps.hpp"

namespace nsutil::xunshare {
namespace {

void require_directory(const std::string& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0)
    throw_errno(what, path);
  if (!S_ISDIR(st.st_mode))
    throw_error(ENOTDIR, what, path);
}

// A file that holds a namespace already: say how to enter that one. Called in a handler: any
// other error is rethrown as it is.
[[noreturn]] void rethrow_in_our_words(const error& e) {
  if (e.reason() != error_reason::holds_namespace)
    throw;
  throw error(e.errno_value(), e.op(), e.path(),
              fmt::format("already holds a {0} namespace; enter it with xnsenter {1}={2}, or "
                          "unmount it first (umount {2})",
                          to_string(e.namespaces()), cli::ns_option(e.namespaces()), e.path()));
}

void check_target(const std::string& target) {
  try {
    check_persist_target(target);
  } catch (const error& e) {
    rethrow_in_our_words(e);
  }
}

// Bad paths fail before anything changes, so a failure leaves nothing mounted.
void check_paths(const options& o) {
  for (const auto& r : o.persist)
    check_target(r.target);
  std::string base = o.root ? *o.root : "";
  if (o.root)
    require_directory(*o.root, "cannot change root directory to");
  if (o.wd)
    require_directory(o.wd->starts_with('/') || !o.root ? base + *o.wd : *o.wd,
                      "cannot change directory to");
  if (o.mount_proc && o.mount_proc->starts_with('/'))
    require_directory(base + *o.mount_proc, "cannot mount proc on");
}

// Steps in the process that will exec the program, inside the new namespaces.
void prepare(const options& o) {
  if (o.namespaces.contains(ns_type::mnt))
    set_root_propagation(o.prop);
  if (o.root) {
    if (::chroot(o.root->c_str()) < 0)
      throw_errno("cannot change root directory to", *o.root);
    if (!o.wd && ::chdir("/") < 0)
      throw_errno("cannot chdir to", "/");
  }
  if (o.wd && ::chdir(o.wd->c_str()) < 0)
    throw_errno("cannot change directory to", *o.wd);
  if (o.mount_proc)
    mount_proc(*o.mount_proc, !o.root && o.prop != propagation::private_);
  if (o.mount_binfmt) {
    mount_binfmt(*o.mount_binfmt);
    for (const auto& def : o.load_interp)
      register_binfmt(*o.mount_binfmt, def);
  }
  // apply() arms --kill-child's death signal again: the kernel clears it when the IDs change.
  apply({.gid = o.setgid,
         .uid = o.setuid,
         .drop_groups = o.setgid.has_value(),
         .keep_caps = o.keep_caps && o.namespaces.contains(ns_type::user)},
        o.kill_child);
}

// Whether the child has a step of ours to take before the exec: prepare()'s, the persistence
// handshake's or --init's. Without one it is spawned and runs none of our code.
bool child_has_steps(const options& o) {
  return o.namespaces.contains(ns_type::mnt) || o.root || o.wd || o.mount_proc || o.mount_binfmt ||
         o.setgid || o.setuid || (o.keep_caps && o.namespaces.contains(ns_type::user)) ||
         o.kill_child != 0 || !o.persist.empty() || o.init;
}

// Whether the program gets the variable `name` of our environment.
bool keeps(const options& o, std::string_view name) {
  return !o.clear_env || std::find(o.keep_env.begin(), o.keep_env.end(), name) != o.keep_env.end();
}

// The program's environment with --clear-env or --whitelist-env: the kept variables of ours.
std::vector<std::string> kept_environment(const options& o) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text = *entry;
    if (keeps(o, text.substr(0, text.find('='))))
      env.emplace_back(text);
  }
  return env;
}

// The default shell comes from SHELL as the program would see it, as util-linux clears the
// environment before it looks.
std::pair<std::string, std::vector<std::string>> program_of(const options& o) {
  if (o.command.empty())
    return cli::default_shell(keeps(o, "SHELL") ? std::getenv("SHELL") : nullptr);
  return {o.command.front(), o.command};
}

void check_command(const options& o) {
  if (o.clear_env)
    check_program(program_of(o).first, kept_environment(o));
  else
    check_program(program_of(o).first);
}

[[noreturn]] void exec_command(const options& o) {
  auto [file, argv] = program_of(o);
  if (o.clear_env)
    exec_program(file, argv, kept_environment(o));
  exec_program(file, argv);
}

void unshare_with_hint(const options& o) {
  try {
    // The helper binds a new mount namespace from the old one.
    bool persist_mnt = std::any_of(o.persist.begin(), o.persist.end(),
                                   [](const auto& r) { return r.type == ns_type::mnt; });
    unshare(o.namespaces, {.persist_mnt = persist_mnt});
  } catch (const error& e) {
    if (e.errno_value() != EPERM || ::geteuid() == 0 || o.namespaces.contains(ns_type::user))
      throw;
    throw cli::noted_error("unshare failed: Operation not permitted",
                           "an unprivileged user can create these namespaces inside a new user "
                           "namespace: add -r (--map-root-user) or -U");
  }
}

// Binds the namespace files, from outside (helper) or from here. A target that came to hold a
// namespace after check_paths() is refused there, with the library's reason.
void persist_now(const options& o, std::optional<persist_helper>& binder) {
  try {
    if (binder)
      binder->bind();
    else if (!o.persist.empty())
      persist_own(o.persist);
  } catch (const error& e) {
    rethrow_in_our_words(e);
  }
}

bool read_byte(const unique_fd& fd) {
  char byte;
  ssize_t n;
  while ((n = ::read(fd.get(), &byte, 1)) < 0 && errno == EINTR) {
  }
  return n == 1;
}

void write_byte(const unique_fd& fd) {
  char byte = 1;
  ssize_t n;
  while ((n = ::write(fd.get(), &byte, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1)
    throw_errno("write", "child pipe");
}

// With persistence the child and the parent meet twice: the child says it is ready (every step
// that could fail is done, and the program was found), then the parent binds the namespaces
// and opens the gate. So a failure on either side leaves nothing mounted.
struct handshake {
  std::pair<unique_fd, unique_fd> ready;
  std::pair<unique_fd, unique_fd> gate;
};

// The parent's side of the handshake: once the child is ready, binds the namespaces and opens
// the gate; if binding fails, the closed gate ends the child before it runs anything.
void persist_and_release(handshake& hs, child& c, const options& o,
                         std::optional<persist_helper>& binder) {
  hs.ready.second.reset();
  hs.gate.first.reset();
  if (!read_byte(hs.ready.first)) {
    c.wait();  // rethrows the child's error
    throw_error(EIO, "child", "", "ended before running the program");
  }
  try {
    persist_now(o, binder);
  } catch (...) {
    hs.gate.second.reset();
    try {
      c.wait();
    } catch (const std::exception&) {
    }
    throw;
  }
  write_byte(hs.gate.second);
}

child spawn_command(const options& o, const sigset_t* signal_mask) {
  auto [file, argv] = program_of(o);
  if (o.clear_env)
    return spawn_program(file, argv, kept_environment(o), signal_mask);
  return spawn_program(file, argv, signal_mask);
}

int run_forked(const options& o, std::optional<persist_helper>& binder) {
  supervisor sup(supervise_options{.pid1_default_action = !o.init});
  if (!child_has_steps(o)) {
    child c = spawn_command(o, sup.child_mask());
    return cli::mirror_status(sup.wait(c));
  }
  std::optional<handshake> hs;
  if (!o.persist.empty())
    hs.emplace(handshake{make_pipe(), make_pipe()});
  std::pair<unique_fd, unique_fd> status;  // --init's report of the program's wait status
  if (o.init)
    status = make_pipe();
  child c = fork_child(
      [&] {
        if (o.init)
          status.first.reset();  // the child's copy of our read end
        prepare(o);
        if (hs) {
          hs->ready.first.reset();
          hs->gate.second.reset();
          check_command(o);
          write_byte(hs->ready.second);
          hs->ready.second.reset();
          if (!read_byte(hs->gate.first))
            ::_exit(1);
          hs->gate.first.reset();
        }
        if (o.init)
          run_init([&] { exec_command(o); }, std::move(status.second));
        exec_command(o);
      },
      {.death_signal = o.kill_child, .signal_mask = sup.child_mask()});
  status.second.reset();
  if (hs) {
    persist_and_release(*hs, c, o, binder);
    hs.reset();
  }
  child_status st = sup.wait(c);
  if (o.init)
    st = init_result(st, std::move(status.first));
  return cli::mirror_status(st);
}

}  // namespace

int run(const options& o) {
  check_paths(o);
  map_plan plan = plan_maps(o);
  std::optional<persist_helper> binder;
  if (!o.persist.empty() &&
      (o.namespaces.contains(ns_type::mnt) || o.namespaces.contains(ns_type::user) || !o.fork))
    binder.emplace(persist_helper::start(o.persist));
  std::optional<id_map_helper> mapper;
  if (plan.use_helper)
    mapper.emplace(id_map_helper::start(plan.maps));
  if (o.owner)
    apply({.gid = o.owner->second, .uid = o.owner->first, .drop_groups = true});

  // Our next child starts the new PID namespace, and without -f the chroot is ours: no exit
  // handler may depend on either, on any path from here (an error included).
  if (o.namespaces.contains(ns_type::pid) || (o.root && !o.fork))
    cli::skip_exit_handlers();
  unshare_with_hint(o);
  if (mapper)
    mapper->apply();
  else if (!plan.maps.uids.empty() || !plan.maps.gids.empty() || plan.maps.deny_setgroups)
    write_id_maps(0, plan.maps);
  if (o.setgroups_allow == true)
    write_file("/proc/self/setgroups", "allow");
  if (o.namespaces.contains(ns_type::time))
    set_time_offsets(o.offsets);

  if (o.fork)
    return run_forked(o, binder);
  prepare(o);
  if (!o.persist.empty()) {
    check_command(o);
    persist_now(o, binder);
  }
  exec_command(o);
}

}  // namespace nsutil::xunshare
