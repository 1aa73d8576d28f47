#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <fstream>
#include <nsutil/error.hpp>
#include <nsutil/process.hpp>
#include <nsutil/supervise.hpp>
#include <nsutil/unshare.hpp>
#include <string>
#include <thread>
#include <tuple>

#include "harness.hpp"

using nsutil::child_status;

namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Polls for `path` for up to 10 s (the program writes it once its trap is set).
bool wait_for_file(const std::string& path) {
  for (int i = 0; i < 1000; ++i) {
    if (exists(path))
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Whether one of `target`'s children runs `comm` (a child's PID is the same seen from the
// sender, which stays in the caller's PID namespace; the sender is a child of `target` too).
bool has_child_running(pid_t target, const std::string& comm) {
  std::ifstream children(fmt::format("/proc/{}/task/{}/children", target, target));
  for (pid_t pid = 0; children >> pid;) {
    std::ifstream comm_file(fmt::format("/proc/{}/comm", pid));
    std::string name;
    if (std::getline(comm_file, name) && name == comm)
      return true;
  }
  return false;
}

// Forks a process that sends `sig` to `target` once `ready` exists and, when `comm` is given,
// once target's child runs that program (a shell that writes `ready` and then execs may still
// be the shell, with the shell's handlers, when a slow machine gets to the kill).
nsutil::child send_when_ready(pid_t target, int sig, const std::string& ready,
                              const std::string& comm = "") {
  return nsutil::fork_child([=] {
    if (!wait_for_file(ready))
      return;
    for (int i = 0; i < 1000 && !comm.empty() && !has_child_running(target, comm); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ::kill(target, sig);
  });
}

char state_of(pid_t pid) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() ? '?' : line[close + 2];
}

// Supervises `sh -c SCRIPT` (which must create `ready` once its traps are set) and sends `sig`
// to the supervisor from another process; returns "signaled value". With `pid1`, the program is
// the init of a new PID namespace (and of a user namespace when not root).
std::string supervise_script(const std::string& script, const std::string& ready, int sig,
                             bool pid1, const std::string& comm = "") {
  return nsutil::test::in_child([&] {
    // The sender stays outside any new PID namespace, where our PID means us.
    auto sender = send_when_ready(::getpid(), sig, ready, comm);
    if (pid1) {
      nsutil::ns_set types{nsutil::ns_type::pid};
      if (!nsutil::test::is_root())
        types.add(nsutil::ns_type::user);
      nsutil::unshare(types);
    }
    nsutil::supervisor sup;
    auto c = nsutil::fork_child(
        [&] {
          nsutil::exec_program("sh", {"sh", "-c", script});
        },
        {.signal_mask = sup.child_mask()});
    child_status st = sup.wait(c);
    sender.wait();
    return fmt::format("{} {}", st.signaled, st.value);
  });
}

}  // namespace

TEST_CASE("a signal sent to the supervisor reaches a handling child exactly once",
          "[userns][supervise]") {
  nsutil::test::scratch_dir dir;
  std::string ready = dir / "ready";
  std::string script = fmt::format(
      "n=0; trap 'n=$((n+1))' TERM; : > {}; i=0; "
      "while [ $n = 0 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; sleep 0.2; exit $n",
      ready);
  CHECK(supervise_script(script, ready, SIGTERM, false) == "false 1");
}

TEST_CASE("a PID 1 without a handler is ended by the signal's default action",
          "[userns][supervise]") {
  nsutil::test::scratch_dir dir;
  std::string ready = dir / "ready";
  // The shell execs sleep, so PID 1 is a program with no SIGINT handler (dash's `sh -c` itself
  // catches SIGINT: the signal goes only once sleep runs).
  std::string script = fmt::format(": > {}; exec sleep 30", ready);
  CHECK(supervise_script(script, ready, SIGINT, true, "sleep") == fmt::format("true {}", SIGINT));
}

TEST_CASE("a PID 1 with a handler gets the signal instead", "[userns][supervise]") {
  nsutil::test::scratch_dir dir;
  std::string ready = dir / "ready";
  std::string script = fmt::format(
      "trap 'exit 42' INT; : > {}; i=0; while [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done",
      ready);
  CHECK(supervise_script(script, ready, SIGINT, true) == "false 42");
}

TEST_CASE("a stopped child stops the supervisor; continuing it continues both",
          "[userns][supervise]") {
  // The supervisor runs in its own child here so that this process can watch and continue it.
  nsutil::test::scratch_dir dir;
  std::string ready = dir / "ready";
  auto result = nsutil::test::open_pipe();
  auto supervising = nsutil::fork_child([&] {
    result.read.reset();
    nsutil::supervisor sup({.mirror_stops = true});
    auto c = nsutil::fork_child(
        [&] {
          nsutil::exec_program("sh",
                               {"sh", "-c", fmt::format(": > {}; kill -STOP $$; exit 5", ready)});
        },
        {.signal_mask = sup.child_mask()});
    child_status st = sup.wait(c);
    char code = static_cast<char>(st.value);
    (void)::write(result.write.get(), &code, 1);
  });
  result.write.reset();
  REQUIRE(wait_for_file(ready));
  char state = '?';
  for (int i = 0; i < 1000 && state != 'T'; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    state = state_of(supervising.pid());
  }
  CHECK(state == 'T');
  ::kill(supervising.pid(), SIGCONT);
  char code = 0;
  CHECK(::read(result.read.get(), &code, 1) == 1);
  CHECK(code == 5);
  CHECK(supervising.wait() == child_status{});
}

TEST_CASE("signal_disposition_of reads handlers and namespace init", "[userns][supervise]") {
  auto self = nsutil::signal_disposition_of(::getpid(), SIGINT);
  CHECK_FALSE(self.is_namespace_init);
  CHECK_THROWS_AS(nsutil::signal_disposition_of(999999999, SIGINT), nsutil::error);
}
