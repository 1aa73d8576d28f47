#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <nsutil/credentials.hpp>
#include <nsutil/enter_plan.hpp>
#include <nsutil/error.hpp>
#include <string>

#include "harness.hpp"

using nsutil::enter_plan;
using nsutil::enter_request;
using nsutil::ns_type;

namespace {

std::string hostname() {
  std::string name = nsutil::read_file("/proc/sys/kernel/hostname");
  return name.substr(0, name.find('\n'));
}

std::string link(const std::string& path) {
  char buf[128] = {};
  (void)::readlink(path.c_str(), buf, sizeof buf - 1);
  return buf;
}

// The request that enters the sandbox's uts and net namespaces (and, when not root, the user
// namespace that owns them, keeping our IDs since the sandbox maps none).
enter_request request_for(pid_t pid) {
  enter_request r;
  r.target = pid;
  r.source(ns_type::uts).enabled = true;
  r.source(ns_type::net).enabled = true;
  if (!nsutil::test::is_root()) {
    r.source(ns_type::user).enabled = true;
    r.preserve_credentials = true;
  }
  return r;
}

int errno_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const nsutil::error& e) {
    return e.errno_value();
  }
  return 0;
}

}  // namespace

TEST_CASE("enter_plan joins the target's namespaces", "[enter_plan][userns]") {
  nsutil::test::sandbox box("plan-alpha");
  std::string want = link(fmt::format("/proc/{}/ns/net", box.pid()));
  std::string got = nsutil::test::in_child([&] {
    auto plan = enter_plan::open(request_for(box.pid()));
    plan.enter();
    plan.setup();
    return hostname() + " " + link("/proc/self/ns/net");
  });
  CHECK(got == "plan-alpha " + want);
  CHECK(hostname() != "plan-alpha");
}

TEST_CASE("enter_plan joins namespace files given by path", "[enter_plan][userns]") {
  nsutil::test::sandbox box("plan-beta");
  std::string got = nsutil::test::in_child([&] {
    enter_request r;
    if (!nsutil::test::is_root()) {
      r.source(ns_type::user) = {true, fmt::format("/proc/{}/ns/user", box.pid())};
      r.preserve_credentials = true;
    }
    r.source(ns_type::uts) = {true, fmt::format("/proc/{}/ns/uts", box.pid())};
    auto plan = enter_plan::open(r);
    plan.enter();
    return hostname();
  });
  CHECK(got == "plan-beta");
}

TEST_CASE("enter_plan refuses bad requests in words, before entering", "[enter_plan][userns]") {
  enter_request r;
  r.source(ns_type::net).enabled = true;
  CHECK(errno_of([&] { enter_plan::open(r); }) == EINVAL);  // no target, no file
  r.source(ns_type::net).file = "/proc/self/ns/uts";
  CHECK_THROWS_WITH(enter_plan::open(r), "open '/proc/self/ns/uts': is a uts namespace, not net");
  r.source(ns_type::net).file = "/etc/passwd";
  CHECK_THROWS_WITH(enter_plan::open(r), "open '/etc/passwd': not a namespace file");
  enter_request wrong_inode;
  wrong_inode.target = ::getpid();
  wrong_inode.target_inode = 1;
  wrong_inode.source(ns_type::uts).enabled = true;
  CHECK(errno_of([&] { enter_plan::open(wrong_inode); }) == ESRCH);
  enter_request missing_wd;
  missing_wd.wd = "/nonexistent/nsutil";
  CHECK(errno_of([&] { enter_plan::open(missing_wd); }) == ENOENT);
}

TEST_CASE("enter_plan accepts the target's own pidfs inode", "[enter_plan][userns]") {
  nsutil::test::sandbox box("plan-gamma");
  struct stat st {};
  auto proc = nsutil::process::open(box.pid());
  REQUIRE(::fstat(proc.pidfd().get(), &st) == 0);
  enter_request r = request_for(box.pid());
  r.target_inode = st.st_ino;
  std::string got = nsutil::test::in_child([&] {
    auto plan = enter_plan::open(r);
    plan.enter();
    return hostname();
  });
  CHECK(got == "plan-gamma");
}

TEST_CASE("-a skips the caller's own user namespace", "[enter_plan][userns]") {
  enter_request r;
  r.target = ::getpid();
  r.all = true;
  std::string got = nsutil::test::in_child([&] {
    auto plan = enter_plan::open(r);
    return std::to_string(plan.types().contains(ns_type::user));
  });
  CHECK(got == "0");
}

TEST_CASE("netns_path lists the names that exist", "[enter_plan][userns]") {
  CHECK(errno_of([] { nsutil::netns_path("nsutil-surely-not-there"); }) == ENOENT);
  CHECK(errno_of([] { nsutil::netns_path("../etc"); }) == EINVAL);
  CHECK(errno_of([] { nsutil::netns_path(""); }) == EINVAL);
}

TEST_CASE("credentials switch IDs and keep the death signal", "[enter_plan][root]") {
  NSUTIL_REQUIRE_ROOT();
  std::string got = nsutil::test::in_child([] {
    nsutil::credentials c;
    c.uid = 65534;
    c.gid = 65534;
    c.drop_groups = true;
    auto self = nsutil::process::open(::getppid());
    nsutil::apply(c, SIGKILL, &self);
    int sig = 0;
    ::prctl(PR_GET_PDEATHSIG, &sig);
    return fmt::format("{} {} {} {}", ::getuid(), ::getgid(), ::getgroups(0, nullptr), sig);
  });
  CHECK(got == fmt::format("65534 65534 0 {}", SIGKILL));
}
