#include "filter.hpp"

#include <fmt/format.h>
#include <regex.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <clocale>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include "cli.hpp"

namespace nsutil::xlsns {

enum class op { none, eq, ne, lt, le, gt, ge, re, nre, and_, or_, not_ };

struct term {
  enum class kind { column, number, string, boolean } what = kind::string;
  column col = column::ns;
  std::string text;
  double number = 0;
};

struct compiled_regex {
  regex_t re{};
  bool ok = false;
  compiled_regex() = default;
  compiled_regex(const compiled_regex&) = delete;
  compiled_regex& operator=(const compiled_regex&) = delete;
  ~compiled_regex() {
    if (ok)
      regfree(&re);
  }
};

struct filter_expr::node {
  op what = op::none;
  term left, right;  // for comparisons (op::none: just `left`)
  // and_, or_: two or more, evaluated in a loop (a 100,000-term chain does not recurse);
  // not_: one.
  std::vector<std::unique_ptr<node>> operands;
  std::unique_ptr<compiled_regex> regex;
};

namespace {

// How deep '(' and '!' may nest: parsing and evaluation recurse per level, and 30,000 levels
// would overflow the stack.
constexpr std::size_t max_depth = 1000;

// A decimal number, all of `s` ("12", "-1.5", "2e3"); nullopt otherwise. strtod_l in the C
// locale rather than std::from_chars: libstdc++'s floating-point from_chars drags libm and its
// own allocator into every xlsns process (about 0.3 MiB of peak memory).
std::optional<double> as_number(std::string_view s) {
  if (s.empty() || s.find_first_not_of("0123456789.eE+-") != std::string_view::npos ||
      !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '.'))
    return std::nullopt;
  static const locale_t c_locale = ::newlocale(LC_ALL_MASK, "C", nullptr);
  std::string text(s);
  char* end = nullptr;
  errno = 0;
  double v = ::strtod_l(text.c_str(), &end, c_locale);
  if (c_locale == nullptr || errno == ERANGE || end != text.c_str() + text.size())
    return std::nullopt;
  return v;
}

// glibc's regcomp() copies the operand of a repeat ("x{m,n}" holds n copies of x, "x{m,}"
// m + 1, "x+" two), so nested repeats multiply: "a{32767}{32767}" took over 2 GiB. And a repeat
// of a part that can match nothing ("()+", "(a?)+", "($)+") makes a cycle of empty steps whose
// closure regcomp() computes in time that grows by a factor of 10 to 100 per level of nesting:
// "(((((()+)+)+)+)$)+" took 0.15 s, one level more minutes. Found by tests/fuzz/xlsns_filter.
// So a -Q regex may expand to at most 300 atoms (room for POSIX's largest repeat count, 255),
// and may not repeat a part that can match the empty string.
constexpr std::uint64_t max_regex_size = 300;

// The walk of regex_problem(): the size of the regex with its repeats copied out, and whether a
// repeated part can match the empty string, group by group.
class regex_walk {
 public:
  explicit regex_walk(std::string_view re) : re_(re) {}

  std::optional<std::string> problem() {
    for (std::size_t i = 0; i < re_.size(); ++i) {
      if (!step(i))
        return "repeats a part that can match the empty string, which regcomp() may take minutes "
               "over; write it so that the repeated part cannot match nothing";
      if (open_.back().size >= too_big || open_.back().last >= too_big)
        return fmt::format("is too large once its repeats are expanded (more than {} parts)",
                           max_regex_size);
    }
    return std::nullopt;
  }

 private:
  static constexpr std::uint64_t too_big = max_regex_size + 1;
  // One group, or the whole regex: its size with repeats copied out, and whether it can match
  // the empty string (some alternative of only nullable atoms).
  struct group {
    std::uint64_t size = 0;
    std::uint64_t last = 0;  // the size of the last atom, which a repeat applies to
    bool has_last = false;
    bool last_nullable = false;
    bool before_last_nullable = true;  // the atoms of this alternative before the last one
    bool other_alt_nullable = false;   // an earlier alternative
    [[nodiscard]] bool alt_nullable() const {
      return before_last_nullable && (!has_last || last_nullable);
    }
    [[nodiscard]] bool nullable() const { return other_alt_nullable || alt_nullable(); }
  };

  void atom(std::uint64_t size, bool nullable) {
    group& g = open_.back();
    g.before_last_nullable = g.alt_nullable();
    g.size += size;
    g.last = size;
    g.has_last = true;
    g.last_nullable = nullable;
  }

