// The container resolver's paths that depend on this machine's users: rootless Docker keeps its
// state in the home directory of the user whose systemd instance holds the container. The user
// is made up in a private mount namespace, where a copy of /etc/passwd with one more line is
// bound over the real one; nothing outside the forked child sees it.
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nsutil/containers.hpp>
#include <nsutil/error.hpp>
#include <nsutil/unique_fd.hpp>

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

namespace {

// Whether the resolver, asked for a Docker container whose name is nowhere on disk, connects to
// a listening socket at `sock` (DOCKER_HOST): a connection it made waits in the listener's queue.
std::string asks_socket(const std::string& sock, uid_t socket_owner, uid_t dir_owner) {
  return nsutil::test::in_child([&] {
    nsutil::unique_fd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    sock.copy(addr.sun_path, sizeof addr.sun_path - 1);
    if (!listener || ::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
        ::listen(listener.get(), 4) < 0 || ::chown(sock.c_str(), socket_owner, socket_owner) < 0 ||
        ::chown(fs::path(sock).parent_path().c_str(), dir_owner, dir_owner) < 0)
      nsutil::throw_errno("socket", sock);
    ::setenv("DOCKER_HOST", ("unix://" + sock).c_str(), 1);
    nsutil::container_options opts;
    opts.proc_root = "/nonexistent";
    opts.find_daemons = false;
    nsutil::container_resolver r(opts);
    (void)r.of_cgroup("0::/system.slice/docker-" + id + ".scope\n");
    pollfd p{listener.get(), POLLIN, 0};
    return std::string(::poll(&p, 1, 0) == 1 ? "asked" : "not asked");
  });
}

}  // namespace

TEST_CASE("an engine's socket is asked only when root owns it and its directory",
          "[root][containers]") {
  NSUTIL_REQUIRE_ROOT();
  scratch_dir dir;
  auto sock = [&](const char* name) {
    fs::path sub = dir / name;
    fs::create_directories(sub);
    return (sub / "engine.sock").string();
  };
  // The container's owner is unknown here (no mount table), so only root's socket is believed.
  CHECK(asks_socket(sock("root"), 0, 0) == "asked");
  // Another user's socket could answer with any name, in root's directory or its own.
  CHECK(asks_socket(sock("user-socket"), 65534, 0) == "not asked");
  CHECK(asks_socket(sock("user-dir"), 0, 65534) == "not asked");
}
