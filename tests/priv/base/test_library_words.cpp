// The library as a program other than the tools uses it: its errors state what happened in its
// own terms (the request member, the file, the namespace) and carry the rule as error::reason(),
// without a tool's command-line options ("-t PID", "--user-parent", "-U"...).
#include <fmt/format.h>
#include <sched.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <functional>
#include <nsutil/credentials.hpp>
#include <nsutil/enter_plan.hpp>
#include <nsutil/error.hpp>
#include <nsutil/ns_handle.hpp>
#include <nsutil/persist.hpp>
#include <nsutil/unshare.hpp>
#include <regex>
#include <stdexcept>
#include <string>

#include "harness.hpp"

using nsutil::enter_plan;
using nsutil::enter_request;
using nsutil::error_reason;
using nsutil::ns_set;
using nsutil::ns_type;
using nsutil::test::caught;

namespace {

// Whether `message` names a command-line option: "--anything", or a short option ("-t", "-U")
// standing on its own.
bool names_an_option(const std::string& message) {
  static const std::regex short_option(R"((^|[\s(])-[A-Za-z](\s|[),;:]|$))");
  return message.find("--") != std::string::npos || std::regex_search(message, short_option) ||
         message.find("xnsenter") != std::string::npos;
}

// The facts of `e` in one line, for one CHECK per case.
std::string facts(const nsutil::error& e) {
  return fmt::format("{} {} '{}' [{}] {}", e.errno_value(), static_cast<int>(e.reason()), e.op(),
                     to_string(e.namespaces()), names_an_option(e.what()) ? "OPTION" : "words");
}

std::string facts(int errno_value, error_reason reason, std::string_view op, ns_set types = {}) {
  return fmt::format("{} {} '{}' [{}] words", errno_value, static_cast<int>(reason), op,
                     to_string(types));
}

bool cgroup2() {
  struct statfs fs {};
  return ::statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == 0x63677270;
}

}  // namespace

TEST_CASE("the test's own check finds the options the tools' words had", "[words]") {
  CHECK(names_an_option("--wd: needs a target PID (-t PID)"));
  CHECK(names_an_option("setns '/proc/1/ns': Operation not permitted (... with -U) [net]"));
  CHECK(names_an_option("already holds a net namespace; enter it with xnsenter --net=/x"));
  CHECK_FALSE(names_an_option("wd: needs a target process (enter_request::target is 0)"));
  CHECK_FALSE(names_an_option("open '/proc/1-2/ns/net': No such file or directory"));
}

TEST_CASE("a request without a target names the member that needs one", "[words][userns]") {
  auto missing = [](const std::function<void(enter_request&)>& set) {
    enter_request r;
    set(r);
    return facts(caught([&] { enter_plan::open(r); }));
  };
  const auto no_target = error_reason::no_target;
  CHECK(missing([](auto& r) { r.source(ns_type::net).enabled = true; }) ==
        facts(EINVAL, no_target, "ns", {ns_type::net}));
  CHECK(missing([](auto& r) { r.all = true; }) == facts(EINVAL, no_target, "all", {ns_type::user}));
  CHECK(missing([](auto& r) { r.net_socket = 3; }) ==
        facts(EINVAL, no_target, "net_socket", {ns_type::net}));
  CHECK(missing([](auto& r) { r.user_parent = true; }) ==
        facts(EINVAL, no_target, "user_parent", {ns_type::user}));
  CHECK(missing([](auto& r) { r.root = ""; }) == facts(EINVAL, no_target, "root"));
  CHECK(missing([](auto& r) { r.wd = ""; }) == facts(EINVAL, no_target, "wd"));
  CHECK(missing([](auto& r) { r.wdns = ""; }) == facts(EINVAL, no_target, "wdns"));
  CHECK(missing([](auto& r) { r.env = true; }) == facts(EINVAL, no_target, "env"));
  CHECK(missing([](auto& r) { r.join_cgroup = true; }) == facts(EINVAL, no_target, "join_cgroup"));
  CHECK(missing([](auto& r) {
          r.uid = nsutil::id_choice{true, 0};
        }) == facts(EINVAL, no_target, "uid"));
  CHECK(missing([](auto& r) {
          r.gid = nsutil::id_choice{true, 0};
        }) == facts(EINVAL, no_target, "gid"));
  CHECK_THROWS_WITH(enter_plan::open([] {
                      enter_request r;
                      r.wd = "";
                      return r;
                    }()),
                    "wd: needs a target process (enter_request::target is 0)");
}

