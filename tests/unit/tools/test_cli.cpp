#include <fmt/format.h>
#include <fmt/ranges.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <nsutil/process.hpp>

#include "cli.hpp"
#include "options.hpp"

using nsutil::cli::operands;
using nsutil::cli::takes;

namespace {

// A table with the shapes of every tool's options: unshare's "-m" beside "--mount[=FILE]", long
// names that are prefixes of others, required and optional values.
const nsutil::cli::option_spec sample_rows[] = {
    {"mount", 'm', takes::optional_long, "[=<file>]", "unshare mounts namespace"},
    {"mount-proc", 0, takes::optional, "[=<dir>]", "mount proc filesystem first"},
    {"fork", 'f', takes::nothing, "", "fork before launching <program>", true},
    {"forward-signals", 0, takes::nothing, "", "forward signals to the forked child"},
    {"root", 'R', takes::value, " <dir>", "run the command with root directory set to <dir>"},
    {"net", 'n', takes::optional, "[=<file>]", "enter the network namespace\n(or a file's)"},
    {"propagation", 0, takes::value, " slave|shared|private|unchanged",
     "modify mount propagation in mount namespace"},
    {"", 'x', takes::nothing, "", "a letter alone"},
};

std::vector<const nsutil::cli::option_spec*> sample() {
  std::vector<const nsutil::cli::option_spec*> rows;
  for (const auto& row : sample_rows)
    rows.push_back(&row);
  return rows;
}

// What read_options() makes of `words`: "name=value;" per option, "|" and the operands, or
// "error: " and the message.
std::string read(std::vector<std::string> words, operands where = operands::end_options) {
  std::vector<char*> argv;
  for (auto& w : words)
    argv.push_back(w.data());
  try {
    auto r = nsutil::cli::read_options(sample(), std::span<char* const>(argv.data(), argv.size()),
                                       where);
    std::string out;
    for (const auto& o : r.options) {
      const auto& row = sample_rows[o.row];
      out += row.name.empty() ? std::string(1, row.letter) : std::string(row.name);
      if (o.value)
        out += "=" + *o.value;
      out += ';';
    }
    return out + "|" + fmt::format("{}", fmt::join(r.operands, " "));
  } catch (const nsutil::cli::parse_error& e) {
    CHECK(e.try_help());
    return std::string("error: ") + e.what();
  }
}

}  // namespace

TEST_CASE("options: a long option by an unambiguous prefix, as getopt_long", "[cli]") {
  CHECK(read({"--prop=private"}) == "propagation=private;|");
  CHECK(read({"--prop", "private", "true"}) == "propagation=private;|true");
  CHECK(read({"--ro", "/srv", "sh"}) == "root=/srv;|sh");
  CHECK(read({"--forw"}) == "forward-signals;|");
  CHECK(read({"--mount-p"}) == "mount-proc;|");
  // A whole name wins over the longer names it is a prefix of.
  CHECK(read({"--mount", "prog"}) == "mount;|prog");
  // A prefix of several names is refused, with them.
  CHECK(read({"--mou"}) ==
        "error: option '--mou' is ambiguous; possibilities: '--mount' '--mount-proc'");
  CHECK(read({"--fo", "true"}).starts_with("error: option '--fo' is ambiguous"));
  CHECK(read({"--", "--fo"}) == "|--fo");
}

TEST_CASE("options: short options group, a value ends the group", "[cli]") {
  CHECK(read({"-mfR/srv", "sh"}) == "mount;fork;root=/srv;|sh");
  CHECK(read({"-fR", "/srv", "sh"}) == "fork;root=/srv;|sh");
  CHECK(read({"-R", "-q"}) == "root=-q;|");  // a required value may start with '-'...
  CHECK(read({"-R", "-f"}) == "root=-f;|");  // as getopt, which takes the next word whole
  CHECK(read({"--root", "-f", "x"}) == "root=-f;|x");
  CHECK(read({"--ro", "--", "x"}) == "root=--;|x");
  CHECK(read({"-R", "--"}) == "root=--;|");
  CHECK(read({"-nfx"}) == "net=fx;|");  // an optional value takes the rest of the word
  CHECK(read({"-x"}) == "x;|");
}

