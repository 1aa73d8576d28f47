// The container resolver (lib/include/nsutil/containers.hpp): the cgroup path classifier on the
// paths each engine writes in cgroup v1 and v2, the names read from state fixtures
// (fixtures/containers/README.md says where each one's shape comes from), and those asked of an
// engine's socket (lib/src/containers/engine_api.hpp), played by a server on a thread here.
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nsutil/containers.hpp>
#include <nsutil/unique_fd.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/proc_text.hpp"
#include "containers/cgroup.hpp"
#include "containers/engine_api.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using nsutil::container_engine;
using nsutil::detail::classify_cgroup;
using nsutil::detail::classify_cgroup_path;

namespace {

const std::string docker_web = "3f4e2c1b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";
const std::string docker_truncated =
    "aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00ee11ff22aa33bb44cc55dd66";
const std::string docker_not_json =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string docker_moved = "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf";
const std::string podman_api = "5c7a1f0e2d3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5";
const std::string podman_worker =
    "6d8b2a1f3e4c5b6a79889706b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6";
const std::string k8s_nginx = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d";
const std::string k8s_pause = "1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c";
const std::string crio_redis = "4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b";

std::string fixtures() {
  const char* root = std::getenv("NSUTIL_SOURCE_ROOT");
  REQUIRE(root != nullptr);
  return std::string(root) + "/tests/unit/fixtures/containers";
}

// Options that read nothing of this machine: every root in the fixtures, no process scanned.
nsutil::container_options fixture_options() {
  nsutil::container_options o;
  o.proc_root = fixtures() + "/no-proc";
  o.docker_roots = {fixtures() + "/docker"};
  o.docker_config = fixtures() + "/no-daemon.json";
  o.podman_roots = {fixtures() + "/podman"};
  o.storage_config = fixtures() + "/no-storage.conf";
  o.containerd_state = fixtures() + "/containerd";
  o.crio_state = fixtures() + "/crio";
  o.find_daemons = false;
  return o;
}

void check_path(std::string_view path, container_engine engine, const std::string& id) {
  INFO(path);
  auto c = classify_cgroup_path(path);
  REQUIRE(c);
  CHECK(c->engine == engine);
  CHECK(c->id == id);
}

// A fake /proc for running() and the daemon searches: PID -> {comm, ppid, cgroup, cmdline}.
struct fake_proc : nsutil::test::temp_dir {
  fake_proc() : temp_dir("nsutil-fake-proc") {}
  void add(pid_t pid, const std::string& comm, pid_t ppid, const std::string& cgroup,
           const std::string& cmdline = {}) {
    auto dir = root / std::to_string(pid);
    fs::create_directories(dir);
    std::ofstream(dir / "comm") << comm << "\n";
    std::ofstream(dir / "stat") << pid << " (" << comm << ") S " << ppid << " 1 1 0 -1";
    std::ofstream(dir / "cgroup") << cgroup;
    std::ofstream(dir / "cmdline", std::ios::binary) << cmdline;
  }
};

std::string args(std::initializer_list<std::string> words) {
  std::string out;
  for (const auto& w : words)
    out += w + '\0';
  return out;
}

// An environment variable set for one scope, and restored after it.
struct scoped_env {
  std::string name;
  std::optional<std::string> old;
  scoped_env(std::string n, const std::string& value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str()))
      old = v;
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~scoped_env() {
    if (old)
      ::setenv(name.c_str(), old->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;
};

// For the tests whose roots are the engines' own choice: the resolver may then ask the engines'
// sockets, which must be none of this machine's.
struct no_engine_sockets {
  scoped_env docker{"DOCKER_HOST", "unix:///nonexistent/nsutil-test/docker.sock"};
  scoped_env podman{"CONTAINER_HOST", "unix:///nonexistent/nsutil-test/podman.sock"};
};

// An engine's API socket: every connection is counted, then answered with `reply` once the
// request's head is read, or, with an empty `reply`, held and never answered.
struct fake_engine {
  nsutil::test::temp_dir dir{"nsutil-engine"};  // first: removed even when a later step fails
  std::string path;
  std::string reply;
  nsutil::unique_fd listener;
  std::atomic<int> connections{0};
  std::atomic<bool> stop{false};
  std::thread server;

  // The library gives an engine a second all told (container_options::engine_timeout). On a CI
  // machine whose cores also run qemu guests, a thread at the default priority can wait longer
  // than that for a CPU, and the engine looks hung: the client (this thread) and the server
  // (started from it, so inheriting it) run at the highest priority while the engine exists,
  // where allowed (root).
  int old_nice = ::getpriority(PRIO_PROCESS, 0);
  bool reniced = ::setpriority(PRIO_PROCESS, 0, -20) == 0;

  explicit fake_engine(std::string answer) : reply(std::move(answer)) {
    path = (dir.root / "engine.sock").string();
    listener = nsutil::unique_fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(listener.get() >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(listener.get(), 16) == 0);
    server = std::thread([this] { serve(); });
  }
  ~fake_engine() {
    stop = true;
    server.join();
    if (reniced)
      (void)::setpriority(PRIO_PROCESS, 0, old_nice);
  }
  fake_engine(const fake_engine&) = delete;
  fake_engine& operator=(const fake_engine&) = delete;

  std::string host() const { return "unix://" + path; }

  void serve() {
    std::vector<nsutil::unique_fd> held;
    while (!stop) {
      pollfd p{listener.get(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0)
        continue;
      nsutil::unique_fd c(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!c)
        continue;
      ++connections;
      if (reply.empty()) {
        held.push_back(std::move(c));
        continue;
      }
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        pollfd in{c.get(), POLLIN, 0};
        if (::poll(&in, 1, 2000) <= 0)
          break;
        ssize_t n = ::read(c.get(), buf, sizeof(buf));
        if (n <= 0)
          break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      (void)!::send(c.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
    }
  }
};

std::string http_reply(const std::string& status, const std::string& body) {
  return "HTTP/1.1 " + status +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

// Options under which no container's state is on disk and the sockets are the engines' choice.
nsutil::container_options socket_options() {
  auto o = fixture_options();
  o.docker_roots.clear();
  o.podman_roots.clear();
  return o;
}

std::string docker_cgroup(const std::string& id) {
  return "0::/system.slice/docker-" + id + ".scope\n";
}

}  // namespace

TEST_CASE("Docker's cgroup paths, v1 and v2", "[containers]") {
  // v1, cgroupfs driver (Docker's default on v1; nested under the daemon's own cgroup too).
  check_path("/docker/" + docker_web, container_engine::docker, docker_web);
  check_path("/process_api/0b9e7efc/docker/" + docker_web, container_engine::docker, docker_web);
  // v1 and v2, systemd driver.
  check_path("/system.slice/docker-" + docker_web + ".scope", container_engine::docker, docker_web);
  // A process in a sub-cgroup the container made (its cgroup namespace's root is the scope).
  check_path("/system.slice/docker-" + docker_web + ".scope/init.scope", container_engine::docker,
             docker_web);
  // Docker in Docker: the host's engine knows only the outer container.
  check_path("/docker/" + docker_web + "/docker/" + docker_moved, container_engine::docker,
             docker_web);
  // Not an ID: too short, upper case, not hex.
  CHECK_FALSE(classify_cgroup_path("/docker/" + docker_web.substr(1)));
  CHECK_FALSE(
      classify_cgroup_path("/docker/3F4E2C1B9A8D7E6F5A4B3C2D1E0F9A8B7C6D5E4F3A2B1C0D9E8F7A"
                           "6B5C4D3E2F"));
  CHECK_FALSE(classify_cgroup_path("/docker/" + std::string(64, 'g')));
  CHECK_FALSE(classify_cgroup_path("/docker"));
  CHECK_FALSE(classify_cgroup_path("/system.slice/docker.service"));
  CHECK_FALSE(classify_cgroup_path("/system.slice/docker-" + docker_web + ".scopex"));
}

TEST_CASE("Podman's cgroup paths; conmon is not the container", "[containers]") {
  // v1 and v2, cgroupfs manager.
  check_path("/libpod_parent/libpod-" + podman_api, container_engine::podman, podman_api);
  // systemd manager, rootful and in a pod.
  check_path("/machine.slice/libpod-" + podman_api + ".scope", container_engine::podman,
             podman_api);
  check_path("/machine.slice/libpod-" + podman_api + ".scope/container", container_engine::podman,
             podman_api);
  check_path("/machine.slice/machine-libpod_pod_" + podman_worker + ".slice/libpod-" + podman_api +
                 ".scope",
             container_engine::podman, podman_api);
  // Rootless: the user's systemd instance holds it; its UID is kept for the storage root.
  auto rootless = classify_cgroup_path(
      "/user.slice/user-1000.slice/user@1000.service/user.slice/"
      "libpod-" +
      podman_api + ".scope");
  REQUIRE(rootless);
  CHECK(rootless->engine == container_engine::podman);
  CHECK(rootless->user == 1000U);
  // The monitor sits beside the container, in the host's namespaces.
  CHECK_FALSE(classify_cgroup_path("/machine.slice/libpod-conmon-" + podman_api + ".scope"));
  CHECK_FALSE(classify_cgroup_path("/libpod_parent/conmon"));
  // libpod-ID without .scope only under libpod_parent.
  CHECK_FALSE(classify_cgroup_path("/elsewhere/libpod-" + podman_api));
}

TEST_CASE("Kubernetes' cgroup paths: containerd, CRI-O, and the cgroupfs driver's",
          "[containers]") {
  auto v2 = classify_cgroup_path(
      "/kubepods.slice/kubepods-besteffort.slice/"
      "kubepods-besteffort-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice/cri-containerd-" +
      k8s_nginx + ".scope");
  REQUIRE(v2);
  CHECK(v2->engine == container_engine::containerd);
  CHECK(v2->id == k8s_nginx);
  CHECK(v2->pod_uid == "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  auto crio = classify_cgroup_path(
      "/kubepods.slice/kubepods-burstable.slice/"
      "kubepods-burstable-pod5e6f7a8b_9c0d_1e2f_3a4b_5c6d7e8f9a0b.slice/crio-" +
      crio_redis + ".scope");
  REQUIRE(crio);
  CHECK(crio->engine == container_engine::crio);
  CHECK(crio->pod_uid == "5e6f7a8b-9c0d-1e2f-3a4b-5c6d7e8f9a0b");
  CHECK_FALSE(
      classify_cgroup_path("/kubepods.slice/kubepods-burstable.slice/"
                           "kubepods-burstable-pod5e6f7a8b_9c0d_1e2f_3a4b_5c6d7e8f9a0b."
                           "slice/crio-conmon-" +
                           crio_redis + ".scope"));
  // v1, cgroupfs driver: the path does not say which runtime.
  auto v1 = classify_cgroup_path("/kubepods/burstable/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/" +
                                 k8s_nginx);
  REQUIRE(v1);
  CHECK(v1->engine == container_engine::cri);
  CHECK(v1->pod_uid == "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  check_path("/kubepods/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/" + k8s_nginx,
             container_engine::cri, k8s_nginx);
  // The pod's own cgroup holds no container.
  CHECK_FALSE(classify_cgroup_path("/kubepods/burstable/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"));
  // A 64-hex component after a pod directory outside kubepods is nobody's.
  CHECK_FALSE(classify_cgroup_path("/pods/pod1/" + k8s_nginx));
}

TEST_CASE("machined and LXC name their containers in the path", "[containers]") {
  check_path("/machine.slice/machine-debian.scope", container_engine::machined, "debian");
  check_path("/machine.slice/machine-my\\x2dbox.scope/payload", container_engine::machined,
             "my-box");
  CHECK_FALSE(classify_cgroup_path("/machine.slice/machine-.scope"));
  // Escapes that no host name has (found by fuzz-container-cgroup: a newline in the ID).
  CHECK_FALSE(classify_cgroup_path("/machine.slice/machine-a\\x0ab.scope"));
  CHECK_FALSE(classify_cgroup_path("/machine.slice/machine-a\\x2fb.scope"));
  CHECK_FALSE(classify_cgroup_path("/system.slice/machine-debian.scope"));
  check_path("/lxc.payload.web1", container_engine::lxc, "web1");
  check_path("/lxc.payload.web1/system.slice/cron.service", container_engine::lxc, "web1");
  check_path("/lxc.payload/web1", container_engine::lxc, "web1");
  check_path("/lxc/web1", container_engine::lxc, "web1");
  CHECK_FALSE(classify_cgroup_path("/lxc.monitor.web1"));
  CHECK_FALSE(classify_cgroup_path("/lxc.payload."));
  CHECK_FALSE(classify_cgroup_path("/lxc"));
  CHECK_FALSE(classify_cgroup_path("/"));
  CHECK_FALSE(classify_cgroup_path(""));
  CHECK_FALSE(classify_cgroup_path("/user.slice/user-0.slice/user@0.service/init.scope"));
}

TEST_CASE("systemd unit-name unescaping", "[containers]") {
  using nsutil::detail::unescape_unit_name;
  CHECK(unescape_unit_name("my\\x2dbox") == "my-box");
  CHECK(unescape_unit_name("a\\x5cb") == "a\\b");
  CHECK(unescape_unit_name("plain") == "plain");
  // Not an escape: kept as it is.
  CHECK(unescape_unit_name("a\\xzz") == "a\\xzz");
  CHECK(unescape_unit_name("end\\x2") == "end\\x2");
  CHECK(unescape_unit_name("\\x") == "\\x");
}

TEST_CASE("/proc/PID/cgroup: v2 entry first, then v1 lines", "[containers]") {
  // cgroup v1 as this project's test machines have it: one path per hierarchy, the container in
  // each but the one a foreign manager moved it in.
  std::string v1 = "9:name=systemd:/docker/" + docker_web + "\n4:memory:/process_api/0b9e\n" +
                   "1:cpu:/docker/" + docker_web + "\n0::/\n";
  auto c = classify_cgroup(v1);
  REQUIRE(c);
  CHECK(c->id == docker_web);
  // v2 wins over v1 lines.
  auto hybrid = classify_cgroup("1:name=systemd:/docker/" + docker_web +
                                "\n0::/system.slice/docker-" + docker_moved + ".scope\n");
  REQUIRE(hybrid);
  CHECK(hybrid->id == docker_moved);
  // A path may hold ':'.
  CHECK(classify_cgroup("3:cpu:/a:b/docker/" + docker_web + "\n"));
  CHECK_FALSE(classify_cgroup("0::/\n1:cpu:/\n"));
  CHECK_FALSE(classify_cgroup("garbage without colons\n"));
  CHECK_FALSE(classify_cgroup(""));
}

TEST_CASE("Docker names from config.v2.json; bad state keeps the ID", "[containers]") {
  nsutil::container_resolver r(fixture_options());
  auto web = r.of_cgroup("0::/system.slice/docker-" + docker_web + ".scope\n");
  REQUIRE(web);
  CHECK(web->engine == container_engine::docker);
  CHECK(web->name == "web");
  CHECK(web->display_name() == "web");
  for (const auto& id : {docker_truncated, docker_not_json, docker_moved}) {
    auto c = r.of_cgroup("1:cpu:/docker/" + id + "\n");
    REQUIRE(c);
    CHECK(c->id == id);
    CHECK(c->name.empty());
    CHECK(c->display_name() == id.substr(0, 12));
  }
  CHECK_FALSE(r.of_cgroup("0::/user.slice\n"));
}

TEST_CASE("Docker's data root: dockerd's command line, daemon.json, the default", "[containers]") {
  no_engine_sockets sockets;
  fake_proc proc;
  auto opts = fixture_options();
  opts.proc_root = proc.root;
  opts.docker_roots.clear();
  opts.find_daemons = true;
  // A dockerd whose --data-root is the moved root.
  proc.add(700, "dockerd", 1, "0::/\n",
           args({"/usr/sbin/dockerd", "--data-root", fixtures() + "/docker-moved"}));
  {
    nsutil::container_resolver r(opts);
    auto c = r.of_cgroup("0::/docker/" + docker_moved + "\n");
    REQUIRE(c);
    CHECK(c->name == "db");
  }
  // -g=ROOT, and a process named otherwise is not a daemon.
  fs::remove_all(proc.root / "700");
  proc.add(700, "dockerd", 1, "0::/\n", args({"dockerd", "-g=" + fixtures() + "/docker"}));
  proc.add(701, "sleep", 1, "0::/\n", args({"sleep", "--data-root", fixtures() + "/docker-moved"}));
  {
    nsutil::container_resolver r(opts);
    CHECK(r.of_cgroup("0::/docker/" + docker_web + "\n")->name == "web");
    CHECK(r.of_cgroup("0::/docker/" + docker_moved + "\n")->name.empty());
  }
  // Without a daemon: daemon.json's data-root (a path of no fixture here, so nothing found).
  opts.find_daemons = false;
  opts.docker_config = fixtures() + "/daemon.json";
  nsutil::container_resolver r(opts);
  CHECK(r.of_cgroup("0::/docker/" + docker_web + "\n")->name.empty());
}

TEST_CASE("Docker's data root from the container's /etc/hostname bind mount", "[containers]") {
  no_engine_sockets sockets;
  fake_proc proc;
  auto opts = fixture_options();
  opts.proc_root = proc.root;
  opts.docker_roots.clear();
  opts.find_daemons = true;
  std::string cgroup = "0::/docker/" + docker_moved + "\n";
  proc.add(300, "sh", 1, cgroup);
  // The reader sees the filesystem whose /R directory holds the fixtures at its "/"; the
  // container's root field is the path within that filesystem.
  fs::create_directories(proc.root / "self");
  std::ofstream(proc.root / "self/mountinfo")
      << "20 1 8:2 / /boot rw - ext4 /dev/sda2 rw\n21 1 8:1 /R / rw - ext4 /dev/sda1 rw\n";
  std::ofstream(proc.root / "300/mountinfo")
      << "600 500 0:50 / / rw - overlay overlay rw\n"
      << "610 600 8:1 /R/elsewhere/hosts /etc/hosts rw - ext4 /dev/sda1 rw\n"
      << "611 600 8:1 /R" << fixtures() << "/docker-moved/containers/" << docker_moved
      << "/hostname /etc/hostname rw - ext4 /dev/sda1 rw\n";
  nsutil::container_resolver r(opts);
  CHECK(r.of_process(300)->name == "db");
  // Without the mount (or on another device) nothing else names that root.
  std::ofstream(proc.root / "300/mountinfo")
      << "611 600 8:9 /R" << fixtures() << "/docker-moved/containers/" << docker_moved
      << "/hostname /etc/hostname rw - ext4 /dev/sdb rw\n";
  nsutil::container_resolver other(opts);
  CHECK(other.of_process(300)->name.empty());
}

TEST_CASE("a cgroup's owner: its hierarchy found in the reader's mount table", "[containers]") {
  fake_proc proc;
  auto opts = fixture_options();
  opts.proc_root = proc.root;
  // A v1 hierarchy of two controllers, mounted where the path holds a space (mountinfo's \040).
  fs::path top = proc.root / "cg x";
  fs::create_directories(top / "docker" / docker_web);
  fs::create_directories(proc.root / "self");
  auto table = [&](const std::string& root, const std::string& options) {
    std::ofstream(proc.root / "self/mountinfo")
        << "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
        << "30 22 0:27 " << root << " " << proc.root.string() << "/cg\\040x rw - cgroup cgroup "
        << options << "\n";
  };
  const std::string v1 = "4:cpu,cpuacct:/docker/" + docker_web + "\n";
  table("/", "rw,cpuacct,cpu");
  {
    nsutil::container_resolver r(opts);
    auto c = r.of_cgroup(v1);
    REQUIRE(c);
    // Every directory on the way is this test's.
    CHECK(c->owner == ::geteuid());
  }
  // A hierarchy without one of the controllers is another one.
  table("/", "rw,cpu");
  {
    nsutil::container_resolver r(opts);
    CHECK_FALSE(r.of_cgroup(v1)->owner);
  }
  // The hierarchy mounted from below the cgroup's path does not hold it.
  table("/system.slice", "rw,cpu,cpuacct");
  {
    nsutil::container_resolver r(opts);
    CHECK_FALSE(r.of_cgroup(v1)->owner);
  }
  // Mounted from the path's first component: the rest is walked below the mount point.
  fs::create_directories(top / docker_web);
  table("/docker", "rw,cpu,cpuacct");
  {
    nsutil::container_resolver r(opts);
    CHECK(r.of_cgroup(v1)->owner == ::geteuid());
  }
}

TEST_CASE("Podman names from containers.json, by driver and conmon's bundle", "[containers]") {
  no_engine_sockets sockets;
  auto opts = fixture_options();
  {
    nsutil::container_resolver r(opts);
    CHECK(r.of_cgroup("0::/libpod_parent/libpod-" + podman_api + "\n")->name == "api");
    CHECK(r.of_cgroup("0::/machine.slice/libpod-" + podman_worker + ".scope\n")->name == "worker");
  }
  opts.podman_roots = {fixtures() + "/podman-bad", fixtures() + "/podman-vfs"};
  {
    nsutil::container_resolver r(opts);
    auto c = r.of_cgroup("0::/libpod_parent/libpod-" + podman_api + "\n");
    REQUIRE(c);
    CHECK(c->name == "vfs-api");
    CHECK(r.of_cgroup("0::/libpod_parent/libpod-" + podman_worker + "\n")->name.empty());
  }
  // No root given: the conmon that is the process's parent (or further up) names the bundle.
  fake_proc proc;
  proc.add(
      900, "conmon", 1, "0::/libpod_parent/conmon\n",
      args({"/usr/bin/conmon", "--api-version", "1", "-c", podman_api, "-u", podman_api, "-r",
            "/usr/bin/crun", "-b",
            fixtures() + "/podman-vfs/vfs-containers/" + podman_api + "/userdata", "-n", "api"}));
  proc.add(901, "sh", 900, "0::/libpod_parent/libpod-" + podman_api + "\n");
  proc.add(902, "sleep", 901, "0::/libpod_parent/libpod-" + podman_api + "\n");
  opts.podman_roots.clear();
  opts.proc_root = proc.root;
  opts.find_daemons = true;
  nsutil::container_resolver r(opts);
  CHECK(r.of_process(902)->name == "vfs-api");
}

TEST_CASE("storage.conf's graphroot", "[containers]") {
  no_engine_sockets sockets;
  // Only a rootful container reads it; the root it names holds no fixture, so the name found
  // must come from there or nowhere.
  auto opts = fixture_options();
  opts.podman_roots.clear();
  opts.storage_config = fixtures() + "/storage.conf";
  nsutil::container_resolver r(opts);
  CHECK(r.of_cgroup("0::/libpod_parent/libpod-" + podman_api + "\n")->name.empty());
}

TEST_CASE("Kubernetes names from containerd's and CRI-O's bundle specs", "[containers]") {
  nsutil::container_resolver r(fixture_options());
  auto nginx = r.of_cgroup(
      "0::/kubepods.slice/kubepods-besteffort.slice/"
      "kubepods-besteffort-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice/"
      "cri-containerd-" +
      k8s_nginx + ".scope\n");
  REQUIRE(nginx);
  CHECK(nginx->name == "nginx");
  CHECK(nginx->pod_name == "frontend-7d9c5b6f4-x2k8q");
  CHECK(nginx->pod_namespace == "shop");
  CHECK(nginx->pod_uid == "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  // The cgroupfs driver's path: the runtime is the one whose state has the ID.
  auto v1 = r.of_cgroup("4:memory:/kubepods/besteffort/pod5e6f7a8b-9c0d-1e2f-3a4b-5c6d7e8f9a0b/" +
                        crio_redis + "\n");
  REQUIRE(v1);
  CHECK(v1->engine == container_engine::crio);
  CHECK(v1->name == "redis");
  CHECK(v1->pod_name == "cache-0");
  CHECK(v1->pod_namespace == "data");
  auto v1c = r.of_cgroup("4:memory:/kubepods/besteffort/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/" +
                         k8s_nginx + "\n");
  REQUIRE(v1c);
  CHECK(v1c->engine == container_engine::containerd);
  CHECK(v1c->name == "nginx");
  // The truncated sandbox spec: containerd's, nameless.
  auto pause = r.of_cgroup(
      "4:memory:/kubepods/besteffort/pod0f1e2d3c-4b5a-6978-8796-"
      "a5b4c3d2e1f0/" +
      k8s_pause + "\n");
  REQUIRE(pause);
  CHECK(pause->engine == container_engine::containerd);
  CHECK(pause->name.empty());
  CHECK(pause->pod_uid == "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  // Neither runtime's: still a Kubernetes container, with its ID.
  auto unknown = r.of_cgroup("4:memory:/kubepods/besteffort/pod1/" + docker_web + "\n");
  REQUIRE(unknown);
  CHECK(unknown->engine == container_engine::cri);
  CHECK(unknown->id == docker_web);
}

TEST_CASE("machined and LXC names are the path's", "[containers]") {
  nsutil::container_resolver r(fixture_options());
  auto m = r.of_cgroup("1:name=systemd:/machine.slice/machine-my\\x2dbox.scope\n");
  REQUIRE(m);
  CHECK(m->engine == container_engine::machined);
  CHECK(m->name == "my-box");
  CHECK(r.of_cgroup("0::/lxc.payload.web1\n")->name == "web1");
}

TEST_CASE("each container's state is read once per resolver", "[containers]") {
  // Copy the fixture, resolve, then damage the copy: the second lookup must not see it.
  fake_proc tmp;
  fs::copy(fixtures() + "/docker", tmp.root / "docker", fs::copy_options::recursive);
  auto opts = fixture_options();
  opts.docker_roots = {(tmp.root / "docker").string()};
  nsutil::container_resolver r(opts);
  std::string cgroup = "0::/docker/" + docker_web + "\n";
  CHECK(r.of_cgroup(cgroup)->name == "web");
  std::ofstream(tmp.root / "docker/containers" / docker_web / "config.v2.json")
      << "{\"Name\":\"/x\"}";
  CHECK(r.of_cgroup(cgroup)->name == "web");
  nsutil::container_resolver fresh(opts);
  CHECK(fresh.of_cgroup(cgroup)->name == "x");
}

TEST_CASE("running(): one entry per container, its main process", "[containers]") {
  fake_proc proc;
  std::string web = "1:cpu:/docker/" + docker_web + "\n0::/\n";
  std::string api = "0::/libpod_parent/libpod-" + podman_api + "\n";
  proc.add(1, "init", 0, "0::/\n");
  proc.add(50, "containerd-shim", 1, "0::/\n");
  proc.add(120, "sleep", 118, web);  // a child of the main process, listed before it by PID
  proc.add(118, "sh", 50, web);
  proc.add(130, "sleep", 129, api);
  proc.add(129, "conmon", 1, "0::/libpod_parent/libpod-conmon-" + podman_api + "\n");
  proc.add(140, "gone", 1, "");
  auto opts = fixture_options();
  opts.proc_root = proc.root;
  nsutil::container_resolver r(opts);
  auto list = r.running();
  REQUIRE(list.size() == 2);
  CHECK(list[0].main_pid == 118);
  CHECK(list[0].info.name == "web");
  CHECK(list[0].info.engine == container_engine::docker);
  CHECK(list[1].main_pid == 130);
  CHECK(list[1].info.name == "api");
  CHECK(r.of_process(120)->name == "web");
  CHECK_FALSE(r.of_process(129));
  CHECK_FALSE(r.of_process(99999));
}

TEST_CASE("running(): two cgroups of one engine and ID are two containers", "[containers]") {
  fake_proc proc;
  proc.add(1, "init", 0, "0::/\n");
  proc.add(200, "sleep", 1, "0::/a/lxc.payload.twin\n");
  proc.add(210, "sleep", 1, "0::/b/lxc.payload.twin/init.scope\n");
  proc.add(211, "sh", 210, "0::/b/lxc.payload.twin\n");
  auto opts = fixture_options();
  opts.proc_root = proc.root;
  std::vector<std::pair<pid_t, std::string>> found;
  for (const auto& c : nsutil::container_resolver(opts).running())
    found.emplace_back(c.main_pid, c.info.name);
  CHECK(found == std::vector<std::pair<pid_t, std::string>>{{200, "twin"}, {210, "twin"}});
}

TEST_CASE("engine sockets: DOCKER_HOST, CONTAINER_HOST, the defaults", "[containers]") {
  using nsutil::detail::docker_socket;
  using nsutil::detail::podman_socket;
  using nsutil::detail::unix_socket_of;
  CHECK(unix_socket_of("unix:///run/user/1000/docker.sock") == "/run/user/1000/docker.sock");
  CHECK(unix_socket_of("unix://relative.sock") == "relative.sock");
  CHECK(unix_socket_of("unix://").empty());
  CHECK(unix_socket_of("tcp://127.0.0.1:2375").empty());
  CHECK(unix_socket_of("ssh://me@host").empty());
  CHECK(unix_socket_of("/run/docker.sock").empty());
  CHECK(docker_socket(nullptr) == "/run/docker.sock");
  CHECK(docker_socket("") == "/run/docker.sock");
  CHECK(docker_socket("unix:///srv/d.sock") == "/srv/d.sock");
  CHECK(docker_socket("tcp://10.0.0.1:2376").empty());
  // Rootless dockerd listens in the user's runtime directory; root's is the system one.
  CHECK(docker_socket(nullptr, 1000) == "/run/user/1000/docker.sock");
  CHECK(docker_socket(nullptr, 0) == "/run/docker.sock");
  CHECK(docker_socket("unix:///srv/d.sock", 1000) == "/srv/d.sock");
  CHECK(podman_socket(nullptr, std::nullopt) == "/run/podman/podman.sock");
  CHECK(podman_socket(nullptr, 0) == "/run/podman/podman.sock");
  CHECK(podman_socket(nullptr, 1000) == "/run/user/1000/podman/podman.sock");
  CHECK(podman_socket("unix:///srv/p.sock", 1000) == "/srv/p.sock");
  CHECK(podman_socket("ssh://core@vm/run/podman/podman.sock", std::nullopt).empty());
}

TEST_CASE("engine inspect answers: the name, else nothing", "[containers]") {
  using nsutil::detail::name_from_inspect;
  CHECK(name_from_inspect(R"({"Id":")" + docker_web + R"(","Name":"/web","State":{}})",
                          docker_web) == "web");
  // Podman's own API gives it without the '/'; an answer without Id is taken as it comes.
  CHECK(name_from_inspect(R"({"Name":"api"})", docker_web) == "api");
  CHECK(name_from_inspect(R"({"Id":")" + podman_api + R"(","Name":"/other"})", docker_web).empty());
  CHECK(name_from_inspect(R"({"Id":7,"Name":"/web"})", docker_web).empty());
  CHECK(name_from_inspect(R"({"Name":42})", docker_web).empty());
  CHECK(name_from_inspect(R"({"message":"No such container"})", docker_web).empty());
  CHECK(name_from_inspect(R"(["/web"])", docker_web).empty());
  CHECK(name_from_inspect(R"({"Name":"/web")", docker_web).empty());
  CHECK(name_from_inspect("<html>502 Bad Gateway</html>", docker_web).empty());
  CHECK(name_from_inspect("", docker_web).empty());
}

TEST_CASE("names from the engine's socket when its state on disk has none", "[containers]") {
  fake_engine docker(http_reply("200 OK", R"({"Id":")" + docker_web + R"(","Name":"/web"})"));
  fake_engine podman(http_reply("200 OK", R"({"Id":")" + podman_api + R"(","Name":"/api"})"));
  scoped_env docker_host("DOCKER_HOST", docker.host());
  scoped_env container_host("CONTAINER_HOST", podman.host());
  {
    nsutil::container_resolver r(socket_options());
    auto web = r.of_cgroup(docker_cgroup(docker_web));
    REQUIRE(web);
    CHECK(web->name == "web");
    CHECK(web->id == docker_web);
    auto api = r.of_cgroup("0::/machine.slice/libpod-" + podman_api + ".scope\n");
    REQUIRE(api);
    CHECK(api->engine == container_engine::podman);
    CHECK(api->name == "api");
    // Each container is asked once; the answer about another ID is not taken for this one.
    CHECK(r.of_cgroup(docker_cgroup(docker_web))->name == "web");
    CHECK(r.of_cgroup(docker_cgroup(docker_moved))->name.empty());
    CHECK(docker.connections == 2);
    CHECK(podman.connections == 1);
  }
  // Roots given: those alone are read, no socket is asked.
  nsutil::container_resolver given(fixture_options());
  CHECK(given.of_cgroup(docker_cgroup(docker_truncated))->name.empty());
  CHECK(given.of_cgroup("0::/machine.slice/libpod-" + crio_redis + ".scope\n")->name.empty());
  CHECK(docker.connections == 2);
  CHECK(podman.connections == 1);
  // A name on disk is not asked for.
  auto disk = socket_options();
  disk.docker_roots = {fixtures() + "/docker"};
  nsutil::container_resolver on_disk(disk);
  CHECK(on_disk.of_cgroup(docker_cgroup(docker_web))->name == "web");
  CHECK(docker.connections == 2);
}

TEST_CASE("a timeout of zero asks no socket (libcurl would wait for ever)", "[containers]") {
  fake_engine hung("");
  scoped_env docker_host("DOCKER_HOST", hung.host());
  auto opts = socket_options();
  opts.engine_timeout = std::chrono::milliseconds(0);
  nsutil::container_resolver r(opts);
  auto c = r.of_cgroup(docker_cgroup(docker_web));
  REQUIRE(c);
  CHECK(c->name.empty());
  CHECK(hung.connections == 0);
}

TEST_CASE("a socket that never answers: one timeout per resolver, the IDs stay", "[containers]") {
  fake_engine hung("");
  scoped_env docker_host("DOCKER_HOST", hung.host());
  auto opts = socket_options();
  opts.engine_timeout = std::chrono::milliseconds(200);  // the default is a second
  nsutil::container_resolver r(opts);
  auto start = std::chrono::steady_clock::now();
  for (const auto& id : {docker_web, docker_moved, docker_truncated, docker_not_json}) {
    auto c = r.of_cgroup(docker_cgroup(id));
    REQUIRE(c);
    CHECK(c->name.empty());
    CHECK(c->display_name() == id.substr(0, 12));
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  INFO("four containers took " << ms << " ms");
  CHECK(hung.connections == 1);
  CHECK(ms >= 150);
  CHECK(ms < 900);
}

TEST_CASE("a socket that answers 404, not JSON or not HTTP: no name", "[containers]") {
  // 404 and a body that is not JSON are answers: the socket is asked for the next container.
  for (const auto& reply :
       {http_reply("404 Not Found", R"({"message":"No such container"})"),
        http_reply("200 OK", "<html>hello</html>"), http_reply("500 Server Error", "{}")}) {
    fake_engine engine(reply);
    scoped_env docker_host("DOCKER_HOST", engine.host());
    nsutil::container_resolver r(socket_options());
    CHECK(r.of_cgroup(docker_cgroup(docker_web))->display_name() == docker_web.substr(0, 12));
    CHECK(r.of_cgroup(docker_cgroup(docker_moved))->name.empty());
    CHECK(engine.connections == 2);
  }
  // Not HTTP at all: a failed socket, not asked again.
  fake_engine garbage("garbage\r\n\r\n{\"Name\":\"/web\"}");
  scoped_env docker_host("DOCKER_HOST", garbage.host());
  nsutil::container_resolver r(socket_options());
  CHECK(r.of_cgroup(docker_cgroup(docker_web))->name.empty());
  CHECK(r.of_cgroup(docker_cgroup(docker_moved))->name.empty());
  CHECK(garbage.connections == 1);
  // No socket there, or DOCKER_HOST naming a TCP address: nothing asked, no name.
  scoped_env none("DOCKER_HOST", "unix://" + garbage.path + ".absent");
  nsutil::container_resolver absent(socket_options());
  CHECK(absent.of_cgroup(docker_cgroup(docker_web))->name.empty());
  scoped_env tcp("DOCKER_HOST", "tcp://127.0.0.1:1");
  nsutil::container_resolver remote(socket_options());
  CHECK(remote.of_cgroup(docker_cgroup(docker_web))->name.empty());
  CHECK(garbage.connections == 1);
}

TEST_CASE("engine names", "[containers]") {
  CHECK(nsutil::to_string(container_engine::docker) == "docker");
  CHECK(nsutil::to_string(container_engine::podman) == "podman");
  CHECK(nsutil::to_string(container_engine::containerd) == "containerd");
  CHECK(nsutil::to_string(container_engine::crio) == "crio");
  CHECK(nsutil::to_string(container_engine::cri) == "cri");
  CHECK(nsutil::to_string(container_engine::machined) == "machined");
  CHECK(nsutil::to_string(container_engine::lxc) == "lxc");
}
