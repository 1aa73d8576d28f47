// xlsns -Q: filter_expr::parse() on the input, then matches() on rows of typical values, so that
// the evaluator (numbers, strings, regexes, long chains) runs on whatever parsed.
#include <array>
#include <string>

#include "fuzz.hpp"
#include "xlsns/filter.hpp"

namespace {

// Values such as xlsns shows: numbers, names, empty cells, "0", a path, a command line.
constexpr std::array<std::array<const char*, 4>, 3> rows{{
    {"4026531840", "net", "", "0"},
    {"-1.5", "/proc/1/ns/net", "systemd --user", "1e3"},
    {"", "unassigned", "4294967295", "root"},
}};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto filter = nsutil::xlsns::filter_expr::parse(nsutil::fuzz::text_of(data, size));
    for (const auto& row : rows)
      (void)filter.matches([&](nsutil::xlsns::column c) {
        return std::string(row[static_cast<std::size_t>(c) % row.size()]);
      });
  } catch (const nsutil::xlsns::filter_error&) {
  }
  return 0;
}
