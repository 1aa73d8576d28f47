/// @file
/// Waiting for a child the way a wrapper should: signals passed on, stops mirrored, and a PID 1
/// that the kernel shields from signals still ended when its user asks.
#pragma once

#include <signal.h>

#include <cstdint>
#include <memory>
#include <nsutil/export.hpp>
#include <nsutil/process.hpp>
#include <vector>

namespace nsutil {

/// What a supervisor does while its child runs.
struct supervise_options {
  /// sizeof(supervise_options) in the caller's build; leave it as it is. The library refuses
  /// another size (EINVAL), so that a program built against other headers is not misread.
  std::uint32_t struct_size = sizeof(supervise_options);
  /// Signals that are passed on to the child when another process sends them to the caller
  /// (kill(1), a service manager). One that the terminal sent to the whole foreground process
  /// group reached the child already and is not sent twice.
  std::vector<int> forward{SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  /// When the child is the init (PID 1) of a PID namespace, the kernel drops every signal it
  /// has no handler for, so Ctrl+C and kill(1) do nothing. With this set, such a signal (from
  /// the terminal or passed on) kills the child with SIGKILL, which ends its whole namespace,
  /// and the child is reported as killed by the original signal: what that signal's default
  /// action would have done to an ordinary process.
  bool pid1_default_action = true;
  /// When the child stops (SIGSTOP, SIGTSTP), stop the caller too, and continue the child when
  /// the caller is continued (nsenter's job-control behaviour).
  bool mirror_stops = false;
};

/// Supervises one child while the caller waits for it.
///
/// Create it *before* forking: it blocks the forwarded signals, SIGCHLD and (with mirror_stops)
/// SIGCONT in the calling thread, so none is lost and none kills the caller between the fork and
/// wait(). Pass child_mask() to fork_child (fork_options::signal_mask) so the child starts with
/// the caller's original mask. Resets SIGCHLD to its default action (an ignored SIGCHLD would
/// make the kernel reap the child behind our back). The destructor restores the mask and the
/// SIGCHLD action. Changes the calling process's signal state: use from single-threaded code.
class NSUTIL_API supervisor {
 public:
  /// Blocks the signals and opens a signalfd for them; with pid1_default_action, opens /proc
  /// too. Throws nsutil::error("sigprocmask"), ("signalfd") or ("open", "/proc").
  explicit supervisor(supervise_options opts = {});
  ~supervisor();
  supervisor(const supervisor&) = delete;
  supervisor& operator=(const supervisor&) = delete;

  /// The signal mask the child should start with (the caller's before this object existed).
  [[nodiscard]] const sigset_t* child_mask() const noexcept;

  /// Waits for `c` to end, acting on signals as the options say, and returns how it ended (with
  /// the PID 1 rewrite described in supervise_options). Throws nsutil::error on system failures.
  child_status wait(child& c);

 private:
  // The signal state to restore and the signalfd, private so that they can change without
  // changing the library's ABI.
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Reads /proc/PID/status: whether process `pid` is the init of a PID namespace below the
/// caller's, and whether it catches or ignores `sig`. Used to decide what a signal to it does.
struct signal_disposition {
  bool is_namespace_init = false;
  bool caught = false;
  bool ignored = false;
};
/// Throws nsutil::error("read", "/proc/PID/status") when the process is gone.
NSUTIL_API signal_disposition signal_disposition_of(pid_t pid, int sig);
/// The same, reading PID/status relative to `proc_dir`, an open proc instance: the one at /proc
/// may since have been replaced by a proc of another PID namespace (xunshare --mount-proc).
NSUTIL_API signal_disposition signal_disposition_of(const unique_fd& proc_dir, pid_t pid, int sig);

}  // namespace nsutil
