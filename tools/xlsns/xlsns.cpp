#include "xlsns.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <clocale>
#include <nsutil/discovery.hpp>
#include <nsutil/error.hpp>
#include <stdexcept>

#include "filter.hpp"
#include "table.hpp"

namespace nsutil::xlsns {
namespace {

// lsns's limit is twice its number of columns; a longer list is refused, not overflowed.
constexpr std::size_t max_columns = 32;

// The column lines of --help, after the options.
std::string column_help() {
  std::string text = "\nAvailable output columns:\n";
  for (const auto& c : all_columns())
    text += fmt::format(" {:>11}  {}\n", c.name, c.help);
  return text;
}

// A value lsns refuses with errx(): one line, no "Try --help".
cli::parse_error bad_value(const std::string& what) {
  return cli::parse_error(what, cli::parse_error::hint::none);
}

void append_columns(std::string_view list, std::vector<column>& out) {
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = list.find(',', start);
    std::string_view name = list.substr(start, comma - start);
    auto col = parse_column(name);
    if (!col)
      throw bad_value(fmt::format("unknown column: {}", cli::printable(name)));
    if (out.size() >= max_columns)
      throw bad_value(
          fmt::format("too many columns specified, the limit is {} columns", max_columns));
    out.push_back(*col);
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
}

std::vector<column> default_columns(const options& opts, bool net) {
  if (opts.ns)
    return {column::pid, column::ppid, column::user, column::command};
  std::vector<column> cols{column::ns, column::type, column::nprocs, column::pid, column::user};
  if (net) {
    cols.push_back(column::netnsid);
    cols.push_back(column::nsfs);
  }
  cols.push_back(column::command);
  return cols;
}

constexpr discovery_source sources[] = {discovery_source::automatic, discovery_source::bpf,
                                        discovery_source::proc};

// The options as given, before what lsns decides after its getopt loop (the columns, the
// default tree).
struct given {
  options opts;
  bool output_all = false;
  std::optional<std::string> output;  // the last -o
  bool tree = false;                  // -T
  bool types = false;                 // -t
  bool net = false;                   // -t net
  bool interval = false;              // --interval
};

using value = std::optional<std::string_view>;
using cli::takes;

void set_task(given& g, value v) {
  g.opts.task = cli::parse_number<pid_t>(*v);
  if (!g.opts.task || *g.opts.task <= 0)
    throw bad_value(fmt::format("invalid PID argument: {}", cli::quoted(*v)));
}

void add_type(given& g, value v) {
  auto type = parse_ns_type(*v);
  if (!type || *v == "mount")
    throw bad_value(fmt::format("unknown namespace type: {}", cli::printable(*v)));
  if (!g.types)
    g.opts.types = {};
  g.types = true;
  g.opts.types.add(*type);
  g.net = g.net || *type == ns_type::net;
}

// -T[REL]: lsns strips one leading '=' ("-T=parent", getopt's optional value of a short option).
void set_tree(given& g, value v) {
  std::string_view rel = v.value_or("owner");
  if (rel.starts_with('='))
    rel.remove_prefix(1);
  if (rel == "process")
    g.opts.tree = tree_mode::process;
  else if (rel == "parent")
    g.opts.tree = tree_mode::parent;
  else if (rel == "owner")
    g.opts.tree = tree_mode::owner;
  else
    throw bad_value(fmt::format("unknown tree type: {}", cli::printable(rel)));
  g.tree = true;
}

void set_filter(given& g, value v) {
  try {
    (void)filter_expr::parse(*v);  // report bad syntax before any work
  } catch (const filter_error& e) {
    throw bad_value(e.what());
  }
  g.opts.filter = *v;
}

void set_source(given& g, value v) {
  auto it = std::find_if(std::begin(sources), std::end(sources),
                         [&](discovery_source s) { return to_string(s) == *v; });
  if (it == std::end(sources))
    throw bad_value(fmt::format("unknown source: {}", cli::printable(*v)));
  g.opts.source = *it;
}

// --interval SECONDS: a decimal number of seconds ("2", "0.25"), at least a millisecond, at most
// a day. Read as integers: floating-point parsing would bring libm into the self-contained
// program.
std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text) {
  std::size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.size() + fraction.size() == 0 || whole.size() > 5 || fraction.size() > 3 ||
      !digits(whole) || !digits(fraction) || (dot != std::string_view::npos && fraction.empty()))
    return std::nullopt;
  std::int64_t ms = 0;
  for (char c : whole)
    ms = ms * 10 + (c - '0');
  ms *= 1000;
  std::int64_t scale = 100;
  for (char c : fraction) {
    ms += (c - '0') * scale;
    scale /= 10;
  }
  if (ms < 1 || ms > 86400 * 1000)
    return std::nullopt;
  return std::chrono::milliseconds(ms);
}

void set_interval(given& g, value v) {
  auto interval = parse_seconds(*v);
  if (!interval)
    throw bad_value(
        fmt::format("invalid interval: {} (seconds, from 0.001 to 86400)", cli::quoted(*v)));
  g.opts.interval = *interval;
  g.interval = true;
}