TEST_CASE("options: an optional value is taken only attached", "[cli]") {
  CHECK(read({"--net", "ip", "link"}) == "net;|ip link");
  CHECK(read({"-n", "ip"}) == "net;|ip");
  CHECK(read({"--net=/f", "ip"}) == "net=/f;|ip");
  CHECK(read({"-n/f"}) == "net=/f;|");
  // The operand after a bare optional option stays an operand where operands may stand
  // anywhere too (lsns's "-T 123": the namespace argument, not -T's value).
  CHECK(read({"-n", "x", "-f"}, operands::anywhere) == "net;fork;|x");
  CHECK(read({"--net", "x", "y"}, operands::anywhere) == "net;|x y");
  CHECK(read({"-fn", "x"}, operands::anywhere) == "fork;net;|x");
  CHECK(read({"--mount-proc", "x"}, operands::anywhere) == "mount-proc;|x");
}

TEST_CASE("options: where the operands start", "[cli]") {
  // getopt's "+": the first operand is the program, everything after it is the program's.
  CHECK(read({"-f", "ls", "-l", "--bogus"}) == "fork;|ls -l --bogus");
  CHECK(read({"-f", "--", "-m"}) == "fork;|-m");
  CHECK(read({"--", "--"}) == "|--");
  CHECK(read({"-"}) == "|-");
  // Otherwise operands may stand between options; "--" still ends them.
  CHECK(read({"1", "-f", "2"}, operands::anywhere) == "fork;|1 2");
  CHECK(read({"-f", "--", "-m"}, operands::anywhere) == "fork;|-m");
}

TEST_CASE("options: bad input is one parse_error", "[cli]") {
  // In getopt_long's words.
  CHECK(read({"--bogus"}) == "error: unrecognized option '--bogus'");
  CHECK(read({"-z"}) == "error: invalid option -- 'z'");
  CHECK(read({"-fz"}) == "error: invalid option -- 'z'");
  CHECK(read({"--fork=1"}) == "error: option '--fork' doesn't allow an argument");
  CHECK(read({"-R"}) == "error: option requires an argument -- 'R'");
  CHECK(read({"-fR"}) == "error: option requires an argument -- 'R'");
  CHECK(read({"--root"}) == "error: option '--root' requires an argument");
  CHECK(read({"--ro"}) == "error: option '--root' requires an argument");
  CHECK(read({"--net="}).starts_with("error: "));
  CHECK(read({"-mq"}) == "error: invalid option -- 'q'");  // -m takes no value: q is an option
}

TEST_CASE("options: a word that spells Boost's message tokens is refused, not looped on", "[cli]") {
  // Boost's what() replaced "%original_token%" with the word itself, forever.
  CHECK(read({"-%original_token%-x"}) == "error: invalid option -- '%'");
  CHECK(read({"--%original_token%"}) == "error: unrecognized option '--%original_token%'");
  CHECK(read({"--fork=%value%"}) == "error: option '--fork' doesn't allow an argument");
  CHECK(read({"--%option%x=%value%"}) == "error: unrecognized option '--%option%x=%value%'");
}

TEST_CASE("options: applied in command-line order, the last value wins", "[cli]") {
  using value = std::optional<std::string_view>;
  const nsutil::cli::option<std::string> rows[] = {
      {{"root", 'R', takes::value, " <dir>", "the root"},
       [](std::string& s, value v) { s = "root " + std::string(*v); }},
      {{"net", 'n', takes::optional, "[=<file>]", "the net"},
       [](std::string& s, value v) { s = "net " + std::string(v.value_or("(none)")); }},
      {{"help", 'h', takes::nothing, "", "display this help"}},
      {{"version", 'V', takes::nothing, "", "display version"}},
  };
  const nsutil::cli::help_layout layout{.tool = "tool", .head = "Usage: tool\n", .tail = ""};
  auto apply = [&](std::vector<std::string> words) {
    std::vector<char*> argv;
    for (auto& w : words)
      argv.push_back(w.data());
    auto r = nsutil::cli::parse(std::span(rows), std::span<char* const>(argv), layout,
                                operands::end_options,
                                [](std::string& out, std::vector<std::string> operands) {
                                  return out + "|" + fmt::format("{}", fmt::join(operands, " "));
                                });
    if (auto* early = std::get_if<nsutil::cli::early_exit>(&r))
      return early->text;
    return std::get<std::string>(r);
  };
  CHECK(apply({"-R", "/a", "--net=/n", "--root=/b", "x"}) == "root /b|x");
  CHECK(apply({"-R/a", "-n"}) == "net (none)|");
  CHECK(apply({"-V", "--help"}) == "tool from nsutil " NSUTIL_VERSION "\n");
  CHECK(apply({"-R/a", "--he"}).starts_with("Usage: tool\n -R, --root <dir>"));
  // The whole command line is read before any option is applied.
  CHECK_THROWS_AS(apply({"--help", "--bogus"}), nsutil::cli::parse_error);
}

