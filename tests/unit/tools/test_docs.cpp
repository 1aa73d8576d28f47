// The man pages and the completions against the tools' option tables: every option of a table
// has its heading in the man page's OPTIONS, with the same value (none, required, optional), and
// no heading names an option the table lacks; every completion offers every option; where a
// completion lists the options that take the next word as their value, it lists exactly those.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "options.hpp"
#include "xlsns/xlsns.hpp"
#include "xnsenter/xnsenter.hpp"
#include "xunshare/xunshare.hpp"

using nsutil::cli::option_spec;
using nsutil::cli::takes;

namespace {

std::string source_file(const std::string& path) {
  const char* root = std::getenv("NSUTIL_SOURCE_ROOT");
  std::ifstream in(std::string(root != nullptr ? root : ".") + "/" + path);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct tool {
  std::string name;
  std::string man;
  std::vector<const option_spec*> table;
};

std::vector<tool> tools() {
  return {{"xunshare", "man/xunshare.1.scd", nsutil::xunshare::option_specs()},
          {"xnsenter", "man/xnsenter.1.scd", nsutil::xnsenter::option_specs()},
          {"xlsns", "man/xlsns.8.scd", nsutil::xlsns::option_specs()}};
}

// "-m --mount optional", as a man page heading and a table row are compared.
std::string described(char letter, std::string_view name, std::string_view value) {
  return fmt::format("{} --{} {}", letter == 0 ? std::string("(none)") : std::string{'-', letter},
                     name, value);
}

std::string kind(takes arg) {
  switch (arg) {
    case takes::nothing:
      return "nothing";
    case takes::value:
      return "value";
    default:
      return "optional";
  }
}

// The headings of the OPTIONS section: "*-m*, *--mount*[=_file_]" and the like.
std::set<std::string> man_headings(const std::string& page) {
  std::set<std::string> out;
  std::istringstream lines(page.substr(page.find("\n# OPTIONS")));
  static const std::regex heading(R"(^(?:\*-(.)\*, )?\*--([a-z-]+)\*(.*)$)");
  std::string line;
  std::getline(lines, line);
  std::getline(lines, line);
  while (std::getline(lines, line) && !line.starts_with("# ")) {
    std::smatch m;
    if (!line.starts_with("*-") || !std::regex_match(line, m, heading))
      continue;
    std::string rest = m[3];
    std::string value = rest.empty() ? "nothing" : rest.starts_with("[=") ? "optional" : "value";
    out.insert(described(m[1].length() != 0 ? m[1].str()[0] : 0, m[2].str(), value));
  }
  return out;
}

}  // namespace

TEST_CASE("each man page describes exactly the options of the tool's table", "[docs]") {
  for (const auto& t : tools()) {
    INFO(t.man);
    std::set<std::string> table;
    for (const option_spec* row : t.table)
      table.insert(described(row->letter, row->name, kind(row->arg)));
    CHECK(fmt::format("{}", fmt::join(man_headings(source_file(t.man)), "\n")) ==
          fmt::format("{}", fmt::join(table, "\n")));
  }
}

TEST_CASE("each completion offers every option of the tool's table", "[docs]") {
  for (const auto& t : tools()) {
    for (const std::string& path : {"completions/bash/" + t.name, "completions/zsh/_" + t.name,
                                    "completions/fish/" + t.name + ".fish"}) {
      INFO(path);
      const std::string text = source_file(path);
      const bool fish = path.ends_with(".fish");
      std::vector<std::string> missing;
      for (const option_spec* row : t.table) {
        std::string long_form =
            fish ? fmt::format("-l {}", row->name) : "--" + std::string(row->name);
        std::regex word("(^|[^a-z-])" + long_form + "([^a-z-]|$)");
        if (!row->name.empty() && !std::regex_search(text, word))
          missing.push_back(long_form);
        std::string letter = (fish ? "-s " : "-") + std::string(1, row->letter);
        if (row->letter != 0 &&
            !std::regex_search(text, std::regex("(^|[^a-zA-Z-])" + letter + "([^a-zA-Z-]|$)")))
          missing.push_back(letter);
      }
      CHECK(fmt::format("{}", fmt::join(missing, " ")) == "");
    }
  }
}

TEST_CASE("xunshare's completions skip the values of exactly the options that take one", "[docs]") {
  // The words each completion lists as taking the next word, in bash's @(...) or fish's list.
  std::set<std::string> table;
  for (const option_spec* row : nsutil::xunshare::option_specs()) {
    if (row->arg != takes::value)
      continue;
    table.insert("--" + std::string(row->name));
    if (row->letter != 0)
      table.insert(std::string{'-', row->letter});
  }
  auto listed = [](const std::string& text, const std::regex& list, const std::string& sep) {
    std::smatch m;
    REQUIRE(std::regex_search(text, m, list));
    std::set<std::string> words;
    std::string all = std::regex_replace(m[1].str(), std::regex(R"(\\\n\s*)"), " ");
    std::istringstream in(std::regex_replace(all, std::regex(sep), " "));
    for (std::string w; in >> w;)
      words.insert(w);
    return words;
  };
  CHECK(listed(source_file("completions/bash/xunshare"), std::regex(R"(with_value='@\(([^)]*)\))"),
               "[|]") == table);
  CHECK(listed(source_file("completions/fish/xunshare.fish"),
               std::regex(R"(set -l takes_value ((?:\\\n|[^\n])*))"), "\\\\") == table);
}