  // The last atom `copies` times over; `optional`: it may now match nothing. Every size stays
  // below too_big, so this cannot overflow. False when the atom can match nothing.
  bool repeat(std::uint64_t copies, bool optional) {
    group& g = open_.back();
    if (!g.has_last)
      return true;  // nothing to repeat: regcomp() decides
    if (g.last_nullable)
      return false;
    g.size = g.size - g.last + g.last * copies;
    g.last *= copies;
    g.last_nullable = optional;
    return true;
  }

  [[nodiscard]] bool digit(std::size_t j) const {
    return j < re_.size() && std::isdigit(static_cast<unsigned char>(re_[j]));
  }

  std::uint64_t number(std::size_t& j) const {
    std::uint64_t v = 0;
    for (; digit(j); ++j)
      v = std::min(v * 10 + static_cast<unsigned>(re_[j] - '0'), too_big);
    return v;
  }

  // The ']' that ends the bracket expression opening at i: "[]a]", "[^]a]" and "[[:alpha:]]"
  // hold a ']' that does not end them.
  [[nodiscard]] std::size_t bracket_end(std::size_t i) const {
    std::size_t j = i + 1;
    j += j < re_.size() && re_[j] == '^' ? 1 : 0;
    j += j < re_.size() && re_[j] == ']' ? 1 : 0;
    while (j < re_.size() && re_[j] != ']') {
      if (re_[j] == '[' && j + 1 < re_.size() &&
          std::string_view(":.=").find(re_[j + 1]) != std::string_view::npos) {
        auto close = re_.find(std::string{re_[j + 1], ']'}, j + 2);
        j = close == std::string_view::npos ? re_.size() : close + 2;
      } else {
        ++j;
      }
    }
    return j;
  }

  // "{N}", "{N,}" or "{N,M}" at i; anything else is an atom (regcomp() takes the '{'
  // literally or refuses it).
  bool braces(std::size_t& i) {
    std::size_t j = i + 1;
    std::uint64_t least = number(j);
    std::uint64_t copies = least;
    if (j < re_.size() && re_[j] == ',') {
      ++j;
      copies = digit(j) ? std::max(least, number(j)) : least + 1;
    }
    if (j < re_.size() && re_[j] == '}') {
      i = j;
      return repeat(std::min(copies, too_big), least == 0);
    }
    atom(1, false);
    return true;
  }

  void close_group() {
    std::uint64_t size = std::max<std::uint64_t>(open_.back().size, 1);
    bool nullable = open_.back().nullable();
    open_.pop_back();
    atom(size, nullable);
  }

  void alternative() {
    group& g = open_.back();
    g.other_alt_nullable = g.nullable();
    g.has_last = false;
    g.last = 0;
    g.before_last_nullable = true;
  }

  // The character at i (and what belongs to it); false where a repeat repeats what can match
  // nothing.
  bool step(std::size_t& i) {
    char c = re_[i];
    if (c == '\\') {
      ++i;
      // glibc's word and buffer anchors match no character.
      atom(1, i < re_.size() && std::string_view("bB<>`'").find(re_[i]) != std::string_view::npos);
    } else if (c == '[') {
      i = bracket_end(i);
      atom(1, false);
    } else if (c == '(') {
      open_.emplace_back();
    } else if (c == ')' && open_.size() > 1) {
      close_group();
    } else if (c == '|') {
      alternative();
    } else if (c == '^' || c == '$') {
      atom(1, true);
    } else if (c == '*' || c == '?') {
      return repeat(1, true);
    } else if (c == '+') {
      return repeat(2, false);
    } else if (c == '{' && digit(i + 1)) {
      return braces(i);
    } else {
      atom(1, false);
    }
    return true;
  }

  std::string_view re_;
  std::vector<group> open_ = std::vector<group>(1);
};

// Why regcomp() should not be given `re`, or nullopt. Malformed parts count as literals and are
// left for regcomp() to refuse.
std::optional<std::string> regex_problem(std::string_view re) {
  return regex_walk(re).problem();
}

struct token {
  enum class kind { end, word, number, string, symbol } what = kind::end;
  std::string text;
  std::size_t pos = 0;
};

class parser {
 public:
  parser(std::string_view text, std::vector<column>& columns) : text_(text), columns_(columns) {
    next();
  }

