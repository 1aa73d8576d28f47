#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../tools/xnsenter/xnsenter.hpp"

using nsutil::ns_type;
using nsutil::xnsenter::options;
using nsutil::xnsenter::parse_args;

namespace {

nsutil::cli::parse_result<options> parse(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  return parse_args(std::span<char* const>(argv.data(), argv.size()));
}

options opts(std::vector<std::string> args) {
  auto r = parse(std::move(args));
  REQUIRE(std::holds_alternative<options>(r));
  return std::get<options>(r);
}

// Every namespace option: short, long, and the type it enters.
struct ns_option {
  const char* s;
  const char* l;
  ns_type t;
};
constexpr ns_option ns_options[] = {
    {"-m", "--mount", ns_type::mnt},     {"-u", "--uts", ns_type::uts},
    {"-i", "--ipc", ns_type::ipc},       {"-n", "--net", ns_type::net},
    {"-p", "--pid", ns_type::pid},       {"-U", "--user", ns_type::user},
    {"-C", "--cgroup", ns_type::cgroup}, {"-T", "--time", ns_type::time}};

}  // namespace

TEST_CASE("xnsenter: -t takes a PID, PID:INODE, or a path to explain", "[xnsenter]") {
  CHECK(opts({"-t", "42"}).request.target == 42);
  CHECK(opts({"-t42"}).request.target == 42);
  CHECK(opts({"--target=42"}).request.target == 42);
  auto o = opts({"--target", "42:123456"});
  CHECK(o.request.target == 42);
  CHECK(o.request.target_inode == 123456U);
  CHECK(opts({"-t", "/run/netns/x"}).target_path == "/run/netns/x");
  // As nsenter's strtoul: leading blanks and '+' are taken.
  CHECK(opts({"-t", "+42"}).request.target == 42);
  CHECK(opts({"-t", "  123"}).request.target == 123);
  CHECK(opts({"-t", " +42: +7"}).request.target_inode == 7U);
}

