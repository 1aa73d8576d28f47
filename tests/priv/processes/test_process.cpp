#include <fcntl.h>
#include <fmt/format.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <exception>
#include <fstream>
#include <nsutil/error.hpp>
#include <nsutil/process.hpp>
#include <nsutil/unshare.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "harness.hpp"

using nsutil::child_status;
using nsutil::fork_child;

TEST_CASE("a child's exit code and killing signal are reported", "[userns][process]") {
  CHECK(fork_child([] { ::_exit(7); }).wait() == child_status{false, 7, false});
  CHECK(fork_child([] { ::raise(SIGTERM); }).wait() == child_status{true, SIGTERM, false});
  CHECK(child_status{true, SIGTERM, false}.shell_code() == 143);
}

TEST_CASE("an exec failure in the child is an exception in the parent", "[userns][process]") {
  auto c = fork_child([] { nsutil::exec_program("/nonexistent/nsutil-no-such-program", {"x"}); });
  try {
    c.wait_started();
    FAIL("no exception");
  } catch (const nsutil::error& e) {
    CHECK(e.op() == nsutil::exec_op);
    CHECK(e.errno_value() == ENOENT);
    CHECK(std::string(e.what()) ==
          "failed to execute '/nonexistent/nsutil-no-such-program': No such file or directory");
  }
  auto d = fork_child([] { nsutil::exec_program("/etc/passwd", {"x"}); });
  CHECK_THROWS_WITH(d.wait(), "failed to execute '/etc/passwd': Permission denied");
}

TEST_CASE("a set-up error in the child keeps its detail", "[userns][process]") {
  auto c = fork_child([] { nsutil::throw_error(EBUSY, "persist", "/run/x", "already there"); });
  CHECK_THROWS_WITH(c.wait(), "persist '/run/x': already there");
}

TEST_CASE("a child's error keeps its reason and namespaces", "[userns][process]") {
  for (bool shared : {false, true}) {
    auto c = fork_child(
        [] {
          throw nsutil::error(EBUSY, "persist", "/run/x", "", nsutil::error_reason::holds_namespace,
                              {nsutil::ns_type::net, nsutil::ns_type::uts});
        },
        {.share_memory = shared});
    try {
      c.wait();
      FAIL("no exception");
    } catch (const nsutil::error& e) {
      CHECK(e.errno_value() == EBUSY);
      CHECK(e.reason() == nsutil::error_reason::holds_namespace);
      CHECK(e.namespaces() == nsutil::ns_set{nsutil::ns_type::net, nsutil::ns_type::uts});
    }
  }
}

TEST_CASE("another exception in the child comes back as nsutil::error with its text",
          "[userns][process]") {
  for (bool shared : {false, true}) {
    auto c = fork_child([] { throw std::runtime_error("not an nsutil::error: 42"); },
                        {.share_memory = shared});
    try {
      c.wait();
      FAIL("no exception");
    } catch (const nsutil::error& e) {
      CHECK(e.errno_value() == EIO);
      CHECK(e.op().empty());
      CHECK(std::string(e.what()) == "not an nsutil::error: 42");
    }
  }
}

TEST_CASE("a report cut short is an nsutil::error", "[userns][process]") {
  // The body finds the write end of its error pipe (the one pipe the fork opened, close-on-exec
  // and write-only), writes less than a report header to it and exits without a report.
  std::vector<int> before;
  for (int fd = 0; fd < 1024; ++fd)
    if (::fcntl(fd, F_GETFD) >= 0)
      before.push_back(fd);
  auto c = fork_child([&before] {
    for (int fd = 3; fd < 1024; ++fd) {
      struct stat st {};
      if (std::find(before.begin(), before.end(), fd) != before.end() || ::fstat(fd, &st) < 0 ||
          !S_ISFIFO(st.st_mode) || (::fcntl(fd, F_GETFL) & O_ACCMODE) != O_WRONLY)
        continue;
      if (::write(fd, "xyz", 3) == 3)
        ::_exit(1);
    }
    ::_exit(2);
  });
  try {
    c.wait();
    FAIL("no exception");
  } catch (const nsutil::error& e) {
    CHECK(e.errno_value() == EIO);
    CHECK(std::string(e.what()) == "child failed");
  }
}

TEST_CASE("wait_started returns once the program runs", "[userns][process]") {
  auto c = fork_child([] { nsutil::exec_program("sh", {"sh", "-c", "exit 3"}); });
  c.wait_started();
  CHECK(c.wait().value == 3);
}

TEST_CASE("process::open rejects bad and vanished PIDs", "[userns][process]") {
  CHECK_THROWS_WITH(nsutil::process::open(0), "open process '0': not a valid PID");
  CHECK_THROWS_WITH(nsutil::process::open(-5), "open process '-5': not a valid PID");
  auto c = fork_child([] {});
  pid_t pid = c.pid();
  c.wait();
  CHECK_THROWS_WITH(nsutil::process::open(pid),
                    "open process '" + std::to_string(pid) + "': no such process");
}