// util-linux lsns's options, as its --help lists them, and xlsns's own.
constexpr cli::option<given> table[] = {
    {{"json", 'J', takes::nothing, "", "use JSON output format"},
     [](given& g, value) { g.opts.json = true; }},
    {{"list", 'l', takes::nothing, "", "use list format output"},
     [](given& g, value) { g.opts.list = true; }},
    {{"noheadings", 'n', takes::nothing, "", "don't print headings"},
     [](given& g, value) { g.opts.noheadings = true; }},
    {{"output", 'o', takes::value, " <list>", "define which output columns to use"},
     [](given& g, value v) { g.output = *v; }},
    {{"output-all", 0, takes::nothing, "", "output all columns"},
     [](given& g, value) { g.output_all = true; }},
    {{"persistent", 'P', takes::nothing, "", "namespaces without processes"},
     [](given& g, value) { g.opts.persistent = true; }},
    {{"task", 'p', takes::value, " <pid>", "print process namespaces"}, set_task},
    {{"raw", 'r', takes::nothing, "", "use the raw output format"},
     [](given& g, value) { g.opts.raw = true; }},
    {{"notruncate", 'u', takes::nothing, "", "don't truncate text in columns"},
     [](given& g, value) { g.opts.notruncate = true; }},
    {{"nowrap", 'W', takes::nothing, "", "don't use multi-line representation"},
     [](given& g, value) { g.opts.nowrap = true; }},
    {{"type", 't', takes::value, " <name>",
      "namespace type (mnt, net, ipc, user, pid, uts, cgroup, time)"},
     add_type},
    {{"tree", 'T', takes::optional, "[=<rel>]", "use tree format (parent, owner, or process)"},
     set_tree},
    {{"filter", 'Q', takes::value, " <expr>",
      "print only the namespaces that match the expression"},
     set_filter},
    {{"source", 0, takes::value, " <src>",
      "read processes from: auto, bpf (BPF iterators) or proc"},
     set_source},
    {{"watch", 0, takes::nothing, "", "print namespaces as they appear and vanish"},
     [](given& g, value) { g.opts.watch = true; }},
    {{"interval", 0, takes::value, " <sec>", "how often --watch rescans without BPF (1)"},
     set_interval},
    {{"list-columns", 'H', takes::nothing, "", "list the available columns", true},
     [](given& g, value) { g.opts.list_columns = true; }},
    {{"help", 'h', takes::nothing, "", "display this help"}},
    {{"version", 'V', takes::nothing, "", "display version"}},
};

constexpr cli::help_layout help{
    .tool = "xlsns",
    .head = "\nUsage:\n xlsns [options] [<namespace>]\n\nList system namespaces.\n\nOptions:\n",
    .tail = "\nFor more details see xlsns(8).\n",
    .column = 24,
    .indent_long_only = true,
    .more = column_help,
};

// What --watch takes: events have no process tree, no task and no namespace argument.
void check_watch(const given& g) {
  const options& opts = g.opts;
  if (!opts.watch) {
    if (g.interval)
      throw bad_value("--interval applies only to --watch");
    return;
  }
  const char* other = opts.task           ? "--task"
                      : opts.ns           ? "<namespace>"
                      : opts.persistent   ? "--persistent"
                      : g.tree            ? "--tree"
                      : opts.list_columns ? "--list-columns"
                                          : nullptr;
  if (other != nullptr)
    throw bad_value(fmt::format("--watch is mutually exclusive with {}", other));
}

// --watch prints what belongs to a namespace or its creator: a column only a scan has (-o, or
// in -Q's expression) is refused.
void check_watch_columns(const options& opts) {
  if (!opts.watch)
    return;
  std::vector<column> used = opts.columns;
  if (!opts.filter.empty()) {
    const filter_expr filter = filter_expr::parse(opts.filter);
    used.insert(used.end(), filter.columns().begin(), filter.columns().end());
  }
  for (column c : used)
    if (!is_event_column(c))
      throw bad_value(fmt::format("column {} is not available with --watch", info(c).name));
}

// The namespace argument and what excludes it, as lsns checks them after its getopt loop.
void check_operands(given& g, const std::vector<std::string>& operands) {
  options& opts = g.opts;
  if (opts.json && opts.raw)
    throw bad_value("mutually exclusive arguments: --json --raw");
  if (!operands.empty()) {
    if (operands.size() > 1)
      throw cli::parse_error(fmt::format("unexpected argument: {}", cli::quoted(operands[1])));
    opts.ns = cli::parse_number<std::uint64_t>(operands[0]);
    if (!opts.ns)
      throw bad_value(fmt::format("invalid namespace argument: {}", cli::quoted(operands[0])));
  }
  if (opts.task && opts.ns)
    throw bad_value("--task is mutually exclusive with <namespace>");
  if (opts.task && opts.persistent)
    throw bad_value("mutually exclusive arguments: --persistent --task");
  check_watch(g);
}

