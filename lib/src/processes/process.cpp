#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <nsutil/error.hpp>
#include <nsutil/process.hpp>
#include <optional>

#include "base/compat.hpp"

namespace nsutil {
namespace {

// What a child sends its parent when its body throws: a fixed header, then the three strings.
// The reason and namespaces travel too, so that a caller words a child's error as it would its
// own (xunshare's helper refusing a target that already holds a namespace, say).
struct report_header {
  std::int32_t errno_value;  // 0: not an nsutil::error; `detail` holds what()
  std::uint32_t op_size;
  std::uint32_t path_size;
  std::uint32_t detail_size;
  error_reason reason;
  std::int32_t namespaces;  // their CLONE_NEW* flags
};

void write_all(int fd, const void* data, std::size_t size) noexcept {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;  // nobody to tell: the parent is gone
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

// One write of at most PIPE_BUF bytes (the strings are cut to fit): that always fits in an empty
// pipe, so the child never blocks on a parent that waits for it to end before reading. Built on
// the stack: reporting a failed allocation must not need one.
void send_report(int fd, int errno_value, std::string_view op, std::string_view path,
                 std::string_view detail, error_reason reason = error_reason::none,
                 ns_set namespaces = {}) noexcept {
  char buf[PIPE_BUF];
  std::size_t room = sizeof buf - sizeof(report_header);
  op = op.substr(0, room);
  room -= op.size();
  path = path.substr(0, room);
  room -= path.size();
  detail = detail.substr(0, room);
  report_header h{errno_value,
                  static_cast<std::uint32_t>(op.size()),
                  static_cast<std::uint32_t>(path.size()),
                  static_cast<std::uint32_t>(detail.size()),
                  reason,
                  namespaces.clone_flags()};
  char* end = buf;
  std::memcpy(end, &h, sizeof h);
  end += sizeof h;
  for (std::string_view part : {op, path, detail}) {
    if (part.empty())
      continue;  // an empty view's data() may be null, which memcpy must not be given
    std::memcpy(end, part.data(), part.size());
    end += part.size();
  }
  write_all(fd, buf, static_cast<std::size_t>(end - buf));
}

// The PR_SET_PDEATHSIG race: a parent that died before prctl() took effect sends nothing. Its
// pidfd (opened before the fork; -1 without one) tells whether that happened.
void arm_death_signal(int sig, int parent_pidfd, pid_t parent) noexcept {
  ::prctl(PR_SET_PDEATHSIG, static_cast<unsigned long>(sig));
  bool parent_gone;
  if (parent_pidfd >= 0) {
    pollfd p{parent_pidfd, POLLIN, 0};
    parent_gone = ::poll(&p, 1, 0) != 0;
  } else {
    parent_gone = ::getppid() != parent;
  }
  if (parent_gone) {
    // The signal's default action, as a child that only execs would get it: not a handler or
    // a mask inherited from the caller.
    ::signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    ::kill(::getpid(), sig);
    ::_exit(1);
  }
}

// In a child of fork_child(): the write end of its error pipe, until report_started(). Only the
// child's copy is ever set, so the caller's stays -1.
int report_fd = -1;

}  // namespace

void report_started() noexcept {
  if (report_fd >= 0)
    ::close(report_fd);
  report_fd = -1;
}

process process::open(pid_t pid) {
  std::string name = std::to_string(pid);
  if (pid < 1)
    throw_error(EINVAL, "open process", name, "not a valid PID");
  int fd = compat::pidfd_open(pid, 0);
  if (fd >= 0)
    return process(pid, unique_fd(fd));
  if (errno == ESRCH)
    throw_error(ESRCH, "open process", name, "no such process");
  if (errno != ENOSYS)
    throw_errno("pidfd_open", name);
  // Before Linux 5.3 there is only the PID.
  if (::kill(pid, 0) < 0 && errno == ESRCH)
    throw_error(ESRCH, "open process", name, "no such process");
  return process(pid, unique_fd());
}

std::string process::proc_path(std::string_view entry) const {
  return fmt::format("/proc/{}/{}", pid_, entry);
}

bool process::alive() const noexcept {
  if (pidfd_) {
    pollfd p{pidfd_.get(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
  }
  return ::kill(pid_, 0) == 0 || errno == EPERM;
}

void process::check_alive() const {
  if (!alive())
    throw_error(ESRCH, "process", std::to_string(pid_), "exited");
}

bool process::send_signal(int sig) const {
  int rc = pidfd_ ? compat::pidfd_send_signal(pidfd_.get(), sig, 0) : ::kill(pid_, sig);
  if (rc == 0)
    return true;
  if (errno == ESRCH)
    return false;
  throw_errno("kill", std::to_string(pid_));
}

child_status child_status::from_wait_status(int status) noexcept {
  if (WIFSIGNALED(status))
    return {true, WTERMSIG(status), WCOREDUMP(status) != 0};
  return {false, WEXITSTATUS(status), false};
}

void child::rethrow_report() {
  if (!report_)
    return;
  std::string data = read_all(report_, "child report pipe");
  report_.reset();
  if (data.empty())
    return;
  // The body failed: the child has exited or is about to; reap it before throwing.
  int status;
  while (::waitpid(pid(), &status, 0) < 0 && errno == EINTR) {
  }
  // Text from elsewhere (a short report, another exception's what()) is kept as it is: an
  // empty op and path make what() the detail alone.
  report_header h{};
  if (data.size() < sizeof h)
    throw_error(EIO, "", "", "child failed");
  std::memcpy(&h, data.data(), sizeof h);
  std::string_view rest(data);
  rest.remove_prefix(sizeof h);
  auto take = [&](std::uint32_t n) {
    std::string s(rest.substr(0, n));
    rest.remove_prefix(std::min<std::size_t>(n, rest.size()));
    return s;
  };
  std::string op = take(h.op_size);
  std::string path = take(h.path_size);
  std::string detail = take(h.detail_size);
  if (h.errno_value == 0)
    throw_error(EIO, "", "", detail);
  throw error(h.errno_value, std::move(op), std::move(path), std::move(detail), h.reason,
              ns_set::from_clone_flags(h.namespaces));
}

void child::wait_started() {
  rethrow_report();
}

child_status child::wait() {
  rethrow_report();
  int status;
  for (;;) {
    if (::waitpid(pid(), &status, 0) >= 0)
      return child_status::from_wait_status(status);
    if (errno != EINTR)
      throw_errno("waitpid", std::to_string(pid()));
  }
}

namespace {

// In the child: the body, then _exit(). `report_read` and `parent_pidfd` are the child's copies
// of the parent's descriptors.
[[noreturn]] void run_child(const std::function<void()>& body, const fork_options& opts,
                            int report_read, int report_write, int parent_pidfd,
                            pid_t parent) noexcept {
  ::close(report_read);
  if (opts.death_signal != 0)
    arm_death_signal(opts.death_signal, parent_pidfd, parent);
  if (parent_pidfd >= 0)
    ::close(parent_pidfd);
  if (opts.signal_mask != nullptr)
    ::sigprocmask(SIG_SETMASK, opts.signal_mask, nullptr);
  // From here on the child must leave through _exit(): unwinding or exit() would run the
  // parent's destructors and flush its stdio buffers a second time.
  report_fd = report_write;
  int status = 0;
  try {
    body();
  } catch (const error& e) {
    send_report(report_fd, e.errno_value(), e.op(), e.path(), e.detail(), e.reason(),
                e.namespaces());
    status = 1;
  } catch (const std::exception& e) {
    send_report(report_fd, 0, {}, {}, e.what());
    status = 1;
  } catch (...) {
    send_report(report_fd, 0, {}, {}, "unknown error in child process");
    status = 1;
  }
  ::_exit(status);
}

}  // namespace

// glibc's fork() rather than a raw clone3(CLONE_PIDFD): it runs the atfork handlers and leaves
// malloc's, stdio's and the dynamic loader's locks usable in the child, which runs the caller's
// C++ code. The pidfd comes right after from pidfd_open(), as systemd's safe_fork() gets it:
// the child is ours and unreaped, so its PID cannot name another process yet.
child fork_child(const std::function<void()>& body, const fork_options& opts) {
  auto [report_read, report_write] = make_pipe();
  pid_t parent = ::getpid();
  unique_fd parent_pidfd;
  if (opts.death_signal != 0)
    parent_pidfd.reset(compat::pidfd_open(parent, 0));
  pid_t pid = ::fork();
  if (pid < 0)
    throw_errno("fork");
  if (pid == 0)
    run_child(body, opts, report_read.get(), report_write.get(), parent_pidfd.get(), parent);
  report_write.reset();
  unique_fd pidfd(compat::pidfd_open(pid, 0));
  return child(process(pid, std::move(pidfd)), std::move(report_read));
}

namespace {

// execve() with `envp` (null: the caller's environment), and for a file without "#!" that the
// kernel will not run (ENOEXEC), the shell, as execvp(3) does. `sh_args` has capacity for the
// shell's arguments, so nothing is allocated here. Returns only on failure, with errno set.
void exec_file(const char* path, const std::vector<char*>& args, std::vector<char*>& sh_args,
               char* const* envp) {
  if (envp == nullptr)
    envp = environ;
  ::execve(path, args.data(), envp);
  if (errno != ENOEXEC)
    return;
  sh_args.assign({const_cast<char*>("sh"), const_cast<char*>(path)});
  sh_args.insert(sh_args.end(), args.begin() + (args.size() > 1 ? 1 : 0), args.end());
  ::execve("/bin/sh", sh_args.data(), envp);
  errno = ENOEXEC;
}

// 0 when `path` is a file exec would run; else the errno exec would give.
int usable(const char* path) {
  struct stat st {};
  if (::stat(path, &st) < 0)
    return errno;
  if (!S_ISREG(st.st_mode) || ::access(path, X_OK) < 0)
    return EACCES;
  return 0;
}

// Tries `file` in each PATH directory as execvp(3) does; `attempt(const char*)` returns 0 for
// success (it may not return at all: exec) or the errno of that candidate. Unlike execvp(3),
// EACCES is kept only for a file that exists but cannot run: a PATH directory the caller cannot
// search (one under /root for an unprivileged user) does not turn a missing program into
// "Permission denied". Candidates are built on the stack: no allocation between exec attempts.
// `path_env` is the value of PATH (null when it is not set).
template <typename Attempt>
int search_path(const std::string& file, const char* path_env, const Attempt& attempt) {
  if (file.size() > NAME_MAX)
    return ENAMETOOLONG;  // as execvp(3): no directory can hold it
  std::string_view path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  char candidate[PATH_MAX];
  int result = ENOENT;
  for (;;) {
    std::string_view entry = path.substr(0, path.find(':'));
    std::string_view dir = entry.empty() ? "." : entry;
    int e = ENAMETOOLONG;
    if (dir.size() + 1 + file.size() < sizeof candidate) {
      char* end = std::copy(dir.begin(), dir.end(), candidate);
      *end++ = '/';
      *std::copy(file.begin(), file.end(), end) = '\0';
      e = attempt(static_cast<const char*>(candidate));
    }
    if (e == 0)
      return 0;
    if (e == EACCES) {
      if (::access(candidate, F_OK) == 0)
        result = EACCES;
    } else if (e != ENOENT && e != ENOTDIR && e != ELOOP && e != ENAMETOOLONG) {
      return e;
    }
    if (entry.size() == path.size())
      return result;
    path.remove_prefix(entry.size() + 1);
  }
}

// The value of PATH in `env` ("NAME=value" entries), or null.
const char* path_in(const std::vector<std::string>& env) {
  for (const auto& entry : env)
    if (entry.starts_with("PATH="))
      return entry.c_str() + 5;
  return nullptr;
}

// The PATH exec_program() searches: that of `env`, or the caller's when `env` is null.
const char* path_of(const std::vector<std::string>* env) {
  return env != nullptr ? path_in(*env) : std::getenv("PATH");
}

// The file exec_program(file, ...) would run first, found as check_program() says.
std::string resolve_program(const std::string& file, const char* path_env) {
  if (file.empty())
    throw_error(ENOENT, exec_op, file);
  if (file.find('/') != std::string::npos) {
    if (int e = usable(file.c_str()); e != 0)
      throw_error(e, exec_op, file);
    return file;
  }
  std::string found;
  int e = search_path(file, path_env, [&](const char* candidate) {
    int result = usable(candidate);
    if (result == 0)
      found = candidate;
    return result;
  });
  if (e != 0)
    throw_error(e, exec_op, file);
  return found;
}

void check_program(const std::string& file, const char* path_env) {
  (void)resolve_program(file, path_env);
}

// Whether the kernel runs `path` itself: an ELF program or a "#!" script. execvp(3) hands any
// other file the kernel refuses (ENOEXEC) to /bin/sh, which only a child that is still ours
// after a failed exec can do: a spawned one has ended by then, and with it a PID namespace it
// was the first process of.
bool kernel_runs(const char* path) {
  unique_fd fd(::open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode))
    return false;  // replaced since it was found: let the fork path's exec say what it is
  char head[4];
  ssize_t n = ::read(fd.get(), head, sizeof head);
  return (n >= 2 && head[0] == '#' && head[1] == '!') ||
         (n == 4 && std::memcmp(head, "\177ELF", 4) == 0);
}

// NULL-terminated pointers into `strings`, which must outlive them.
std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings)
    out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

[[noreturn]] void exec_program(const std::string& file, const std::vector<std::string>& argv,
                               const std::vector<std::string>* env) {
  std::vector<char*> args = c_strings(argv);
  std::vector<char*> envp;
  if (env != nullptr)
    envp = c_strings(*env);
  const char* path_env = path_of(env);
  std::vector<char*> sh_args;
  sh_args.reserve(args.size() + 2);
  char* const* chosen = env != nullptr ? envp.data() : nullptr;
  int e;
  if (file.find('/') != std::string::npos) {
    exec_file(file.c_str(), args, sh_args, chosen);
    e = errno;
  } else {
    e = search_path(file, path_env, [&](const char* candidate) {
      exec_file(candidate, args, sh_args, chosen);
      return errno;
    });
  }
  throw_error(e, exec_op, file);
}

// Whether the caller's children start in another time namespace than its own (after
// unshare(CLONE_NEWTIME)). Linux 5.10 and 6.1 refuse a CLONE_VM child, posix_spawn's, to such a
// process (EINVAL, and no child is made); 6.12 allows it.
bool children_change_time_namespace() {
  struct stat own {};
  struct stat children {};
  return ::stat("/proc/self/ns/time", &own) == 0 &&
         ::stat("/proc/self/ns/time_for_children", &children) == 0 && own.st_ino != children.st_ino;
}

// posix_spawn(3) of `file`: its PID, or none when the kernel would not run the file itself or
// refuses a CLONE_VM child here (the caller forks instead). Throws exec_program()'s errors.
std::optional<pid_t> spawn(const std::string& file, const std::vector<std::string>& argv,
                           const std::vector<std::string>* env, const sigset_t* signal_mask) {
  std::string path = resolve_program(file, path_of(env));
  if (!kernel_runs(path.c_str()))
    return std::nullopt;
  std::vector<char*> args = c_strings(argv);
  std::vector<char*> envp;
  if (env != nullptr)
    envp = c_strings(*env);
  posix_spawnattr_t attr;
  if (int e = ::posix_spawnattr_init(&attr); e != 0)
    throw_error(e, "posix_spawnattr_init");
  if (signal_mask != nullptr) {
    ::posix_spawnattr_setsigmask(&attr, signal_mask);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  }
  pid_t pid = -1;
  int e = ::posix_spawn(&pid, path.c_str(), nullptr, &attr, args.data(),
                        env != nullptr ? envp.data() : environ);
  ::posix_spawnattr_destroy(&attr);
  if (e == EINVAL && children_change_time_namespace())
    return std::nullopt;
  if (e != 0)
    throw_error(e, exec_op, file);
  return pid;
}

}  // namespace

void check_program(const std::string& file) {
  check_program(file, std::getenv("PATH"));
}

void check_program(const std::string& file, const std::vector<std::string>& env) {
  check_program(file, path_in(env));
}

void exec_program(const std::string& file, const std::vector<std::string>& argv) {
  exec_program(file, argv, nullptr);
}

void exec_program(const std::string& file, const std::vector<std::string>& argv,
                  const std::vector<std::string>& env) {
  exec_program(file, argv, &env);
}

child child::adopt(pid_t pid) {
  return child(process(pid, unique_fd(compat::pidfd_open(pid, 0))), unique_fd());
}

child spawn_program(const std::string& file, const std::vector<std::string>& argv,
                    const sigset_t* signal_mask) {
  if (auto pid = spawn(file, argv, nullptr, signal_mask))
    return child::adopt(*pid);
  return fork_child([&] { exec_program(file, argv); }, {.signal_mask = signal_mask});
}

child spawn_program(const std::string& file, const std::vector<std::string>& argv,
                    const std::vector<std::string>& env, const sigset_t* signal_mask) {
  if (auto pid = spawn(file, argv, &env, signal_mask))
    return child::adopt(*pid);
  return fork_child([&] { exec_program(file, argv, env); }, {.signal_mask = signal_mask});
}

}  // namespace nsutil
