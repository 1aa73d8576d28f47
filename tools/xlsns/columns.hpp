// xlsns's columns: the table of names, help texts and layout flags, and the value of each cell.
#pragma once

#include <cstdint>
#include <memory>
#include <nsutil/containers.hpp>
#include <nsutil/discovery.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace nsutil::xlsns {

enum class column {
  ns,
  type,
  path,
  nprocs,
  pid,
  ppid,
  command,
  uid,
  user,
  netnsid,
  nsfs,
  pns,
  ons,
  nsid,
  nthreads,
  holders,
  container,
  containerid,
  engine,
};

/// How a column's values compare in a filter and print in JSON.
enum class column_kind { string, number };

struct column_info {
  column id;
  std::string_view name;
  double width_hint;
  int flags;  // SCOLS_FL_*
  column_kind kind;
  std::string_view help;
};

/// Every column, in lsns's order followed by the new ones.
const std::vector<column_info>& all_columns();
const column_info& info(column id);
/// Whether --watch can print the column: its value belongs to a namespace or its creator, not
/// to a scan.
bool is_event_column(column c);
/// The columns --watch prints when -o is not given.
std::vector<column> watch_columns();
/// Looks a column up by name, case-insensitively as lsns does.
std::optional<column> parse_column(std::string_view name);

/// One row's source: a namespace, and the process shown for it (the representative, or, in the
/// namespace-argument mode, each process in turn). `proc` may be null.
struct row_source {
  const found_namespace* ns = nullptr;
  const scanned_process* proc = nullptr;
  /// True in the namespace-argument mode, where every row is a process in the namespace.
  bool ns_process_rows = false;
};

/// Lazily computed values shared by every cell (user names, the netlink socket, commands).
class cell_context {
 public:
  explicit cell_context(bool nowrap) : nowrap_(nowrap) {}
  /// The text of one cell; empty when the value does not exist.
  std::string value(column id, const row_source& row);
  /// The name of a user, or the number where it has none; looked up once.
  std::string user_name(uid_t uid);

 private:
  /// A process's command line, read once: a process is the row of each of its namespaces.
  const std::string& command(pid_t pid);
  /// The container of a row's process; the resolver is made at the first container cell, so
  /// listings without CONTAINER, CONTAINERID or ENGINE read no engine state.
  const std::optional<container>& container_of(pid_t pid);
  /// CONTAINER, CONTAINERID or ENGINE of a row's process.
  std::string container_value(column id, const scanned_process* proc);
  bool nowrap_;
  std::unique_ptr<container_resolver> resolver_;
  std::vector<std::pair<pid_t, std::optional<container>>> containers_;
  std::vector<std::pair<uid_t, std::string>> users_;
  std::unordered_map<pid_t, std::string> commands_;
};

}  // namespace nsutil::xlsns
