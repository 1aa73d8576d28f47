#include "columns.hpp"

#include <libsmartcols.h>
#include <pwd.h>
#include <strings.h>

#include <algorithm>

namespace nsutil::xlsns {
namespace {

std::string join(const std::vector<std::string>& items, bool nowrap) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty())
      out += nowrap ? "," : "\n";
    out += item;
  }
  return out;
}

}  // namespace

const std::vector<column_info>& all_columns() {
  static const std::vector<column_info> table{
      {column::ns, "NS", 10, SCOLS_FL_RIGHT, column_kind::number,
       "namespace identifier (inode number)"},
      {column::type, "TYPE", 5, 0, column_kind::string, "kind of namespace"},
      {column::path, "PATH", 0, 0, column_kind::string, "path to the namespace"},
      {column::nprocs, "NPROCS", 5, SCOLS_FL_RIGHT, column_kind::number,
       "number of processes in the namespace"},
      {column::pid, "PID", 5, SCOLS_FL_RIGHT, column_kind::number, "lowest PID in the namespace"},
      {column::ppid, "PPID", 5, SCOLS_FL_RIGHT, column_kind::number, "PPID of the PID"},
      {column::command, "COMMAND", 0, SCOLS_FL_TRUNC, column_kind::string,
       "command line of the PID"},
      {column::uid, "UID", 0, SCOLS_FL_RIGHT, column_kind::number, "UID of the PID"},
      {column::user, "USER", 0, 0, column_kind::string, "username of the PID"},
      {column::netnsid, "NETNSID", 0, SCOLS_FL_RIGHT, column_kind::string,
       "namespace ID as used by network subsystem"},
      {column::nsfs, "NSFS", 0, SCOLS_FL_WRAP, column_kind::string,
       "nsfs mountpoint (usually used network subsystem)"},
      {column::pns, "PNS", 10, SCOLS_FL_RIGHT, column_kind::number,
       "parent namespace identifier (inode number)"},
      {column::ons, "ONS", 10, SCOLS_FL_RIGHT, column_kind::number,
       "owner namespace identifier (inode number)"},
      {column::nsid, "NSID", 0, SCOLS_FL_RIGHT, column_kind::number,
       "namespace ID (NS_GET_ID), never reused"},
      {column::nthreads, "NTHREADS", 5, SCOLS_FL_RIGHT, column_kind::number,
       "number of threads in the namespace"},
      {column::holders, "HOLDERS", 0, SCOLS_FL_WRAP, column_kind::string,
       "what keeps the namespace alive"},
      {column::container, "CONTAINER", 0, 0, column_kind::string,
       "container of the PID: its name, else its short ID; OWNER/NAME for a user's"},
      {column::containerid, "CONTAINERID", 0, 0, column_kind::string, "container ID of the PID"},
      {column::engine, "ENGINE", 0, 0, column_kind::string,
       "container engine of the PID (docker, podman, containerd, crio, cri, machined, lxc)"},
  };
  return table;
}

const column_info& info(column id) {
  return all_columns()[static_cast<std::size_t>(id)];
}

std::optional<column> parse_column(std::string_view name) {
  for (const auto& c : all_columns())
    if (c.name.size() == name.size() && strncasecmp(c.name.data(), name.data(), name.size()) == 0)
      return c.id;
  return std::nullopt;
}

bool is_event_column(column c) {
  switch (c) {
    case column::ns:
    case column::type:
    case column::nsid:
    case column::pid:
    case column::uid:
    case column::user:
    case column::command:
    case column::container:
    case column::containerid:
    case column::engine:
      return true;
    default:
      return false;
  }
}

std::vector<column> watch_columns() {
  return {column::ns, column::type, column::nsid, column::pid, column::user, column::command};
}

