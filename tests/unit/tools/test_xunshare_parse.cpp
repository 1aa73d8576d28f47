#include <catch2/catch.hpp>
#include <csignal>
#include <initializer_list>
#include <string>
#include <vector>

#include "xunshare/xunshare.hpp"

namespace xu = nsutil::xunshare;
using nsutil::ns_set;
using nsutil::ns_type;

namespace {

xu::options parse(std::initializer_list<const char*> args) {
  std::vector<char*> v;
  for (const char* a : args)
    v.push_back(const_cast<char*>(a));
  auto r = xu::parse_args(std::span<char* const>(v.data(), v.size()));
  REQUIRE(std::holds_alternative<xu::options>(r));
  return std::get<xu::options>(r);
}

std::string early(std::initializer_list<const char*> args) {
  std::vector<char*> v;
  for (const char* a : args)
    v.push_back(const_cast<char*>(a));
  auto r = xu::parse_args(std::span<char* const>(v.data(), v.size()));
  REQUIRE(std::holds_alternative<nsutil::cli::early_exit>(r));
  return std::get<nsutil::cli::early_exit>(r).text;
}

// Any rejection: a usage error or a Boost error, both one line with "Try --help".
bool rejected(std::initializer_list<const char*> args) {
  std::vector<char*> v;
  for (const char* a : args)
    v.push_back(const_cast<char*>(a));
  try {
    (void)xu::parse_args(std::span<char* const>(v.data(), v.size()));
  } catch (const nsutil::cli::usage_error&) {
    return true;
  } catch (const boost::program_options::error&) {
    return true;
  }
  return false;
}

using cmd = std::vector<std::string>;

}  // namespace

TEST_CASE("short namespace options combine and take no value", "[xunshare]") {
  auto o = parse({"-mfp", "ps"});
  CHECK(o.namespaces == ns_set{ns_type::mnt, ns_type::pid});
  CHECK(o.fork);
  CHECK(o.command == cmd{"ps"});
  o = parse({"-rmfp", "ps"});
  CHECK(o.namespaces == ns_set{ns_type::mnt, ns_type::pid, ns_type::user});
  CHECK(o.map_user == xu::map_target{0, {}});
  o = parse({"-muinpUCT"});
  CHECK(o.namespaces == ns_set::all());
  CHECK(o.command.empty());
}

TEST_CASE("every long namespace option, with and without a file", "[xunshare]") {
  for (const auto& row : nsutil::ns_types) {
    std::string bare = "--" + std::string(row.option);
    std::string with = bare + "=/run/x-" + std::string(row.name);
    auto o = parse({bare.c_str(), "prog"});
    CHECK(o.namespaces.contains(row.type));
    CHECK(o.persist.empty());
    CHECK(o.command == cmd{"prog"});
    o = parse({with.c_str(), "prog"});
    CHECK(o.namespaces.contains(row.type));
    REQUIRE(o.persist.size() == 1);
    CHECK(o.persist[0].type == row.type);
    CHECK(o.persist[0].target == "/run/x-" + std::string(row.name));
  }
}

TEST_CASE("--net prog never swallows prog; the last file per type wins", "[xunshare]") {
  auto o = parse({"--net", "ip", "link"});
  CHECK(o.persist.empty());
  CHECK(o.command == cmd{"ip", "link"});
  o = parse({"--net=a", "--net=b", "--uts=c", "--net", "true"});
  REQUIRE(o.persist.size() == 2);
  CHECK(o.persist[0].target == "b");
  CHECK(o.persist[1].target == "c");
}

TEST_CASE("parsing stops at the program; -- is honoured", "[xunshare]") {
  auto o = parse({"-u", "ls", "-l"});
  CHECK(o.command == cmd{"ls", "-l"});
  o = parse({"-u", "--", "-weird", "--net"});
  CHECK(o.command == cmd{"-weird", "--net"});
  CHECK(o.namespaces == ns_set{ns_type::uts});
}

