#include <fmt/format.h>
#include <grp.h>
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
#include <tuple>

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
  if (!nsutil::kernel_can_enter_by_pidfd())
    NSUTIL_SKIP("setns(pidfd) needs Linux 5.8");
  // The sandbox has a user namespace of its own for root too: an unprivileged caller gets its
  // rights over the UTS namespace only by entering that user namespace first; root has them
  // already and must end up in the same two namespaces.
  nsutil::test::sandbox box([] {
    if (::unshare(CLONE_NEWUSER | CLONE_NEWUTS) < 0)
      nsutil::throw_errno("unshare");
    if (::sethostname("gamma", 5) < 0)
      nsutil::throw_errno("sethostname");
  });
  auto want_user = ns_handle::of_process(box.pid(), ns_type::user).inode();
  std::string got = nsutil::test::in_child([&] {
    nsutil::enter(nsutil::process::open(box.pid()), {ns_type::user, ns_type::uts});
    return fmt::format("{} {}", hostname(),
                       ns_handle::open("/proc/self/ns/user").inode() == want_user);
  });
  CHECK(got == "gamma true");
}

TEST_CASE("entering without privilege fails with EPERM, naming the file", "[userns][ns_enter]") {
  nsutil::test::sandbox box("delta");
  std::string path = fmt::format("/proc/{}/ns/uts", box.pid());
  // The file is opened with the caller's rights; `unprivileged` then drops root's (to nobody)
  // before the setns.
  auto try_enter = [&](bool unprivileged) {
    return nsutil::test::in_child([&] {
      ns_handle ns = ns_handle::open(path);
      if (unprivileged &&
          (::setgroups(0, nullptr) < 0 || ::setgid(65534) < 0 || ::setuid(65534) < 0))
        nsutil::throw_errno("setuid", "65534");
      try {
        nsutil::enter(ns);
        return "entered " + hostname();
      } catch (const nsutil::error& e) {
        return std::string(e.what());
      }
    });
  };
  std::string refused = fmt::format("setns '{}': Operation not permitted", path);
  if (nsutil::test::is_root()) {
    CHECK(try_enter(false) == "entered delta");  // root may enter anything
    CHECK(try_enter(true) == refused);           // nobody may not, with the file open
  } else {
    CHECK(try_enter(false) == refused);
  }
}

TEST_CASE("entering a pid namespace applies to children", "[ns_enter][root]") {
  NSUTIL_REQUIRE_ROOT();
  std::string got = nsutil::test::in_child([] {
    // `creator` makes a pid namespace whose init (PID 1) waits for `stop` to close.
    auto stop = nsutil::test::open_pipe();
    auto ready = nsutil::test::open_pipe();
    auto creator = nsutil::fork_child([&] {
      stop.write.reset();
      ready.read.reset();
      nsutil::unshare({ns_type::pid});
      auto init = nsutil::fork_child([&] {
        ready.write.reset();
        char b;
        (void)::read(stop.read.get(), &b, 1);
      });
      ready.write.reset();
      init.wait();
    });
    stop.read.reset();
    ready.write.reset();
    char b;
    (void)::read(ready.read.get(), &b, 1);
    auto pidns = ns_handle::of_process(creator.pid(), ns_type::pid, /*for_children=*/true);
    auto other = nsutil::fork_child([&] {
      nsutil::enter(pidns);
      if (::getpid() == 2)
        ::_exit(2);  // setns(pid) must not move the caller itself
      auto inner = nsutil::fork_child([] { ::_exit(::getpid() == 2 ? 0 : 1); });
      ::_exit(inner.wait().value);
    });
    int result = other.wait().value;
    stop.write.reset();
    creator.wait();
    return std::to_string(result);
  });
  CHECK(got == "0");
}
