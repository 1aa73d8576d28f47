#include "options.hpp"

#include <fmt/format.h>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>
#include <boost/program_options/value_semantic.hpp>

namespace po = boost::program_options;

namespace nsutil::cli {
namespace {

// What Boost needs to know of a value: how many words it takes. Nothing is stored through it:
// the options are applied from the parsed list, in command-line order.
class arity final : public po::value_semantic {
 public:
  arity(unsigned min, unsigned max) : min_(min), max_(max) {}
  [[nodiscard]] std::string name() const override { return "arg"; }
  [[nodiscard]] unsigned min_tokens() const override { return min_; }
  [[nodiscard]] unsigned max_tokens() const override { return max_; }
  [[nodiscard]] bool is_composing() const override { return false; }
  [[nodiscard]] bool is_required() const override { return false; }
  void parse(boost::any& /*store*/, const std::vector<std::string>& /*tokens*/,
             bool /*utf8*/) const override {}
  bool apply_default(boost::any& /*store*/) const override { return false; }
  void notify(const boost::any& /*store*/) const override {}

 private:
  unsigned min_;
  unsigned max_;
};

bool optional_value(takes arg) {
  return arg == takes::optional || arg == takes::optional_long;
}

// Whether a word of `args` could name `row`: "--PREFIX" or "--PREFIX=VALUE" a prefix of its
// name, or "-ABC" its letter. Every word counts (values and the program's words too), so the
// rows kept are a superset of those Boost can match or find ambiguous.
bool could_name(const option_spec& row, std::span<char* const> args) {
  for (std::string_view word : args) {
    if (word.starts_with("--")) {
      if (!row.name.empty() && row.name.starts_with(word.substr(2, word.find('=') - 2)))
        return true;
    } else if (word.size() > 1 && word[0] == '-' && row.letter != 0 &&
               word.find(row.letter, 1) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

// The table as Boost describes it, less the rows no word of `args` could name: Boost makes an
// istringstream and four allocations for each option described, which for xunshare's 45 cost
// more than the rest of its parse (tests/bench/README.md, "The option tables' cost per call"), and
// the rows left out cannot change what it reads. Boost keys an option by its long name, or by "-X"
// when it has none; an optional_long row is two options, "--NAME[=VALUE]" and the bare "-X".
po::options_description describe(std::span<const option_spec* const> table,
                                 std::span<char* const> args) {
  po::options_description desc;
  auto add = [&](const std::string& names, unsigned min, unsigned max) {
    desc.add_options()(names.c_str(), new arity(min, max));
  };
  for (const option_spec* row : table) {
    if (!could_name(*row, args))
      continue;
    std::string names(row->name);
    unsigned min = row->arg == takes::value ? 1 : 0;
    unsigned max = row->arg == takes::nothing ? 0 : 1;
    if (row->letter != 0 && row->arg == takes::optional_long)
      add(std::string(",") + row->letter, 0, 0);
    else if (row->letter != 0)
      names += std::string(",") + row->letter;
    add(names, min, max);
  }
  return desc;
}

// The row Boost's key names.
std::size_t row_of(std::span<const option_spec* const> table, std::string_view key) {
  for (std::size_t i = 0; i < table.size(); ++i) {
    bool short_key = key.size() == 2 && key[0] == '-';
    if (short_key ? table[i]->letter == key[1] : table[i]->name == key)
      return i;
  }
  throw parse_error(fmt::format("unrecognised option '{}'", printable(key)));
}

// Boost's description of the option a word names, or null where it names none (or several:
// Boost refuses that word when it parses the options).
const po::option_description* described(const po::options_description& desc,
                                        const std::string& name, bool long_name) {
  try {
    return desc.find_nothrow(name, /*approx=*/long_name);
  } catch (const po::error&) {
    return nullptr;
  }
}

// Where getopt's "+" stops: the options are args[0, options) and the operands start at
// `operands`, after the "--" that ends the options, if any.
struct split {
  std::size_t options;
  std::size_t operands;
};

split options_end(std::span<char* const> args, const po::options_description& desc) {
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string_view word = args[i];
    if (word == "--")
      return {i, i + 1};
    if (word.size() > 2 && word.starts_with("--")) {
      std::size_t eq = word.find('=');
      const auto* d = described(desc, std::string(word.substr(2, eq - 2)), true);
      if (d != nullptr && d->semantic()->min_tokens() > 0 && eq == std::string_view::npos)
        ++i;  // its value
      continue;
    }
    if (word.size() < 2 || word[0] != '-')
      break;
    for (std::size_t j = 1; j < word.size(); ++j) {
      const auto* d = described(desc, std::string("-") + word[j], false);
      if (d == nullptr || d->semantic()->max_tokens() == 0)
        continue;
      // The rest of the word is the value; a required one may be the next word.
      if (j + 1 == word.size() && d->semantic()->min_tokens() > 0)
        ++i;
      break;
    }
  }
  i = std::min(i, args.size());
  return {i, i};
}

}  // namespace

reading read_options(std::span<const option_spec* const> table, std::span<char* const> args,
                     operands where) {
  reading out;
  try {
    const po::options_description desc = describe(table, args);
    split at{args.size(), args.size()};
    if (where == operands::end_options)
      at = options_end(args, desc);
    std::vector<std::string> words(args.begin(),
                                   args.begin() + static_cast<std::ptrdiff_t>(at.options));
    for (std::size_t i = at.operands; i < args.size(); ++i)
      out.operands.emplace_back(args[i]);
    // unix_style: getopt_long's, with allow_guessing for unambiguous prefixes of long options.
    auto parsed = po::command_line_parser(words)
                      .options(desc)
                      .style(po::command_line_style::unix_style)
                      .run();
    std::vector<std::string> operands;
    for (po::option& o : parsed.options) {
      if (o.position_key >= 0) {
        operands.push_back(std::move(o.value.front()));
        continue;
      }
      occurrence seen{row_of(table, o.string_key), std::nullopt};
      // An optional value is taken only attached: Boost gives such an option the operand after
      // it too, which getopt leaves an operand.
      if (optional_value(table[seen.row]->arg) && o.original_tokens.size() > 1)
        operands.push_back(std::move(o.original_tokens[1]));
      else if (!o.value.empty())
        seen.value = std::move(o.value.front());
      out.options.push_back(std::move(seen));
    }
    operands.insert(operands.end(), std::make_move_iterator(out.operands.begin()),
                    std::make_move_iterator(out.operands.end()));
    out.operands = std::move(operands);
  } catch (const po::error& e) {
    throw parse_error(e.what());
  }
  return out;
}

namespace {

// " -m, --mount[=<file>]", as --help starts a row.
std::string row_head(const option_spec& row, bool indent_long_only) {
  std::string head = " ";
  if (row.letter != 0)
    head += fmt::format("-{}{}", row.letter, row.name.empty() ? "" : ", ");
  else if (indent_long_only)
    head += "    ";
  if (!row.name.empty())
    head += fmt::format("--{}", row.name);
  head += row.value;
  return head;
}

}  // namespace

std::string help_text(std::span<const option_spec* const> table, const help_layout& layout) {
  std::string text(layout.head);
  for (const option_spec* row : table) {
    if (row->gap)
      text += '\n';
    std::string head = row_head(*row, layout.indent_long_only);
    // The description beside the row's head, or under it when the head leaves no two spaces.
    if (head.size() + 2 > layout.column)
      head += '\n' + std::string(layout.column, ' ');
    else
      head.resize(layout.column, ' ');
    text += head;
    std::string_view help = row->help;
    for (std::size_t nl; (nl = help.find('\n')) != std::string_view::npos;) {
      text += fmt::format("{}\n{:{}}", help.substr(0, nl), "", layout.column + 2);
      help.remove_prefix(nl + 1);
    }
    text += fmt::format("{}\n", help);
  }
  if (layout.more != nullptr)
    text += layout.more();
  text += layout.tail;
  return text;
}

}  // namespace nsutil::cli