TEST_CASE("-p forks, and so do --kill-child, --forward-signals and --init", "[xunshare]") {
  CHECK(parse({"-p"}).fork);
  CHECK_FALSE(parse({"-u"}).fork);
  auto o = parse({"--kill-child"});
  CHECK(o.fork);
  CHECK(o.kill_child == SIGKILL);
  CHECK(parse({"--kill-child=TERM"}).kill_child == SIGTERM);
  CHECK(parse({"--kill-child=sigint"}).kill_child == SIGINT);
  CHECK(parse({"--forward-signals"}).fork);
  o = parse({"--init", "sleep", "1"});
  CHECK(o.init);
  CHECK(o.fork);
  CHECK(o.namespaces.contains(ns_type::pid));
}

TEST_CASE("mount options and their implications", "[xunshare]") {
  auto o = parse({"--mount-proc"});
  CHECK(o.mount_proc == "/proc");
  CHECK(o.namespaces.contains(ns_type::mnt));
  CHECK(parse({"--mount-proc=/mnt/p"}).mount_proc == "/mnt/p");
  CHECK(parse({"-m"}).prop == nsutil::propagation::private_);
  CHECK(parse({"--propagation", "slave"}).prop == nsutil::propagation::slave);
  CHECK(parse({"--propagation=shared"}).prop == nsutil::propagation::shared);
  CHECK(parse({"--propagation", "unchanged"}).prop == nsutil::propagation::unchanged);
  o = parse({"--mount-binfmt"});
  CHECK(o.mount_binfmt == "/proc/sys/fs/binfmt_misc");
  CHECK(o.mount_proc == "/proc");
  CHECK(o.namespaces.contains(ns_type::user));
  o = parse({"--mount-binfmt=/b"});
  CHECK(o.mount_binfmt == "/b");
  CHECK_FALSE(o.mount_proc);
  o = parse({"-l", ":x:E::x::/bin/sh:", "-l", ":y:E::y::/bin/sh:"});
  CHECK(o.load_interp.size() == 2);
  CHECK(o.mount_binfmt == "/proc/sys/fs/binfmt_misc");
}

TEST_CASE("root, working directory and credentials", "[xunshare]") {
  auto o = parse({"-R", "/srv", "-w", "/tmp", "-S", "1000", "-G", "100", "id"});
  CHECK(o.root == "/srv");
  CHECK(o.wd == "/tmp");
  CHECK(o.setuid == 1000U);
  CHECK(o.setgid == 100U);
  o = parse({"--root=/srv", "--wd=/x", "--setuid=0", "--setgid=0"});
  CHECK(o.root == "/srv");
  CHECK(o.wd == "/x");
  CHECK(parse({"-R/srv"}).root == "/srv");
  CHECK(parse({"-fR/srv"}).root == "/srv");
  // As unshare's strtoul: leading blanks and '+' are taken.
  o = parse({"-S", "+0", "-G", " +100"});
  CHECK(o.setuid == 0U);
  CHECK(o.setgid == 100U);
}

