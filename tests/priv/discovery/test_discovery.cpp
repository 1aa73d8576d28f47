#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <nsutil/discovery.hpp>
#include <nsutil/error.hpp>
#include <nsutil/mounts.hpp>
#include <nsutil/ns_handle.hpp>
#include <nsutil/process.hpp>
#include <string>
#include <thread>
#include <tuple>

#include "harness.hpp"

using nsutil::discover;
using nsutil::found_namespace;
using nsutil::ns_holder;
using nsutil::ns_type;
using nsutil::test::inode_of;

namespace {

const found_namespace* find(const nsutil::discovery& d, std::uint64_t ino) {
  for (const auto& ns : d.namespaces)
    if (ns.inode.ino == ino)
      return &ns;
  return nullptr;
}

// Unprivileged, a test child first makes its own user namespace (with itself as root), which
// lets it create the other types.
void become_root_in_userns() {
  if (nsutil::test::is_root())
    return;
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  if (::unshare(CLONE_NEWUSER) < 0)
    nsutil::throw_errno("unshare");
  nsutil::write_file("/proc/self/setgroups", "deny");
  nsutil::write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
  nsutil::write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
}

}  // namespace

TEST_CASE("discover finds a sandbox's namespaces, keyed like NS_GET_ID", "[userns][discovery]") {
  nsutil::test::sandbox box("nsutil-xlsns");
  auto found = discover();
  for (ns_type type : {ns_type::net, ns_type::uts}) {
    auto handle = nsutil::ns_handle::of_process(box.pid(), type);
    const auto* ns = find(found, handle.inode().ino);
    REQUIRE(ns != nullptr);
    CHECK(ns->type == type);
    CHECK(ns->pids == std::vector<pid_t>{box.pid()});
    CHECK(ns->nthreads == 1);
    CHECK(ns->holders.contains(ns_holder::process));
    CHECK(ns->id == handle.id());
    if (handle.id())
      CHECK(*ns->id != 0);
  }
  auto p = found.find_process(box.pid());
  REQUIRE(p);
  CHECK(found.processes[*p].pid == box.pid());
}

TEST_CASE("discover reads only the types asked for", "[userns][discovery]") {
  nsutil::discovery_options opts;
  opts.types = {ns_type::uts};
  opts.bind_mounts = false;
  opts.descriptors = false;
  for (const auto& ns : discover(opts).namespaces)
    CHECK(ns.type == ns_type::uts);
}

TEST_CASE("discover finds a namespace that only one thread is in", "[userns][discovery]") {
  std::string result = nsutil::test::in_child([] {
    become_root_in_userns();
    std::mutex m;
    std::condition_variable cv;
    bool ready = false;
    bool done = false;
    pid_t tid = 0;
    std::thread t([&] {
      std::unique_lock lock(m);
      tid = static_cast<pid_t>(::syscall(SYS_gettid));
      if (::unshare(CLONE_NEWUTS) < 0)
        tid = -1;
      ready = true;
      cv.notify_all();
      cv.wait(lock, [&] { return done; });
    });
    std::string out;
    {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return ready; });
    }
    if (tid < 0) {
      out = "unshare in the thread failed";
    } else {
      auto ino = inode_of("/proc/self/task/" + std::to_string(tid) + "/ns/uts");
      auto found = discover();
      const auto* ns = find(found, ino);
      if (ns == nullptr)
        out = "not found";
      else if (!ns->pids.empty() || ns->thread_pid != ::getpid() || ns->nthreads != 1 ||
               !ns->holders.contains(ns_holder::thread))
        out = "wrong details";
      else
        out = "ok";
    }
    {
      std::lock_guard lock(m);
      done = true;
    }
    cv.notify_all();
    t.join();
    return out;
  });
  CHECK(result == "ok");
}

TEST_CASE("discover finds a network namespace held only by a descriptor", "[userns][discovery]") {
  std::string result = nsutil::test::in_child([] {
    become_root_in_userns();
    if (::unshare(CLONE_NEWNET) < 0)  // one we own, so that we may come back to it
      nsutil::throw_errno("unshare");
    auto home = nsutil::open_fd("/proc/self/ns/net", O_RDONLY);
    if (::unshare(CLONE_NEWNET) < 0)
      nsutil::throw_errno("unshare");
    auto held = nsutil::open_fd("/proc/self/ns/net", O_RDONLY);
    auto ino = inode_of("/proc/self/ns/net");
    if (::setns(home.get(), CLONE_NEWNET) < 0)
      nsutil::throw_errno("setns");
    auto found = discover();
    const auto* ns = find(found, ino);
    if (ns == nullptr)
      return std::string("not found");
    if (!ns->pids.empty() || !ns->holders.contains(ns_holder::descriptor))
      return std::string("wrong details");
    return std::string("ok");
  });
  CHECK(result == "ok");
}

