// Which running container a name or ID given to xnsenter --container names
// (nsutil::match_containers).
#include <catch2/catch.hpp>
#include <nsutil/containers.hpp>
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
