#include "options.hpp"

#include <fmt/format.h>

#include <algorithm>
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
  throw parse_error(fmt::format("unrecognized option {}", quoted(key)));
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

// The words Boost is to parse, and the operands after them. getopt's "+" (operands::end_options)
// stops at the first operand or at "--". A required value given as the next word is attached to
// its option ("-R" "-f" becomes "-R-f"), since Boost refuses a next word that looks like an
// option and getopt takes it.
struct split {
  std::vector<std::string> words;
  std::vector<std::string> operands;
};

// Whether `word` ends with an option that requires a value it does not hold.
bool wants_next(std::string_view word, const po::options_description& desc) {
  if (word.size() > 2 && word.starts_with("--")) {
    const auto* d = described(desc, std::string(word.substr(2)), true);
    return word.find('=') == std::string_view::npos && d != nullptr &&
           d->semantic()->min_tokens() > 0;
  }
  for (std::size_t j = 1; j < word.size(); ++j) {
    const auto* d = described(desc, std::string("-") + word[j], false);
    if (d == nullptr || d->semantic()->max_tokens() == 0)
      continue;
    // The rest of the word is the value; a required one may be the next word.
    return j + 1 == word.size() && d->semantic()->min_tokens() > 0;
  }
  return false;
}

split split_words(std::span<char* const> args, const po::options_description& desc,
                  operands where) {
  split out;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string word = args[i];
    if (word == "--") {
      ++i;
      break;
    }
    const bool option = word.size() > 1 && word[0] == '-';
    if (!option && where == operands::end_options)
      break;
    const bool attach = option && i + 1 < args.size() && wants_next(word, desc);
    out.words.push_back(std::move(word));
    if (!attach)
      continue;
    std::string_view value = args[++i];
    if (!value.starts_with('-')) {
      out.words.emplace_back(value);
      continue;
    }
    std::string& joined = out.words.back();
    if (joined.starts_with("--"))
      joined += '=';
    joined += value;
  }
  for (; i < args.size(); ++i)
    out.operands.emplace_back(args[i]);
  return out;
}

// The letter of a group ("-mq") that no row has, as getopt names it; the group itself if the
// letters before it take a value.
std::string unknown_letter(std::string_view group, std::span<const option_spec* const> table) {
  for (char letter : group.substr(1)) {
    const auto row = std::find_if(table.begin(), table.end(),
                                  [&](const option_spec* r) { return r->letter == letter; });
    if (row == table.end())
      return std::string(1, letter);
    if ((*row)->arg != takes::nothing && (*row)->arg != takes::optional_long)
      break;
  }
  return std::string(group.substr(1));
}

// getopt_long's words for what Boost refused. Boost's own what() is never asked: it fills its
// message by replacing "%option%"-style tokens until none is left, so a word holding such a token
// (an option spelled "-%original_token%") made it loop until memory ran out.
std::string refusal(const po::error& e, std::span<const option_spec* const> table) {
  const auto* named = dynamic_cast<const po::error_with_option_name*>(&e);
  if (named == nullptr)
    return "bad usage";
  const std::string name = named->get_option_name();
  const bool is_long = name.starts_with("--");
  if (const auto* a = dynamic_cast<const po::ambiguous_option*>(&e)) {
    std::string text = fmt::format("option {} is ambiguous; possibilities:", quoted(name));
    for (const std::string& alt : a->alternatives())
      text += fmt::format(" '--{}'", printable(alt));
    return text;
  }
  if (dynamic_cast<const po::unknown_option*>(&e) != nullptr)
    return is_long ? fmt::format("unrecognized option {}", quoted(name))
                   : fmt::format("invalid option -- {}", quoted(unknown_letter(name, table)));
  const auto* syntax = dynamic_cast<const po::invalid_syntax*>(&e);
  if (syntax != nullptr && syntax->kind() == po::invalid_syntax::missing_parameter) {
    // getopt names the letter where "-R" was written; Boost's canonical name is the long one.
    po::invalid_syntax written(*syntax);
    written.set_option_name("");
    const std::string word = written.get_option_name();
    const auto row = std::find_if(table.begin(), table.end(), [&](const option_spec* r) {
      return is_long && r->name == std::string_view(name).substr(2);
    });
    if (row != table.end() && (*row)->letter != 0 && !word.starts_with("--") &&
        word.ends_with((*row)->letter))
      return fmt::format("option requires an argument -- {}", quoted({&(*row)->letter, 1}));
    return fmt::format("option {} requires an argument", quoted(name));
  }
  if (syntax != nullptr && syntax->kind() == po::invalid_syntax::extra_parameter)
    return fmt::format("option {} doesn't allow an argument", quoted(name));
  return fmt::format("bad usage of option {}", quoted(name));
}

}  // namespace

reading read_options(std::span<const option_spec* const> table, std::span<char* const> args,
                     operands where) {
  reading out;
  try {
    const po::options_description desc = describe(table, args);
    split at = split_words(args, desc, where);
    out.operands = std::move(at.operands);
    std::vector<std::string> words = std::move(at.words);
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
    throw parse_error(refusal(e, table));
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
