#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "filter.hpp"
#include "xlsns.hpp"

using nsutil::ns_type;
using nsutil::xlsns::column;
using nsutil::xlsns::options;
using nsutil::xlsns::tree_mode;

namespace {

nsutil::cli::parse_result<options> parse(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  return nsutil::xlsns::parse_args(std::span<char* const>(argv.data(), argv.size()));
}

options opts(std::vector<std::string> args) {
  return std::get<options>(parse(std::move(args)));
}

std::string error_of(std::vector<std::string> args) {
  try {
    (void)parse(std::move(args));
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("xlsns defaults are lsns's: six columns and a process tree", "[xlsns]") {
  auto o = opts({});
  CHECK(o.columns == std::vector<column>{column::ns, column::type, column::nprocs, column::pid,
                                         column::user, column::command});
  CHECK(o.tree == tree_mode::process);
  CHECK(o.types == nsutil::ns_set::all());
  CHECK_FALSE(o.json);
}

TEST_CASE("xlsns -t net adds NETNSID and NSFS before COMMAND; -t repeats", "[xlsns]") {
  auto o = opts({"-t", "net", "--type=uts"});
  CHECK(o.columns == std::vector<column>{column::ns, column::type, column::nprocs, column::pid,
                                         column::user, column::netnsid, column::nsfs,
                                         column::command});
  CHECK(o.types == nsutil::ns_set{ns_type::net, ns_type::uts});
}

TEST_CASE("xlsns -o replaces the columns, +LIST appends, --output-all has all", "[xlsns]") {
  CHECK(opts({"-o", "ns,NsId"}).columns == std::vector<column>{column::ns, column::nsid});
  auto plus = opts({"-o+PATH"}).columns;
  CHECK(plus.size() == 7);
  CHECK(plus.back() == column::path);
  auto all = opts({"--output-all"});
  CHECK(all.columns.size() == 19);
  CHECK(all.tree == tree_mode::none);  // as lsns: --output-all drops the default tree
  CHECK(opts({"-o", "NS"}).tree == tree_mode::process);
}

TEST_CASE("xlsns -o after or before --output-all: as lsns, -o applies last", "[xlsns]") {
  const auto all = opts({"--output-all"}).columns;
  // A plain list replaces all the columns, wherever it stands; no default tree either way.
  for (const auto& args : std::vector<std::vector<std::string>>{{"--output-all", "-o", "NS"},
                                                                {"-o", "NS", "--output-all"},
                                                                {"--output-all", "--output=NS"}}) {
    auto o = opts(args);
    CHECK(o.columns == std::vector<column>{column::ns});
    CHECK(o.tree == tree_mode::none);
  }
  // "+LIST" appends to all of them (a column may then repeat).
  auto plus = opts({"-o", "+NS,PID", "--output-all"}).columns;
  REQUIRE(plus.size() == all.size() + 2);
  CHECK(std::equal(all.begin(), all.end(), plus.begin()));
  CHECK(plus[all.size()] == column::ns);
  CHECK(plus.back() == column::pid);
  // The last -o wins, as lsns keeps only its last argument.
  CHECK(opts({"--output-all", "-o", "+NS", "-o", "TYPE"}).columns ==
        std::vector<column>{column::type});
  // With a namespace argument, lsns draws the process tree even with --output-all.
  auto ns = opts({"--output-all", "-o", "PID,COMMAND", "4026531836"});
  CHECK(ns.columns == std::vector<column>{column::pid, column::command});
  CHECK(ns.tree == tree_mode::process);
  CHECK(opts({"--output-all", "4026531836"}).tree == tree_mode::process);
  CHECK(opts({"--output-all", "-l", "4026531836"}).tree == tree_mode::none);
  // Bad input still fails with one message.
  CHECK(error_of({"--output-all", "-o", "NS,BOGUS"}) == "unknown column: BOGUS");
  CHECK(error_of({"--output-all", "-o", "+BOGUS"}) == "unknown column: BOGUS");
}

TEST_CASE("xlsns container columns: by name in -o and -Q, never by default", "[xlsns]") {
  CHECK(opts({"-o", "NS,container,ContainerID,ENGINE"}).columns ==
        std::vector<column>{column::ns, column::container, column::containerid, column::engine});
  CHECK(opts({"-o+CONTAINER"}).columns.back() == column::container);
  for (const auto& args :
       std::vector<std::vector<std::string>>{{}, {"-t", "net"}, {"-l"}, {"-p", "1"}}) {
    auto cols = opts(args).columns;
    for (column c : {column::container, column::containerid, column::engine})
      CHECK(std::find(cols.begin(), cols.end(), c) == cols.end());
  }
  auto filtered = opts({"-Q", "CONTAINER == \"web\" || ENGINE =~ \"^pod\""});
  auto f = nsutil::xlsns::filter_expr::parse(filtered.filter);
  CHECK(f.columns() == std::vector<column>{column::container, column::engine});
  CHECK(f.matches([](column c) { return c == column::container ? "web" : ""; }));
  CHECK_FALSE(f.matches([](column c) { return c == column::container ? "db" : "docker"; }));
  CHECK(nsutil::xlsns::info(column::containerid).name == "CONTAINERID");
  CHECK(error_of({"-o", "CONTAINERS"}) == "unknown column: CONTAINERS");
}

TEST_CASE("xlsns tree modes: -l drops the default, -T wins, the value must be attached",
          "[xlsns]") {
  CHECK(opts({"-l"}).tree == tree_mode::none);
  CHECK(opts({"-T"}).tree == tree_mode::owner);
  CHECK(opts({"-l", "-Tparent"}).tree == tree_mode::parent);
  CHECK(opts({"--tree=process"}).tree == tree_mode::process);
  CHECK(error_of({"-Tbogus"}) == "unknown tree type: bogus");
  // As lsns: one leading '=' of the value is dropped ("-T=parent"), and a prefix names --tree.
  CHECK(opts({"-T=parent"}).tree == tree_mode::parent);
  CHECK(opts({"--tree==process"}).tree == tree_mode::process);
  CHECK(opts({"--tr=parent"}).tree == tree_mode::parent);
  CHECK(error_of({"-T="}) == "unknown tree type: ");
  CHECK(error_of({"-T==parent"}) == "unknown tree type: =parent");
  CHECK(opts({"-lT", "-n"}).tree == tree_mode::owner);
  // As lsns: a detached word is the namespace argument.
  CHECK(error_of({"-T", "bogus"}) == "invalid namespace argument: 'bogus'");
}

TEST_CASE("xlsns namespace argument: process columns", "[xlsns]") {
  auto o = opts({"4026531836"});
  REQUIRE(o.ns);
  CHECK(*o.ns == 4026531836U);
  CHECK(o.columns == std::vector<column>{column::pid, column::ppid, column::user, column::command});
  CHECK(error_of({"123x"}) == "invalid namespace argument: '123x'");
  CHECK(opts({"+4026531836"}).ns == 4026531836U);  // as lsns's strtoul
  CHECK(opts({" 4026531836"}).ns == 4026531836U);
  CHECK(error_of({"4026531836 "}) == "invalid namespace argument: '4026531836 '");
  CHECK_THROWS_AS(parse({"1", "2"}), nsutil::cli::parse_error);
}

TEST_CASE("xlsns rejects bad input with lsns's messages", "[xlsns]") {
  CHECK(error_of({"-o", "FOO"}) == "unknown column: FOO");
  CHECK(error_of({"-o", "NS,,TYPE"}) == "unknown column: ");
  CHECK(error_of({"-t", "bogus"}) == "unknown namespace type: bogus");
  CHECK(error_of({"-p", "abc"}) == "invalid PID argument: 'abc'");
  CHECK(error_of({"-p", "0"}) == "invalid PID argument: '0'");
  CHECK(opts({"-p", "+1"}).task == 1);
  CHECK(opts({"-p", "  1"}).task == 1);
  CHECK(error_of({"-p", "2147483648"}) == "invalid PID argument: '2147483648'");
  CHECK(error_of({"-J", "-r"}) == "mutually exclusive arguments: --json --raw");
  CHECK(error_of({"-p", "1", "42"}) == "--task is mutually exclusive with <namespace>");
  CHECK(error_of({"-P", "-p", "1"}) == "mutually exclusive arguments: --persistent --task");
  std::string many = "NS";
  for (int i = 0; i < 10000; ++i)
    many += ",NS";
  CHECK(error_of({"-o", many}) == "too many columns specified, the limit is 32 columns");
  CHECK_THROWS_AS(parse({"--bogus"}), nsutil::cli::parse_error);
  CHECK_THROWS_AS(parse({"--t=net"}), nsutil::cli::parse_error);  // --task, --tree or --type
  CHECK(error_of({"-Q", "NS =="}).starts_with("failed to parse filter"));
  // Echoed values: control bytes escaped, long ones cut.
  CHECK(error_of({"-o", "NS,A\nB"}) == "unknown column: A\\nB");
  CHECK(error_of({"-t", "\x1b"}) == "unknown namespace type: \\x1b");
  CHECK(error_of({"-p", "1\n"}) == "invalid PID argument: '1\\n'");
  CHECK(error_of({"-T\n"}) == "unknown tree type: \\n");
  CHECK(error_of({"-o", std::string(100000, 'A')}) ==
        "unknown column: " + std::string(80, 'A') + "... (100000 bytes)");
}

TEST_CASE("xlsns flags", "[xlsns]") {
  auto o = opts({"-JnuWP", "-Q", "NPROCS > 1", "-H"});
  CHECK(o.json);
  CHECK(o.noheadings);
  CHECK(o.notruncate);
  CHECK(o.nowrap);
  CHECK(o.persistent);
  CHECK(o.list_columns);
  CHECK(o.filter == "NPROCS > 1");
  CHECK(opts({"-r"}).raw);
  CHECK(*opts({"--task=42"}).task == 42);
}

TEST_CASE("xlsns --help and --version", "[xlsns]") {
  auto help = std::get<nsutil::cli::early_exit>(parse({"--help"})).text;
  CHECK(help.find("Usage:\n xlsns [options] [<namespace>]") != std::string::npos);
  CHECK(help.find("--list-columns") != std::string::npos);
  CHECK(help.find("     HOLDERS  what keeps the namespace alive") != std::string::npos);
  auto version = std::get<nsutil::cli::early_exit>(parse({"-V"})).text;
  CHECK(version == "xlsns from nsutil " NSUTIL_VERSION "\n");
}

TEST_CASE("xlsns: a repeated option takes its last value, lists collect, as lsns", "[xlsns]") {
  CHECK(opts({"-o", "NS", "-o", "TYPE"}).columns == std::vector<column>{column::type});
  CHECK(opts({"-p", "1", "--task=2"}).task == 2);
  CHECK(opts({"-Tparent", "-Tprocess"}).tree == tree_mode::process);
  CHECK(opts({"-T", "-Tparent", "-l"}).tree == tree_mode::parent);
  CHECK(opts({"-Q", "NS", "-Q", "TYPE"}).filter == "TYPE");
  CHECK(opts({"-n", "-n", "-J", "--json"}).json);
  CHECK(opts({"-t", "net", "-t", "uts", "-t", "net"}).types ==
        nsutil::ns_set{ns_type::net, ns_type::uts});
  CHECK(error_of({"1", "2"}) == "unexpected argument: '2'");
}

TEST_CASE("xlsns --source: auto, bpf or proc; auto by default; long option only", "[xlsns]") {
  using nsutil::discovery_source;
  CHECK(opts({}).source == discovery_source::automatic);
  CHECK(opts({"--source=bpf"}).source == discovery_source::bpf);
  CHECK(opts({"--source", "proc"}).source == discovery_source::proc);
  CHECK(opts({"--source=proc", "--source=auto"}).source == discovery_source::automatic);
  CHECK(error_of({"--source=BPF"}) == "unknown source: BPF");
  CHECK(error_of({"--source", ""}) == "unknown source: ");
  CHECK(error_of({"--source=automatic"}) == "unknown source: automatic");
  CHECK(error_of({"--source"}) != "no error");
  CHECK(opts({"--sour=bpf"}).source == discovery_source::bpf);  // a prefix, as getopt_long
}

TEST_CASE("xlsns --watch: its own default columns, no tree, -o and +LIST as for the list",
          "[xlsns]") {
  auto o = opts({"--watch"});
  CHECK(o.watch);
  CHECK(o.columns == std::vector<column>{column::ns, column::type, column::nsid, column::pid,
                                         column::user, column::command});
  CHECK(o.tree == tree_mode::none);
  CHECK(o.interval == std::chrono::milliseconds(1000));
  CHECK(opts({"--watch", "-o", "+CONTAINER"}).columns.back() == column::container);
  CHECK(opts({"--watch", "-o", "NS,UID"}).columns == std::vector<column>{column::ns, column::uid});
  // --output-all gives the columns an event has, not those of a scan.
  auto all = opts({"--watch", "--output-all"}).columns;
  CHECK(std::find(all.begin(), all.end(), column::nprocs) == all.end());
  CHECK(std::find(all.begin(), all.end(), column::engine) != all.end());
  CHECK(opts({"--watch", "-t", "net", "-J"}).types == nsutil::ns_set{ns_type::net});
  CHECK_FALSE(opts({}).watch);
}

TEST_CASE("xlsns --interval: seconds, decimals allowed, only with --watch", "[xlsns]") {
  CHECK(opts({"--watch", "--interval", "0.25"}).interval == std::chrono::milliseconds(250));
  CHECK(opts({"--watch", "--interval=2"}).interval == std::chrono::milliseconds(2000));
  CHECK(opts({"--watch", "--interval", "0.001"}).interval == std::chrono::milliseconds(1));
  for (const char* bad : {"0", "-1", "x", "1s", "", "0.0004", "86401", "nan", "inf"})
    CHECK(error_of({"--watch", "--interval", bad}) ==
          fmt::format("invalid interval: '{}' (seconds, from 0.001 to 86400)", bad));
  CHECK(error_of({"--interval", "1"}) == "--interval applies only to --watch");
}

TEST_CASE("xlsns --watch refuses what belongs to a listing", "[xlsns]") {
  CHECK(error_of({"--watch", "-T"}) == "--watch is mutually exclusive with --tree");
  CHECK(error_of({"--watch", "-p", "1"}) == "--watch is mutually exclusive with --task");
  CHECK(error_of({"--watch", "4026531836"}) == "--watch is mutually exclusive with <namespace>");
  CHECK(error_of({"--watch", "-P"}) == "--watch is mutually exclusive with --persistent");
  CHECK(error_of({"--watch", "-H"}) == "--watch is mutually exclusive with --list-columns");
}

TEST_CASE("xlsns --watch refuses columns only a scan has, in -o and in -Q", "[xlsns]") {
  CHECK(error_of({"--watch", "-o", "NS,PATH"}) == "column PATH is not available with --watch");
  CHECK(error_of({"--watch", "-Q", "NPROCS == 0"}) ==
        "column NPROCS is not available with --watch");
  CHECK(opts({"--watch", "-Q", "PID > 1", "-o", "+UID"}).watch);
  CHECK(opts({"-o", "PATH"}).columns == std::vector<column>{column::path});
}