TEST_CASE("a process handle sees its process end", "[userns][process]") {
  nsutil::unique_fd r;
  nsutil::unique_fd w;
  std::tie(r, w) = nsutil::make_pipe();
  auto c = fork_child([&] {
    w.reset();
    char b;
    (void)::read(r.get(), &b, 1);
  });
  auto p = nsutil::process::open(c.pid());
  CHECK(p.alive());
  CHECK(p.send_signal(SIGTERM));
  CHECK(c.wait() == child_status{true, SIGTERM, false});
  CHECK_FALSE(p.alive());
  CHECK_THROWS_AS(p.check_alive(), nsutil::error);
}

TEST_CASE("the death signal reaches a child whose parent dies", "[userns][process]") {
  // middle forks `orphan` with death_signal=SIGKILL, reports its PID, and exits at once.
  nsutil::unique_fd r;
  nsutil::unique_fd w;
  std::tie(r, w) = nsutil::make_pipe();
  auto middle = fork_child([&] {
    r.reset();
    auto orphan = fork_child([] { ::pause(); }, {.death_signal = SIGKILL});
    pid_t pid = orphan.pid();
    (void)::write(w.get(), &pid, sizeof pid);
  });
  w.reset();
  pid_t orphan = 0;
  REQUIRE(::read(r.get(), &orphan, sizeof orphan) == sizeof orphan);
  // Open the handle before the orphan can be reaped by init, then wait for it to die.
  nsutil::unique_fd pidfd(static_cast<int>(::syscall(434, orphan, 0)));
  middle.wait();
  if (!pidfd) {
    CHECK(::kill(orphan, 0) < 0);  // already gone and reaped
    return;
  }
  pollfd p{pidfd.get(), POLLIN, 0};
  CHECK(::poll(&p, 1, 5000) == 1);
}

TEST_CASE("after unshare(pid) the forked child is PID 1", "[userns][process]") {
  std::string out = nsutil::test::in_child([] {
    nsutil::ns_set types{nsutil::ns_type::pid};
    if (::geteuid() != 0)
      types.add(nsutil::ns_type::user);
    nsutil::unshare(types);
    if (::getpid() == 1)
      return std::string("caller moved");  // it must stay where it was
    auto c = fork_child([] { ::_exit(::getpid() == 1 ? 0 : 1); });
    return std::to_string(c.wait().value);
  });
  CHECK(out == "0");
}

TEST_CASE("a program found nowhere is 'not found' even past an unsearchable PATH directory",
          "[userns][process]") {
  nsutil::test::scratch_dir dir;
  std::string locked = dir / "locked";
  REQUIRE(::mkdir(locked.c_str(), 0) == 0);
  std::string script = dir / "nsutil-test-script";
  {
    std::ofstream(script) << "exit 9\n";  // no "#!": run by the shell, as execvp(3) does
  }
  REQUIRE(::chmod(script.c_str(), 0755) == 0);
  std::string got = nsutil::test::in_child([&] {
    ::setenv("PATH", fmt::format("{}:/usr/bin:/bin:{}", locked, dir.path()).c_str(), 1);
    auto missing = fork_child([] { nsutil::exec_program("nsutil-no-such-program", {"x"}); });
    std::string out;
    try {
      missing.wait();
    } catch (const nsutil::error& e) {
      out = e.what();
    }
    auto found =
        fork_child([] { nsutil::exec_program("nsutil-test-script", {"nsutil-test-script"}); });
    return fmt::format("{}|{}", out, found.wait().value);
  });
  // Searchable again, or an unprivileged run could not remove it with the scratch directory.
  ::chmod(locked.c_str(), 0700);
  CHECK(got == "failed to execute 'nsutil-no-such-program': No such file or directory|9");
}

// fork_options::share_memory: the child runs in our memory until its exec.

namespace {

// The mask `pid` blocks, from /proc/PID/status ("SigBlk:\t0000000000000200").
std::string blocked_of(std::string_view status) {
  auto pos = status.find("\nSigBlk:\t");
  return pos == std::string_view::npos ? "" : std::string(status.substr(pos + 9, 16));
}

// The first 64 signals of `set` as /proc/PID/status shows them.
std::string mask_hex(const sigset_t& set) {
  std::uint64_t bits = 0;
  for (int sig = 1; sig <= 64; ++sig)
    if (sigismember(&set, sig) == 1)
      bits |= std::uint64_t{1} << (sig - 1);
  return fmt::format("{:016x}", bits);
}

// Runs `program` (with stdout on a pipe) in a share_memory child and returns what it printed.
std::string output_of_shared(const std::vector<std::string>& program,
                             const nsutil::fork_options& opts) {
  auto [r, w] = nsutil::make_pipe();
  int out = w.get();
  auto c = fork_child(
      [&] {
        if (::dup2(out, 1) < 0)
          nsutil::throw_errno("dup2");
        nsutil::exec_program(program[0], program);
      },
      opts);
  w.reset();
  std::string text = nsutil::read_all(r, "child output");
  CHECK(c.wait() == child_status{});
  return text;
}

}  // namespace

