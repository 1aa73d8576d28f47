#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <nsutil/credentials.hpp>
#include <nsutil/discovery.hpp>
#include <nsutil/enter_plan.hpp>
#include <nsutil/error.hpp>
#include <nsutil/ns_handle.hpp>
#include <string>

#include "harness.hpp"

using nsutil::enter_plan;
using nsutil::enter_request;
using nsutil::ns_set;
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

// The namespaces of `types` as the process under `proc` ("/proc/PID") has them. For a caller
// that has just entered them (`entered`), pid and time come from *_for_children: setns() moves
// only the children there.
std::string ns_links(const std::string& proc, ns_set types, bool entered) {
  std::string out;
  for (const auto& row : nsutil::ns_types)
    if (types.contains(row.type)) {
      auto entry =
          entered && !row.for_children_entry.empty() ? row.for_children_entry : row.proc_entry;
      out += link(fmt::format("{}/ns/{}", proc, entry)) + " ";
    }
  return out;
}

// Ends the sandbox and waits until it is gone. A plan that still enters its namespaces then
// took them from files opened before, not from setns(pidfd), which fails on an exited process.
void end_target(pid_t pid) {
  auto target = nsutil::process::open(pid);
  target.send_signal(SIGKILL);
  while (target.alive())
    ::usleep(1000);
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

TEST_CASE("enter_plan joins namespaces given by ID", "[enter_plan][userns]") {
  if (!nsutil::ns_handle::open("/proc/self/ns/uts").id()) {
    // Before Linux 6.18 there are no IDs to open by: the plan refuses in words, before any setns.
    enter_request r;
    r.source(ns_type::uts) = {true, "", 1};
    CHECK_THROWS_WITH(enter_plan::open(r),
                      "open ':1': opening a namespace by ID needs Linux 6.18 "
                      "(namespace IDs and nsfs file handles)");
    return;
  }
  nsutil::test::sandbox box("plan-by-id");
  // Linux 6.18 opens by ID only with the type and inode, which the discovery layer finds.
  auto scanning = [](std::uint64_t id, ns_type t) { return nsutil::open_namespace_by_id(id, t); };
  auto id_of = [&](ns_type t) { return nsutil::ns_handle::of_process(box.pid(), t).id(); };
  std::string want = link(fmt::format("/proc/{}/ns/net", box.pid()));
  const std::string user_file = fmt::format("/proc/{}/ns/user", box.pid());
  if (!nsutil::test::is_root() && !nsutil::test::kernel_opens_by_id(user_file)) {
    // The kernel opens a namespace by ID from outside only for CAP_SYS_ADMIN in the initial user
    // namespace: the plan refuses in words when it opens its sources, before any setns.
    enter_request r;
    r.open_by_id = scanning;
    r.source(ns_type::user) = {true, "", id_of(ns_type::user)};
    r.source(ns_type::uts) = {true, "", id_of(ns_type::uts)};
    CHECK_THROWS_WITH(enter_plan::open(r), nsutil::test::by_id_refusal(*id_of(ns_type::user)));
    CHECK(hostname() != "plan-by-id");
    return;
  }
  std::string got = nsutil::test::in_child([&] {
    enter_request r;
    r.open_by_id = scanning;
    if (!nsutil::test::is_root()) {
      r.source(ns_type::user) = {true, "", id_of(ns_type::user)};
      r.preserve_credentials = true;
    }
    r.source(ns_type::uts) = {true, "", id_of(ns_type::uts)};
    r.source(ns_type::net) = {true, "", id_of(ns_type::net)};
    auto plan = enter_plan::open(r);
    plan.enter();
    return hostname() + " " + link("/proc/self/ns/net");
  });
  CHECK(got == "plan-by-id " + want);
  enter_request wrong;
  wrong.open_by_id = scanning;
  wrong.source(ns_type::net) = {true, "", id_of(ns_type::uts)};
  CHECK_THROWS_WITH(
      enter_plan::open(wrong),
      fmt::format("open ':{0}': namespace {0} is a uts namespace, not net", *id_of(ns_type::uts)));
  // Without the discovery layer's help a request opens by the ID alone, which Linux 6.18 refuses
  // in words before any setns.
  if (nsutil::ns_handle::by_id_rule() == nsutil::open_by_id_rule::type_and_inode) {
    enter_request alone;
    alone.source(ns_type::uts) = {true, "", id_of(ns_type::uts)};
    CHECK_THROWS_WITH(enter_plan::open(alone),
                      fmt::format("open ':{}': this kernel opens a namespace by ID only with its "
                                  "type and inode (Linux 6.18)",
                                  *id_of(ns_type::uts)));
  }
}

namespace {

// Whether pidfds are inodes of their own (pidfs, Linux 6.9); before, PID:INODE is refused.
bool has_pidfs() {
  auto self = nsutil::process::open(::getpid());
  struct statfs fs {};
  return self.pidfd() && ::fstatfs(self.pidfd().get(), &fs) == 0 && fs.f_type == 0x50494446;
}

}  // namespace

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
  CHECK(errno_of([&] { enter_plan::open(wrong_inode); }) == (has_pidfs() ? ESRCH : ENOSYS));
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
  if (!has_pidfs()) {
    // The anon inode every pidfd has would pass for any process: refused.
    CHECK(errno_of([&] { enter_plan::open(r); }) == ENOSYS);
    return;
  }
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

TEST_CASE("by_file: root enters every namespace of a target one by one, the user one last",
          "[enter_plan][root]") {
  NSUTIL_REQUIRE_ROOT();
  // The user namespace is made after the others, which stay owned by the initial one: inside
  // the new user namespace root has no rights over them, so it must be entered last.
  nsutil::test::sandbox box([] {
    if (::unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP) < 0)
      nsutil::throw_errno("unshare");
    if (::unshare(CLONE_NEWUSER) < 0)
      nsutil::throw_errno("unshare", "user");
  });
  std::string proc = fmt::format("/proc/{}", box.pid());
  ns_set kernel;
  for (const auto& row : nsutil::ns_types)
    if (nsutil::kernel_has(row.type))
      kernel.add(row.type);

  std::string user_first = nsutil::test::in_child([&] {
    auto user = nsutil::open_fd(proc + "/ns/user", O_RDONLY);
    auto net = nsutil::open_fd(proc + "/ns/net", O_RDONLY);
    if (::setns(user.get(), CLONE_NEWUSER) < 0)
      nsutil::throw_errno("setns", "user");
    return std::to_string(::setns(net.get(), CLONE_NEWNET) < 0 ? errno : 0);
  });
  REQUIRE(user_first == std::to_string(EPERM));  // a target where the order matters

  std::string want = ns_links(proc, kernel, false);
  std::string got = nsutil::test::in_child([&] {
    enter_request r;
    r.target = box.pid();
    r.all = true;
    r.by_file = true;
    auto plan = enter_plan::open(r);
    end_target(r.target);
    plan.enter();
    return ns_links("/proc/self", plan.types(), true);
  });
  CHECK(got == want);
}