TEST_CASE("xnsenter: bad PIDs are refused", "[xnsenter]") {
  for (const char* bad : {"abc", "0", "-5", "", "12x", "99999999999", "1:", "1:x", "4294967295",
                          "1 ", "+-1", "4294967297"})
    CHECK_THROWS(parse({"-t", bad}));
  CHECK_THROWS_WITH(parse({"-t", "abc"}), "failed to parse pid: 'abc'");
  CHECK_THROWS_AS(parse({"-t"}), boost::program_options::error);
  std::string huge(100000, '7');
  try {
    parse({"-t", huge});
    FAIL("accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).size() < 200);
  }
}

TEST_CASE("xnsenter: every namespace option, with and without a file", "[xnsenter]") {
  for (const auto& r : ns_options) {
    auto o = opts({r.s, "-t", "1"});
    CHECK(o.request.source(r.t).enabled);
    CHECK(o.request.source(r.t).file.empty());
    o = opts({std::string(r.l) + "=/f", "true"});
    CHECK(o.request.source(r.t).file == "/f");
    CHECK(o.command == std::vector<std::string>{"true"});
    o = opts({std::string(r.s) + "/f"});
    CHECK(o.request.source(r.t).file == "/f");
    o = opts({std::string(r.s) + "=/f"});  // util-linux strips the '='
    CHECK(o.request.source(r.t).file == "/f");
    // A bare option never takes the next word as its file.
    o = opts({r.l, "prog"});
    CHECK(o.request.source(r.t).file.empty());
    CHECK(o.command == std::vector<std::string>{"prog"});
  }
}

TEST_CASE("xnsenter: =:NSID names a namespace by its ID, for every type", "[xnsenter]") {
  for (const auto& r : ns_options) {
    for (const auto& form :
         {std::string(r.l) + "=:123", std::string(r.s) + ":123", std::string(r.s) + "=:123"}) {
      auto o = opts({form, "true"});
      CHECK(o.request.source(r.t).enabled);
      CHECK(o.request.source(r.t).id == 123U);
      CHECK(o.request.source(r.t).file.empty());
      CHECK(o.command == std::vector<std::string>{"true"});
    }
    // A file whose name starts with ':' is written ./:NAME and stays a file.
    auto o = opts({std::string(r.l) + "=./:x"});
    CHECK(o.request.source(r.t).file == "./:x");
    CHECK_FALSE(o.request.source(r.t).id);
  }
  CHECK(opts({"--net=:18446744073709551615"}).request.source(ns_type::net).id ==
        18446744073709551615U);
  CHECK(opts({"--net=: +5"}).request.source(ns_type::net).id == 5U);  // strtoul's rules
  auto o = opts({"--uts=:7", "--net=/run/netns/x", "-t", "1", "-m"});
  CHECK(o.request.source(ns_type::uts).id == 7U);
  CHECK(o.request.source(ns_type::net).file == "/run/netns/x");
  CHECK_FALSE(o.request.source(ns_type::mnt).id);
  CHECK(o.request.source(ns_type::mnt).file.empty());
}

TEST_CASE("xnsenter: a malformed namespace ID is one clear error", "[xnsenter]") {
  for (const char* bad : {":", ":abc", ":-1", ":+-1", ":1 ", ":1x", ":0x10", ":1.5",
                          ":18446744073709551616", "::1"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse({std::string("--net=") + bad, "true"}), std::invalid_argument);
    CHECK_THROWS_AS(parse({std::string("-u") + bad, "true"}), std::invalid_argument);
  }
  CHECK_THROWS_WITH(parse({"--net=:abc"}),
                    "failed to parse namespace ID: ':abc' (--net=:ID takes a number, as xlsns -o "
                    "NSID prints; a file named so is ./:abc)");
  CHECK_THROWS_WITH(parse({"-T:"}),
                    Catch::StartsWith("failed to parse namespace ID: ':' (--time="));
  std::string huge = ":" + std::string(100000, '9');
  try {
    parse({"--net=" + huge});
    FAIL("accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).size() < 400);
  }
  CHECK_THROWS_AS(parse({"--netns", "blue", "--net=:5"}), nsutil::cli::usage_error);
}

TEST_CASE("xnsenter: switches", "[xnsenter]") {
  auto o = opts({"-a", "-e", "-F", "-c", "-Z", "--preserve-credentials", "--keep-caps",
                 "--user-parent", "-t", "1"});
  CHECK(o.request.all);
  CHECK(o.request.env);
  CHECK(o.no_fork);
  CHECK(o.request.join_cgroup);
  CHECK(o.follow_context);
  CHECK(o.request.preserve_credentials);
  CHECK(o.request.keep_caps);
  CHECK(o.request.user_parent);
  o = opts({"--all", "--env", "--no-fork", "--join-cgroup", "--follow-context"});
  CHECK(o.request.all);
  CHECK(o.request.env);
  CHECK(o.no_fork);
  o = opts({"-aeF", "-t1"});
  CHECK(o.request.all);
  CHECK(o.request.target == 1);
}

TEST_CASE("xnsenter: -S and -G take numbers or follow", "[xnsenter]") {
  auto o = opts({"-S", "1000", "--setgid=100"});
  CHECK(o.request.uid == nsutil::id_choice{false, 1000});
  CHECK(o.request.gid == nsutil::id_choice{false, 100});
  o = opts({"--setuid", "follow", "-G", "follow"});
  CHECK(o.request.uid->follow);
  CHECK(o.request.gid->follow);
  CHECK(opts({"-S", " +0"}).request.uid == nsutil::id_choice{false, 0});
  for (const char* bad : {"abc", "-1", "1.5", "", "4294967295", "Follow"}) {
    CHECK_THROWS(parse({"-S", bad}));
    CHECK_THROWS(parse({"-G", bad}));
  }
  CHECK_THROWS_WITH(parse({"-S", "abc"}), "failed to parse uid: 'abc'");
}

TEST_CASE("xnsenter: root and working directories", "[xnsenter]") {
  auto o = opts({"-r", "-w", "prog"});
  CHECK(o.request.root == "");
  CHECK(o.request.wd == "");
  CHECK(o.command == std::vector<std::string>{"prog"});
  o = opts({"--root=/srv", "--wdns=/tmp"});
  CHECK(o.request.root == "/srv");
  CHECK(o.request.wdns == "/tmp");
  o = opts({"-W"});
  CHECK(o.request.wdns == "");
  o = opts({"-w/x"});
  CHECK(o.request.wd == "/x");
  CHECK_THROWS_AS(parse({"-w", "-W"}), nsutil::cli::usage_error);
}

TEST_CASE("xnsenter: --net-socket and --netns", "[xnsenter]") {
  CHECK(opts({"-N", "3", "-t", "1"}).request.net_socket == 3);
  CHECK(opts({"--net-socket=4"}).request.net_socket == 4);
  for (const char* bad : {"x", "-1", ""})
    CHECK_THROWS(parse({"-N", bad}));
  CHECK(opts({"--netns", "blue", "ip", "a"}).netns == "blue");
  CHECK_THROWS_AS(parse({"--netns", "blue", "--net=/x"}), nsutil::cli::usage_error);
}

TEST_CASE("xnsenter: parsing stops at the program", "[xnsenter]") {
  auto o = opts({"-t", "1", "-n", "ls", "-l", "-n"});
  CHECK(o.command == std::vector<std::string>{"ls", "-l", "-n"});
  o = opts({"-t", "1", "--", "-weird"});
  CHECK(o.command == std::vector<std::string>{"-weird"});
  CHECK(opts({"-t", "1"}).command.empty());
}

TEST_CASE("xnsenter: unknown options, guesses, help and version", "[xnsenter]") {
  CHECK_THROWS_AS(parse({"-x"}), boost::program_options::error);
  CHECK_THROWS_AS(parse({"--mo"}), boost::program_options::error);
  CHECK_THROWS_AS(parse({"--bogus"}), boost::program_options::error);
  auto h = parse({"--help"});
  REQUIRE(std::holds_alternative<nsutil::cli::early_exit>(h));
  CHECK(std::get<nsutil::cli::early_exit>(h).text.find("Usage:\n xnsenter [options]") == 0);
  auto v = parse({"-V"});
  REQUIRE(std::holds_alternative<nsutil::cli::early_exit>(v));
  CHECK(std::get<nsutil::cli::early_exit>(v).text == "xnsenter from nsutil " NSUTIL_VERSION "\n");
}

TEST_CASE("xnsenter: a repeated option takes its last value, as nsenter's getopt loop",
          "[xnsenter]") {
  CHECK(opts({"-t", "1", "-t", "2"}).request.target == 2);
  CHECK(opts({"-S", "1", "--setuid=2", "-G", "3", "-G", "4"}).request.uid ==
        nsutil::id_choice{false, 2});
  CHECK(opts({"-G", "3", "-G", "4"}).request.gid == nsutil::id_choice{false, 4});
  CHECK(opts({"--net=/f", "--net=/f"}).request.source(ns_type::net).file == "/f");
  auto o = opts({"--net=:5", "-n/g"});
  CHECK(o.request.source(ns_type::net).file == "/g");
  CHECK_FALSE(o.request.source(ns_type::net).id);
  CHECK(opts({"-a", "-a", "--all"}).request.all);
  CHECK(opts({"-w/x", "--wd=/y"}).request.wd == "/y");
}

TEST_CASE("xnsenter words the library's rules with its options", "[xnsenter]") {
  using nsutil::error;
  using nsutil::error_reason;
  using nsutil::xnsenter::in_our_words;
  auto said = [](const error& e) { return std::string(in_our_words(e).what()); };
  const auto no_target = error_reason::no_target;
  CHECK(said(error(EINVAL, "ns", "", "lib", no_target, {ns_type::net})) ==
        "--net: no target PID given (use -t PID) and no file");
  CHECK(said(error(EINVAL, "ns", "", "lib", no_target, {ns_type::mnt})) ==
        "--mount: no target PID given (use -t PID) and no file");
  CHECK(said(error(EINVAL, "all", "", "lib", no_target, {ns_type::user})) ==
        "--all: no target PID given (use -t PID) and no file");
  CHECK(said(error(EINVAL, "net_socket", "", "lib", no_target, {ns_type::net})) ==
        "--net-socket: no target PID given (use -t PID) and no file");
  CHECK(said(error(EINVAL, "user_parent", "", "lib", no_target, {ns_type::user})) ==
        "--user-parent: no target PID given (use -t PID) and no file");
  CHECK(said(error(EINVAL, "wd", "", "lib", no_target)) == "--wd: needs a target PID (-t PID)");
  CHECK(said(error(EINVAL, "join_cgroup", "", "lib", no_target)) ==
        "--join-cgroup: needs a target PID (-t PID)");
  CHECK(said(error(EINVAL, "uid", "", "lib", no_target)) ==
        "--setuid follow: needs a target PID (-t PID)");
  CHECK(said(error(EINVAL, "gid", "", "lib", no_target)) ==
        "--setgid follow: needs a target PID (-t PID)");
  CHECK(said(error(EINVAL, "user_parent", "/proc/7/ns/user", "its parent is yours",
                   error_reason::parent_is_own)) ==
        "--user-parent '/proc/7/ns/user': its parent is yours");
  CHECK(said(error(EOPNOTSUPP, "join_cgroup", "/sys/fs/cgroup", "needs cgroup v2",
                   error_reason::no_cgroup2)) == "--join-cgroup '/sys/fs/cgroup': needs cgroup v2");
  CHECK(said(error(EPERM, "setns", "/proc/7/ns", "lib", error_reason::needs_owner_userns,
                   {ns_type::net, ns_type::uts})) ==
        "setns '/proc/7/ns': Operation not permitted (needs CAP_SYS_ADMIN over it; an "
        "unprivileged user must enter the user namespace that owns it with -U) [net,uts]");
  CHECK(said(error(EPERM, "setgroups", "", "not permitted here", error_reason::setgroups_denied)) ==
        "setgroups: not permitted here; use --preserve-credentials to keep your IDs");
  // The rest keeps the library's words, and what the exit status depends on (op "exec").
  error other(ENOENT, "exec", "nope", "lib words");
  CHECK(said(other) == "exec 'nope': lib words");
  CHECK(in_our_words(other).op() == "exec");
}

TEST_CASE("xnsenter: --container is a target; alone it enters every namespace", "[xnsenter]") {
  auto o = opts({"--container", "web", "ip", "addr"});
  CHECK(o.container == "web");
  CHECK(o.request.all);
  CHECK(o.request.target == 0);
  CHECK(o.command == std::vector<std::string>{"ip", "addr"});
  for (const auto& n : ns_options) {
    auto with = opts({"--container=3f4e", n.s});
    CHECK(with.container == "3f4e");
    CHECK_FALSE(with.request.all);
    CHECK(with.request.source(n.t).enabled);
  }
  CHECK_FALSE(opts({"--container", "web", "--netns", "blue"}).request.all);
  CHECK_FALSE(opts({"--container", "web", "-N", "3"}).request.all);
  CHECK(opts({"--container", "web", "-a"}).request.all);
}

TEST_CASE("xnsenter: --container refuses -t and an empty name", "[xnsenter]") {
  CHECK_THROWS_AS(parse({"--container", "web", "-t", "1"}), nsutil::cli::usage_error);
  CHECK_THROWS_AS(parse({"-t", "1", "--container=web"}), nsutil::cli::usage_error);
  CHECK_THROWS_AS(parse({"--container", ""}), std::invalid_argument);
  CHECK_THROWS_AS(parse({"--container"}), std::exception);
}

TEST_CASE("xnsenter: --keep-userns goes with --container", "[xnsenter]") {
  CHECK_FALSE(opts({"--container", "web", "-n"}).keep_userns);
  auto o = opts({"--container", "alice/web", "--keep-userns", "-n"});
  CHECK(o.keep_userns);
  CHECK(o.container == "alice/web");
  CHECK_THROWS_AS(parse({"--keep-userns", "-t", "1", "-n"}), nsutil::cli::usage_error);
}

TEST_CASE("xnsenter: a namespace must be chosen, as util-linux 2.41 requires", "[xnsenter]") {
  using nsutil::xnsenter::chooses_namespace;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"hostname"},
           {"-t", "1", "hostname"},
           {"-t", "1", "-r", "pwd"},
           {"-t", "1", "-w", "pwd"},
           {"-t", "1", "-W/tmp", "pwd"},
           {"-t", "1", "-e", "env"},
           {"-t", "1", "-S", "0", "-G", "0", "id"},
           {"-t", "1", "-c", "-F", "--preserve-credentials", "--keep-caps", "true"},
           {"--root=/", "true"},
       })
    CHECK_FALSE(chooses_namespace(opts(args)));
  for (const auto& n : ns_options) {
    CHECK(chooses_namespace(opts({"-t", "1", n.s})));
    CHECK(chooses_namespace(opts({std::string(n.l) + "=/proc/1/ns/x"})));
    CHECK(chooses_namespace(opts({std::string(n.l) + "=:4242"})));
  }
  CHECK(chooses_namespace(opts({"-t", "1", "-a"})));
  CHECK(chooses_namespace(opts({"-t", "1", "-N", "3"})));
  CHECK(chooses_namespace(opts({"-t", "1", "--user-parent"})));
  CHECK(chooses_namespace(opts({"--netns", "blue"})));
  CHECK(chooses_namespace(opts({"--container", "web"})));
  CHECK(chooses_namespace(opts({"--container", "web", "--keep-userns"})));
}
