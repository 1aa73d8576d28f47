#include <fmt/format.h>
#include <poll.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <nsutil/error.hpp>
#include <nsutil/process.hpp>
#include <nsutil/unshare.hpp>
#include <string>

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
  auto [r, w] = nsutil::make_pipe();
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
  auto [r, w] = nsutil::make_pipe();
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

TEST_CASE("a program found nowhere is 'not found' even past an unsearchable PATH folder",
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
  CHECK(got == "failed to execute 'nsutil-no-such-program': No such file or directory|9");
}
