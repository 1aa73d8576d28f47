#include "table.hpp"

#include <libsmartcols.h>

#include <algorithm>
#include <memory>
#include <nsutil/error.hpp>
#include <unordered_map>

#include "filter.hpp"

namespace nsutil::xlsns {
namespace {

using table_ptr = std::unique_ptr<libscols_table, void (*)(libscols_table*)>;

// A table set up for -J, -r and -n; `name` is the JSON key of the rows.
table_ptr new_table(const options& opts, const char* name) {
  table_ptr tb(scols_new_table(), scols_unref_table);
  if (!tb)
    throw_error(ENOMEM, "scols_new_table");
  scols_table_enable_json(tb.get(), opts.json ? 1 : 0);
  scols_table_enable_raw(tb.get(), opts.raw ? 1 : 0);
  scols_table_enable_noheadings(tb.get(), opts.noheadings ? 1 : 0);
  if (opts.json)
    scols_table_set_name(tb.get(), name);
  return tb;
}

class table_writer {
 public:
  table_writer(const options& opts, const std::vector<column>& columns, tree_mode tree)
      : opts_(opts),
        columns_(columns),
        tb_(new_table(opts, "namespaces")),
        cells_(opts.nowrap || opts.raw) {
    for (column id : columns) {
      const auto& ci = info(id);
      int flags = ci.flags;
      if (opts.notruncate)
        flags &= ~SCOLS_FL_TRUNC;
      if ((opts.nowrap || opts.raw) && (flags & SCOLS_FL_WRAP) != 0)
        flags &= ~SCOLS_FL_WRAP;
      if (tree == tree_mode::process && id == column::command)
        flags |= SCOLS_FL_TREE;
      // As lsns: the tree column of the parent and owner trees is not right-aligned.
      if ((tree == tree_mode::parent || tree == tree_mode::owner) && id == column::ns)
        flags = (flags & ~SCOLS_FL_RIGHT) | SCOLS_FL_TREE;
      libscols_column* cl =
          scols_table_new_column(tb_.get(), std::string(ci.name).c_str(), ci.width_hint, flags);
      if (cl == nullptr)
        throw_error(ENOMEM, "scols_table_new_column");
      if (opts.json) {
        if (ci.kind == column_kind::number)
          scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
      }
      if ((flags & SCOLS_FL_WRAP) != 0) {
        scols_column_set_wrapfunc(cl, scols_wrapnl_chunksize, scols_wrapnl_nextchunk, nullptr);
        scols_column_set_safechars(cl, "\n");
      }
    }
  }

  libscols_line* add(const row_source& row, libscols_line* parent) {
    libscols_line* line = scols_table_new_line(tb_.get(), parent);
    if (line == nullptr)
      throw_error(ENOMEM, "scols_table_new_line");
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      std::string text = cells_.value(columns_[i], row);
      if (text.empty())
        continue;  // no data: libsmartcols prints nothing, or null in JSON
      if (opts_.json)
        text = valid_utf8(text);
      scols_line_set_data(line, i, text.c_str());
    }
    return line;
  }

  cell_context& cells() { return cells_; }
  void print() { scols_print_table(tb_.get()); }

 private:
  const options& opts_;
  const std::vector<column>& columns_;
  table_ptr tb_;
  cell_context cells_;
};

const scanned_process* representative(const discovery& found, const found_namespace& ns) {
  pid_t pid = ns.pids.empty() ? ns.thread_pid : ns.pids.front();
  if (pid == 0)
    return nullptr;
  auto index = found.find_process(pid);
  return index ? &found.processes[*index] : nullptr;
}

// The parent or owner tree: each row under its parent's (or owner's) row.
void lay_out_relations(const options& opts, const discovery& found, table_writer& out,
                       const std::vector<const found_namespace*>& shown,
                       const std::unordered_map<std::uint64_t, const found_namespace*>& by_ino) {
  std::unordered_map<const found_namespace*, libscols_line*> lines;
  auto find = [&](std::uint64_t ino) -> const found_namespace* {
    auto it = by_ino.find(ino);
    return ino != 0 && it != by_ino.end() ? it->second : nullptr;
  };
  // A row goes under its parent's (or owner's), which must exist first. lsns's parent tree
  // also lays out the owner of a namespace without a parent before it (at the top level).
  std::function<libscols_line*(const found_namespace*)> show =
      [&](const found_namespace* ns) -> libscols_line* {
    if (auto it = lines.find(ns); it != lines.end())
      return it->second;
    lines[ns] = nullptr;  // guards against a cycle
    bool hierarchical = ns->type == ns_type::pid || ns->type == ns_type::user;
    const found_namespace* up = nullptr;
    libscols_line* parent = nullptr;
    if (opts.tree == tree_mode::owner)
      up = find(ns->owner_ino);
    else if (hierarchical)
      up = find(ns->parent_ino);
    if (opts.tree == tree_mode::parent && up == nullptr) {
      if (const auto* owner = find(ns->owner_ino); owner != nullptr && owner != ns)
        show(owner);
    }
    if (up != nullptr && up != ns)
      parent = show(up);
    libscols_line* line = out.add({ns, representative(found, *ns)}, parent);
    lines[ns] = line;
    return line;
  };
  for (const auto* ns : shown)
    show(ns);
}

// The process tree, or none: the rows in order.
void lay_out_processes(const options& opts, const discovery& found, table_writer& out,
                       const std::vector<const found_namespace*>& shown) {
  // lsns's process tree: a row goes under the last row whose process is the parent of this
  // row's process, if that row came before it.
  std::unordered_map<pid_t, libscols_line*> outline;
  for (const auto* ns : shown) {
    const scanned_process* proc = representative(found, *ns);
    libscols_line* parent = nullptr;
    if (opts.tree == tree_mode::process && proc != nullptr) {
      if (auto it = outline.find(proc->ppid); it != outline.end())
        parent = it->second;
    }
    libscols_line* line = out.add({ns, proc}, parent);
    if (proc != nullptr)
      outline[proc->pid] = line;
  }
}

}  // namespace

