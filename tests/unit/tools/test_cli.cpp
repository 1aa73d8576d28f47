#include <fmt/format.h>
#include <fmt/ranges.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <nsutil/process.hpp>

#include "cli.hpp"

namespace po = boost::program_options;
using nsutil::cli::split_at_command;

namespace {

// Every option, or with `named` only those it names, as the tools describe theirs.
po::options_description sample(const nsutil::cli::named_options* named = nullptr) {
  po::options_description d;
  auto add = [&](const char* spec, const po::value_semantic* semantic) {
    if (named != nullptr)
      named->add(d, spec, semantic);
    else
      d.add_options()(spec, semantic, "");
  };
  add("mount,m", po::value<std::string>()->implicit_value(""));
  add("fork,f", po::bool_switch());
  add("root,R", po::value<std::string>());
  add("kill-child", po::value<std::string>()->implicit_value("KILL"));
  return d;
}

// What parse_options_in_order() makes of `words`: "key=value;" per option, or the error.
std::string parsed(const std::vector<std::string>& words, const po::options_description& desc) {
  try {
    std::string out;
    for (const auto& o : nsutil::cli::parse_options_in_order(words, desc)) {
      out += o.string_key;
      for (const auto& v : o.value)
        out += "=" + v;
      out += ';';
    }
    return out;
  } catch (const po::error& e) {
    return std::string("error: ") + e.what();
  }
}

nsutil::cli::split_args split(std::initializer_list<const char*> args) {
  std::vector<char*> v;
  for (const char* a : args)
    v.push_back(const_cast<char*>(a));
  return split_at_command(std::span<char* const>(v.data(), v.size()), sample());
}

}  // namespace

TEST_CASE("splitting stops at the program name", "[cli]") {
  auto s = split({"-m", "ls", "-l"});
  CHECK(s.options == std::vector<std::string>{"-m"});
  CHECK(s.command == std::vector<std::string>{"ls", "-l"});
}

TEST_CASE("an optional value is taken only attached", "[cli]") {
  auto s = split({"--mount", "prog"});
  CHECK(s.options == std::vector<std::string>{"--mount"});
  CHECK(s.command == std::vector<std::string>{"prog"});
  s = split({"--mount=/x", "prog"});
  CHECK(s.options == std::vector<std::string>{"--mount=/x"});
}

TEST_CASE("a required value may be the next word or attached", "[cli]") {
  auto s = split({"-R", "/srv", "sh"});
  CHECK(s.options == std::vector<std::string>{"-R", "/srv"});
  CHECK(s.command == std::vector<std::string>{"sh"});
  s = split({"-fR/srv", "sh"});
  CHECK(s.options == std::vector<std::string>{"-fR/srv"});
  s = split({"--root", "/srv", "sh"});
  CHECK(s.options == std::vector<std::string>{"--root", "/srv"});
}

TEST_CASE("-- ends the options and is dropped", "[cli]") {
  auto s = split({"-f", "--", "-m"});
  CHECK(s.options == std::vector<std::string>{"-f"});
  CHECK(s.command == std::vector<std::string>{"-m"});
}

TEST_CASE("unknown options stay on the option side", "[cli]") {
  auto s = split({"--bogus", "x"});
  CHECK(s.options == std::vector<std::string>{"--bogus"});
  CHECK_THROWS_AS(nsutil::cli::parse_options(s.options, sample()), po::error);
}

TEST_CASE("long options are never guessed from a prefix", "[cli]") {
  CHECK_THROWS_AS(nsutil::cli::parse_options({"--mou"}, sample()), po::error);
  auto vm = nsutil::cli::parse_options({"-fm"}, sample());
  CHECK(vm["fork"].as<bool>());
  CHECK(vm.count("mount") == 1);
}