  std::unique_ptr<filter_expr::node> parse_all() {
    auto n = parse_or();
    if (tok_.what != token::kind::end)
      fail("unexpected " + cli::quoted(tok_.text));
    return n;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const { fail(why, tok_.pos); }
  [[noreturn]] static void fail(const std::string& why, std::size_t pos) {
    throw filter_error(fmt::format("failed to parse filter: {} at position {}", why, pos + 1));
  }

  void next() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
    tok_ = {};
    tok_.pos = pos_;
    if (pos_ >= text_.size())
      return;
    char c = text_[pos_];
    if (c == '\'' || c == '"') {
      std::string s;
      ++pos_;
      while (pos_ < text_.size() && text_[pos_] != c) {
        if (text_[pos_] == '\\' && pos_ + 1 < text_.size())
          ++pos_;
        s += text_[pos_++];
      }
      if (pos_ >= text_.size())
        fail("unterminated string");
      ++pos_;
      tok_ = {token::kind::string, s, tok_.pos};
      return;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '-' && pos_ + 1 < text_.size() &&
         std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])))) {
      std::size_t start = pos_++;
      while (pos_ < text_.size() &&
             (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.'))
        ++pos_;
      tok_ = {token::kind::number, std::string(text_.substr(start, pos_ - start)), start};
      return;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t start = pos_;
      while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                     text_[pos_] == '_' || text_[pos_] == '-'))
        ++pos_;
      tok_ = {token::kind::word, std::string(text_.substr(start, pos_ - start)), start};
      return;
    }
    static constexpr std::string_view symbols[] = {"==", "!=", "<=", ">=", "=~", "!~", "&&",
                                                   "||", "<",  ">",  "!",  "(",  ")"};
    for (auto s : symbols) {
      if (text_.substr(pos_, s.size()) == s) {
        tok_ = {token::kind::symbol, std::string(s), pos_};
        pos_ += s.size();
        return;
      }
    }
    fail("unexpected " + cli::quoted(std::string_view(&text_[pos_], 1)));
  }

  bool is_word(std::string_view w) const {
    return tok_.what == token::kind::word && tok_.text.size() == w.size() &&
           strncasecmp(tok_.text.c_str(), w.data(), w.size()) == 0;
  }
  bool is_symbol(std::string_view s) const {
    return tok_.what == token::kind::symbol && tok_.text == s;
  }

  // One level of '(' or '!' deeper while it lives; refuses to go past max_depth.
  class deeper {
   public:
    explicit deeper(parser& p) : p_(p) {
      if (++p_.depth_ > max_depth)
        p_.fail(fmt::format("nested too deeply (more than {} levels of '(' and '!')", max_depth));
    }
    deeper(const deeper&) = delete;
    deeper& operator=(const deeper&) = delete;
    ~deeper() { --p_.depth_; }

   private:
    parser& p_;
  };

  // operand { (symbol | word) operand }: one node with every operand, or the operand alone.
  std::unique_ptr<filter_expr::node> chain(
      op what, std::string_view symbol, std::string_view word,
      std::unique_ptr<filter_expr::node> (parser::*operand)()) {
    auto first = (this->*operand)();
    if (!is_symbol(symbol) && !is_word(word))
      return first;
    auto n = std::make_unique<filter_expr::node>();
    n->what = what;
    n->operands.push_back(std::move(first));
    while (is_symbol(symbol) || is_word(word)) {
      next();
      n->operands.push_back((this->*operand)());
    }
    return n;
  }

  std::unique_ptr<filter_expr::node> parse_or() {
    return chain(op::or_, "||", "or", &parser::parse_and);
  }

  std::unique_ptr<filter_expr::node> parse_and() {
    return chain(op::and_, "&&", "and", &parser::parse_unary);
  }

  std::unique_ptr<filter_expr::node> parse_unary() {
    if (is_symbol("!") || is_word("not")) {
      deeper level(*this);
      next();
      auto n = std::make_unique<filter_expr::node>();
      n->what = op::not_;
      n->operands.push_back(parse_unary());
      return n;
    }
    if (is_symbol("(")) {
      deeper level(*this);
      next();
      auto inner = parse_or();
      if (!is_symbol(")"))
        fail("missing ')'");
      next();
      return inner;
    }
    auto n = std::make_unique<filter_expr::node>();
    n->left = parse_term();
    n->what = parse_op();
    if (n->what == op::none)
      return n;
    next();
    std::size_t right_pos = tok_.pos;  // the regex's own position, for its errors
    n->right = parse_term();
    if (n->what == op::re || n->what == op::nre) {
      if (n->right.what != term::kind::string)
        fail("a regular expression must be a string", right_pos);
      if (auto why = regex_problem(n->right.text))
        fail(fmt::format("regular expression {} {}", cli::quoted(n->right.text), *why), right_pos);
      n->regex = std::make_unique<compiled_regex>();
      if (regcomp(&n->regex->re, n->right.text.c_str(), REG_EXTENDED | REG_NOSUB) != 0)
        fail("bad regular expression " + cli::quoted(n->right.text), right_pos);
      n->regex->ok = true;
    }
    return n;
  }

  op parse_op() const {
    static constexpr std::pair<std::string_view, op> table[] = {
        {"==", op::eq}, {"eq", op::eq}, {"!=", op::ne}, {"ne", op::ne}, {"<", op::lt},
        {"lt", op::lt}, {"<=", op::le}, {"le", op::le}, {">", op::gt},  {"gt", op::gt},
        {">=", op::ge}, {"ge", op::ge}, {"=~", op::re}, {"!~", op::nre}};
    for (const auto& [name, value] : table)
      if (is_symbol(name) || is_word(name))
        return value;
    return op::none;
  }

  term parse_term() {
    term t;
    switch (tok_.what) {
      case token::kind::string:
        t.what = term::kind::string;
        t.text = tok_.text;
        break;
      case token::kind::number: {
        t.what = term::kind::number;
        t.text = tok_.text;
        auto n = as_number(t.text);
        if (!n)
          fail("bad number " + cli::quoted(t.text));
        t.number = *n;
        break;
      }
      case token::kind::word:
        if (is_word("true") || is_word("false")) {
          t.what = term::kind::boolean;
          t.number = is_word("true") ? 1 : 0;
          break;
        }
        if (auto col = parse_column(tok_.text)) {
          t.what = term::kind::column;
          t.col = *col;
          if (std::find(columns_.begin(), columns_.end(), *col) == columns_.end())
            columns_.push_back(*col);
          break;
        }
        fail("unknown column " + cli::quoted(tok_.text));
      default:
        fail(tok_.what == token::kind::end ? "unexpected end" : "expected a value");
    }
    next();
    return t;
  }

  std::string_view text_;
  std::vector<column>& columns_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
  token tok_;
};