TEST_CASE("discover finds a bind mount that exists only in another mount namespace",
          "[root][discovery]") {
  NSUTIL_REQUIRE_ROOT();
  nsutil::test::scratch_dir dir;
  std::string target = dir / "uts";
  auto ready = nsutil::test::open_pipe();
  auto stop = nsutil::test::open_pipe();
  nsutil::child keeper = nsutil::fork_child([&] {
    ready.read.reset();
    stop.write.reset();
    if (::unshare(CLONE_NEWNS) < 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr))
      nsutil::throw_errno("unshare");
    // A uts namespace bound from inside this mount namespace, by a child that then exits.
    nsutil::child binder = nsutil::fork_child([&] {
      if (::unshare(CLONE_NEWUTS) < 0)
        nsutil::throw_errno("unshare");
      (void)nsutil::open_fd(target, O_WRONLY | O_CREAT, 0644);
      if (::mount("/proc/self/ns/uts", target.c_str(), nullptr, MS_BIND, nullptr) < 0)
        nsutil::throw_errno("mount", target);
    });
    binder.wait();
    auto ino = std::to_string(inode_of(target)) + "\n";
    (void)::write(ready.write.get(), ino.data(), ino.size());
    ready.write.reset();
    char b;
    (void)::read(stop.read.get(), &b, 1);
  });
  ready.write.reset();
  stop.read.reset();
  char buf[64] = {};
  (void)::read(ready.read.get(), buf, sizeof buf - 1);
  std::uint64_t ino = std::strtoull(buf, nullptr, 10);
  auto found = discover();
  stop.write.reset();
  keeper.wait();
  REQUIRE(ino != 0);
  const auto* ns = find(found, ino);
  REQUIRE(ns != nullptr);
  CHECK(ns->type == ns_type::uts);
  CHECK(ns->pids.empty());
  CHECK(ns->holders.contains(ns_holder::bind_mount));
  CHECK(ns->mounts.empty());
  REQUIRE(ns->foreign_mounts.size() == 1);
  CHECK(ns->foreign_mounts[0].ends_with(":" + target));
}

TEST_CASE("discover with relations finds the ancestors of nested user namespaces",
          "[userns][discovery]") {
  std::string result = nsutil::test::in_child([] {
    become_root_in_userns();
    auto outer = inode_of("/proc/self/ns/user");
    // A user namespace whose only process leaves it: it stays alive as the parent of the next.
    nsutil::child c = nsutil::fork_child([] {
      // Root (uid 0) at each level, or the next unshare is refused.
      auto nest = [] {
        if (::unshare(CLONE_NEWUSER) < 0)
          nsutil::throw_errno("unshare");
        nsutil::write_file("/proc/self/setgroups", "deny");
        nsutil::write_file("/proc/self/uid_map", "0 0 1");
        nsutil::write_file("/proc/self/gid_map", "0 0 1");
      };
      nest();
      nest();  // the middle one is now held only as the parent of this one
      ::pause();
    });
    ::usleep(200000);
    auto inner = inode_of("/proc/" + std::to_string(c.pid()) + "/ns/user");
    nsutil::discovery_options opts;
    opts.relations = true;
    auto found = discover(opts);
    c.proc().send_signal(SIGKILL);
    (void)c.wait();
    const auto* ns = find(found, inner);
    if (ns == nullptr)
      return std::string("inner not found");
    const auto* middle = find(found, ns->parent_ino);
    if (middle == nullptr)
      return std::string("middle not found");
    if (!middle->pids.empty() || !middle->holders.contains(ns_holder::child))
      return std::string("middle has wrong details");
    if (middle->parent_ino != outer || middle->owner_ino != outer)
      return std::string("middle has the wrong parent");
    return std::string("ok");
  });
  CHECK(result == "ok");
}

TEST_CASE("mountinfo (libmount, loaded on demand) and listmount agree on nsfs bind mounts",
          "[root][discovery]") {
  NSUTIL_REQUIRE_ROOT();
  nsutil::test::scratch_dir dir;
  std::string result = nsutil::test::in_child([&] {
    if (::unshare(CLONE_NEWNS) < 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr))
      nsutil::throw_errno("unshare");
    std::string target = dir / "net";
    (void)nsutil::open_fd(target, O_WRONLY | O_CREAT, 0644);
    if (::mount("/proc/self/ns/net", target.c_str(), nullptr, MS_BIND, nullptr) < 0)
      nsutil::throw_errno("mount", target);
    auto describe = [&](const std::vector<nsutil::ns_mount>& mounts) {
      std::string out;
      for (const auto& m : mounts)
        if (m.target == target)
          out += fmt::format("{} {} {}\n", nsutil::to_string(m.type), m.ino, m.target);
      return out;
    };
    std::string from_mountinfo =
        describe(nsutil::read_ns_mounts_from_mountinfo("/proc/self/mountinfo"));
    // Kernels before 6.12 cannot list mount namespaces: only mountinfo is there to compare.
    std::string from_listmount = "no listmount\n";
    if (auto all = nsutil::list_mount_namespaces())
      for (const auto& ns : *all)
        if (ns.own)
          if (auto mounts = nsutil::read_ns_mounts(ns.id))
            from_listmount = describe(*mounts);
    return from_mountinfo + "--\n" + from_listmount;
  });
  std::string expected = fmt::format("net {} {}\n", inode_of("/proc/self/ns/net"), dir / "net");
  CHECK(result.substr(0, result.find("--\n")) == expected);
  std::string listed = result.substr(result.find("--\n") + 3);
  if (listed == "no listmount\n")
    NSUTIL_SKIP_KERNEL("listmount_ns", "no listmount by mount-namespace ID (Linux 6.12)");
  CHECK(listed == expected);
}
