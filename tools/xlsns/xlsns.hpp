// xlsns: a drop-in lsns. The options, their parsing (pure, unit-tested) and run().
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <nsutil/discovery.hpp>
#include <nsutil/ns_type.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "columns.hpp"
#include "options.hpp"

namespace nsutil::xlsns {

enum class tree_mode { none, process, parent, owner };

struct options {
  bool json = false;
  bool list = false;
  bool noheadings = false;
  bool raw = false;
  bool notruncate = false;
  bool nowrap = false;
  bool persistent = false;
  bool list_columns = false;
  /// The columns to print, resolved (defaults, "+LIST", --output-all).
  std::vector<column> columns;
  /// -p: only namespaces this process is in.
  std::optional<pid_t> task;
  /// -t: the types to list (all when none was given).
  ns_set types = ns_set::all();
  tree_mode tree = tree_mode::none;
  /// -Q: a filter expression (checked by parse_args).
  std::string filter;
  /// The namespace argument: list that namespace's processes.
  std::optional<std::uint64_t> ns;
  /// --source: where processes, threads and descriptors are read from.
  discovery_source source = discovery_source::automatic;
  /// --watch: a stream of events instead of a listing.
  bool watch = false;
  /// --interval: how often --watch rescans where kernel events cannot be had.
  std::chrono::milliseconds interval{1000};
};

/// The rows of xlsns's option table: parse_args() and --help read it, the tests compare the man
/// page and the completions with it.
std::vector<const cli::option_spec*> option_specs();

/// Parses xlsns's command line (without argv[0]). Throws cli::parse_error for bad input. Does
/// no I/O.
cli::parse_result<options> parse_args(std::span<char* const> args);

/// lsns's status when the kernel lacks an ioctl the parent and owner relations need (ENOTTY).
inline constexpr int exit_unsupported_ioctl = 2;

/// Lists namespaces as `opts` asks; returns the exit status.
int run(const options& opts);

/// --watch: prints namespace events until a signal or a closed stdout ends it (watch.cpp);
/// returns the exit status.
int run_watch(const options& opts);

}  // namespace nsutil::xlsns
