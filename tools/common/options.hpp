// One option table per tool: the command line is read from it (Boost.ProgramOptions with
// getopt_long's rules), --help is written from it, and the tests compare the man pages and the
// completions with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cli.hpp"

namespace nsutil::cli {

/// How an option takes a value (getopt_long's has_arg).
enum class takes : std::uint8_t {
  nothing,   ///< none: "-f", "--fork"
  value,     ///< attached ("-R/srv", "--root=/srv") or the next word ("-R /srv")
  optional,  ///< attached only ("-n/f", "--net=/f"): a bare "--net" leaves the next word alone
  /// As `optional` for the long option; the letter takes none, so "-mfp" is three options
  /// (unshare's "-m" beside "--mount[=FILE]").
  optional_long,
};

/// Where the operands (words that are not options) may stand, as getopt reads them.
enum class operands : bool {
  /// The first operand ends the options (getopt's "+"): it is the program, and every word from
  /// it on is the program's.
  end_options,
  /// Operands may stand between options (getopt's default, as lsns reads its namespace).
  anywhere,
};

/// One row of a tool's option table, in the order --help lists them.
struct option_spec {
  std::string_view name;  ///< the long name without "--"; empty: none
  char letter = 0;        ///< the short option; 0: none
  takes arg = takes::nothing;
  std::string_view value;  ///< the value as --help writes it after the name: "[=<file>]", " <pid>"
  std::string_view help;   ///< --help's description; a '\n' starts a continuation line
  bool gap = false;        ///< an empty line before the row in --help
};

/// A row and what the option does to a tool's options: `apply` gets the value, or nullopt when
/// the option was given without one. The rows named "help" and "version" need none.
template <class Options>
struct option : option_spec {
  void (*apply)(Options&, std::optional<std::string_view>) = nullptr;
};

/// What --help writes around the rows: `head` before them (from "Usage:"), then what `more`
/// makes (if set), then `tail`; descriptions start at `column`, and a long option without a
/// letter is indented as if it had one when `indent_long_only`.
struct help_layout {
  std::string_view tool;
  std::string_view head;
  std::string_view tail;
  std::size_t column = 24;
  bool indent_long_only = true;
  std::string (*more)() = nullptr;
};

/// One option as the command line gives it: its row and its value.
struct occurrence {
  std::size_t row = 0;
  std::optional<std::string> value;
};

/// A command line read against a table: the options in command-line order, and the operands.
struct reading {
  std::vector<occurrence> options;
  std::vector<std::string> operands;
};

/// Reads `args` (without argv[0]) as getopt_long reads them with this table: a long option by
/// its name or an unambiguous prefix of it ("--prop" is --propagation; a prefix of several
/// is refused, an exact name wins over longer ones), short options grouped ("-mfp"), a value as
/// `takes` says, "--" ending the options. Pure. Throws parse_error.
reading read_options(std::span<const option_spec* const> table, std::span<char* const> args,
                     operands where);

/// The --help text: `layout.head`, a line (or more) for each row, `layout.tail`.
std::string help_text(std::span<const option_spec* const> table, const help_layout& layout);

/// The specs of a tool's table, as read_options() and help_text() take them.
template <class Options, std::size_t N>
std::vector<const option_spec*> specs_of(std::span<const option<Options>, N> table) {
  std::vector<const option_spec*> specs;
  specs.reserve(table.size());
  for (const auto& row : table)
    specs.push_back(&row);
  return specs;
}

/// A tool's parse_args(): reads `args` with `table`, calls each option's apply() on a new
/// Options in command-line order (so a repeated option's last value wins, as in a getopt loop),
/// then returns what `finish` makes of the Options and the operands (the rules between options,
/// what they imply); or the text of --help or --version where one of them comes first. Pure.
/// Throws parse_error.
template <class Options, std::size_t N, class Finish>
auto parse(std::span<const option<Options>, N> table, std::span<char* const> args,
           const help_layout& layout, operands where, Finish finish)
    -> parse_result<decltype(finish(std::declval<Options&>(), std::vector<std::string>{}))> {
  const std::vector<const option_spec*> specs = specs_of(table);
  reading read = read_options(specs, args, where);
  Options out{};
  for (const occurrence& o : read.options) {
    const option<Options>& row = table[o.row];
    if (row.name == "help")
      return early_exit{help_text(specs, layout)};
    if (row.name == "version")
      return early_exit{version_text(layout.tool)};
    row.apply(out, o.value ? std::optional<std::string_view>(*o.value) : std::nullopt);
  }
  return finish(out, std::move(read.operands));
}

}  // namespace nsutil::cli
