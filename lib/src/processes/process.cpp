#include <fmt/format.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
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
// pipe, so the child never blocks on a parent that does not read yet. With share_memory the
// parent cannot read before the child has ended. Built on the stack: no allocation in a child
// that may be sharing the parent's heap.
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
    // A share_memory child runs with every signal blocked (see start_sharing_memory), and a
    // handler of the caller's must not run in it (see drop_handlers).
    ::signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    ::kill(::getpid(), sig);
    ::_exit(1);
  }
}

// In a child of fork_child(): the write end of its error pipe, until report_started(); and, in a
// share_memory child, the signal mask exec_program() restores right before the exec. A
// share_memory child runs on the thread-local storage of the thread that called fork_child()
// (clone without CLONE_SETTLS), which is suspended meanwhile: it sets that thread's copies, which
// the parent puts back, and other threads of the caller never see them.
thread_local int report_fd = -1;
thread_local const sigset_t* exec_mask = nullptr;

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

// What the child of fork_child() starts from. A share_memory child runs in its parent's memory,
// so it only reads this and closes its copies of the descriptors with ::close(): it must not
// change objects the parent goes on using (the parent's unique_fds among them).
struct child_start {
  const std::function<void()>* body;
  const fork_options* opts;
  int report_read;
  int report_write;
  int parent_pidfd;
  pid_t parent;
  const sigset_t* exec_mask;  // share_memory: what exec_program() restores
};

[[noreturn]] void run_child(const child_start& s) noexcept {
  ::close(s.report_read);
  if (s.opts->death_signal != 0)
    arm_death_signal(s.opts->death_signal, s.parent_pidfd, s.parent);
  if (s.parent_pidfd >= 0)
    ::close(s.parent_pidfd);
  exec_mask = s.exec_mask;
  if (s.exec_mask == nullptr && s.opts->signal_mask != nullptr)
    ::sigprocmask(SIG_SETMASK, s.opts->signal_mask, nullptr);
  // From here on the child must leave through _exit(): unwinding or exit() would run the
  // parent's destructors and flush its stdio buffers a second time. It leaves after the catch
  // block, not in it: the C++ runtime keeps the exceptions being handled in the thread's
  // storage, which a share_memory child shares with the caller; ending the catch takes its
  // exception off again, so the caller does not find it there (std::current_exception()).
  report_fd = s.report_write;
  int status = 0;
  try {
    (*s.body)();
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

int run_shared_child(void* start) {
  run_child(*static_cast<const child_start*>(start));
}

// ASan keeps each thread's stack bounds and fake stacks in thread-local state, which a child on
// a stack of its own in the same memory would confuse (false reports, warnings on every throw):
// sanitizer builds fork.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool can_share_memory = false;
#else
constexpr bool can_share_memory = true;
#endif

// clone(CLONE_VM | CLONE_VFORK) as posix_spawn(3) does: the child runs on a stack of its own in
// our memory, and we are suspended until it has exec'd or ended. Between fork() and exec() a
// forked child of this program took about 40 page faults (copy-on-write of the stack, heap and
// GOT pages it writes, and every page of code it runs, which fork() does not map in the child)
// against 17 for util-linux unshare's; that made xunshare -fp --mount-proc 3 to 6 % slower than
// unshare (tests/bench/README-xunshare.md). A child sharing our memory takes none of them.
// Returns -1, with nothing started, when the kernel refuses such a child (see below).
pid_t start_sharing_memory(child_start& s) {
  // The child starts with every signal blocked: a handler of ours must not run in it (on our
  // memory), and no signal may end it halfway through a malloc() in our heap. exec_program()
  // restores the mask the program is to get right before the exec, when the child makes only
  // system calls.
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, &old);
  s.exec_mask = s.opts->signal_mask != nullptr ? s.opts->signal_mask : &old;
  constexpr std::size_t stack_size = std::size_t{1} << 20;  // only the pages it touches count
  void* stack = ::mmap(nullptr, stack_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
  if (stack == MAP_FAILED) {
    int e = errno;
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    throw_error(e, "mmap", "", "child stack");
  }
  // A guard page: an overflow faults instead of writing over our memory below the stack.
  ::mprotect(stack, static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)), PROT_NONE);
  int saved_report_fd = report_fd;
  const sigset_t* saved_exec_mask = exec_mask;
  pid_t pid = ::clone(run_shared_child, static_cast<char*>(stack) + stack_size,
                      CLONE_VM | CLONE_VFORK | SIGCHLD, &s);
  int e = errno;
  report_fd = saved_report_fd;
  exec_mask = saved_exec_mask;
  ::munmap(stack, stack_size);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  // Before Linux 6.3 (which switches the time namespace at exec), a child that shares our
  // memory is refused while a time namespace we unshared waits for our children: the caller
  // forks instead, with none of the sharing child's set-up (its `old` is gone with this frame).
  if (pid < 0 && e == EINVAL) {
    s.exec_mask = nullptr;
    return -1;
  }
  if (pid < 0)
    throw_error(e, "clone");
  return pid;
}

}  // namespace

