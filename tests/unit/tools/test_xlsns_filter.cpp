#include <catch2/catch.hpp>
#include <clocale>
#include <map>
#include <string>
#include <string_view>

#include "filter.hpp"

using nsutil::xlsns::column;
using nsutil::xlsns::filter_error;
using nsutil::xlsns::filter_expr;

namespace {

// A row: NS 4026531993, TYPE net, NPROCS 3, COMMAND "sleep 100", USER empty.
bool match(const std::string& text) {
  std::map<column, std::string> row{{column::ns, "4026531993"},
                                    {column::type, "net"},
                                    {column::nprocs, "3"},
                                    {column::command, "sleep 100"},
                                    {column::user, ""}};
  return filter_expr::parse(text).matches([&](column c) { return row[c]; });
}

}  // namespace

TEST_CASE("filter comparisons", "[xlsns][filter]") {
  CHECK(match("NS == 4026531993"));
  CHECK(match("TYPE == 'net'"));
  CHECK(match("TYPE == \"net\""));
  CHECK_FALSE(match("TYPE != 'net'"));
  CHECK(match("NPROCS > 2"));
  CHECK(match("NPROCS >= 3"));
  CHECK_FALSE(match("NPROCS < 3"));
  CHECK(match("NPROCS <= 3"));
  CHECK(match("NPROCS > 10") == false);  // numerically, not as text ("3" > "10")
  CHECK(match("COMMAND =~ '^sle+p'"));
  CHECK(match("COMMAND !~ 'bash'"));
  CHECK(match("nprocs == 3"));  // column names in any case
}

TEST_CASE("filter numbers: decimals, in any locale", "[xlsns][filter]") {
  // A comma locale, where one is installed, must not change how "2.5" reads (the tools call
  // setlocale(LC_ALL, "")).
  const char* old = std::setlocale(LC_NUMERIC, nullptr);
  std::string saved = old != nullptr ? old : "C";
  std::setlocale(LC_NUMERIC, "de_DE.UTF-8");
  CHECK(match("NPROCS > 2.5"));
  CHECK(match("NPROCS < 3.5"));
  CHECK(match("NPROCS == 3.0"));
  CHECK(match("NPROCS > -1"));
  std::setlocale(LC_NUMERIC, saved.c_str());
  // Text that only starts like a number compares as text.
  CHECK_FALSE(match("COMMAND == 100"));
  CHECK_THROWS_AS(filter_expr::parse("NS == 1.2.3"), filter_error);
}

TEST_CASE("filter logic, precedence and word forms", "[xlsns][filter]") {
  CHECK(match("TYPE == 'net' && NPROCS == 3"));
  CHECK(match("TYPE == 'uts' || NPROCS == 3"));
  CHECK_FALSE(match("!(TYPE == 'net')"));
  CHECK(match("TYPE == 'uts' || TYPE == 'net' && NPROCS == 3"));  // && binds tighter
  CHECK_FALSE(match("(TYPE == 'uts' || TYPE == 'net') && NPROCS == 4"));
  CHECK(match("TYPE eq 'net' and NPROCS gt 2 AND NOT NPROCS lt 1"));
  CHECK(match("TYPE ne 'pid' or false"));
  CHECK(match("NPROCS ge 3 && NPROCS le 3"));
  CHECK(match("NPROCS"));  // a column alone: non-empty and not 0
  CHECK_FALSE(match("USER"));
  CHECK(match("true"));
}

TEST_CASE("filter reports the columns it reads", "[xlsns][filter]") {
  auto f = filter_expr::parse("NS == 1 || (TYPE == 'x' && NS > 2)");
  CHECK(f.columns() == std::vector<column>{column::ns, column::type});
}

TEST_CASE("filter syntax errors", "[xlsns][filter]") {
  CHECK_THROWS_AS(filter_expr::parse("NS =="), filter_error);
  CHECK_THROWS_AS(filter_expr::parse("(NS == 1"), filter_error);
  CHECK_THROWS_AS(filter_expr::parse("NS == 1)"), filter_error);
  CHECK_THROWS_AS(filter_expr::parse("BOGUS == 1"), filter_error);
  CHECK_THROWS_AS(filter_expr::parse("TYPE == 'net"), filter_error);
  CHECK_THROWS_AS(filter_expr::parse("COMMAND =~ '('"), filter_error);
  CHECK_THROWS_AS(filter_expr::parse("NS # 1"), filter_error);
  CHECK_THROWS_AS(filter_expr::parse(""), filter_error);
  CHECK_THROWS_WITH(filter_expr::parse("NS == 1 )"),
                    "failed to parse filter: unexpected ')' at position 9");
  // A bad regex is reported where it starts, not after it.
  CHECK_THROWS_WITH(filter_expr::parse("COMMAND =~ '(' && NS"),
                    "failed to parse filter: bad regular expression '(' at position 12");
  CHECK_THROWS_WITH(filter_expr::parse("COMMAND =~ 5 || NS"),
                    "failed to parse filter: a regular expression must be a string at position 12");
  // Echoed text is one line, control bytes escaped.
  CHECK_THROWS_WITH(filter_expr::parse("COMMAND =~ '(\n\x1b'"),
                    "failed to parse filter: bad regular expression '(\\n\\x1b' at position 12");
  CHECK_THROWS_WITH(filter_expr::parse("NS == \x1b"),
                    "failed to parse filter: unexpected '\\x1b' at position 7");
}