TEST_CASE("a short option with an optional value takes the rest of its cluster", "[cli]") {
  // getopt's "m::": "-mf" is -m with the value "f", as with nsenter's "-n/path".
  auto vm = nsutil::cli::parse_options({"-mf"}, sample());
  CHECK(vm["mount"].as<std::string>() == "f");
  CHECK_FALSE(vm["fork"].as<bool>());
}

TEST_CASE("signals parse by name, SIG name and number", "[cli]") {
  CHECK(nsutil::cli::parse_signal("KILL") == SIGKILL);
  CHECK(nsutil::cli::parse_signal("sigterm") == SIGTERM);
  CHECK(nsutil::cli::parse_signal("SIGINT") == SIGINT);
  CHECK(nsutil::cli::parse_signal("9") == 9);
  CHECK(nsutil::cli::parse_signal("+9") == 9);
  CHECK(nsutil::cli::parse_signal(" 15") == 15);
  CHECK_THROWS_AS(nsutil::cli::parse_signal("9 "), nsutil::cli::usage_error);
  CHECK_THROWS_AS(nsutil::cli::parse_signal("BOGUS"), nsutil::cli::usage_error);
  CHECK_THROWS_AS(nsutil::cli::parse_signal("0"), nsutil::cli::usage_error);
  CHECK_THROWS_AS(nsutil::cli::parse_signal("999"), nsutil::cli::usage_error);
  CHECK_THROWS_AS(nsutil::cli::parse_signal(""), nsutil::cli::usage_error);
}

TEST_CASE("signals: util-linux's whole table, aliases and any case", "[cli]") {
  using nsutil::cli::parse_signal;
  CHECK(parse_signal("IOT") == SIGABRT);
  CHECK(parse_signal("SIGIOT") == SIGABRT);
  CHECK(parse_signal("cld") == SIGCHLD);
  CHECK(parse_signal("SigCld") == SIGCHLD);
  CHECK(parse_signal("POLL") == SIGIO);
  CHECK(parse_signal("IO") == SIGIO);
  CHECK(parse_signal("PWR") == SIGPWR);
  CHECK(parse_signal("STKFLT") == SIGSTKFLT);
  CHECK(parse_signal("SYS") == SIGSYS);
  CHECK(parse_signal("WINCH") == SIGWINCH);
  CHECK(parse_signal("sIgKiLl") == SIGKILL);
  // One "SIG" only, and a name in full.
  CHECK_THROWS_AS(parse_signal("SIG"), nsutil::cli::usage_error);
  CHECK_THROWS_AS(parse_signal("SIGSIGKILL"), nsutil::cli::usage_error);
  CHECK_THROWS_AS(parse_signal("SIG9"), nsutil::cli::usage_error);
  CHECK_THROWS_AS(parse_signal("KIL"), nsutil::cli::usage_error);
  CHECK_THROWS_AS(parse_signal("KILLX"), nsutil::cli::usage_error);
  CHECK_THROWS_AS(parse_signal(" KILL"), nsutil::cli::usage_error);
  // Not in util-linux's table (glibc has no SIGUNUSED, Linux no SIGINFO or SIGLOST).
  CHECK_THROWS_AS(parse_signal("UNUSED"), nsutil::cli::usage_error);
  CHECK_THROWS_AS(parse_signal("EXIT"), nsutil::cli::usage_error);
  // A non-ASCII case fold is no match: the comparison ignores the locale.
  CHECK_THROWS_AS(parse_signal("K\xc4\xb0LL"), nsutil::cli::usage_error);
}