bool evaluate(const filter_expr::node& n, const std::function<std::string(column)>& value) {
  switch (n.what) {
    case op::and_:
      return std::all_of(n.operands.begin(), n.operands.end(),
                         [&](const auto& o) { return evaluate(*o, value); });
    case op::or_:
      return std::any_of(n.operands.begin(), n.operands.end(),
                         [&](const auto& o) { return evaluate(*o, value); });
    case op::not_:
      return !evaluate(*n.operands.front(), value);
    default:
      break;
  }
  auto text = [&](const term& t) { return t.what == term::kind::column ? value(t.col) : t.text; };
  std::string left = text(n.left);
  if (n.what == op::none) {
    if (n.left.what == term::kind::boolean || n.left.what == term::kind::number)
      return n.left.number != 0;
    return !left.empty() && left != "0";
  }
  if (n.what == op::re || n.what == op::nre) {
    bool hit = regexec(&n.regex->re, left.c_str(), 0, nullptr, 0) == 0;
    return n.what == op::re ? hit : !hit;
  }
  std::string right = text(n.right);
  int cmp = 0;
  auto ln = as_number(left);
  auto rn = as_number(right);
  if (ln && rn)
    cmp = *ln < *rn ? -1 : *ln > *rn ? 1 : 0;
  else
    cmp = left.compare(right) < 0 ? -1 : left.compare(right) > 0 ? 1 : 0;
  switch (n.what) {
    case op::eq:
      return cmp == 0;
    case op::ne:
      return cmp != 0;
    case op::lt:
      return cmp < 0;
    case op::le:
      return cmp <= 0;
    case op::gt:
      return cmp > 0;
    case op::ge:
      return cmp >= 0;
    default:
      return false;
  }
}

}  // namespace

filter_expr filter_expr::parse(std::string_view text) {
  filter_expr f;
  parser p(text, f.columns_);
  f.root_ = p.parse_all();
  return f;
}

filter_expr::filter_expr(filter_expr&&) noexcept = default;
filter_expr& filter_expr::operator=(filter_expr&&) noexcept = default;
filter_expr::~filter_expr() = default;

bool filter_expr::matches(const std::function<std::string(column)>& value) const {
  return root_ ? evaluate(*root_, value) : true;
}

}  // namespace nsutil::xlsns
