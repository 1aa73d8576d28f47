#include <fmt/format.h>
#include <sched.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <nsutil/enter.hpp>
#include <nsutil/error.hpp>
#include <nsutil/ns_handle.hpp>
#include <nsutil/process.hpp>
#include <nsutil/unshare.hpp>
#include <string>

#include "harness.hpp"

using nsutil::ns_handle;
using nsutil::ns_type;

namespace {

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace

TEST_CASE("enter() joins one namespace from a file", "[ns_enter][root]") {
  NSUTIL_REQUIRE_ROOT();
  nsutil::test::sandbox box("alpha");
  std::string got = nsutil::test::in_child([&] {
    nsutil::enter(ns_handle::of_process(box.pid(), ns_type::uts));
    return hostname();
  });
  CHECK(got == "alpha");
  CHECK(hostname() != "alpha");
}

TEST_CASE("entering by pidfd joins several namespaces at once", "[ns_enter][root]") {
  NSUTIL_REQUIRE_ROOT();
  if (!nsutil::kernel_can_enter_by_pidfd())
    NSUTIL_SKIP("setns(pidfd) needs Linux 5.8");
  nsutil::test::sandbox box("beta");
  auto want_net = ns_handle::of_process(box.pid(), ns_type::net).inode();
  std::string got = nsutil::test::in_child([&] {
    nsutil::enter(nsutil::process::open(box.pid()), {ns_type::uts, ns_type::net});
    return fmt::format("{} {}", hostname(),
                       ns_handle::open("/proc/self/ns/net").inode() == want_net);
  });
  CHECK(got == "beta true");
}

TEST_CASE("an unprivileged user enters its own user namespace first", "[userns][ns_enter]") {
  if (nsutil::test::is_root()) {
    // The same path as root would test nothing new; the [userns] run as nobody covers it.
    SUCCEED("covered by the unprivileged run");
    return;
  }
  if (!nsutil::kernel_can_enter_by_pidfd())
    NSUTIL_SKIP("setns(pidfd) needs Linux 5.8");
  nsutil::test::sandbox box("gamma");
  std::string got = nsutil::test::in_child([&] {
    nsutil::enter(nsutil::process::open(box.pid()), {ns_type::user, ns_type::uts});
    return hostname();
  });
  CHECK(got == "gamma");
}

TEST_CASE("entering without privilege fails with EPERM, naming the file", "[userns][ns_enter]") {
  if (nsutil::test::is_root()) {
    SUCCEED("root may enter anything");
    return;
  }
  nsutil::test::sandbox box("delta");
  std::string path = fmt::format("/proc/{}/ns/uts", box.pid());
  std::string got = nsutil::test::in_child([&] {
    try {
      nsutil::enter(ns_handle::open(path));
      return std::string("entered");
    } catch (const nsutil::error& e) {
      return std::string(e.what());
    }
  });
  CHECK(got == fmt::format("setns '{}': Operation not permitted", path));
}

TEST_CASE("entering a pid namespace applies to children", "[ns_enter][root]") {
  NSUTIL_REQUIRE_ROOT();
  std::string got = nsutil::test::in_child([] {
    // `creator` makes a pid namespace whose init (PID 1) waits for `stop` to close.
    auto [stop_read, stop_write] = nsutil::make_pipe();
    auto [ready_read, ready_write] = nsutil::make_pipe();
    auto creator = nsutil::fork_child([&] {
      stop_write.reset();
      ready_read.reset();
      nsutil::unshare({ns_type::pid});
      auto init = nsutil::fork_child([&] {
        ready_write.reset();
        char b;
        (void)::read(stop_read.get(), &b, 1);
      });
      ready_write.reset();
      init.wait();
    });
    stop_read.reset();
    ready_write.reset();
    char b;
    (void)::read(ready_read.get(), &b, 1);
    auto pidns = ns_handle::of_process(creator.pid(), ns_type::pid, /*for_children=*/true);
    auto other = nsutil::fork_child([&] {
      nsutil::enter(pidns);
      if (::getpid() == 2)
        ::_exit(2);  // setns(pid) must not move the caller itself
      auto inner = nsutil::fork_child([] { ::_exit(::getpid() == 2 ? 0 : 1); });
      ::_exit(inner.wait().value);
    });
    int result = other.wait().value;
    stop_write.reset();
    creator.wait();
    return std::to_string(result);
  });
  CHECK(got == "0");
}
