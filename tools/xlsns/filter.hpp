// xlsns -Q: a filter expression over column values, in the syntax of scols-filter(5), for
// libsmartcols versions (2.38) that have no filter engine.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "columns.hpp"

namespace nsutil::xlsns {

/// A malformed expression; what() says where ("filter: unexpected ')' at 7").
class filter_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A parsed filter. Grammar, loosest first:
///   expr  := and { ("||" | "or" | "OR") and }
///   and   := unary { ("&&" | "and" | "AND") unary }
///   unary := ("!" | "not" | "NOT") unary | "(" expr ")" | term [ op term ]
///   op    := == != < <= > >= =~ !~ (or eq ne lt le gt ge, any case)
///   term  := COLUMN | number | 'string' | "string" | true | false
/// A column alone is true when its value is non-empty and not 0. Numbers compare as numbers
/// when both sides are numeric, else as strings; =~ and !~ take POSIX extended regexes.
/// "(" and "!" nest at most 1000 levels deep; || and && chains may be of any length.
class filter_expr {
 public:
  /// Parses `text`. Throws filter_error for bad syntax, an unknown column or a bad regex.
  static filter_expr parse(std::string_view text);

  filter_expr(filter_expr&&) noexcept;
  filter_expr& operator=(filter_expr&&) noexcept;
  ~filter_expr();

  /// The columns the expression reads.
  [[nodiscard]] const std::vector<column>& columns() const noexcept { return columns_; }
  /// Evaluates it; `value` gives the text of a column for the row being tested.
  [[nodiscard]] bool matches(const std::function<std::string(column)>& value) const;

  struct node;

 private:
  filter_expr() = default;
  std::unique_ptr<node> root_;
  std::vector<column> columns_;
};

}  // namespace nsutil::xlsns