TEST_CASE("options: --help is written from the table", "[cli]") {
  const nsutil::cli::help_layout layout{
      .tool = "tool", .head = "Usage:\n", .tail = "End.\n", .column = 24};
  CHECK(nsutil::cli::help_text(sample(), layout) ==
        "Usage:\n"
        " -m, --mount[=<file>]   unshare mounts namespace\n"
        "     --mount-proc[=<dir>]\n"
        "                        mount proc filesystem first\n"
        "\n"
        " -f, --fork             fork before launching <program>\n"
        "     --forward-signals  forward signals to the forked child\n"
        " -R, --root <dir>       run the command with root directory set to <dir>\n"
        " -n, --net[=<file>]     enter the network namespace\n"
        "                          (or a file's)\n"
        "     --propagation slave|shared|private|unchanged\n"
        "                        modify mount propagation in mount namespace\n"
        " -x                     a letter alone\n"
        "End.\n");
  const nsutil::cli::help_layout flush{
      .tool = "tool", .head = "", .tail = "", .column = 27, .indent_long_only = false};
  CHECK(nsutil::cli::help_text(sample(), flush).find("\n --mount-proc[=<dir>]      mount proc") !=
        std::string::npos);
}

TEST_CASE("signals parse by name, SIG name and number", "[cli]") {
  CHECK(nsutil::cli::parse_signal("KILL") == SIGKILL);
  CHECK(nsutil::cli::parse_signal("sigterm") == SIGTERM);
  CHECK(nsutil::cli::parse_signal("SIGINT") == SIGINT);
  CHECK(nsutil::cli::parse_signal("9") == 9);
  CHECK(nsutil::cli::parse_signal("+9") == 9);
  CHECK(nsutil::cli::parse_signal(" 15") == 15);
  CHECK_THROWS_AS(nsutil::cli::parse_signal("9 "), nsutil::cli::parse_error);
  CHECK_THROWS_AS(nsutil::cli::parse_signal("BOGUS"), nsutil::cli::parse_error);
  CHECK_THROWS_AS(nsutil::cli::parse_signal("0"), nsutil::cli::parse_error);
  CHECK_THROWS_AS(nsutil::cli::parse_signal("999"), nsutil::cli::parse_error);
  CHECK_THROWS_AS(nsutil::cli::parse_signal(""), nsutil::cli::parse_error);
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
  CHECK_THROWS_AS(parse_signal("SIG"), nsutil::cli::parse_error);
  CHECK_THROWS_AS(parse_signal("SIGSIGKILL"), nsutil::cli::parse_error);
  CHECK_THROWS_AS(parse_signal("SIG9"), nsutil::cli::parse_error);
  CHECK_THROWS_AS(parse_signal("KIL"), nsutil::cli::parse_error);
  CHECK_THROWS_AS(parse_signal("KILLX"), nsutil::cli::parse_error);
  CHECK_THROWS_AS(parse_signal(" KILL"), nsutil::cli::parse_error);
  // Not in util-linux's table (glibc has no SIGUNUSED, Linux no SIGINFO or SIGLOST).
  CHECK_THROWS_AS(parse_signal("UNUSED"), nsutil::cli::parse_error);
  CHECK_THROWS_AS(parse_signal("EXIT"), nsutil::cli::parse_error);
  // A non-ASCII case fold is no match: the comparison ignores the locale.
  CHECK_THROWS_AS(parse_signal("K\xc4\xb0LL"), nsutil::cli::parse_error);
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
