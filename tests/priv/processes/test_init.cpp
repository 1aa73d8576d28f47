#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <nsutil/error.hpp>
#include <nsutil/init.hpp>
#include <nsutil/process.hpp>
#include <nsutil/unshare.hpp>
#include <sstream>
#include <string>
#include <tuple>

#include "harness.hpp"

using nsutil::ns_type;

namespace {

// PATH without directories the test user cannot search (those make exec report EACCES, not ENOENT).
constexpr const char* clean_path = "/usr/sbin:/usr/bin:/sbin:/bin";

// Runs `argv` under run_init() as PID 1 of a new PID namespace (and mount namespace, with a
// proc of its own); returns "INIT PROGRAM" statuses.
std::string under_init(std::vector<std::string> argv, int signal_after_ms = 0, int sig = 0) {
  return nsutil::test::in_child([&] {
    ::setenv("PATH", clean_path, 1);
    nsutil::ns_set types{ns_type::pid, ns_type::mnt};
    if (!nsutil::test::is_root())
      types.add(ns_type::user);
    nsutil::unshare(types);
    nsutil::set_root_propagation(nsutil::propagation::private_);
    auto status = nsutil::test::open_pipe();
    auto init = nsutil::fork_child([&, w = &status.write] {
      status.read.reset();
      nsutil::mount_proc("/proc", false);
      nsutil::run_init([&] { nsutil::exec_program(argv[0], argv); }, std::move(*w));
    });
    status.write.reset();
    init.wait_started();  // must return once the program runs, though init never execs
    if (signal_after_ms > 0) {
      ::usleep(static_cast<useconds_t>(signal_after_ms) * 1000);
      init.proc().send_signal(sig);
    }
    auto st = init.wait();
    auto prog = nsutil::init_result(st, std::move(status.read));
    return std::to_string(st.shell_code()) + " " + std::to_string(prog.shell_code());
  });
}

}  // namespace

TEST_CASE("init runs the program as PID 2 and exits with its status", "[userns][init]") {
  if (!nsutil::test::is_root() && !nsutil::test::can_create_userns())
    NSUTIL_SKIP("cannot create namespaces");
  CHECK(under_init({"sh", "-c", "[ $$ = 2 ] && exit 7"}) == "7 7");
  // A signal death is reported as such through the status pipe; init itself exits 128+N.
  CHECK(under_init({"sh", "-c", "kill -TERM $$"}) == "143 143");
}

TEST_CASE("init passes signals on to the program", "[userns][init]") {
  if (!nsutil::test::is_root() && !nsutil::test::can_create_userns())
    NSUTIL_SKIP("cannot create namespaces");
  CHECK(under_init({"sleep", "10"}, 200, SIGTERM) == "143 143");
  CHECK(under_init({"sh", "-c", "trap 'exit 4' USR1; sleep 5 & wait"}, 300, SIGUSR1) == "4 4");
}

TEST_CASE("init reaps orphans", "[userns][init]") {
  if (!nsutil::test::is_root() && !nsutil::test::can_create_userns())
    NSUTIL_SKIP("cannot create namespaces");
  // The orphan (sleep, reparented to PID 1) ends first; the program checks, in the namespace's
  // own /proc, that it left no zombie and that it existed at all.
  CHECK(under_init({"sh", "-c",
                    "orphan=$(sh -c 'sleep 0.2 >/dev/null 2>&1 & echo $!'); "
                    "[ -d /proc/$orphan ] || exit 8; sleep 0.6; [ -d /proc/$orphan ] && exit 9; "
                    "exit 0"}) == "0 0");
}

TEST_CASE("init reports a program that cannot start", "[userns][init]") {
  if (!nsutil::test::is_root() && !nsutil::test::can_create_userns())
    NSUTIL_SKIP("cannot create namespaces");
  try {
    under_init({"nsutil-no-such-program"});
    FAIL("no error");
  } catch (const nsutil::error& e) {
    CHECK(e.op() == nsutil::exec_op);
    CHECK(e.errno_value() == ENOENT);
  }
}

TEST_CASE("check_program finds what exec would run", "[userns][init]") {
  const char* old = std::getenv("PATH");
  std::string saved = old != nullptr ? old : "";
  ::setenv("PATH", clean_path, 1);
  CHECK_NOTHROW(nsutil::check_program("sh"));
  CHECK_NOTHROW(nsutil::check_program("/bin/sh"));
  try {
    nsutil::check_program("nsutil-no-such-program");
    FAIL("found");
  } catch (const nsutil::error& e) {
    CHECK(e.errno_value() == ENOENT);
  }
  try {
    nsutil::check_program("/etc/passwd");
    FAIL("found");
  } catch (const nsutil::error& e) {
    CHECK(e.errno_value() == EACCES);
  }
  ::setenv("PATH", saved.c_str(), 1);
}

TEST_CASE("time offsets are written before the first process", "[userns][init]") {
  if (!nsutil::test::is_root() && !nsutil::test::can_create_userns())
    NSUTIL_SKIP("cannot create namespaces");
  std::string got = nsutil::test::in_child([] {
    nsutil::ns_set types{ns_type::time};
    if (!nsutil::test::is_root())
      types.add(ns_type::user);
    nsutil::unshare(types);
    nsutil::set_time_offsets({.monotonic = -5, .boottime = 86400});
    return nsutil::read_file("/proc/self/timens_offsets");
  });
  // "monotonic <padding> -5 <padding> 0": compare the fields, not the padding.
  std::istringstream in(got);
  std::map<std::string, long> seconds;
  std::string clock;
  long secs = 0;
  long nanos = 0;
  while (in >> clock >> secs >> nanos)
    seconds[clock] = secs;
  CHECK(seconds["monotonic"] == -5);
  CHECK(seconds["boottime"] == 86400);
}
