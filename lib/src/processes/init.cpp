#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <nsutil/error.hpp>
#include <nsutil/init.hpp>

namespace nsutil {
namespace {

// Reaps every child that has ended; returns true when one of them was `program`.
bool reap_all(pid_t program, int& program_status) {
  bool done = false;
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0)
      return done;
    if (pid == program) {
      program_status = status;
      done = true;
    }
  }
}

}  // namespace

void run_init(const std::function<void()>& program, unique_fd status) {
  // The kernel drops signals to a PID 1 that has no handler for them, unless they are blocked:
  // then they queue, and the signalfd below reads them.
  sigset_t all;
  sigset_t old;
  ::sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, &old);
  unique_fd signals(::signalfd(-1, &all, SFD_CLOEXEC));
  if (!signals)
    throw_errno("signalfd");
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGCHLD, &dfl, nullptr);

  child prog = fork_child([&] { program(); }, {.signal_mask = &old});
  prog.wait_started();
  report_started();

  int program_status = 0;
  for (;;) {
    if (reap_all(prog.pid(), program_status))
      break;
    signalfd_siginfo info{};
    ssize_t n = ::read(signals.get(), &info, sizeof info);
    if (n < 0 && errno == EINTR)
      continue;
    if (n != sizeof info)
      ::_exit(1);
    int sig = static_cast<int>(info.ssi_signo);
    if (sig == SIGCHLD)
      continue;
    // SI_KERNEL from the terminal: it went to the whole foreground group, program included.
    if (info.ssi_code == SI_KERNEL && ::getpgid(prog.pid()) == ::getpgrp())
      continue;
    ::kill(prog.pid(), sig);
  }
  if (status) {
    while (::write(status.get(), &program_status, sizeof program_status) < 0 && errno == EINTR) {
    }
  }
  ::_exit(child_status::from_wait_status(program_status).shell_code() & 0xff);
}

child_status init_result(const child_status& init, unique_fd status) {
  int wait_status = 0;
  ssize_t n;
  while ((n = ::read(status.get(), &wait_status, sizeof wait_status)) < 0 && errno == EINTR) {
  }
  if (n == sizeof wait_status)
    return child_status::from_wait_status(wait_status);
  return init;
}

}  // namespace nsutil
