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
#include <optional>
#include <string>
#include <vector>

namespace {

nsutil::running_container make(std::string id, std::string name, pid_t pid,
                               std::optional<uid_t> owner = 0) {
  nsutil::running_container c;
  c.info.id = std::move(id);
  c.info.name = std::move(name);
  c.info.owner = owner;
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
    // A user's: its name and ID copy root's web, as a user can name its own cgroups.
    make("3f4e2c1b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f", "web", 50, 54321),
    make("1111111111111111111111111111111111111111111111111111111111111111", "cache", 60, 54321),
    // Whose, no one could tell.
    make("2222222222222222222222222222222222222222222222222222222222222222", "lost", 70,
         std::nullopt),
};

std::vector<pid_t> match(std::string_view text, uid_t caller = 0) {
  return pids_of(nsutil::match_containers(running, nsutil::parse_container_query(text), caller));
}

}  // namespace

TEST_CASE("a container is found by its name or whole ID", "[containers]") {
  CHECK(match("web") == std::vector<pid_t>{100});
  CHECK(match(running[1].info.id) == std::vector<pid_t>{200});
}

TEST_CASE("a name wins over an ID prefix it also is", "[containers]") {
  CHECK(match("3f4e") == std::vector<pid_t>{300});
}

TEST_CASE("an ID prefix gives every container whose ID starts with it", "[containers]") {
  CHECK(match("3f4e2") == std::vector<pid_t>{100});
  CHECK(match("3f") == std::vector<pid_t>{100, 200});
  CHECK(match("777") == std::vector<pid_t>{400});
}

TEST_CASE("nothing, or an empty name, matches no container", "[containers]") {
  CHECK(match("nosuch").empty());
  CHECK(nsutil::match_containers(running, {}, 0).empty());
  CHECK(nsutil::match_containers({}, {std::nullopt, "web"}, 0).empty());
}

TEST_CASE("an unqualified name names only the caller's own containers", "[containers]") {
  // Root's tools never take a user's container for root's, whatever it is called.
  CHECK(match("web", 0) == std::vector<pid_t>{100});
  CHECK(match("cache", 0).empty());
  CHECK(match("lost", 0).empty());
  // The user sees its own.
  CHECK(match("web", 54321) == std::vector<pid_t>{50});
  CHECK(match("cache", 54321) == std::vector<pid_t>{60});
  CHECK(match("db", 54321).empty());
}

TEST_CASE("OWNER/NAME names another owner's container, by UID or user name", "[containers]") {
  CHECK(match("54321/web", 0) == std::vector<pid_t>{50});
  CHECK(match("54321/3f4e2", 0) == std::vector<pid_t>{50});
  CHECK(match("0/web", 54321) == std::vector<pid_t>{100});
  CHECK(match("root/web", 54321) == std::vector<pid_t>{100});
  CHECK(match("54321/db", 0).empty());
}

TEST_CASE("two containers of one owner that answer to a name are both returned", "[containers]") {
  auto twice = running;
  twice.push_back(
      make("8888888888888888888888888888888888888888888888888888888888888888", "web", 500));
  auto found = nsutil::match_containers(twice, {std::nullopt, "web"}, 0);
  CHECK(pids_of(found) == std::vector<pid_t>{100, 500});
}

TEST_CASE("container names are parsed as NAME or OWNER/NAME", "[containers]") {
  auto q = nsutil::parse_container_query("web");
  CHECK_FALSE(q.owner);
  CHECK(q.name_or_id == "web");
  q = nsutil::parse_container_query("54321/web");
  CHECK(q.owner == 54321U);
  CHECK(q.name_or_id == "web");
  CHECK(nsutil::parse_container_query("root/web").owner == 0U);
  for (const char* bad : {"", "/web", "54321/", "a/b/c"})
    CHECK_THROWS_AS(nsutil::parse_container_query(bad), nsutil::error);
  try {
    (void)nsutil::parse_container_query("no-such-user-here/web");
    FAIL("no exception");
  } catch (const nsutil::error& e) {
    CHECK(e.errno_value() == ENOENT);
  }
}

TEST_CASE("a container's qualified name says whose it is", "[containers]") {
  CHECK(nsutil::qualified_name(running[0].info) == "web");
  CHECK(nsutil::qualified_name(running[5].info) == "54321/cache");
  CHECK(nsutil::qualified_name(running[6].info) == "?/lost");
  nsutil::container rooty = running[0].info;
  rooty.owner = 65534;  // nobody, in Debian's password database
  CHECK(nsutil::qualified_name(rooty) == "nobody/web");
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
  web.info.owner = std::nullopt;  // the fake /proc has no mount table to find its cgroup in
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
