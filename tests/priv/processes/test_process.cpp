#include <fcntl.h>
#include <fmt/format.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <nsutil/error.hpp>
#include <nsutil/process.hpp>
#include <nsutil/unshare.hpp>
#include <optional>
#include <sstream>
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
  auto c = fork_child([] {
    throw nsutil::error(EBUSY, "persist", "/run/x", "", nsutil::error_reason::holds_namespace,
                        {nsutil::ns_type::net, nsutil::ns_type::uts});
  });
  try {
    c.wait();
    FAIL("no exception");
  } catch (const nsutil::error& e) {
    CHECK(e.errno_value() == EBUSY);
    CHECK(e.reason() == nsutil::error_reason::holds_namespace);
    CHECK(e.namespaces() == nsutil::ns_set{nsutil::ns_type::net, nsutil::ns_type::uts});
  }
}

TEST_CASE("another exception in the child comes back as nsutil::error with its text",
          "[userns][process]") {
  auto c = fork_child([] { throw std::runtime_error("not an nsutil::error: 42"); });
  try {
    c.wait();
    FAIL("no exception");
  } catch (const nsutil::error& e) {
    CHECK(e.errno_value() == EIO);
    CHECK(e.op().empty());
    CHECK(std::string(e.what()) == "not an nsutil::error: 42");
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

namespace {

// unshare() of `type`, in a new user namespace too when not root (as an unprivileged user may).
void unshare_allowed(nsutil::ns_type type) {
  nsutil::ns_set types{type};
  if (::geteuid() != 0)
    types.add(nsutil::ns_type::user);
  nsutil::unshare(types);
}

}  // namespace

TEST_CASE("after unshare(pid) the forked child is PID 1", "[userns][process]") {
  std::string out = nsutil::test::in_child([] {
    unshare_allowed(nsutil::ns_type::pid);
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

namespace {

// The mask `pid` blocks, from /proc/PID/status ("SigBlk:\t0000000000000200").
std::string blocked_of(std::string_view status) {
  auto pos = status.find("\nSigBlk:\t");
  return pos == std::string_view::npos ? "" : std::string(status.substr(pos + 9, 16));
}

// Runs `program` (with stdout on a pipe) in a child and returns what it printed.
std::string output_of(const std::vector<std::string>& program, const nsutil::fork_options& opts) {
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

TEST_CASE("a child is a copy: it has memory of its own and a pidfd", "[userns][process]") {
  int seen = 0;
  // Named references, not a structured binding: clang 14 cannot capture those in a lambda.
  auto pipe = nsutil::make_pipe();
  auto& r = pipe.first;
  auto& w = pipe.second;
  auto c = fork_child([&] {
    seen = 1;
    w.reset();  // the child's copy, so that the caller's closing ends the read
    char b;
    (void)::read(r.get(), &b, 1);  // still running while the caller looks
  });
  CHECK(c.proc().pidfd());  // the kernel matrix starts at 5.10: pidfds are there
  CHECK(c.proc().alive());
  w.reset();
  CHECK(c.wait() == child_status{});
  CHECK(seen == 0);
}

TEST_CASE("the body and its program run with the mask given, else with the caller's",
          "[userns][process]") {
  sigset_t before;
  ::sigprocmask(SIG_SETMASK, nullptr, &before);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  ::sigprocmask(SIG_BLOCK, &usr2, nullptr);
  // The body sees the mask it was given (it throws otherwise), and so does the program.
  auto body = fork_child(
      [] {
        sigset_t now;
        ::sigprocmask(SIG_SETMASK, nullptr, &now);
        if (sigismember(&now, SIGUSR1) != 1 || sigismember(&now, SIGUSR2) != 0)
          nsutil::throw_error(EINVAL, "body", "", "ran with another mask");
        ::_exit(0);
      },
      {.signal_mask = &usr1});
  std::vector<std::string> cat{"cat", "/proc/self/status"};
  std::string given = blocked_of(output_of(cat, {.signal_mask = &usr1}));
  std::string own = blocked_of(output_of(cat, {}));
  ::sigprocmask(SIG_SETMASK, &before, nullptr);
  CHECK_NOTHROW(body.wait());
  CHECK(given == fmt::format("{:016x}", std::uint64_t{1} << (SIGUSR1 - 1)));
  CHECK(own == fmt::format("{:016x}", std::uint64_t{1} << (SIGUSR2 - 1)));
}

TEST_CASE("a child's error too long for a pipe write is cut to one", "[userns][process]") {
  std::string long_path(32 * PIPE_BUF, 'p');
  auto c = fork_child([&] { nsutil::throw_error(ENOENT, "open", long_path); });
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

// The sanitizers' allocator, unlike glibc's malloc, is not made usable again in a forked child: a
// lock another thread holds at the fork stays taken there. Their builds fork without another
// thread allocating; the release builds (host and kernel matrix) test the property itself.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool allocator_fork_safe = false;
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool allocator_fork_safe = false;
#  else
constexpr bool allocator_fork_safe = true;
#  endif
#else
constexpr bool allocator_fork_safe = true;
#endif

TEST_CASE("a body allocates and throws while another thread of the caller allocates",
          "[userns][process]") {
  // A child started without fork()'s care for malloc's locks (a raw clone) could find one taken
  // by the other thread, and hang; each body here allocates and throws, and must report.
  std::atomic<bool> stop = false;
  std::optional<std::thread> churn;
  if (allocator_fork_safe)
    churn.emplace([&] {
      while (!stop) {
        std::vector<std::string> v(64, std::string(200, 'x'));
        (void)v;
      }
    });
  int reported = 0;
  for (int i = 0; i < 200; ++i) {
    auto c = fork_child([i] {
      std::vector<std::string> v(64, std::string(200, 'y'));
      nsutil::throw_error(EBUSY, "body", std::to_string(i) + v.back().substr(0, 1));
    });
    try {
      c.wait();
    } catch (const nsutil::error& e) {
      reported += e.path() == std::to_string(i) + "y";
    }
  }
  stop = true;
  if (churn)
    churn->join();
  CHECK(reported == 200);
}

namespace {

// The first line of `path`, once the program that writes it has ended.
std::string first_line(const std::string& path) {
  std::string line;
  std::getline(std::ifstream(path), line);
  return line;
}

}  // namespace

TEST_CASE("a spawned program runs with the mask and environment given", "[userns][process]") {
  nsutil::test::scratch_dir dir;
  std::string out = dir / "out";
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  // cp, not a shell: dash clears the mask it starts with.
  auto masked = nsutil::spawn_program("cp", {"cp", "/proc/self/status", out}, &usr1);
  masked.wait_started();  // returns at once: the program runs already
  CHECK(masked.wait() == child_status{});
  std::ostringstream status;
  status << std::ifstream(out).rdbuf();
  CHECK(blocked_of(status.str()) == fmt::format("{:016x}", std::uint64_t{1} << (SIGUSR1 - 1)));
  std::string env_out = dir / "env";
  auto env = nsutil::spawn_program("sh", {"sh", "-c", "echo \"$NSUTIL_TEST_VAR\" >\"$0\"", env_out},
                                   {"NSUTIL_TEST_VAR=given", "PATH=/usr/bin:/bin"});
  CHECK(env.proc().pidfd());
  CHECK(env.wait() == child_status{});
  CHECK(first_line(env_out) == "given");
  auto killed = nsutil::spawn_program("sh", {"sh", "-c", "kill -TERM $$"});
  CHECK(killed.wait() == child_status{true, SIGTERM, false});
  CHECK(nsutil::spawn_program("sh", {"sh", "-c", "exit 3"}).wait().value == 3);
}

TEST_CASE("a program that cannot be spawned is exec_program()'s error", "[userns][process]") {
  CHECK_THROWS_WITH(nsutil::spawn_program("nsutil-no-such-program", {"x"}),
                    "failed to execute 'nsutil-no-such-program': No such file or directory");
  CHECK_THROWS_WITH(nsutil::spawn_program("/etc/passwd", {"x"}),
                    "failed to execute '/etc/passwd': Permission denied");
  CHECK_THROWS_WITH(nsutil::spawn_program("sh", {"sh"}, {"PATH=/nonexistent"}),
                    "failed to execute 'sh': No such file or directory");
}

namespace {

// Writes a byte to this descriptor in every child fork() makes (a pthread_atfork() handler).
int forked_marker = -1;

}  // namespace

TEST_CASE("a spawned child runs none of the caller's code, a script without #! runs under sh",
          "[userns][process]") {
  nsutil::test::scratch_dir dir;
  std::string script = dir / "no-shebang";
  std::ofstream(script) << "exit $(($$ + 8))\n";  // no "#!": run by the shell, as execvp(3) does
  REQUIRE(::chmod(script.c_str(), 0755) == 0);
  std::string shebang = dir / "shebang";
  std::ofstream(shebang) << "#!/bin/sh\nexit 6\n";
  REQUIRE(::chmod(shebang.c_str(), 0755) == 0);
  std::string got = nsutil::test::in_child([&] {
    auto [r, w] = nsutil::make_pipe();
    forked_marker = w.get();
    ::pthread_atfork(nullptr, nullptr, [] { (void)!::write(forked_marker, "f", 1); });
    // A "#!" script, which the kernel runs itself, is spawned: its fork handler does not run.
    int by_kernel = nsutil::spawn_program(shebang, {shebang}).wait().value;
    // Nor for the first child of a PID namespace, its init (the only child it can have here).
    unshare_allowed(nsutil::ns_type::pid);
    int pid1 = nsutil::spawn_program("sh", {"sh", "-c", "exit $$"}).wait().value;
    w.reset();
    std::string forks = nsutil::read_all(r, "marker pipe");
    return fmt::format("{} {} {}", pid1, by_kernel, forks);
  });
  CHECK(got == "1 6 ");
  // In a new PID namespace too, the shell runs the script (it is its PID 1: status 9).
  std::string script_status = nsutil::test::in_child([&] {
    unshare_allowed(nsutil::ns_type::pid);
    return std::to_string(nsutil::spawn_program(script, {script}).wait().value);
  });
  CHECK(script_status == "9");
}

TEST_CASE("a program spawned into a new time namespace runs there", "[userns][process]") {
  // Linux 6.1 refuses posix_spawn's CLONE_VM child to a process whose children start in another
  // time namespace; the library forks instead, and the program sees the namespace's offsets.
  std::string got = nsutil::test::in_child([] {
    unshare_allowed(nsutil::ns_type::time);
    std::ofstream("/proc/self/timens_offsets") << "monotonic 7 0\n";
    auto c = nsutil::spawn_program(
        "sh", {"sh", "-c", "grep -q '^monotonic *7 ' /proc/self/timens_offsets && exit 4; exit 5"});
    return std::to_string(c.wait().value);
  });
  CHECK(got == "4");
}
