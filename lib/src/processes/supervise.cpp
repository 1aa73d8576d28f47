#include <fcntl.h>
#include <fmt/format.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <nsutil/error.hpp>
#include <nsutil/export.hpp>
#include <nsutil/supervise.hpp>
#include <nsutil/unique_fd.hpp>
#include <string_view>

#include "base/proc_text.hpp"
#include "base/struct_size.hpp"

namespace nsutil {
namespace {

// Signals whose default action ends the process (the ones worth turning into SIGKILL).
bool default_terminates(int sig) {
  switch (sig) {
    case SIGCHLD:
    case SIGCONT:
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
    case SIGURG:
    case SIGWINCH:
      return false;
    default:
      return true;
  }
}

}  // namespace

signal_disposition signal_disposition_of(pid_t pid, int sig) {
  return signal_disposition_of(open_fd("/proc", O_PATH | O_DIRECTORY), pid, sig);
}

signal_disposition signal_disposition_of(const unique_fd& proc_dir, pid_t pid, int sig) {
  std::string status = read_file_at(proc_dir, fmt::format("{}/status", pid));
  return {detail::is_nested_init(status), detail::mask_has(status, "\nSigCgt:", sig),
          detail::mask_has(status, "\nSigIgn:", sig)};
}

struct NSUTIL_LOCAL supervisor::impl {
  explicit impl(supervise_options opts);
  ~impl();
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;
  child_status wait(child& c);
  void on_signal(child& c, int sig, int code);
  bool handle_for_pid1(const child& c, int sig);

  supervise_options opts_;
  sigset_t old_mask_{};
  struct sigaction old_chld_ {};
  unique_fd signals_;
  unique_fd proc_;  // with pid1_default_action: /proc at construction, before a new one may hide it
  int pid1_kill_signal_ = 0;  // the signal a PID 1 was killed for, to report instead of SIGKILL
};

supervisor::impl::impl(supervise_options opts)
    // A child that mounts a proc of its own PID namespace on /proc (unshare --mount-proc, in a
    // mount namespace the caller shares) would hide its PID from a later open of /proc/PID.
    // Only the PID 1 rewrite reads it: a caller in a root without /proc (nsenter -p --root)
    // needs none.
    : opts_((detail::check_struct_size(opts, "supervise_options"), std::move(opts))),
      proc_(opts_.pid1_default_action ? open_fd("/proc", O_PATH | O_DIRECTORY) : unique_fd()) {
  sigset_t block;
  sigemptyset(&block);
  for (int sig : opts_.forward)
    sigaddset(&block, sig);
  sigaddset(&block, SIGCHLD);
  if (opts_.mirror_stops)
    sigaddset(&block, SIGCONT);
  if (::sigprocmask(SIG_BLOCK, &block, &old_mask_) < 0)
    throw_errno("sigprocmask");
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGCHLD, &dfl, &old_chld_);
  int fd = ::signalfd(-1, &block, SFD_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
    ::sigaction(SIGCHLD, &old_chld_, nullptr);
    throw_error(e, "signalfd");
  }
  signals_.reset(fd);
}

supervisor::impl::~impl() {
  signals_.reset();
  ::sigaction(SIGCHLD, &old_chld_, nullptr);
  ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

bool supervisor::impl::handle_for_pid1(const child& c, int sig) {
  if (!opts_.pid1_default_action || !default_terminates(sig))
    return false;
  signal_disposition d;
  try {
    d = signal_disposition_of(proc_, c.pid(), sig);
  } catch (const error&) {
    return false;  // gone already; SIGCHLD follows
  }
  if (!d.is_namespace_init || d.caught || d.ignored)
    return false;
  // The kernel would drop `sig` for this init; do what its default action would have done.
  pid1_kill_signal_ = sig;
  c.proc().send_signal(SIGKILL);
  return true;
}

void supervisor::impl::on_signal(child& c, int sig, int code) {
  if (handle_for_pid1(c, sig))
    return;
  // SI_KERNEL: the terminal sent it to the whole foreground process group, the child included.
  bool reached_child = code == SI_KERNEL && ::getpgid(c.pid()) == ::getpgrp();
  if (!reached_child)
    c.proc().send_signal(sig);
}

child_status supervisor::impl::wait(child& c) {
  c.wait_started();
  for (;;) {
    // Reap first: SIGCHLD may have arrived before we started reading.
    int status = 0;
    pid_t r = ::waitpid(c.pid(), &status, WNOHANG | (opts_.mirror_stops ? WUNTRACED : 0));
    if (r < 0 && errno != EINTR)
      throw_errno("waitpid", std::to_string(c.pid()));
    if (r == c.pid()) {
      if (WIFSTOPPED(status)) {
        ::kill(::getpid(), SIGSTOP);  // returns once we are continued
        c.proc().send_signal(SIGCONT);
        continue;
      }
      child_status st = child_status::from_wait_status(status);
      if (st.signaled && st.value == SIGKILL && pid1_kill_signal_ != 0)
        st = {true, pid1_kill_signal_, false};
      return st;
    }
    signalfd_siginfo info{};
    ssize_t n = ::read(signals_.get(), &info, sizeof info);
    if (n < 0 && errno == EINTR)
      continue;
    if (n != sizeof info)
      throw_errno("read", "signalfd");
    int sig = static_cast<int>(info.ssi_signo);
    if (sig == SIGCHLD || sig == SIGCONT)
      continue;
    on_signal(c, sig, info.ssi_code);
  }
}

supervisor::supervisor(supervise_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}

supervisor::~supervisor() = default;

const sigset_t* supervisor::child_mask() const noexcept {
  return &impl_->old_mask_;
}

child_status supervisor::wait(child& c) {
  return impl_->wait(c);
}

}  // namespace nsutil