std::string cell_context::user_name(uid_t uid) {
  for (const auto& [known, name] : users_)
    if (known == uid)
      return name;
  const passwd* pw = ::getpwuid(uid);
  std::string name = pw != nullptr ? pw->pw_name : std::to_string(uid);
  users_.emplace_back(uid, name);
  return name;
}

const std::string& cell_context::command(pid_t pid) {
  auto [it, added] = commands_.try_emplace(pid);
  if (added)
    it->second = process_command(pid);
  return it->second;
}

const std::optional<container>& cell_context::container_of(pid_t pid) {
  for (const auto& [known, c] : containers_)
    if (known == pid)
      return c;
  if (!resolver_)
    resolver_ = std::make_unique<container_resolver>();
  return containers_.emplace_back(pid, resolver_->of_process(pid)).second;
}

namespace {

// HOLDERS: what keeps the namespace alive, one name a line (or comma-joined).
std::string holders_text(const found_namespace& ns, bool nowrap) {
  std::vector<std::string> names;
  for (int h = 0; h <= static_cast<int>(ns_holder::child); ++h)
    if (ns.holders.contains(static_cast<ns_holder>(h)))
      names.emplace_back(to_string(static_cast<ns_holder>(h)));
  return join(names, nowrap);
}

// A row without a process shows the creator of the namespace's owning user namespace (lsns 2.42
// does), which the scan read (discovery_options::owner_uids): the namespace is not opened again
// here, since its path may be another process's descriptor, which only the library takes
// without blocking.
std::optional<uid_t> row_uid(const row_source& row) {
  if (row.proc != nullptr)
    return row.proc->uid;
  return row.ns->owner_uid;
}

}  // namespace

std::string cell_context::value(column id, const row_source& row) {
  const found_namespace& ns = *row.ns;
  const scanned_process* proc = row.proc;
  auto uid = [&] { return row_uid(row); };
  switch (id) {
    case column::ns:
      return std::to_string(ns.inode.ino);
    case column::type:
      return std::string(to_string(ns.type));
    case column::path:
      // The process's own entry, unless only one of its threads is in the namespace.
      if (proc != nullptr && (!ns.pids.empty() || row.ns_process_rows))
        return "/proc/" + std::to_string(proc->pid) + "/ns/" +
               std::string(info(ns.type).proc_entry);
      return ns.path;
    case column::nprocs:
      return std::to_string(ns.pids.size());
    case column::pid:
      return proc != nullptr ? std::to_string(proc->pid) : std::string();
    case column::ppid:
      return proc != nullptr ? std::to_string(proc->ppid) : std::string();
    case column::command:
      return proc != nullptr ? command(proc->pid) : std::string();
    case column::uid: {
      auto u = uid();
      return u ? std::to_string(*u) : std::string();
    }
    case column::user: {
      auto u = uid();
      return u ? user_name(*u) : std::string();
    }
    case column::netnsid:
      // Asked by the library for every network namespace (discovery_options::netnsids).
      if (ns.type != ns_type::net || !ns.netnsid)
        return {};
      return *ns.netnsid < 0 ? "unassigned" : std::to_string(*ns.netnsid);
    case column::nsfs:
      return join(ns.mounts, nowrap_);
    case column::pns:
      return std::to_string(ns.parent_ino);
    case column::ons:
      return std::to_string(ns.owner_ino);
    case column::nsid:
      return ns.id ? std::to_string(*ns.id) : std::string();
    case column::nthreads:
      return std::to_string(ns.nthreads);
    case column::holders:
      return holders_text(ns, nowrap_);
    case column::container:
    case column::containerid:
    case column::engine:
      return container_value(id, proc);
  }
  return {};
}

std::string cell_context::container_value(column id, const scanned_process* proc) {
  if (proc == nullptr)
    return {};
  const auto& c = container_of(proc->pid);
  if (!c)
    return {};
  if (id == column::container)
    return qualified_name(*c);
  return id == column::containerid ? c->id : std::string(to_string(c->engine));
}

}  // namespace nsutil::xlsns