TEST_CASE("user mapping options", "[xunshare]") {
  auto o = parse({"-c"});
  CHECK(o.namespaces.contains(ns_type::user));
  CHECK(o.map_user == xu::map_target{});
  CHECK(o.map_group == xu::map_target{});
  o = parse({"--map-user=1000", "--map-group=nogroup"});
  CHECK(o.map_user == xu::map_target{1000U, {}});
  CHECK(o.map_group == xu::map_target{std::nullopt, "nogroup"});
  o = parse({"--map-users=0:100000:65536", "--map-users", "100000,0,10", "--map-groups=all"});
  REQUIRE(o.map_users.size() == 2);
  CHECK(o.map_users[0].range == nsutil::id_range{0, 100000, 65536});
  CHECK(o.map_users[1].range == nsutil::id_range{0, 100000, 10});
  CHECK(o.map_groups[0].what == xu::map_spec::kind::all);
  o = parse({"--map-auto"});
  CHECK(o.map_users.at(0).what == xu::map_spec::kind::auto_);
  CHECK(o.map_groups.at(0).what == xu::map_spec::kind::auto_);
  o = parse({"--map-subids"});
  CHECK(o.map_users.at(0).what == xu::map_spec::kind::subids);
  CHECK(parse({"--map-users=auto"}).map_users.at(0).what == xu::map_spec::kind::auto_);
  o = parse({"--owner", "1000:100"});
  CHECK(o.owner == std::pair<std::uint32_t, std::uint32_t>{1000, 100});
  CHECK(parse({"--owner= +1000:+100"}).owner == std::pair<std::uint32_t, std::uint32_t>{1000, 100});
  CHECK(parse({"--map-user=+1000"}).map_user == xu::map_target{1000U, {}});
  CHECK(o.namespaces.contains(ns_type::user));
  CHECK(parse({"--setgroups", "deny"}).setgroups_allow == false);
  CHECK(parse({"--setgroups=allow"}).setgroups_allow == true);
  CHECK(parse({"-U", "--keep-caps"}).keep_caps);
}

TEST_CASE("time offsets", "[xunshare]") {
  auto o = parse({"-T", "--monotonic", "-86400", "--boottime=100"});
  CHECK(o.offsets.monotonic == -86400);
  CHECK(o.offsets.boottime == 100);
  o = parse({"--time=/run/t", "--monotonic=5"});
  CHECK(o.offsets.monotonic == 5);
  o = parse({"-T", "--monotonic", "+5", "--boottime", " -7"});
  CHECK(o.offsets.monotonic == 5);
  CHECK(o.offsets.boottime == -7);
}

TEST_CASE("--clear-env and --whitelist-env", "[xunshare]") {
  auto o = parse({"-u", "true"});
  CHECK_FALSE(o.clear_env);
  CHECK(o.keep_env.empty());
  o = parse({"--clear-env", "env"});
  CHECK(o.clear_env);
  CHECK(o.keep_env.empty());
  CHECK(o.command == std::vector<std::string>{"env"});
  // A list, separate or attached; lists add up, empty names and repeats are dropped.
  o = parse({"--whitelist-env", "HOME,TERM", "--whitelist-env=,PATH,,HOME", "env"});
  CHECK(o.clear_env);
  CHECK(o.keep_env == std::vector<std::string>{"HOME", "TERM", "PATH"});
  CHECK(o.command == std::vector<std::string>{"env"});
  o = parse({"--clear-env", "--whitelist-env=A"});
  CHECK(o.clear_env);
  CHECK(o.keep_env == std::vector<std::string>{"A"});
  o = parse({"--whitelist-env", ""});
  CHECK(o.clear_env);
  CHECK(o.keep_env.empty());
  // After the program they are the program's.
  o = parse({"env", "--clear-env"});
  CHECK_FALSE(o.clear_env);
  CHECK(rejected({"--whitelist-env"}));
  CHECK(rejected({"--clear-env=x"}));
  CHECK(rejected({"--clear"}));
}

TEST_CASE("help and version", "[xunshare]") {
  auto help = early({"--help"});
  CHECK(help.starts_with("\nUsage:\n xunshare [options]") == false);
  CHECK(help.starts_with("Usage:\n xunshare [options] [<program> [<argument>...]]\n"));
  CHECK(help.find("--map-subids") != std::string::npos);
  CHECK(help.find("--clear-env") != std::string::npos);
  CHECK(help.find("--whitelist-env <list>") != std::string::npos);
  CHECK(early({"-h"}) == help);
  CHECK(early({"-V"}) == "xunshare from nsutil " NSUTIL_VERSION "\n");
  CHECK(early({"-u", "--version"}) == "xunshare from nsutil " NSUTIL_VERSION "\n");
}