// As lsns: --output-all or else the defaults first, then -o (its last one, wherever it stands)
// replaces them, or appends to them as "+LIST"; a process tree unless -l, or --output-all
// without a namespace argument; an explicit -T wins over -l.
void resolve_layout(given& g) {
  options& opts = g.opts;
  if (g.output_all) {
    for (const auto& c : all_columns())
      if (!opts.watch || is_event_column(c.id))
        opts.columns.push_back(c.id);
  } else {
    opts.columns = opts.watch ? watch_columns() : default_columns(opts, g.net);
  }
  if (g.output) {
    std::string_view list = *g.output;
    if (!list.empty() && list[0] == '+')
      list.remove_prefix(1);
    else
      opts.columns.clear();
    append_columns(list, opts.columns);
  }
  if (!g.tree && !opts.list && !opts.watch && (opts.ns || !g.output_all))
    opts.tree = tree_mode::process;
}

}  // namespace

std::vector<const cli::option_spec*> option_specs() {
  return cli::specs_of(std::span(table));
}

cli::parse_result<options> parse_args(std::span<char* const> args) {
  return cli::parse(std::span(table), args, help, cli::operands::anywhere,
                    [](given& g, std::vector<std::string> operands) {
                      check_operands(g, operands);
                      resolve_layout(g);
                      check_watch_columns(g.opts);
                      return std::move(g.opts);
                    });
}

namespace {

// What the scan must find for `opts` and the columns `needed` (printed or filtered on).
discovery_options wanted(const options& opts, const std::vector<column>& needed) {
  auto wants = [&](column c) { return std::find(needed.begin(), needed.end(), c) != needed.end(); };
  discovery_options what;
  what.types = opts.types;
  what.relations = opts.tree == tree_mode::parent || opts.tree == tree_mode::owner ||
                   wants(column::pns) || wants(column::ons) || wants(column::holders);
  // The namespace argument lists every process of one namespace, each with its PPID and user.
  what.details = opts.ns ? process_details::all : process_details::representatives;
  what.ppids = opts.ns || opts.tree == tree_mode::process || wants(column::ppid);
  // The inode identifies a namespace within one scan; NS_GET_ID costs an open per namespace,
  // so it is asked for only when NSID is printed or filtered on.
  what.ids = wants(column::nsid);
  what.owners_of_any_type = opts.tree == tree_mode::parent || opts.tree == tree_mode::owner;
  // UID and USER of a namespace without a process are its owner's, whatever else is shown; and
  // a namespace that only a socket holds has no path to ask its NETNSID through later.
  what.owner_uids = wants(column::uid) || wants(column::user);
  what.netnsids = wants(column::netnsid);
  what.source = opts.source;
  return what;
}

}  // namespace

int run(const options& opts) {
  // libsmartcols draws trees and decides what is printable from the locale, as lsns does.
  std::setlocale(LC_ALL, "");
  if (opts.watch)
    return run_watch(opts);
  if (opts.list_columns) {
    print_column_list(opts);
    return cli::exit_ok;
  }
  std::optional<filter_expr> filter;
  std::vector<column> needed = opts.columns;
  if (!opts.filter.empty()) {
    filter = filter_expr::parse(opts.filter);
    needed.insert(needed.end(), filter->columns().begin(), filter->columns().end());
  }
  const discovery_options what = wanted(opts, needed);
  if (opts.task && ::access(fmt::format("/proc/{}", *opts.task).c_str(), F_OK) != 0)
    throw std::runtime_error(fmt::format("no process with PID {}", *opts.task));

  discovery found = [&] {
    try {
      return discover(what);
    } catch (const error& e) {
      if (e.reason() != error_reason::no_bpf)
        throw;
      auto message =
          fmt::format("--source=bpf: the BPF iterators cannot be used here: {}", e.what());
      if (e.errno_value() == E2BIG)
        throw cli::noted_error(message,
                               "on this kernel xlsns reads /proc: leave out --source, or "
                               "give --source=proc");
      throw std::runtime_error(message);
    }
  }();
  if (!found.unsupported_ioctl.empty()) {
    // As lsns: no table built on relations the kernel cannot give, and status 2.
    fmt::print(
        stderr,
        "xlsns: unsupported ioctl {}: the kernel is too old for the parent and owner relations\n",
        found.unsupported_ioctl);
    return exit_unsupported_ioctl;
  }
  if (opts.ns) {
    auto it = std::find_if(found.namespaces.begin(), found.namespaces.end(),
                           [&](const auto& ns) { return ns.inode.ino == *opts.ns; });
    if (it == found.namespaces.end())
      throw std::runtime_error(fmt::format("not found namespace: {}", *opts.ns));
    print_processes(opts, found, *it);
  } else {
    print_namespaces(opts, found, filter ? &*filter : nullptr);
  }
  // By what could not be read, not by who asks: root inside a user namespace reads no process
  // outside it, and anyone may run where every process is readable.
  if (found.denied > 0)
    fmt::print(stderr,
               "xlsns: note: {} processes or mount namespaces could not be read without "
               "privilege; the list is incomplete\n",
               found.denied);
  return cli::exit_ok;
}

}  // namespace nsutil::xlsns
