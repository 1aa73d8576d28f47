#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <fstream>
#include <nsutil/error.hpp>
#include <nsutil/ns_handle.hpp>
#include <nsutil/persist.hpp>
#include <nsutil/process.hpp>
#include <nsutil/unshare.hpp>
#include <string>

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
    nsutil::unshare({ns_type::mnt, ns_type::pid});
    // pid_for_children can be bound only once the new namespace has its first process.
    auto [r, w] = nsutil::make_pipe();
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
    nsutil::unshare({ns_type::mnt});
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