TEST_CASE("a share_memory child runs in the caller's memory until its exec", "[userns][process]") {
  // Writing to the caller's memory breaks share_memory's contract; here it proves the mode.
  volatile int seen = 0;
  auto c = fork_child(
      [&] {
        seen = 1;
        nsutil::exec_program("true", {"true"});
      },
      {.share_memory = true});
  // The caller was suspended until the exec: the write is there without waiting.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  CHECK(seen == 0);  // sanitizer builds fork
#else
  CHECK(seen == 1);
#endif
  CHECK(c.wait() == child_status{});
}

TEST_CASE("a share_memory child reports exit codes, exec failures and set-up errors",
          "[userns][process]") {
  nsutil::fork_options shared{.share_memory = true};
  CHECK(fork_child(
            [] {
              nsutil::exec_program("sh", {"sh", "-c", "exit 3"});
            },
            shared)
            .wait() == child_status{false, 3, false});
  CHECK(fork_child(
            [] {
              nsutil::exec_program("sh", {"sh", "-c", "kill -TERM $$"});
            },
            shared)
            .wait() == child_status{true, SIGTERM, false});
  CHECK_THROWS_WITH(
      fork_child([] { nsutil::exec_program("nsutil-no-such-program", {"x"}); }, shared).wait(),
      "failed to execute 'nsutil-no-such-program': No such file or directory");
  CHECK_THROWS_WITH(
      fork_child([] { nsutil::throw_error(EBUSY, "persist", "/run/x", "already there"); }, shared)
          .wait(),
      "persist '/run/x': already there");
}

TEST_CASE("a share_memory child's error too long for a pipe write is cut, not stuck",
          "[userns][process]") {
  // The caller cannot read before the child ends: a report bigger than the pipe (64 KiB) would
  // block the child, and the caller with it, for ever. It is cut to one write of PIPE_BUF bytes.
  // If that breaks, a watchdog kills the test run instead of a hang (the suspended caller has
  // every signal blocked, so only SIGKILL reaches it).
  std::string long_path(32 * PIPE_BUF, 'p');
  pid_t self = ::getpid();
  auto watchdog = fork_child([self] {
    ::sleep(30);
    ::kill(self, SIGKILL);
  });
  auto c =
      fork_child([&] { nsutil::throw_error(ENOENT, "open", long_path); }, {.share_memory = true});
  watchdog.proc().send_signal(SIGKILL);
  watchdog.wait();
  try {
    c.wait();
    FAIL("no exception");
  } catch (const nsutil::error& e) {
    CHECK(e.errno_value() == ENOENT);
    CHECK(e.op() == "open");
    // 24: the report header (errno, three sizes, reason, namespaces)
    CHECK(e.path().size() + e.op().size() + 24 == PIPE_BUF);
    CHECK(e.path() == long_path.substr(0, e.path().size()));
  }
}

TEST_CASE("a share_memory child runs blocked and execs with the mask it is given",
          "[userns][process]") {
  sigset_t before;
  ::sigprocmask(SIG_SETMASK, nullptr, &before);
  // The body checks that every signal is blocked while it runs (it throws otherwise).
  auto blocked = fork_child(
      [] {
        sigset_t now;
        ::sigprocmask(SIG_SETMASK, nullptr, &now);
        if (!sigismember(&now, SIGINT) || !sigismember(&now, SIGTERM) ||
            !sigismember(&now, SIGUSR2))
          nsutil::throw_error(EINVAL, "body", "", "ran with signals unblocked");
        nsutil::exec_program("true", {"true"});
      },
      {.share_memory = true});
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  CHECK_NOTHROW(blocked.wait());
#else
  CHECK_THROWS_WITH(blocked.wait(), "body: ran with signals unblocked");  // a forked child
#endif

  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  std::vector<std::string> cat{"cat", "/proc/self/status"};
  CHECK(blocked_of(output_of_shared(cat, {.signal_mask = &usr1, .share_memory = true})) ==
        "0000000000000200");
  // Without signal_mask the program gets the caller's mask, here with SIGUSR2 blocked.
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  ::sigprocmask(SIG_BLOCK, &usr2, nullptr);
  std::string own = blocked_of(output_of_shared(cat, {.share_memory = true}));
  ::sigprocmask(SIG_SETMASK, &before, nullptr);
  CHECK(own == fmt::format("{:016x}", std::uint64_t{1} << (SIGUSR2 - 1)));
  // And the caller's own mask is what it was.
  sigset_t after;
  ::sigprocmask(SIG_SETMASK, nullptr, &after);
  CHECK(sigismember(&after, SIGINT) == sigismember(&before, SIGINT));
  CHECK(sigismember(&after, SIGUSR1) == sigismember(&before, SIGUSR1));
}

