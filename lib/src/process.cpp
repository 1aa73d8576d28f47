#include <fmt/format.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <nsutil/error.hpp>
#include <nsutil/process.hpp>
#include <stdexcept>

#include "compat.hpp"

namespace nsutil {
namespace {

// What a child sends its parent when its body throws: a fixed header, then the three strings.
struct report_header {
  std::int32_t errno_value;  // 0: not an nsutil::error; `detail` holds what()
  std::uint32_t op_size;
  std::uint32_t path_size;
  std::uint32_t detail_size;
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

void send_report(int fd, int errno_value, const std::string& op, const std::string& path,
                 const std::string& detail) noexcept {
  report_header h{errno_value, static_cast<std::uint32_t>(op.size()),
                  static_cast<std::uint32_t>(path.size()),
                  static_cast<std::uint32_t>(detail.size())};
  write_all(fd, &h, sizeof h);
  write_all(fd, op.data(), op.size());
  write_all(fd, path.data(), path.size());
  write_all(fd, detail.data(), detail.size());
}

// The PR_SET_PDEATHSIG race: a parent that died before prctl() took effect sends nothing. Its
// pidfd (opened before the fork) tells whether that happened.
void arm_death_signal(int sig, const unique_fd& parent_pidfd, pid_t parent) noexcept {
  ::prctl(PR_SET_PDEATHSIG, static_cast<unsigned long>(sig));
  bool parent_gone;
  if (parent_pidfd) {
    pollfd p{parent_pidfd.get(), POLLIN, 0};
    parent_gone = ::poll(&p, 1, 0) != 0;
  } else {
    parent_gone = ::getppid() != parent;
  }
  if (parent_gone) {
    ::kill(::getpid(), sig);
    ::_exit(1);
  }
}

// In a child of fork_child(): the write end of its error pipe, until report_started().
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
  report_header h{};
  if (data.size() < sizeof h)
    throw std::runtime_error("child failed");
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
    throw std::runtime_error(detail);
  throw error(h.errno_value, std::move(op), std::move(path), std::move(detail));
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

child fork_child(const std::function<void()>& body, const fork_options& opts) {
  auto [report_read, report_write] = make_pipe();
  pid_t parent = ::getpid();
  unique_fd parent_pidfd;
  if (opts.death_signal != 0)
    parent_pidfd.reset(compat::pidfd_open(parent, 0));

  pid_t pid = ::fork();
  if (pid < 0)
    throw_errno("fork");
  if (pid == 0) {
    report_read.reset();
    if (opts.death_signal != 0)
      arm_death_signal(opts.death_signal, parent_pidfd, parent);
    parent_pidfd.reset();
    if (opts.signal_mask != nullptr)
      ::sigprocmask(SIG_SETMASK, opts.signal_mask, nullptr);
    // From here on the child must leave through _exit(): unwinding or exit() would run the
    // parent's destructors and flush its stdio buffers a second time.
    report_fd = report_write.release();
    try {
      body();
    } catch (const error& e) {
      send_report(report_fd, e.errno_value(), e.op(), e.path(), e.detail());
      ::_exit(1);
    } catch (const std::exception& e) {
      send_report(report_fd, 0, {}, {}, e.what());
      ::_exit(1);
    } catch (...) {
      send_report(report_fd, 0, {}, {}, "unknown error in child process");
      ::_exit(1);
    }
    ::_exit(0);
  }
  report_write.reset();
  // The child is ours and unreaped, so its PID cannot be recycled before this pidfd_open().
  unique_fd pidfd(compat::pidfd_open(pid, 0));
  return child(process(pid, std::move(pidfd)), std::move(report_read));
}

namespace {

// execv(), and for a file without "#!" that the kernel will not run (ENOEXEC), the shell, as
// execvp(3) does. Returns only on failure, with errno set.
void exec_file(const std::string& path, std::vector<char*>& args) {
  ::execv(path.c_str(), args.data());
  if (errno != ENOEXEC)
    return;
  std::vector<char*> sh_args{const_cast<char*>("sh"), const_cast<char*>(path.c_str())};
  sh_args.insert(sh_args.end(), args.begin() + (args.size() > 1 ? 1 : 0), args.end());
  ::execv("/bin/sh", sh_args.data());
  errno = ENOEXEC;
}

// 0 when `path` is a file exec would run; else the errno exec would give.
int usable(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0)
    return errno;
  if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) < 0)
    return EACCES;
  return 0;
}

// Tries `file` in each PATH folder as execvp(3) does; `attempt` returns 0 for success (it may
// not return at all: exec) or the errno of that candidate. Unlike execvp(3), EACCES is kept only
// for a file that exists but cannot run: a PATH folder the caller cannot search (one under /root
// for an unprivileged user) does not turn a missing program into "Permission denied".
int search_path(const std::string& file, const std::function<int(const std::string&)>& attempt) {
  if (file.size() > NAME_MAX)
    return ENAMETOOLONG;  // as execvp(3): no folder can hold it
  const char* env = std::getenv("PATH");
  std::string_view path = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
  int result = ENOENT;
  for (;;) {
    std::string_view dir = path.substr(0, path.find(':'));
    std::string candidate = fmt::format("{}/{}", dir.empty() ? "." : dir, file);
    int e = attempt(candidate);
    if (e == 0)
      return 0;
    if (e == EACCES) {
      if (::access(candidate.c_str(), F_OK) == 0)
        result = EACCES;
    } else if (e != ENOENT && e != ENOTDIR && e != ELOOP && e != ENAMETOOLONG) {
      return e;
    }
    if (dir.size() == path.size())
      return result;
    path.remove_prefix(dir.size() + 1);
  }
}

}  // namespace

void check_program(const std::string& file) {
  if (file.empty())
    throw_error(ENOENT, exec_op, file);
  int e = file.find('/') != std::string::npos ? usable(file) : search_path(file, usable);
  if (e != 0)
    throw_error(e, exec_op, file);
}

void exec_program(const std::string& file, const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  if (file.find('/') != std::string::npos) {
    exec_file(file, args);
    throw_errno(exec_op, file);
  }
  throw_error(search_path(file,
                          [&](const std::string& candidate) {
                            exec_file(candidate, args);
                            return errno;
                          }),
              exec_op, file);
}

}  // namespace nsutil