TEST_CASE("signals: real-time ones as RTMIN+N, RTMAX-N and RTN", "[cli]") {
  using nsutil::cli::parse_signal;
  const int span = SIGRTMAX - SIGRTMIN;
  CHECK(parse_signal("RTMIN+0") == SIGRTMIN);
  CHECK(parse_signal("RTMIN+1") == SIGRTMIN + 1);
  CHECK(parse_signal("rtmin+1") == SIGRTMIN + 1);
  CHECK(parse_signal("SIGRTMIN+3") == SIGRTMIN + 3);
  CHECK(parse_signal("RTMIN+01") == SIGRTMIN + 1);
  CHECK(parse_signal("RTMIN+" + std::to_string(span)) == SIGRTMAX);
  CHECK(parse_signal("RTMAX-0") == SIGRTMAX);
  CHECK(parse_signal("SIGRTMAX-2") == SIGRTMAX - 2);
  CHECK(parse_signal("rtmax-" + std::to_string(span)) == SIGRTMIN);
  CHECK(parse_signal("RT0") == SIGRTMIN);
  CHECK(parse_signal("RT1") == SIGRTMIN + 1);
  CHECK(parse_signal("SIGRT1") == SIGRTMIN + 1);
  // As util-linux reads the number (strtol): whatever follows the digits is ignored.
  CHECK(parse_signal("RTMIN+1x") == SIGRTMIN + 1);
  // Ours: RTMIN and RTMAX alone (util-linux wants an offset).
  CHECK(parse_signal("RTMIN") == SIGRTMIN);
  CHECK(parse_signal("SIGRTMAX") == SIGRTMAX);
  // Past the real-time range, a sign, no digits, or no MIN+/MAX-: refused.
  for (const std::string& bad :
       {"RTMIN+" + std::to_string(span + 1), "RTMAX-" + std::to_string(span + 1),
        "RT" + std::to_string(span + 1), std::string("RTMIN+"), std::string("RTMAX-"),
        std::string("RTMIN+-1"), std::string("RTMIN++1"), std::string("RTMIN+ 1"),
        std::string("RT"), std::string("RT-1"), std::string("RT+1"), std::string("RTMIN-1"),
        std::string("RTMAX+1"), std::string("RTMIN+99999999999999999999"),
        std::string("RTMIN+4294967297"), std::string("RTFOO")}) {
    INFO(bad);
    CHECK_THROWS_WITH(parse_signal(bad), "unknown signal: " + bad);
  }
}

TEST_CASE("numbers follow util-linux's strtol rules", "[cli]") {
  using nsutil::cli::parse_number;
  CHECK(parse_number<int>("42") == 42);
  CHECK(parse_number<int>("+5") == 5);
  CHECK(parse_number<int>("  123") == 123);
  CHECK(parse_number<int>(" \t\n+7") == 7);
  CHECK(parse_number<int>("-5") == -5);
  CHECK(parse_number<int>(" -5") == -5);
  CHECK(parse_number<int>("010") == 10);  // decimal, as util-linux's base 10
  CHECK(parse_number<std::uint32_t>("4294967295") == 4294967295U);
  CHECK(parse_number<std::int64_t>("-9223372036854775808") == INT64_MIN);
  for (const char* bad : {"", " ", "+", "-", "+-5", "-+5", "++5", "- 5", "+ 5", "5 ", "5x", "0x10",
                          "1.5", "2147483648"})
    CHECK_FALSE(parse_number<int>(bad));
  CHECK_FALSE(parse_number<std::uint32_t>("-1"));  // strtoul would wrap it; refused
  CHECK_FALSE(parse_number<std::uint32_t>("4294967296"));
  CHECK_FALSE(parse_number<std::int64_t>("9223372036854775808"));
  CHECK_FALSE(parse_number<std::uint64_t>("18446744073709551616"));
}

TEST_CASE("user and group IDs: numbers, not (uid_t)-1", "[cli]") {
  CHECK(nsutil::cli::parse_id_number(" +0") == 0U);
  CHECK(nsutil::cli::parse_id_number("4294967294") == 4294967294U);
  CHECK_FALSE(nsutil::cli::parse_id_number("4294967295"));
  CHECK_FALSE(nsutil::cli::parse_id_number("-1"));
  CHECK_FALSE(nsutil::cli::parse_id_number("root"));
}

