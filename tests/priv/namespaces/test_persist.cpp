#include <fmt/format.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <nsutil/error.hpp>
#include <nsutil/ns_handle.hpp>
#include <nsutil/persist.hpp>
#include <nsutil/process.hpp>
#include <nsutil/unshare.hpp>
#include <string>
#include <tuple>

#include "harness.hpp"

using nsutil::ns_handle;
using nsutil::ns_type;
using nsutil::persist_request;
using nsutil::test::scratch_dir;

namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// A mount-namespace bind needs a target on a mount that is not shared: make the scratch directory
// a private bind mount of itself (undone by scratch_dir).
void make_private(const scratch_dir& dir) {
  if (::mount(dir.path().c_str(), dir.path().c_str(), nullptr, MS_BIND, nullptr) < 0 ||
      ::mount(nullptr, dir.path().c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
    nsutil::throw_errno("mount", dir.path());
}

std::uint64_t own_mnt_id() {
  return ns_handle::open("/proc/self/ns/mnt", ns_type::mnt).id().value_or(0);
}

void pin_to(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (::sched_setaffinity(0, sizeof one, &one) < 0)
    nsutil::throw_errno("sched_setaffinity");
}

}  // namespace

TEST_CASE("check_persist_target explains what is wrong with a target", "[userns][persist]") {
  scratch_dir dir;
  CHECK_NOTHROW(nsutil::check_persist_target(dir / "new"));
  CHECK_THROWS_WITH(
      nsutil::check_persist_target(dir.path()),
      fmt::format("persist '{}': is a directory; a namespace is bound onto a file", dir.path()));
  CHECK_THROWS_WITH(nsutil::check_persist_target(dir / "missing/x"),
                    fmt::format("persist '{}': directory '{}' does not exist", dir / "missing/x",
                                dir / "missing"));
  try {
    nsutil::check_persist_target(dir / std::string(100000, 'n'));
    FAIL("accepted a 100 kB name");
  } catch (const nsutil::error& e) {
    CHECK(e.errno_value() == ENAMETOOLONG);
  }
  CHECK_THROWS_AS(nsutil::check_persist_target(""), nsutil::error);
}

TEST_CASE("persist binds a namespace onto a new file, unpersist removes it", "[root][persist]") {
  NSUTIL_REQUIRE_ROOT();
  scratch_dir dir;
  std::string target = dir / "uts";
  std::string inner = nsutil::test::in_child([&] {
    nsutil::unshare({ns_type::uts});
    nsutil::persist_own({{ns_type::uts, target}});
    return std::to_string(ns_handle::open("/proc/self/ns/uts").inode().ino);
  });
  // The namespace outlives the child that made it.
  CHECK(nsutil::persisted_type(target) == ns_type::uts);
  CHECK(std::to_string(ns_handle::open(target, ns_type::uts).inode().ino) == inner);
  CHECK_THROWS_WITH(nsutil::check_persist_target(target),
                    fmt::format("persist '{0}': already holds a uts namespace (unpersist() or "
                                "umount(8) it first)",
                                target));
  nsutil::unpersist(target);
  CHECK_FALSE(nsutil::persisted_type(target));
  CHECK(exists(target));
  CHECK_THROWS_WITH(nsutil::unpersist(target),
                    fmt::format("umount '{}': holds no namespace bind mount", target));
}

TEST_CASE("a failed persist leaves nothing mounted and no new file", "[root][persist]") {
  NSUTIL_REQUIRE_ROOT();
  scratch_dir dir;
  std::string good = dir / "good";
  std::string bad = dir / "no/such/directory";
  std::string got = nsutil::test::in_child([&] {
    nsutil::unshare({ns_type::uts, ns_type::ipc});
    try {
      nsutil::persist_own({{ns_type::uts, good}, {ns_type::ipc, bad}});
      return std::string("persisted");
    } catch (const nsutil::error& e) {
      return std::string(e.what());
    }
  });
  CHECK(got.find("does not exist") != std::string::npos);
  CHECK_FALSE(nsutil::persisted_type(good));
  CHECK_FALSE(exists(good));
}

TEST_CASE("the helper persists mount and pid namespaces from outside", "[root][persist]") {
  NSUTIL_REQUIRE_ROOT();
  scratch_dir dir;
  make_private(dir);
  std::string mnt = dir / "mnt";
  std::string pid = dir / "pid";
  std::string got = nsutil::test::in_child([&] {
    auto helper = nsutil::persist_helper::start({{ns_type::mnt, mnt}, {ns_type::pid, pid}});
    nsutil::unshare({ns_type::mnt, ns_type::pid}, {.persist_mnt = true});
    // pid_for_children can be bound only once the new namespace has its first process.
    nsutil::unique_fd r;
    nsutil::unique_fd w;
    std::tie(r, w) = nsutil::make_pipe();
    auto init = nsutil::fork_child([&] {
      w.reset();
      char b;
      (void)::read(r.get(), &b, 1);
    });
    helper.bind();
    std::string ids = fmt::format("{} {}", ns_handle::open("/proc/self/ns/mnt").inode().ino,
                                  ns_handle::of_process(init.pid(), ns_type::pid).inode().ino);
    w.reset();
    init.wait();
    return ids;
  });
  CHECK(got == fmt::format("{} {}", ns_handle::open(mnt, ns_type::mnt).inode().ino,
                           ns_handle::open(pid, ns_type::pid).inode().ino));
}

TEST_CASE("a mount namespace on a shared mount fails with an explanation", "[root][persist]") {
  NSUTIL_REQUIRE_ROOT();
  scratch_dir dir;
  // A shared bind mount of the directory: the kernel refuses mnt-ns binds there (EINVAL).
  REQUIRE(::mount(dir.path().c_str(), dir.path().c_str(), nullptr, MS_BIND, nullptr) == 0);
  REQUIRE(::mount(nullptr, dir.path().c_str(), nullptr, MS_SHARED, nullptr) == 0);
  std::string target = dir / "mnt";
  std::string got = nsutil::test::in_child([&] {
    auto helper = nsutil::persist_helper::start({{ns_type::mnt, target}});
    nsutil::unshare({ns_type::mnt}, {.persist_mnt = true});
    try {
      helper.bind();
      return std::string("bound");
    } catch (const nsutil::error& e) {
      return std::string(e.what());
    }
  });
  CHECK(got.find("not shared") != std::string::npos);
  CHECK(got.find("--make-private") != std::string::npos);
  CHECK_FALSE(nsutil::persisted_type(target));
  CHECK_FALSE(exists(target));
}

TEST_CASE("a helper that is never told to bind does nothing", "[userns][persist]") {
  scratch_dir dir;
  std::string target = dir / "never";
  nsutil::test::in_child([&] {
    auto helper = nsutil::persist_helper::start({{ns_type::uts, target}});
    return std::string();
  });
  CHECK_FALSE(exists(target));
}

// Since Linux 6.18 a mount namespace made on one CPU can get a lower ID than the one it was made
// from. A chain of namespaces made on alternating CPUs meets that on this kernel within a few
// steps (a plain unshare(2) on the same CPU shows whether it did).
TEST_CASE("unshare with persist_mnt gives the new mount namespace a higher ID on any CPU",
          "[root][persist]") {
  NSUTIL_REQUIRE_ROOT();
  if (!ns_handle::open("/proc/self/ns/mnt").id())
    NSUTIL_SKIP_KERNEL("ns_get_id", "no NS_GET_ID (Linux 6.18) to compare IDs with");
  std::string got = nsutil::test::in_child([] {
    long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    int lower = 0;
    std::string bad;
    for (int step = 0; step < 12; ++step) {
      int cpu = static_cast<int>(step % cpus);
      pin_to(cpu);
      std::uint64_t old_id = own_mnt_id();
      if (::fork() == 0) {  // what a plain unshare(2) gets here, in a child that ends at once
        ::_exit(::unshare(CLONE_NEWNS) == 0 && own_mnt_id() < old_id ? 1 : 0);
      }
      int status = 0;
      ::wait(&status);
      lower += WEXITSTATUS(status);
      nsutil::unshare({ns_type::mnt}, {.persist_mnt = true});
      cpu_set_t now;
      ::sched_getaffinity(0, sizeof now, &now);
      if (own_mnt_id() <= old_id || CPU_COUNT(&now) != 1 || !CPU_ISSET(cpu, &now))
        bad += fmt::format("step {} on CPU {}: {} after {}; ", step, cpu, own_mnt_id(), old_id);
    }
    return fmt::format("{}lower {}", bad, lower);
  });
  if (got.find("lower 0") != std::string::npos)
    WARN("no plain unshare(2) got a lower ID: this kernel's mount-namespace IDs look ordered");
  CHECK(got.substr(0, 6) == "lower ");
}

TEST_CASE("a mount namespace with a lower ID fails with an explanation", "[root][persist]") {
  NSUTIL_REQUIRE_ROOT();
  if (!ns_handle::open("/proc/self/ns/mnt").id())
    NSUTIL_SKIP_KERNEL("ns_get_id", "no NS_GET_ID (Linux 6.18) to compare IDs with");
  scratch_dir dir;
  make_private(dir);
  std::string target = dir / "mnt";
  std::string got = nsutil::test::in_child([&] {
    long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    for (int step = 0; step < 12; ++step) {
      pin_to(static_cast<int>(step % cpus));
      std::uint64_t old_id = own_mnt_id();
      auto helper = nsutil::persist_helper::start({{ns_type::mnt, target}});
      nsutil::unshare({ns_type::mnt});
      if (own_mnt_id() > old_id)
        continue;  // the helper is told to stop
      try {
        helper.bind();
        return std::string("bound");
      } catch (const nsutil::error& e) {
        return std::string(e.what());
      }
    }
    return std::string("no lower ID");
  });
  if (got == "no lower ID")
    NSUTIL_SKIP("no mount namespace got a lower ID in 12 tries (IDs in creation order, one CPU?)");
  CHECK(got.find("ID") != std::string::npos);
  CHECK(got.find("below that of the binding process's mount namespace") != std::string::npos);
  CHECK(got.find("shared") == std::string::npos);
  CHECK_FALSE(nsutil::persisted_type(target));
  CHECK_FALSE(exists(target));
}

TEST_CASE("a target that is a symbolic link is refused, and nothing is created",
          "[userns][persist]") {
  scratch_dir dir;
  std::ofstream(dir / "file") << "unchanged";
  REQUIRE(::symlink((dir / "file").c_str(), (dir / "link").c_str()) == 0);
  REQUIRE(::symlink((dir / "missing").c_str(), (dir / "dangling").c_str()) == 0);
  for (const char* name : {"link", "dangling"}) {
    auto e = nsutil::test::caught([&] { nsutil::check_persist_target(dir / name); });
    CHECK(e.errno_value() == ELOOP);
    CHECK(std::string(e.what()) ==
          fmt::format("persist '{}': is a symbolic link; a namespace is bound onto the file "
                      "itself, not through a link",
                      dir / name));
  }
  CHECK_FALSE(exists(dir / "missing"));
  CHECK(nsutil::test::caught([&] { nsutil::unpersist(dir / "link"); }).errno_value() == ELOOP);
}

// Root binds only through links of root (or its own): a link another user put on the way
// would steer the bind onto a file of that user's choosing.
TEST_CASE("root's persist goes through no other user's link, and mounts nothing",
          "[root][persist]") {
  NSUTIL_REQUIRE_ROOT();
  scratch_dir dir;
  REQUIRE(::mkdir((dir / "victim").c_str(), 0755) == 0);
  std::ofstream(dir / "victim/file") << "unchanged";
  REQUIRE(::mkdir((dir / "theirs").c_str(), 0755) == 0);
  REQUIRE(::chown((dir / "theirs").c_str(), 65534, 65534) == 0);
  auto their_link = [&](const std::string& text, const std::string& name) {
    REQUIRE(::symlink(text.c_str(), (dir / name).c_str()) == 0);
    REQUIRE(::lchown((dir / name).c_str(), 65534, 65534) == 0);
  };
  their_link(dir / "victim/file", "theirs/file");
  their_link(dir / "victim", "theirs/sub");
  REQUIRE(::symlink((dir / "victim").c_str(), (dir / "roots").c_str()) == 0);
  std::string got = nsutil::test::in_child([&] {
    nsutil::unshare({ns_type::uts});
    std::string text;
    for (const char* name : {"theirs/file", "theirs/sub/file", "theirs/sub/new"})
      text += nsutil::test::caught([&] {
                nsutil::persist_own({{ns_type::uts, dir / name}});
              }).what() +
              std::string("\n");
    // Root's own link on the way is followed, and root may bind into another user's directory.
    nsutil::persist_own({{ns_type::uts, dir / "roots/bound"}, {ns_type::uts, dir / "theirs/own"}});
    return text;
  });
  CHECK(got == fmt::format("persist '{0}/theirs/file': is a symbolic link; a namespace is bound "
                           "onto the file itself, not through a link\n"
                           "persist '{0}/theirs/sub/file': '{0}/theirs/sub' is a symbolic link "
                           "owned by uid 65534; only links owned by root are followed\n"
                           "persist '{0}/theirs/sub/new': '{0}/theirs/sub' is a symbolic link "
                           "owned by uid 65534; only links owned by root are followed\n",
                           dir.path()));
  CHECK_FALSE(nsutil::persisted_type(dir / "victim/file"));
  CHECK_FALSE(exists(dir / "victim/new"));
  std::ifstream victim(dir / "victim/file");
  CHECK(std::string(std::istreambuf_iterator<char>(victim), {}) == "unchanged");
  CHECK(nsutil::persisted_type(dir / "victim/bound") == ns_type::uts);
  CHECK(nsutil::persisted_type(dir / "theirs/own") == ns_type::uts);
  // unpersist() finds the bind through root's link on the way as persist() did.
  nsutil::unpersist(dir / "roots/bound");
  CHECK_FALSE(nsutil::persisted_type(dir / "victim/bound"));
}
