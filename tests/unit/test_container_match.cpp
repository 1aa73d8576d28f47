// Which running container a name or ID given to xnsenter --container names
// (nsutil::match_containers), and that its main process is the one held
// (nsutil::open_main_process).
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nsutil/containers.hpp>
#include <nsutil/error.hpp>
#include <string>
#include <vector>

namespace {

nsutil::running_container make(std::string id, std::string name, pid_t pid) {
  nsutil::running_container c;
  c.info.id = std::move(id);
  c.info.name = std::move(name);
  c.main_pid = pid;
  return c;
}

std::vector<pid_t> pids_of(const std::vector<nsutil::running_container>& found) {
  std::vector<pid_t> pids;
  for (const auto& c : found)
    pids.push_back(c.main_pid);
  return pids;
}

const std::vector<nsutil::running_container> running = {
    make("3f4e2c1b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f", "web", 100),
    make("3f4e9999aaaabbbbccccddddeeeeffff00001111222233334444555566667777", "db", 200),
    make("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", "3f4e", 300),
    make("7777777777777777777777777777777777777777777777777777777777777777", "", 400),
};

}  // namespace

TEST_CASE("a container is found by its name or whole ID", "[containers]") {
  CHECK(pids_of(nsutil::match_containers(running, "web")) == std::vector<pid_t>{100});
  CHECK(pids_of(nsutil::match_containers(running, running[1].info.id)) == std::vector<pid_t>{200});
}

TEST_CASE("a name wins over an ID prefix it also is", "[containers]") {
  CHECK(pids_of(nsutil::match_containers(running, "3f4e")) == std::vector<pid_t>{300});
}

TEST_CASE("an ID prefix gives every container whose ID starts with it", "[containers]") {
  CHECK(pids_of(nsutil::match_containers(running, "3f4e2")) == std::vector<pid_t>{100});
  CHECK(pids_of(nsutil::match_containers(running, "3f")) == std::vector<pid_t>{100, 200});
  CHECK(pids_of(nsutil::match_containers(running, "777")) == std::vector<pid_t>{400});
}

TEST_CASE("nothing, or an empty name, matches no container", "[containers]") {
  CHECK(nsutil::match_containers(running, "nosuch").empty());
  CHECK(nsutil::match_containers(running, "").empty());
  CHECK(nsutil::match_containers({}, "web").empty());
}

namespace {

// A child that waits until killed, and a fake /proc where its cgroup file says what a test wants.
struct fake_container_process {
  pid_t pid = ::fork();
  std::filesystem::path proc =
      std::filesystem::temp_directory_path() / ("nsutil-unit-proc." + std::to_string(::getpid()));
  fake_container_process() {
    if (pid == 0) {
      ::pause();
      ::_exit(0);
    }
    std::filesystem::create_directories(proc / std::to_string(pid));
  }
  ~fake_container_process() {
    stop();
    std::filesystem::remove_all(proc);
  }
  void cgroup(const std::string& id) const {
    std::ofstream(proc / std::to_string(pid) / "cgroup")
        << "0::/system.slice/docker-" << id << ".scope\n";
  }
  void stop() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      pid = -pid;
    }
  }
};

}  // namespace

TEST_CASE("a container's main process is held only while it is in the container", "[containers]") {
  fake_container_process p;
  REQUIRE(p.pid > 0);
  nsutil::container_resolver resolver({.proc_root = p.proc.string(), .find_daemons = false});
  nsutil::running_container web = running[0];
  web.main_pid = p.pid;
  web.info.engine = nsutil::container_engine::docker;
  p.cgroup(web.info.id);
  auto held = nsutil::open_main_process(web, resolver);
  CHECK(held.pid() == p.pid);
  CHECK(held.alive());

  SECTION("its PID in another container (a PID reused) is refused") {
    p.cgroup(running[1].info.id);
    nsutil::container_resolver again({.proc_root = p.proc.string(), .find_daemons = false});
    try {
      (void)nsutil::open_main_process(web, again);
      FAIL("no exception");
    } catch (const nsutil::error& e) {
      CHECK(e.errno_value() == ESRCH);
      CHECK(e.op() == "open container");
      CHECK(e.path() == web.info.id);
    }
  }
  SECTION("a container that stopped is refused, and a held one is seen to end") {
    p.stop();
    CHECK_FALSE(held.alive());
    CHECK_THROWS_AS(nsutil::open_main_process(web, resolver), nsutil::error);
  }
}