TEST_CASE("echoed values are one short line", "[cli]") {
  using nsutil::cli::printable;
  using nsutil::cli::quoted;
  CHECK(quoted("abc") == "'abc'");
  CHECK(printable("abc") == "abc");
  CHECK(quoted("a\nb\x1b[31m\t\r\x7f") == "'a\\nb\\x1b[31m\\t\\r\\x7f'");
  CHECK(quoted(std::string("a\0b", 3)) == "'a\\x00b'");
  CHECK(quoted("caf\xc3\xa9") == "'caf\xc3\xa9'");  // UTF-8 stays as it is
  std::string big(100000, 'x');
  CHECK(quoted(big) == "'" + std::string(80, 'x') + "...' (100000 bytes)");
  CHECK(printable(big) == std::string(80, 'x') + "... (100000 bytes)");
  // The cut does not split a UTF-8 character.
  std::string accents = std::string(79, 'x') + "\xc3\xa9" + big;
  CHECK(printable(accents).starts_with(std::string(79, 'x') + "... ("));
  CHECK(nsutil::cli::one_line("x\ny") == "x\\ny");
  CHECK_THROWS_WITH(nsutil::cli::parse_signal("A\nB"), "unknown signal: A\\nB");
}

TEST_CASE("the default shell is $SHELL run as a login shell", "[cli]") {
  ::setenv("SHELL", "/bin/bash", 1);
  auto [file, argv] = nsutil::cli::default_shell();
  CHECK(file == "/bin/bash");
  CHECK(argv == std::vector<std::string>{"-bash"});
}

TEST_CASE("mirror_status passes an exit code through", "[cli]") {
  CHECK(nsutil::cli::mirror_status({false, 42, false}) == 42);
}

TEST_CASE("ns_option names a namespace type by util-linux's long option", "[cli]") {
  using nsutil::ns_type;
  CHECK(nsutil::cli::ns_option({ns_type::mnt}) == "--mount");
  CHECK(nsutil::cli::ns_option({ns_type::net}) == "--net");
  CHECK(nsutil::cli::ns_option({ns_type::time, ns_type::cgroup}) == "--cgroup");
  CHECK(nsutil::cli::ns_option({}).empty());
}

TEST_CASE("named_options names every option a word can name", "[cli]") {
  const std::vector<std::string> words{"-fR/srv", "--kill-child=TERM", "ls", "--color"};
  nsutil::cli::named_options named(words);
  CHECK(named.names("fork,f"));
  CHECK(named.names("root,R"));
  CHECK(named.names("kill-child"));
  CHECK(named.names("color"));  // the command's own: a superset is enough
  CHECK(named.names(",s"));     // from the value "/srv"
  CHECK_FALSE(named.names("mount,m"));
  CHECK_FALSE(named.names("kill"));  // no prefixes
  CHECK_FALSE(named.names("init"));
  po::options_description d = sample(&named);
  CHECK(d.options().size() == 3);
  CHECK(d.find_nothrow("mount", false) == nullptr);
}

TEST_CASE("describing only the named options parses the same as describing all", "[cli]") {
  const std::vector<std::vector<std::string>> lines{{"-fm"},
                                                    {"-mf"},
                                                    {"--mount=/x", "-R", "/srv"},
                                                    {"--mou"},
                                                    {"--bogus"},
                                                    {"-x"},
                                                    {"-R"},
                                                    {"--root"},
                                                    {"--kill-child"},
                                                    {"--fork=1"},
                                                    {"-f", "-f"},
                                                    {"-fR/srv"},
                                                    {"--kill-child=TERM", "-m"},
                                                    {"-"},
                                                    {"--"}};
  for (const auto& words : lines) {
    INFO(fmt::format("{}", fmt::join(words, " ")));
    nsutil::cli::named_options named(words);
    CHECK(parsed(words, sample(&named)) == parsed(words, sample()));
  }
  // and the words really were parsed
  CHECK(parsed({"-fR/srv"}, sample()) == "fork;root=/srv;");
  CHECK(parsed({"--bogus"}, sample()).starts_with("error: "));
}
