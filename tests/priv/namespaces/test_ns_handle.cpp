#include <fmt/format.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <nsutil/discovery.hpp>
#include <nsutil/error.hpp>
#include <nsutil/ns_handle.hpp>
#include <nsutil/process.hpp>
#include <string>
#include <tuple>

#include "harness.hpp"

using nsutil::ns_handle;
using nsutil::ns_type;

namespace {
std::uint64_t stat_ino(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}
}  // namespace

TEST_CASE("every namespace of this process opens with its type and inode", "[userns][ns_handle]") {
  for (const auto& row : nsutil::ns_types) {
    if (!nsutil::kernel_has(row.type))
      continue;
    std::string path = fmt::format("/proc/self/ns/{}", row.proc_entry);
    ns_handle ns = ns_handle::open(path);
    CHECK(ns.type() == row.type);
    CHECK(ns.inode().ino == stat_ino(path));
    CHECK(ns.describe() == fmt::format("{}:[{}]", row.name, stat_ino(path)));
  }
}

TEST_CASE("a file that is no namespace is refused in words", "[userns][ns_handle]") {
  CHECK_THROWS_WITH(ns_handle::open("/etc/passwd"), "open '/etc/passwd': not a namespace file");
  CHECK_THROWS_WITH(ns_handle::open("/proc/self/ns"), "open '/proc/self/ns': not a namespace file");
}

TEST_CASE("a namespace of the wrong type is refused in words", "[userns][ns_handle]") {
  CHECK_THROWS_WITH(ns_handle::open("/proc/self/ns/uts", ns_type::net),
                    "open '/proc/self/ns/uts': is a uts namespace, not net");
}

TEST_CASE("a vanished PID is 'no such process'", "[userns][ns_handle]") {
  nsutil::child c = nsutil::fork_child([] {});
  pid_t pid = c.pid();
  c.wait();
  try {
    (void)ns_handle::of_process(pid, ns_type::net);
    FAIL("opened the namespace of a reaped process");
  } catch (const nsutil::error& e) {
    CHECK(e.errno_value() == ESRCH);
    CHECK(std::string(e.what()).find("no such process") != std::string::npos);
  }
}

TEST_CASE("a handle through a pidfd never belongs to a successor", "[userns][ns_handle]") {
  nsutil::unique_fd r;
  nsutil::unique_fd w;
  std::tie(r, w) = nsutil::make_pipe();
  nsutil::child c = nsutil::fork_child([&] {
    w.reset();
    char b;
    (void)::read(r.get(), &b, 1);
  });
  auto target = nsutil::process::open(c.pid());
  ns_handle live = ns_handle::of_process(target, ns_type::uts);
  CHECK(live.inode() == ns_handle::open("/proc/self/ns/uts").inode());
  w.reset();
  c.wait();
  // The process is gone (reaped): the pidfd route must say so, not open a stranger's file.
  CHECK_THROWS_AS(ns_handle::of_process(target, ns_type::uts), nsutil::error);
}

TEST_CASE("a path too long is an error, not a crash", "[userns][ns_handle]") {
  std::string path = "/" + std::string(100000, 'x');
  try {
    (void)ns_handle::open(path);
    FAIL("opened a 100 kB path");
  } catch (const nsutil::error& e) {
    CHECK(e.errno_value() == ENAMETOOLONG);
    CHECK(std::string(e.what()).size() < 400);
  }
}

TEST_CASE("NS_GET_ID gives IDs that tell namespaces apart", "[userns][ns_handle]") {
  auto self = ns_handle::open("/proc/self/ns/uts").id();
  if (!self)
    NSUTIL_SKIP_KERNEL("ns_get_id", "no NS_GET_ID (Linux 6.18)");
  CHECK(*self != 0);
  CHECK(ns_handle::open("/proc/self/ns/uts").id() == self);
  std::string other = nsutil::test::in_child([] {
    int flags = CLONE_NEWUTS | (::geteuid() == 0 ? 0 : CLONE_NEWUSER);
    if (::unshare(flags) < 0)
      nsutil::throw_errno("unshare");
    return std::to_string(*ns_handle::open("/proc/self/ns/uts").id());
  });
  CHECK(other != std::to_string(*self));
}