TEST_CASE("netns_path names the name, not an option", "[words][userns]") {
  CHECK(facts(caught([] { nsutil::netns_path("nsutil-surely-not-there"); })) ==
        facts(ENOENT, error_reason::none, "netns"));
  CHECK(facts(caught([] { nsutil::netns_path("a/b"); })) ==
        facts(EINVAL, error_reason::none, "netns"));
}

TEST_CASE("join_cgroup on cgroup v1 says so as a rule", "[words][userns]") {
  enter_request r;
  r.target = ::getpid();
  r.join_cgroup = true;
  if (cgroup2()) {
    // Here the rule does not apply: whatever stops the plan, it is not this.
    try {
      (void)enter_plan::open(r);
    } catch (const nsutil::error& e) {
      CHECK(e.reason() != error_reason::no_cgroup2);
    }
    return;
  }
  CHECK(facts(caught([&] { enter_plan::open(r); })) ==
        facts(EOPNOTSUPP, error_reason::no_cgroup2, "join_cgroup"));
}

TEST_CASE("user_parent naming the caller's own user namespace says so as a rule",
          "[words][userns]") {
  if (!nsutil::test::can_create_userns())
    NSUTIL_SKIP("cannot create a user namespace");
  nsutil::test::sandbox box([] {
    if (::unshare(CLONE_NEWUSER) < 0)
      nsutil::throw_errno("unshare", "user");
  });
  enter_request r;
  r.target = box.pid();
  r.source(ns_type::user).enabled = true;
  r.user_parent = true;
  auto e = caught([&] { enter_plan::open(r); });
  CHECK(facts(e) == facts(EINVAL, error_reason::parent_is_own, "user_parent"));
  CHECK(e.path() == fmt::format("/proc/{}/ns/user", box.pid()));
}

TEST_CASE("setns refused for want of the owning user namespace says so as a rule",
          "[words][userns]") {
  // A rootless sandbox (`unshare -r -n -u`); as root, made and entered as nobody.
  std::optional<nsutil::test::sandbox> box;
  try {
    box.emplace(nsutil::test::rootless_setup("words"));
  } catch (const nsutil::error& e) {
    NSUTIL_SKIP(std::string("unprivileged user namespaces: ") + e.what());
  }
  for (bool by_file : {false, true}) {
    std::string got = nsutil::test::in_child([&] {
      nsutil::test::drop_to_nobody();
      enter_request r;
      r.target = box->pid();
      r.source(ns_type::net).enabled = true;
      r.by_file = by_file;
      auto plan = enter_plan::open(r);
      return facts(caught([&] { plan.enter(); }));
    });
    CHECK(got == facts(EPERM, error_reason::needs_owner_userns, "setns", {ns_type::net}));
  }
}

TEST_CASE("setgroups denied in the user namespace entered says so as a rule", "[words][userns]") {
  if (!nsutil::test::can_create_userns())
    NSUTIL_SKIP("cannot create a user namespace");
  std::string got = nsutil::test::in_child([] {
    // No gid_map yet: setgroups is refused even with every capability there.
    if (::unshare(CLONE_NEWUSER) < 0)
      nsutil::throw_errno("unshare", "user");
    nsutil::credentials c;
    c.drop_groups = true;
    c.entered_userns = true;
    return facts(caught([&] { nsutil::apply(c); }));
  });
  CHECK(got == facts(EPERM, error_reason::setgroups_denied, "setgroups"));
}

TEST_CASE("a file that holds a namespace names its type, not how a tool enters it",
          "[words][root]") {
  NSUTIL_REQUIRE_ROOT();
  nsutil::test::scratch_dir dir;
  std::string target = dir / "uts";
  nsutil::test::in_child([&] {
    nsutil::unshare({ns_type::uts});
    nsutil::persist_own({{ns_type::uts, target}});
    return std::string();
  });
  auto e = caught([&] { nsutil::check_persist_target(target); });
  nsutil::unpersist(target);
  CHECK(facts(e) == facts(EBUSY, error_reason::holds_namespace, "persist", {ns_type::uts}));
  CHECK(e.path() == target);
}