// JSON must stay valid whatever a command line holds: libsmartcols escapes quotes, backslashes
// and control characters but copies other bytes as they are, so invalid UTF-8 is replaced here.
std::string valid_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    auto c = static_cast<unsigned char>(in[i]);
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xe  ? 3
                      : (c >> 3) == 0x1e ? 4
                                         : 0;
    bool good = len > 0 && i + len <= in.size();
    for (std::size_t k = 1; good && k < len; ++k)
      good = (static_cast<unsigned char>(in[i + k]) & 0xc0) == 0x80;
    if (good && len > 1) {
      // Reject overlong forms and surrogates, which JSON parsers refuse too.
      auto c1 = static_cast<unsigned char>(in[i + 1]);
      good = !(len == 2 && c < 0xc2) && !(len == 3 && c == 0xe0 && c1 < 0xa0) &&
             !(len == 3 && c == 0xed && c1 >= 0xa0) && !(len == 4 && c == 0xf0 && c1 < 0x90) &&
             !(len == 4 && (c > 0xf4 || (c == 0xf4 && c1 >= 0x90)));
    }
    if (good) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

void print_namespaces(const options& opts, const discovery& found, const filter_expr* filter) {
  table_writer out(opts, opts.columns, opts.tree);
  std::vector<const found_namespace*> shown;
  // lsns shows the owners found for the parent and owner trees whatever their type.
  bool ancestors_of_any_type = opts.tree == tree_mode::parent || opts.tree == tree_mode::owner;
  // With --task, the parent and owner trees still show the ancestors of its namespaces, as
  // lsns does: they are looked up among every namespace the other conditions keep.
  std::unordered_map<std::uint64_t, const found_namespace*> by_ino;
  for (const auto& ns : found.namespaces) {
    if (!opts.types.contains(ns.type) && !ancestors_of_any_type)
      continue;
    if (opts.persistent && !ns.pids.empty())
      continue;
    if (filter != nullptr) {
      row_source row{&ns, representative(found, ns)};
      if (!filter->matches([&](column id) { return out.cells().value(id, row); }))
        continue;
    }
    by_ino.emplace(ns.inode.ino, &ns);
    if (opts.task && !std::binary_search(ns.pids.begin(), ns.pids.end(), *opts.task))
      continue;
    shown.push_back(&ns);
  }

  if (opts.tree == tree_mode::parent || opts.tree == tree_mode::owner)
    lay_out_relations(opts, found, out, shown, by_ino);
  else
    lay_out_processes(opts, found, out, shown);
  out.print();
}

void print_processes(const options& opts, const discovery& found, const found_namespace& ns) {
  table_writer out(opts, opts.columns, opts.tree);
  std::unordered_map<pid_t, libscols_line*> outline;
  std::vector<std::pair<libscols_line*, pid_t>> lines;
  for (pid_t pid : ns.pids) {
    auto index = found.find_process(pid);
    if (!index)
      continue;
    const scanned_process* proc = &found.processes[*index];
    libscols_line* line = out.add({&ns, proc, true}, nullptr);
    outline[pid] = line;
    lines.emplace_back(line, proc->ppid);
  }
  // Every process goes under its parent's row, wherever that row is: once PIDs wrap, a parent
  // may have a higher PID than its child (lsns does the same).
  if (opts.tree == tree_mode::process)
    for (auto [line, ppid] : lines)
      if (auto it = outline.find(ppid); it != outline.end())
        scols_line_add_child(it->second, line);
  out.print();
}

void print_column_list(const options& opts) {
  table_ptr tb = new_table(opts, "lsns-columns");
  scols_table_new_column(tb.get(), "NAME", 0, 0);
  scols_table_new_column(tb.get(), "TYPE", 0, 0);
  scols_table_new_column(tb.get(), "DESCRIPTION", 0, 0);
  for (const auto& c : all_columns()) {
    libscols_line* line = scols_table_new_line(tb.get(), nullptr);
    scols_line_set_data(line, 0, std::string(c.name).c_str());
    scols_line_set_data(line, 1, c.kind == column_kind::number ? "<integer>" : "<string>");
    scols_line_set_data(line, 2, std::string(c.help).c_str());
  }
  scols_print_table(tb.get());
}

}  // namespace nsutil::xlsns