TEST_CASE("owner and parent follow the user-namespace tree", "[userns][ns_handle]") {
  auto self_user = ns_handle::open("/proc/self/ns/user").inode();
  // A user namespace of our own: as root the sandbox makes none, so make one here.
  auto stop = nsutil::test::open_pipe();
  auto ready = nsutil::test::open_pipe();
  auto c = nsutil::fork_child([&] {
    stop.write.reset();
    ready.read.reset();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWUTS) < 0)
      nsutil::throw_errno("unshare");
    ready.write.reset();
    char b;
    (void)::read(stop.read.get(), &b, 1);
  });
  ready.write.reset();
  stop.read.reset();
  char b;
  (void)::read(ready.read.get(), &b, 1);
  auto user = ns_handle::of_process(c.pid(), ns_type::user);
  auto uts = ns_handle::of_process(c.pid(), ns_type::uts);
  auto parent = user.parent();
  auto owner = uts.owner();
  REQUIRE(parent);
  REQUIRE(owner);
  CHECK(parent->inode() == self_user);
  CHECK(parent->type() == ns_type::user);
  CHECK(owner->inode() == user.inode());
  CHECK(user.owner_uid() == ::geteuid());
  stop.write.reset();
  c.wait();
  CHECK_THROWS_AS(ns_handle::open("/proc/self/ns/uts").parent(), nsutil::error);
  CHECK_THROWS_AS(ns_handle::open("/proc/self/ns/uts").owner_uid(), nsutil::error);
}

TEST_CASE(
    "open_namespace_by_id opens a namespace by its NS_GET_ID and says in words when it "
    "cannot",
    "[userns][ns_handle]") {
  if (!ns_handle::open("/proc/self/ns/uts").id()) {
    // Before Linux 6.18 the fallback is a refusal in words, whatever the ID.
    CHECK_THROWS_WITH(nsutil::open_namespace_by_id(1),
                      "open ':1': opening a namespace by ID needs Linux 6.18 (namespace IDs and "
                      "nsfs file handles)");
    return;
  }
  nsutil::test::sandbox box("by-id");
  ns_handle uts = ns_handle::of_process(box.pid(), ns_type::uts);
  std::uint64_t id = *uts.id();
  const std::string uts_file = fmt::format("/proc/{}/ns/uts", box.pid());
  if (nsutil::test::is_root())
    REQUIRE(nsutil::test::kernel_opens_by_id(uts_file));
  if (nsutil::test::kernel_opens_by_id(uts_file)) {
    ns_handle opened = nsutil::open_namespace_by_id(id, ns_type::uts);
    CHECK(opened.type() == ns_type::uts);
    CHECK(opened.inode() == uts.inode());
    CHECK(opened.id() == id);
    CHECK(opened.name() == fmt::format(":{}", id));
    // The namespace layer alone: the ID where the kernel takes it alone, else with the type and
    // inode, which only a scan finds.
    if (ns_handle::by_id_rule() == nsutil::open_by_id_rule::type_and_inode) {
      CHECK_THROWS_WITH(ns_handle::open_by_id(id),
                        fmt::format("open ':{}': this kernel opens a namespace by ID only with "
                                    "its type and inode (Linux 6.18)",
                                    id));
      CHECK_THROWS_WITH(ns_handle::open_by_id(id, ns_type::uts, uts.inode().ino + 1),
                        fmt::format("open ':{0}': no namespace with ID {0}", id));
    }
    CHECK(ns_handle::open_by_id(id, ns_type::uts, uts.inode().ino).inode() == uts.inode());
    CHECK(nsutil::open_namespace_by_id(id).type() == ns_type::uts);
  } else {
    // An unprivileged owner on a kernel that opens by ID from outside only for CAP_SYS_ADMIN in
    // the initial user namespace: the kernel's ESTALE is told apart from a gone namespace.
    try {
      (void)nsutil::open_namespace_by_id(id);
      FAIL("the kernel refused the handle, the library opened it");
    } catch (const nsutil::error& e) {
      CHECK(e.errno_value() == EPERM);
      CHECK(std::string(e.what()) == nsutil::test::by_id_refusal(id));
    }
  }
  // One's own namespaces open by ID under every rule.
  auto own = ns_handle::open("/proc/self/ns/net");
  CHECK(nsutil::open_namespace_by_id(*own.id(), ns_type::net).inode() == own.inode());
  auto own_uts = ns_handle::open("/proc/self/ns/uts");
  CHECK_THROWS_WITH(
      nsutil::open_namespace_by_id(*own_uts.id(), ns_type::net),
      fmt::format("open ':{0}': namespace {0} is a uts namespace, not net", *own_uts.id()));
  try {
    (void)nsutil::open_namespace_by_id(~std::uint64_t{0});
    FAIL("opened a namespace that does not exist");
  } catch (const nsutil::error& e) {
    CHECK(e.errno_value() == ENOENT);
    CHECK_THAT(e.what(), Catch::StartsWith("open ':18446744073709551615': no namespace with ID "
                                           "18446744073709551615"));
  }
}
