// The container resolver's paths that depend on this machine's users: rootless Docker keeps its
// state in the home directory of the user whose systemd instance holds the container. The user
// is made up in a private mount namespace, where a copy of /etc/passwd with one more line is
// bound over the real one; nothing outside the forked child sees it.
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nsutil/containers.hpp>
#include <nsutil/error.hpp>

#include "harness.hpp"

namespace fs = std::filesystem;
using nsutil::test::scratch_dir;

namespace {

const std::string id = "5f0c3e1ab7d24c9e8f6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60";

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

// In a private mount namespace: user 4242, home `home`, as getpwuid(3) sees it.
void add_user(const scratch_dir& dir, const std::string& home) {
  if (::unshare(CLONE_NEWNS) < 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr))
    nsutil::throw_errno("unshare");
  std::string passwd = dir / "passwd";
  fs::copy_file("/etc/passwd", passwd, fs::copy_options::overwrite_existing);
  std::ofstream(passwd, std::ios::app) << "nsutil-rootless:x:4242:4242::" << home << ":/bin/sh\n";
  if (::mount(passwd.c_str(), "/etc/passwd", nullptr, MS_BIND, nullptr) < 0)
    nsutil::throw_errno("mount", "/etc/passwd");
}

// The name the resolver gives the container of `cgroup`, asked in a child where user 4242 exists.
std::string name_as_user(const scratch_dir& dir, const std::string& home,
                         const std::string& cgroup) {
  return nsutil::test::in_child([&] {
    add_user(dir, home);
    nsutil::container_options opts;
    opts.proc_root = "/nonexistent";  // no daemon, no mount table of the container to read
    opts.find_daemons = false;
    nsutil::container_resolver r(opts);
    auto c = r.of_cgroup(cgroup);
    return c ? c->name : "(no container)";
  });
}

}  // namespace

TEST_CASE("rootless Docker's names from the user's home, daemon.json's data-root first",
          "[root][containers]") {
  NSUTIL_REQUIRE_ROOT();
  scratch_dir dir;
  std::string home = dir / "home";
  // The cgroup rootless dockerd gives a container under systemd (cgroup v2).
  std::string cgroup =
      "0::/user.slice/user-4242.slice/user@4242.service/user.slice/docker-" + id + ".scope\n";
  write(home + "/.local/share/docker/containers/" + id + "/config.v2.json",
        R"({"ID":")" + id + R"(","Name":"/rootless-web"})");
  CHECK(name_as_user(dir, home, cgroup) == "rootless-web");
  // A data root moved in the user's daemon.json is read before the default one.
  write(home + "/.config/docker/daemon.json", R"({"data-root":")" + home + R"(/moved"})");
  write(home + "/moved/containers/" + id + "/config.v2.json",
        R"({"ID":")" + id + R"(","Name":"/moved-web"})");
  CHECK(name_as_user(dir, home, cgroup) == "moved-web");
  // A container outside user@UID.service is root's dockerd's: the user's home is not read, and
  // with no state of root's and no socket answering the name stays empty.
  CHECK(name_as_user(dir, home, "0::/system.slice/docker-" + id + ".scope\n") == "");
}
