#include "xlsns.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <clocale>
#include <nsutil/discovery.hpp>
#include <nsutil/error.hpp>
#include <stdexcept>

#include "filter.hpp"
#include "table.hpp"

namespace po = boost::program_options;

namespace nsutil::xlsns {
namespace {

// lsns's limit is twice its number of columns; a longer list is refused, not overflowed.
constexpr std::size_t max_columns = 32;

std::string help_text() {
  std::string text = R"(
Usage:
 xlsns [options] [<namespace>]

List system namespaces.

Options:
 -J, --json             use JSON output format
 -l, --list             use list format output
 -n, --noheadings       don't print headings
 -o, --output <list>    define which output columns to use
     --output-all       output all columns
 -P, --persistent       namespaces without processes
 -p, --task <pid>       print process namespaces
 -r, --raw              use the raw output format
 -u, --notruncate       don't truncate text in columns
 -W, --nowrap           don't use multi-line representation
 -t, --type <name>      namespace type (mnt, net, ipc, user, pid, uts, cgroup, time)
 -T, --tree[=<rel>]     use tree format (parent, owner, or process)
 -Q, --filter <expr>    print only the namespaces that match the expression
     --source <src>     read processes from: auto, bpf (BPF iterators) or proc

 -H, --list-columns     list the available columns
 -h, --help             display this help
 -V, --version          display version

Available output columns:
)";
  for (const auto& c : all_columns())
    text += fmt::format(" {:>11}  {}\n", c.name, c.help);
  text += "\nFor more details see xlsns(8).\n";
  return text;
}

void append_columns(std::string_view list, std::vector<column>& out) {
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = list.find(',', start);
    std::string_view name = list.substr(start, comma - start);
    auto col = parse_column(name);
    if (!col)
      throw std::runtime_error(fmt::format("unknown column: {}", cli::printable(name)));
    if (out.size() >= max_columns)
      throw std::runtime_error(
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

// The options `named` names (cli::named_options says why not all), and the positional namespace.
po::options_description describe_options(const cli::named_options& named) {
  po::options_description d;
  auto add = [&](const char* spec, const po::value_semantic* semantic) {
    named.add(d, spec, semantic);
  };
  for (const char* spec :
       {"json,J", "list,l", "noheadings,n", "output-all", "persistent,P", "raw,r", "notruncate,u",
        "nowrap,W", "list-columns,H", "help,h", "version,V"})
    add(spec, po::bool_switch());
  for (const char* spec : {"output,o", "task,p", "filter,Q", "source"})
    add(spec, po::value<std::string>());
  add("type,t", po::value<std::vector<std::string>>()->composing());
  add("tree,T", po::value<std::string>()->implicit_value("owner"));
  d.add_options()("namespace", po::value<std::vector<std::string>>()->composing());
  return d;
}

}  // namespace

cli::parse_result<options> parse_args(std::span<char* const> args) {
  po::positional_options_description positional;
  positional.add("namespace", -1);
  // -T's value must be attached (getopt's "T::"): Boost would take the next word, so a bare -T
  // (alone or ending a cluster such as -lT) is spelt out as --tree=owner first.
  std::vector<std::string> words;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--") {
      words.insert(words.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    bool cluster = a.size() > 1 && a[0] == '-' && a[1] != '-';
    if (a == "--tree" ||
        (cluster && a.back() == 'T' && a.substr(1, a.size() - 2).find_first_of("optQ") == a.npos)) {
      if (cluster && a.size() > 2)
        words.emplace_back(a.substr(0, a.size() - 1));
      words.emplace_back("--tree=owner");
      continue;
    }
    words.emplace_back(a);
  }
  const po::options_description desc = describe_options(cli::named_options(words));
  constexpr int style = po::command_line_style::unix_style ^ po::command_line_style::allow_guessing;
  po::variables_map vm = cli::store_last_wins(
      po::command_line_parser(words).options(desc).positional(positional).style(style).run());
  auto flag = [&](const char* name) { return cli::switch_given(vm, name); };

  if (flag("help"))
    return cli::early_exit{help_text()};
  if (flag("version"))
    return cli::early_exit{cli::version_text("xlsns")};

  options opts;
  opts.json = flag("json");
  opts.list = flag("list");
  opts.noheadings = flag("noheadings");
  opts.raw = flag("raw");
  opts.notruncate = flag("notruncate");
  opts.nowrap = flag("nowrap");
  opts.persistent = flag("persistent");
  opts.list_columns = flag("list-columns");
  if (opts.json && opts.raw)
    throw std::runtime_error("mutually exclusive arguments: --json --raw");

  if (vm.count("namespace")) {
    const auto& ns = vm["namespace"].as<std::vector<std::string>>();
    if (ns.size() > 1)
      throw cli::usage_error(fmt::format("unexpected argument: {}", cli::quoted(ns[1])));
    opts.ns = cli::parse_number<std::uint64_t>(ns[0]);
    if (!opts.ns)
      throw std::runtime_error(fmt::format("invalid namespace argument: {}", cli::quoted(ns[0])));
  }
  if (vm.count("task")) {
    const auto& text = vm["task"].as<std::string>();
    opts.task = cli::parse_number<pid_t>(text);
    if (!opts.task || *opts.task <= 0)
      throw std::runtime_error(fmt::format("invalid PID argument: {}", cli::quoted(text)));
    if (opts.ns)
      throw std::runtime_error("--task is mutually exclusive with <namespace>");
    if (opts.persistent)
      throw std::runtime_error("mutually exclusive arguments: --persistent --task");
  }
  bool net = false;
  if (vm.count("type")) {
    opts.types = {};
    for (const auto& name : vm["type"].as<std::vector<std::string>>()) {
      auto type = parse_ns_type(name);
      if (!type || name == "mount")
        throw std::runtime_error(fmt::format("unknown namespace type: {}", cli::printable(name)));
      opts.types.add(*type);
      net = net || *type == ns_type::net;
    }
  }

  // As lsns: --output-all or else the defaults first, then -o (its last one, wherever it stands)
  // replaces them, or appends to them as "+LIST".
  bool output_all = flag("output-all");
  if (output_all) {
    for (const auto& c : all_columns())
      opts.columns.push_back(c.id);
  } else {
    opts.columns = default_columns(opts, net);
  }
  if (vm.count("output")) {
    std::string_view list = vm["output"].as<std::string>();
    if (!list.empty() && list[0] == '+')
      list.remove_prefix(1);
    else
      opts.columns.clear();
    append_columns(list, opts.columns);
  }

  // As lsns: a process tree unless -l, or --output-all without a namespace argument; an
  // explicit -T wins over -l.
  if (vm.count("tree")) {
    const auto& rel = vm["tree"].as<std::string>();
    if (rel == "process")
      opts.tree = tree_mode::process;
    else if (rel == "parent")
      opts.tree = tree_mode::parent;
    else if (rel == "owner")
      opts.tree = tree_mode::owner;
    else
      throw std::runtime_error(fmt::format("unknown tree type: {}", cli::printable(rel)));
  } else if (!opts.list && (opts.ns || !output_all)) {
    opts.tree = tree_mode::process;
  }

  if (vm.count("filter")) {
    opts.filter = vm["filter"].as<std::string>();
    (void)filter_expr::parse(opts.filter);  // report bad syntax before any work
  }
  if (vm.count("source")) {
    const auto& name = vm["source"].as<std::string>();
    auto it = std::find_if(std::begin(sources), std::end(sources),
                           [&](discovery_source s) { return to_string(s) == name; });
    if (it == std::end(sources))
      throw std::runtime_error(fmt::format("unknown source: {}", cli::printable(name)));
    opts.source = *it;
  }
  return opts;
}

int run(const options& opts) {
  // libsmartcols draws trees and decides what is printable from the locale, as lsns does.
  std::setlocale(LC_ALL, "");
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
  if (opts.task && ::access(fmt::format("/proc/{}", *opts.task).c_str(), F_OK) != 0)
    throw std::runtime_error(fmt::format("no process with PID {}", *opts.task));

  discovery found = [&] {
    try {
      return discover(what);
    } catch (const error& e) {
      if (e.reason() != error_reason::no_bpf)
        throw;
      throw std::runtime_error(
          fmt::format("--source=bpf: the BPF iterators cannot be used here: {}", e.what()));
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