TEST_CASE("a regex that regcomp would blow up is refused", "[xlsns][filter]") {
  // Found by tests/fuzz/xlsns_filter: regcomp() copies every repeated part, so these took over
  // 2 GiB of memory, or 5 to 15 s.
  CHECK_THROWS_WITH(filter_expr::parse("NS =~ 'a{32767}{32767}'"),
                    "failed to parse filter: regular expression 'a{32767}{32767}' is too large "
                    "once its repeats are expanded (more than 300 parts) at position 7");
  auto nested = [](std::string_view inner, std::size_t depth) {
    std::string re(depth, '(');
    re += inner;
    for (std::size_t i = 0; i < depth; ++i)
      re += ")+";
    return "NS =~ '" + re + "'";
  };
  CHECK_THROWS_AS(filter_expr::parse(nested("a", 22)), filter_error);
  CHECK_THROWS_AS(filter_expr::parse(nested("a", 9)), filter_error);
  // A repeat of what can match nothing: regcomp()'s time grows by 10 to 100 times a level.
  CHECK_THROWS_WITH(
      filter_expr::parse("NS =~ '(((((()+)+)+)+)$)+'"),
      "failed to parse filter: regular expression '(((((()+)+)+)+)$)+' repeats a part "
      "that can match the empty string, which regcomp() may take minutes over; write "
      "it so that the repeated part cannot match nothing at position 7");
  CHECK_THROWS_AS(filter_expr::parse(nested("", 2)), filter_error);
  CHECK_THROWS_AS(filter_expr::parse("NS =~ '(a?b?)*'"), filter_error);
  CHECK_THROWS_AS(filter_expr::parse("NS =~ '(x|$)+'"), filter_error);
  CHECK_THROWS_AS(filter_expr::parse("NS =~ '(\\\\<)*'"), filter_error);
  CHECK_THROWS_AS(filter_expr::parse("NS =~ 'a**'"), filter_error);
  CHECK_THROWS_AS(
      filter_expr::parse("NS=~ \"((((((9(()((((()++)+)+)+:)+)+)+)+)+)+)+PNS+)+)2)+)+0+)+\""),
      filter_error);
  CHECK_THROWS_AS(filter_expr::parse("NS =~ '((a{1,100}){1,100}){1,100}'"), filter_error);
  CHECK_THROWS_AS(filter_expr::parse("NS =~ 'x{301}'"), filter_error);
  CHECK_THROWS_AS(filter_expr::parse("NS =~ '(ab|c){100,}'"), filter_error);
  // What people write passes, and so do POSIX's largest count and the limit itself.
  CHECK_NOTHROW(filter_expr::parse("COMMAND =~ '^[[:alpha:]]{1,255}( --[a-z]+)*$'"));
  CHECK_NOTHROW(filter_expr::parse("COMMAND =~ '(a{1,10}){1,30}'"));
  CHECK_NOTHROW(filter_expr::parse("COMMAND =~ '[]{]{299}x'"));
  CHECK_NOTHROW(filter_expr::parse(nested("a", 7)));
  CHECK_NOTHROW(filter_expr::parse("COMMAND =~ '(a?b)*|^$|(x|y)+$'"));
  CHECK_NOTHROW(filter_expr::parse("COMMAND =~ '[[:digit:]]+(a+)+\\\\{99999'"));
}

TEST_CASE("filter nesting is bounded, with one clear error", "[xlsns][filter]") {
  auto nested = [](std::size_t n) { return std::string(n, '(') + "NS" + std::string(n, ')'); };
  CHECK(match(nested(1000)));
  CHECK(match(std::string(999, '!') + "NS == 1"));  // an odd number of nots
  CHECK_THROWS_AS(filter_expr::parse(std::string(1001, '!') + "NS"), filter_error);
  CHECK_THROWS_WITH(filter_expr::parse(nested(1001)),
                    "failed to parse filter: nested too deeply (more than 1000 levels of '(' and "
                    "'!') at position 1001");
  CHECK_THROWS_AS(filter_expr::parse(nested(30000)), filter_error);
  CHECK_THROWS_AS(filter_expr::parse(std::string(47500, '!') + "NS"), filter_error);
  CHECK_THROWS_AS(filter_expr::parse(std::string(500, '(') + std::string(501, '!') + "NS"),
                  filter_error);
}

TEST_CASE("long || and && chains are evaluated without recursion", "[xlsns][filter]") {
  std::string any_of;
  std::string all_of;
  for (int i = 0; i < 100000; ++i) {
    any_of += "NS==1||";
    all_of += "NPROCS==3&&";
  }
  CHECK_FALSE(match(any_of + "NS==1"));
  CHECK(match(any_of + "TYPE=='net'"));
  CHECK(match(all_of + "NS==4026531993"));
  CHECK_FALSE(match(all_of + "NS==1"));
  CHECK(match("NS==1 || TYPE=='net' && NPROCS==3"));  // && binds tighter
  CHECK_FALSE(match("(NS==1 || TYPE=='net') && NPROCS==4"));
}