TEST_CASE("echoed values are escaped and cut", "[xunshare]") {
  auto message = [](std::initializer_list<const char*> args) -> std::string {
    std::vector<char*> v;
    for (const char* a : args)
      v.push_back(const_cast<char*>(a));
    try {
      (void)xu::parse_args(std::span<char* const>(v.data(), v.size()));
    } catch (const nsutil::cli::usage_error& e) {
      return e.what();
    }
    return "accepted";
  };
  CHECK(message({"-S", "a\nb"}) == "failed to parse uid: 'a\\nb'");
  CHECK(message({"--owner=\x1b"}) == "--owner needs <uid>:<gid>, not '\\x1b'");
  CHECK(message({"--owner=\x1b:0"}) == "failed to parse owner uid: '\\x1b'");
  CHECK(message({"--propagation", "x\n"}) == "unsupported propagation mode: x\\n");
  CHECK(message({"--setgroups", "x\n"}) == "unsupported --setgroups argument 'x\\n'");
  CHECK(message({"-T", "--monotonic", "\n"}) == "failed to parse --monotonic offset: '\\n'");
  CHECK(message({"--kill-child=\x1b"}) == "unknown signal: \\x1b");
  CHECK(message({"--map-users=\n"}) ==
        "invalid --map-users value '\\n' (expected inner:outer:count, auto, subids or all)");
  std::string big(100000, '9');
  CHECK(message({"--map-user", big.c_str()}) ==
        "ID out of range: '" + std::string(80, '9') + "...' (100000 bytes)");
}

TEST_CASE("bad input is rejected", "[xunshare]") {
  CHECK(rejected({"--bogus"}));
  CHECK(rejected({"-x"}));
  CHECK(rejected({"--mou"}));      // no prefix guessing
  CHECK(rejected({"--forward"}));  // idem
  CHECK(rejected({"--root"}));     // missing value
  CHECK(rejected({"-w"}));
  CHECK(rejected({"--setuid"}));
  CHECK(rejected({"--propagation"}));
  CHECK(rejected({"--propagation", "bogus"}));
  CHECK(rejected({"--setgroups", "maybe"}));
  CHECK(rejected({"--kill-child=BOGUS"}));
  CHECK(rejected({"--kill-child=0"}));
  CHECK(rejected({"--kill-child=99"}));
  CHECK(rejected({"-S", "abc"}));
  CHECK(rejected({"-S", "-1"}));
  CHECK(rejected({"-S", "4294967295"}));
  CHECK(rejected({"-S", "99999999999"}));
  CHECK(rejected({"-G", "1x"}));
  CHECK(rejected({"--map-user=99999999999"}));
  CHECK(rejected({"--map-user=+99999999999"}));
  CHECK(rejected({"-S", "0 "}));
  CHECK(rejected({"-T", "--monotonic=+-5"}));
  CHECK(rejected({"-T", "--monotonic=5 "}));
  CHECK(rejected({"-T", "--monotonic=9223372036854775808"}));
  CHECK(rejected({"--map-user="}));
  CHECK(rejected({"--map-users=1:2"}));
  CHECK(rejected({"--map-users=1:2:0"}));
  CHECK(rejected({"--map-users=a:b:c"}));
  CHECK(rejected({"--map-users=1:2:3:4"}));
  CHECK(rejected({"--map-users=4294967295:0:2"}));
  CHECK(rejected({"--map-groups=bogus"}));
  CHECK(rejected({"--owner=1000"}));
  CHECK(rejected({"--owner=a:b"}));
  CHECK(rejected({"--monotonic", "5"}));  // without -T
  CHECK(rejected({"--boottime=5", "-u"}));
  CHECK(rejected({"-T", "--monotonic=five"}));
  CHECK(rejected({"-T", "--monotonic="}));
  CHECK(rejected({"--setgroups=allow", "-r"}));
}
