// libnsutil's private parsers of /proc text (lib/src/base/proc_text.hpp), which tests/fuzz also
// runs.
#include <catch2/catch.hpp>
#include <string_view>

#include "base/proc_text.hpp"

using namespace std::string_view_literals;

TEST_CASE("the cgroup v2 entry is the line that starts with 0::", "[proc_text]") {
  CHECK(nsutil::detail::cgroup2_path("0::/user.slice/session-1.scope\n") ==
        "/user.slice/session-1.scope");
  CHECK(nsutil::detail::cgroup2_path("12:memory:/a\n0::/init.scope") == "/init.scope");
  CHECK_FALSE(nsutil::detail::cgroup2_path("12:memory:/a\n1:name=systemd:/b\n"));
  // A v1 line whose path holds "0::" is not the v2 entry (the reader once took "b" here).
  CHECK(nsutil::detail::cgroup2_path("4:cpu:/a0::b\n0::/x\n") == "/x");
  CHECK_FALSE(nsutil::detail::cgroup2_path("4:cpu:/a0::b\n"));
}

TEST_CASE("the PPID is read after the last parenthesis of /proc/PID/stat", "[proc_text]") {
  CHECK(nsutil::detail::parse_ppid("4242 (a) b) c ( d) S 17 4242 4242 0 -1") == 17);
  CHECK(nsutil::detail::parse_ppid("1 (systemd) S 0") == 0);
  CHECK_FALSE(nsutil::detail::parse_ppid("1 (systemd) S"));
  CHECK_FALSE(nsutil::detail::parse_ppid("1 systemd S 0"));
}

TEST_CASE("/proc/PID/status masks and NSpid", "[proc_text]") {
  auto status = "Name:\tsh\nNSpid:\t4242\t1\nSigIgn:\t0000000000000004\n"sv;
  CHECK(nsutil::detail::mask_has(status, "\nSigIgn:", 3));
  CHECK_FALSE(nsutil::detail::mask_has(status, "\nSigIgn:", 2));
  CHECK_FALSE(nsutil::detail::mask_has(status, "\nSigCgt:", 3));
  CHECK_FALSE(nsutil::detail::mask_has("\nSigIgn:\tffffffffffffffff", "\nSigIgn:", 65));
  CHECK(nsutil::detail::is_nested_init(status));
  CHECK_FALSE(nsutil::detail::is_nested_init("Name:\tsh\nNSpid:\t1\n"));
}

TEST_CASE("the thread count is the number after the slash of /proc/loadavg's fourth field",
          "[proc_text]") {
  CHECK(nsutil::detail::parse_thread_count("0.12 0.08 0.01 2/153 4242\n") == 153);
  CHECK(nsutil::detail::parse_thread_count("0.00 0.00 0.00 1/20068 1") == 20068);
  CHECK(nsutil::detail::parse_thread_count("0.00 0.00 0.00 1/7") == 7);
  CHECK_FALSE(nsutil::detail::parse_thread_count("0.00 0.00 0.00 1/ 4242"));
  CHECK_FALSE(nsutil::detail::parse_thread_count("0.00 0.00 0.00 153 4242/3"));
  CHECK_FALSE(nsutil::detail::parse_thread_count("0.00 0.00 2/153 4242"));
  CHECK_FALSE(nsutil::detail::parse_thread_count("0.00 0.00 0.00 2/-3 1"));
  CHECK_FALSE(nsutil::detail::parse_thread_count(""));
}

TEST_CASE("a descriptor path names its process and descriptor", "[proc_text]") {
  using nsutil::detail::parse_fd_path;
  CHECK(parse_fd_path("/proc/4242/fd/3") == std::pair<pid_t, int>{4242, 3});
  CHECK(parse_fd_path("/proc/1/fd/0") == std::pair<pid_t, int>{1, 0});
  CHECK_FALSE(parse_fd_path("/proc/4242/ns/net"));
  CHECK_FALSE(parse_fd_path("/proc/4242/task/4243/ns/net"));
  CHECK_FALSE(parse_fd_path("/proc/4242/root/run/netns/a"));
  CHECK_FALSE(parse_fd_path("/proc/4242/fd/3/x"));
  CHECK_FALSE(parse_fd_path("/proc/4242/fd/"));
  CHECK_FALSE(parse_fd_path("/proc/0/fd/3"));
  CHECK_FALSE(parse_fd_path("/proc/-1/fd/3"));
  CHECK_FALSE(parse_fd_path("/run/netns/a"));
  CHECK_FALSE(parse_fd_path("/proc/self/fd/3"));
}