child fork_child(const std::function<void()>& body, const fork_options& opts) {
  auto [report_read, report_write] = make_pipe();
  pid_t parent = ::getpid();
  unique_fd parent_pidfd;
  if (opts.death_signal != 0)
    parent_pidfd.reset(compat::pidfd_open(parent, 0));
  child_start start{&body,  &opts,  report_read.get(), report_write.get(), parent_pidfd.get(),
                    parent, nullptr};

  pid_t pid = -1;
  if (opts.share_memory && can_share_memory)
    pid = start_sharing_memory(start);
  if (pid < 0) {
    pid = ::fork();
    if (pid < 0)
      throw_errno("fork");
    if (pid == 0)
      run_child(start);
  }
  report_write.reset();
  // The child is ours and unreaped, so its PID cannot be recycled before this pidfd_open().
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

// In a share_memory child, before a signal may be let in: a handler of the caller's would run
// on the caller's memory, thread-local storage included, while its other threads run (it would
// set the caller's flags, write to its pipes, take its locks). Caught signals go back to their
// default action, as posix_spawn(3) does; the exec would reset them anyway, and ignored ones
// stay ignored. The child has a table of actions of its own (no CLONE_SIGHAND): the caller's
// is unchanged.
void drop_handlers() noexcept {
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa {};
    // glibc refuses its own signals (EINVAL), which nothing sends to the child.
    if (::sigaction(sig, nullptr, &sa) < 0 || sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
      continue;
    sa = {};
    sa.sa_handler = SIG_DFL;
    ::sigaction(sig, &sa, nullptr);
  }
}

// Around the exec attempts of a share_memory child (no-ops elsewhere): the program's signal
// mask goes on only once everything is allocated and no handler of the caller's is left, and
// every signal is blocked again before the error is built (see start_sharing_memory).
class exec_signal_window {
 public:
  exec_signal_window() noexcept {
    if (exec_mask == nullptr)
      return;
    drop_handlers();
    ::sigprocmask(SIG_SETMASK, exec_mask, nullptr);
  }
  ~exec_signal_window() {
    if (exec_mask == nullptr)
      return;
    sigset_t all;
    sigfillset(&all);
    int saved = errno;
    ::sigprocmask(SIG_BLOCK, &all, nullptr);
    errno = saved;
  }
  exec_signal_window(const exec_signal_window&) = delete;
  exec_signal_window& operator=(const exec_signal_window&) = delete;
};

// The value of PATH in `env` ("NAME=value" entries), or null.
const char* path_in(const std::vector<std::string>& env) {
  for (const auto& entry : env)
    if (entry.starts_with("PATH="))
      return entry.c_str() + 5;
  return nullptr;
}

void check_program(const std::string& file, const char* path_env) {
  if (file.empty())
    throw_error(ENOENT, exec_op, file);
  int e = file.find('/') != std::string::npos ? usable(file.c_str())
                                              : search_path(file, path_env, usable);
  if (e != 0)
    throw_error(e, exec_op, file);
}

[[noreturn]] void exec_program(const std::string& file, const std::vector<std::string>& argv,
                               const std::vector<std::string>* env) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  if (env != nullptr) {
    envp.reserve(env->size() + 1);
    for (const auto& entry : *env)
      envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
  }
  const char* path_env = env != nullptr ? path_in(*env) : std::getenv("PATH");
  std::vector<char*> sh_args;
  sh_args.reserve(args.size() + 2);
  int e;
  {
    exec_signal_window window;
    char* const* chosen = env != nullptr ? envp.data() : nullptr;
    if (file.find('/') != std::string::npos) {
      exec_file(file.c_str(), args, sh_args, chosen);
      e = errno;
    } else {
      e = search_path(file, path_env, [&](const char* candidate) {
        exec_file(candidate, args, sh_args, chosen);
        return errno;
      });
    }
  }
  throw_error(e, exec_op, file);
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

}  // namespace nsutil