namespace {

volatile sig_atomic_t usr1_handled = 0;
void on_usr1(int) {
  usr1_handled = 1;
}

}  // namespace

TEST_CASE("a handler of the caller's never runs in a share_memory child", "[userns][process]") {
  // A signal the body gets before its exec (here: one it sends itself, pending while blocked)
  // meets the default action when the program's mask goes on; the caller's handler would have
  // set the caller's flag.
  struct sigaction ours {};
  ours.sa_handler = on_usr1;
  struct sigaction old {};
  ::sigaction(SIGUSR1, &ours, &old);
  auto c = fork_child(
      [] {
        ::kill(::getpid(), SIGUSR1);
        nsutil::exec_program("true", {"true"});
      },
      {.share_memory = true});
  child_status st = c.wait();
  struct sigaction after {};
  ::sigaction(SIGUSR1, &old, &after);
  CHECK(usr1_handled == 0);
  CHECK(after.sa_handler == on_usr1);  // the child changed its own table only
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  CHECK(st == child_status{true, SIGUSR1, false});
#else
  CHECK(st == child_status{});                                            // a forked child runs its copy of the handler, then the program
#endif
}

TEST_CASE("a share_memory child that threw leaves no exception in the caller's thread",
          "[userns][process]") {
  auto c = fork_child([] { nsutil::throw_error(EBUSY, "persist", "/run/x", "already there"); },
                      {.share_memory = true});
  CHECK(std::current_exception() == nullptr);
  CHECK(std::uncaught_exceptions() == 0);
  CHECK_THROWS_WITH(c.wait(), "persist '/run/x': already there");
  CHECK(std::current_exception() == nullptr);
}

TEST_CASE("another thread of the caller sees nothing of a share_memory child",
          "[userns][process]") {
  // The body waits for the other thread (which the contract forbids a real body; here it makes
  // the other thread act while the child exists): that thread forks a child of its own, which
  // must exec with its thread's mask (not the mask this child is to get), and calls
  // report_started(), which outside a child must do nothing (not take this child's report
  // pipe). Then the body fails, and its error must still come back.
  auto [ready_r, ready_w] = nsutil::make_pipe();
  auto [go_r, go_w] = nsutil::make_pipe();
  pid_t self = ::getpid();
  auto watchdog = fork_child([self] {
    ::sleep(30);
    ::kill(self, SIGKILL);  // the suspended caller blocks every other signal
  });
  // Catch's checks are not for other threads: that one only records.
  std::string other_mask;
  std::string other_own_mask;
  std::string other_error;
  std::thread other([&, ready = ready_r.get(), go = go_w.get()] {
    char byte = 0;
    if (::read(ready, &byte, 1) == 1) {
      sigset_t own;
      ::pthread_sigmask(SIG_SETMASK, nullptr, &own);
      other_own_mask = mask_hex(own);
      try {
        auto [r, w] = nsutil::make_pipe();
        int out = w.get();
        auto c = fork_child([out] {
          if (::dup2(out, 1) < 0)
            nsutil::throw_errno("dup2");
          nsutil::exec_program("cat", {"cat", "/proc/self/status"});
        });
        w.reset();
        other_mask = blocked_of(nsutil::read_all(r, "child output"));
        c.wait();
      } catch (const std::exception& e) {
        other_error = e.what();
      }
      nsutil::report_started();
    }
    while (::write(go, "g", 1) < 0 && errno == EINTR) {
    }
  });
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  int ready = ready_w.get();
  int go = go_r.get();
  auto c = fork_child(
      [ready, go] {
        char byte = 0;
        if (::write(ready, "r", 1) != 1 || ::read(go, &byte, 1) != 1)
          nsutil::throw_error(EIO, "test pipe");
        nsutil::throw_error(EBUSY, "persist", "/run/x", "already there");
      },
      {.signal_mask = &usr2, .share_memory = true});
  other.join();
  watchdog.proc().send_signal(SIGKILL);
  watchdog.wait();
  CHECK_THROWS_WITH(c.wait(), "persist '/run/x': already there");
  sigset_t own;
  ::sigprocmask(SIG_SETMASK, nullptr, &own);
  CHECK(sigismember(&own, SIGUSR2) == 0);
  CHECK(other_error.empty());
  CHECK(other_mask == other_own_mask);
  CHECK(!other_mask.empty());
}
