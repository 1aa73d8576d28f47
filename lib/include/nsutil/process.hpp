/// @file
/// Processes: race-free handles on existing ones, and children (forked, or spawned when they only
/// exec) whose failures come back to the parent as exceptions.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <nsutil/export.hpp>
#include <nsutil/unique_fd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nsutil {

/// A handle on a running process: its PID and, where the kernel has pidfds (Linux 5.3), a pidfd,
/// which keeps naming the same process even after the PID is recycled.
class NSUTIL_API process {
 public:
  /// Opens a handle on process `pid` (pidfd_open; a /proc/PID check on kernels without it).
  /// Throws nsutil::error with ESRCH ("no such process") when it does not exist, EINVAL for a
  /// PID below 1. Needs no privilege. Does not change the calling process.
  static process open(pid_t pid);

  /// Wraps a PID and an owned pidfd (may be empty) without checking them.
  process(pid_t pid, unique_fd pidfd) noexcept : pid_(pid), pidfd_(std::move(pidfd)) {}

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  /// The pidfd; empty on kernels before 5.3.
  [[nodiscard]] const unique_fd& pidfd() const noexcept { return pidfd_; }
  /// "/proc/PID/<entry>".
  [[nodiscard]] std::string proc_path(std::string_view entry) const;
  /// True until the process exits (a zombie counts as exited when a pidfd is held).
  [[nodiscard]] bool alive() const noexcept;
  /// Throws nsutil::error(ESRCH) when the process is gone. Call it after opening files under
  /// /proc/PID to prove they belong to this process and not to a successor with the same PID.
  void check_alive() const;
  /// Sends `sig` (pidfd_send_signal when there is a pidfd). Returns false when the process no
  /// longer exists; throws nsutil::error for other failures (EPERM).
  bool send_signal(int sig) const;

 private:
  pid_t pid_;
  unique_fd pidfd_;
};

/// How a child ended, as waitpid(2) reports it.
struct NSUTIL_API child_status {
  /// True when killed by a signal; then `value` is the signal number, else the exit code.
  bool signaled = false;
  int value = 0;
  bool core_dumped = false;

  /// Decodes a waitpid(2) status word.
  static child_status from_wait_status(int status) noexcept;
  /// The code a shell would show in $?: the exit code, or 128 + the signal number.
  [[nodiscard]] int shell_code() const noexcept { return signaled ? 128 + value : value; }
  bool operator==(const child_status&) const noexcept = default;
};

/// Options for fork_child().
struct fork_options {
  /// When non-zero, the child gets this signal when the forking thread's process dies
  /// (PR_SET_PDEATHSIG). The race where the parent dies before prctl() takes effect is closed
  /// by checking the parent's pidfd afterwards: the child then raises the signal on itself.
  int death_signal = 0;
  /// When set, the child's signal mask is set to this before `body` runs (a supervisor blocks
  /// signals in the parent before forking; the program must not inherit that).
  const sigset_t* signal_mask = nullptr;
};

/// A forked child that has not been reaped yet.
///
/// Destroying a child that was never waited for leaves it running (it is reaped by whoever
/// inherits it); call wait() or kill it first.
class NSUTIL_API child {
 public:
  child(child&&) noexcept = default;
  child& operator=(child&&) noexcept = default;
  ~child() = default;

  [[nodiscard]] pid_t pid() const noexcept { return proc_.pid(); }
  [[nodiscard]] const process& proc() const noexcept { return proc_; }

  /// Blocks until the child has exec'd a program or ended. If the body passed to fork_child threw
  /// (a set-up step or the exec itself failed), reaps the child and rethrows that error here.
  void wait_started();
  /// Reaps the child (retrying on EINTR) and returns how it ended. If the body threw, rethrows
  /// that error instead. Throws nsutil::error("waitpid") on other failures.
  child_status wait();

 private:
  friend NSUTIL_API child fork_child(const std::function<void()>& body, const fork_options& opts);
  friend NSUTIL_API child spawn_program(const std::string& file,
                                        const std::vector<std::string>& argv,
                                        const sigset_t* signal_mask);
  friend NSUTIL_API child spawn_program(const std::string& file,
                                        const std::vector<std::string>& argv,
                                        const std::vector<std::string>& env,
                                        const sigset_t* signal_mask);
  child(process proc, unique_fd report) noexcept
      : proc_(std::move(proc)), report_(std::move(report)) {}
  NSUTIL_LOCAL static child adopt(pid_t pid);  // a spawned child: no report pipe
  NSUTIL_LOCAL void rethrow_report();

  process proc_;
  unique_fd report_;  // read end of the child's close-on-exec error pipe
};

/// Forks a child that runs `body` and then _exit(0)s; `body` usually ends in exec_program().
///
/// The child is a copy of the caller made by fork(2), so `body` may be any code: what it
/// allocates, throws or changes stays in the child's copy. As with any fork(2), the child has
/// only the calling thread: a lock another thread of the caller held at that moment stays taken
/// in the child, except malloc's and stdio's, which glibc's fork() makes usable again. The child
/// has the caller's descriptors, signal actions and credentials; the library's own descriptors
/// are close-on-exec. It never unwinds into the caller's code: if
/// `body` throws, the error (errno, operation, path, text, reason and namespaces) is written to
/// a close-on-exec pipe and the child _exit(1)s; the parent gets the same error rethrown from
/// child::wait_started() or child::wait(). So a failed set-up step or exec in the child is an
/// ordinary exception in the parent (the operation, path and text together are cut to 4 KiB).
/// Another exception type comes back as nsutil::error(EIO) with an empty op and path, whose
/// what() is the original what(); a report cut short (a body that wrote to the pipe itself) as
/// nsutil::error(EIO) "child failed".
///
/// After unshare() of a PID namespace the child is that namespace's first process (PID 1).
/// The returned handle holds a pidfd on Linux 5.3 and later (pidfd_open(2) on the unreaped
/// child, whose PID cannot be reused before it is reaped). Throws nsutil::error("fork") when
/// fork(2) fails, or ("pipe") when the error pipe cannot be made. Needs no privilege. Changes
/// nothing in the calling process; the child must be reaped (child::wait()).
NSUTIL_API child fork_child(const std::function<void()>& body, const fork_options& opts = {});