TEST_CASE("by_file: an unprivileged caller enters a rootless sandbox, the user namespace first",
          "[enter_plan][userns]") {
  // What `unshare -r -n -u` makes; as root, made and entered as nobody.
  std::optional<nsutil::test::sandbox> box;
  try {
    box.emplace(nsutil::test::rootless_setup("plan-file"));
  } catch (const nsutil::error& e) {
    NSUTIL_SKIP(std::string("unprivileged user namespaces: ") + e.what());
  }
  pid_t pid = box->pid();
  auto request = [pid](ns_set types) {
    enter_request r;
    r.target = pid;
    for (const auto& row : nsutil::ns_types)
      r.source(row.type).enabled = types.contains(row.type);
    r.preserve_credentials = true;
    r.by_file = true;
    return r;
  };

  std::string without_user = nsutil::test::in_child([&] {
    nsutil::test::drop_to_nobody();
    auto plan = enter_plan::open(request({ns_type::net, ns_type::uts}));
    return std::to_string(errno_of([&] { plan.enter(); }));
  });
  REQUIRE(without_user == std::to_string(EPERM));  // only the user namespace grants the rights

  ns_set types{ns_type::user, ns_type::net, ns_type::uts};
  std::string want = ns_links(fmt::format("/proc/{}", pid), types, false) + "plan-file";
  std::string got = nsutil::test::in_child([&] {
    nsutil::test::drop_to_nobody();
    auto plan = enter_plan::open(request(types));
    end_target(pid);
    plan.enter();
    return ns_links("/proc/self", plan.types(), true) + hostname();
  });
  CHECK(got == want);
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
