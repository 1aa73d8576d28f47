// The container resolver (lib/include/nsutil/containers.hpp): the cgroup path classifier on the
// paths each engine writes in cgroup v1 and v2, and the names read from state fixtures
// (fixtures/containers/README.md says where each one's shape comes from).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nsutil/containers.hpp>
#include <string>

#include "proc_text.hpp"

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
struct fake_proc {
  fs::path root;
  fake_proc() {
    char tmpl[] = "/tmp/nsutil-fake-proc.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    root = tmpl;
  }
  ~fake_proc() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  fake_proc(const fake_proc&) = delete;
  fake_proc& operator=(const fake_proc&) = delete;
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
  CHECK_FALSE(classify_cgroup_path("/user.slice/user-0.slice/session-1.scope"));
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

TEST_CASE("Podman names from containers.json, by driver and conmon's bundle", "[containers]") {
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

TEST_CASE("engine names", "[containers]") {
  CHECK(nsutil::to_string(container_engine::docker) == "docker");
  CHECK(nsutil::to_string(container_engine::podman) == "podman");
  CHECK(nsutil::to_string(container_engine::containerd) == "containerd");
  CHECK(nsutil::to_string(container_engine::crio) == "crio");
  CHECK(nsutil::to_string(container_engine::cri) == "cri");
  CHECK(nsutil::to_string(container_engine::machined) == "machined");
  CHECK(nsutil::to_string(container_engine::lxc) == "lxc");
}