/// Starts `file` (searched in PATH when it has no '/', as exec_program() does) with arguments
/// `argv` (argv[0] included) in a new child that runs none of the caller's code: posix_spawn(3),
/// whose child shares the caller's memory until its exec, so none of it is copied as a fork
/// would. Use it for a child that only execs; a child with steps of its own before the exec is
/// fork_child()'s.
///
/// The child has the caller's descriptors, credentials, namespaces and ignored signals; signals
/// with a handler are reset to their default action, and the signal mask is `signal_mask` (null:
/// the caller's). After unshare() of a PID namespace it is that namespace's first process. A file
/// that is neither an ELF program nor a "#!" script is started by fork_child() and
/// exec_program() instead, which hand a file the kernel refuses (ENOEXEC) to /bin/sh as
/// execvp(3) does; so is the child of a caller whose children start in another time namespace,
/// where the kernel refuses posix_spawn's child (Linux 5.10 and 6.1). The returned child has
/// started (child::wait_started() returns at once) and holds a pidfd on Linux 5.3 and later.
///
/// Throws exec_program()'s nsutil::error(exec_op, file) when the program is not found or cannot
/// run, and also when no child could be made (EAGAIN, ENOMEM: posix_spawn(3) reports both
/// alike); a child that failed to exec is reaped first. Through fork_child(), its errors. Needs
/// no privilege. Changes nothing in the calling process; the child must be reaped
/// (child::wait()).
NSUTIL_API child spawn_program(const std::string& file, const std::vector<std::string>& argv,
                               const sigset_t* signal_mask = nullptr);

/// spawn_program() with the environment `env` ("NAME=value" entries) instead of the caller's,
/// which is left unchanged; `file` is searched in the PATH of `env`, as exec_program() does.
NSUTIL_API child spawn_program(const std::string& file, const std::vector<std::string>& argv,
                               const std::vector<std::string>& env,
                               const sigset_t* signal_mask = nullptr);

/// A helper process forked before the caller changes its namespaces, which waits at a gate (a
/// one-byte pipe) until open() lets it act on the caller from outside them; the common part of
/// id_map_helper and persist_helper.
class NSUTIL_API gated_helper {
 public:
  gated_helper(gated_helper&&) noexcept = default;
  gated_helper& operator=(gated_helper&&) noexcept = delete;
  /// A helper never let through the gate is told to stop (it exits without running its body),
  /// and reaped.
  ~gated_helper();

 protected:
  /// Forks the helper, which runs `body` once open() is called. It gets SIGKILL if the caller
  /// dies first. Throws nsutil::error("pipe") or ("fork"). Changes nothing in the caller.
  explicit gated_helper(const std::function<void()>& body);
  /// Lets the helper run its body and waits for it. Rethrows the body's error; any other
  /// non-zero ending becomes nsutil::error(EIO, what).
  void open(std::string_view what);

 private:
  NSUTIL_LOCAL explicit gated_helper(std::pair<child, unique_fd> started) noexcept;
  child helper_;
  unique_fd go_;
};

/// For the body of a fork_child() child that will not exec (an init, a long-running helper):
/// closes the child's end of the error pipe now, so that the parent's child::wait_started()
/// returns; an error thrown by the body after this call is no longer sent to the parent (the
/// child just exits with status 1). Does nothing outside the body (in fork_child()'s caller)
/// or when called twice.
NSUTIL_API void report_started() noexcept;

/// The `op` of the error exec_program() throws, so a tool can tell exec failures (exit status 126,
/// or 127 when the program was not found) from its own.
inline constexpr std::string_view exec_op = "failed to execute";

/// Checks that exec_program(file, ...) would find `file` (searched in PATH when it has no '/')
/// and that it is an executable regular file, without running it. Throws the error
/// exec_program() would (op exec_op; ENOENT when not found, EACCES when a file of that name
/// exists but cannot run; a PATH directory the caller cannot search counts as not found), so a
/// caller can fail before doing something that must be undone. Does not change anything.
NSUTIL_API void check_program(const std::string& file);

/// check_program() for exec_program() with the environment `env`: `file` is searched in the
/// PATH of `env`.
NSUTIL_API void check_program(const std::string& file, const std::vector<std::string>& env);

/// Replaces the calling process with `file` (searched in PATH when it has no '/'), run with
/// arguments `argv` (argv[0] included). Does not return; on failure throws
/// nsutil::error(exec_op, file).
[[noreturn]] NSUTIL_API void exec_program(const std::string& file,
                                          const std::vector<std::string>& argv);

/// exec_program() with the environment `env` ("NAME=value" entries) instead of the caller's,
/// which is left unchanged; `file` is searched in the PATH of `env` (when `env` has no PATH, in
/// the default one, as exec_program() does without PATH).
[[noreturn]] NSUTIL_API void exec_program(const std::string& file,
                                          const std::vector<std::string>& argv,
                                          const std::vector<std::string>& env);

}  // namespace nsutil
