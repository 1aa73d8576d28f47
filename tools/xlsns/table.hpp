// xlsns's output through libsmartcols: the namespace table (flat or as a tree), the process
// list of one namespace, and the column list of -H.
#pragma once

#include <functional>
#include <nsutil/discovery.hpp>
#include <string>
#include <string_view>

#include "xlsns.hpp"

namespace nsutil::xlsns {

class filter_expr;

/// `in` with each byte that is not part of valid UTF-8 replaced by U+FFFD, so that JSON stays
/// valid whatever a command line holds.
std::string valid_utf8(std::string_view in);

/// Prints one row per namespace of `found` that passes -p, -P and `filter` (may be null).
void print_namespaces(const options& opts, const discovery& found, const filter_expr* filter);

/// Prints the processes of `ns` (the namespace-argument mode).
void print_processes(const options& opts, const discovery& found, const found_namespace& ns);

/// Prints the table of columns (-H): name, type and description.
void print_column_list(const options& opts);

}  // namespace nsutil::xlsns
