#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <linux/net_namespace.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <nsutil/error.hpp>

#include "base/compat.hpp"
#include "base/proc_files.hpp"
#include "base/proc_text.hpp"
#include "base/struct_size.hpp"
#include "discovery/scanner.hpp"
#include "namespaces/netnsid_batch.hpp"

namespace nsutil {
namespace detail {

// Within one scan an inode names one namespace, unless the kernel freed it and gave its inode to
// a new one while the scan ran. Where a source knows the namespace's ID (the task iterator, listns)
// the ID tells the two apart; sources that know only the inode find the latest namespace with it.
found_namespace& scanner::record(ns_type type, std::uint64_t ino, bool& created, std::uint64_t id) {
  created = false;
  if (id != 0)
    if (auto it = by_id_.find(id); it != by_id_.end())
      return out_.namespaces[it->second];
  if (auto it = by_ino_.find(ino); it != by_ino_.end()) {
    auto& ns = out_.namespaces[it->second];
    if (id == 0 || !ns.id || *ns.id == id) {
      if (id != 0 && !ns.id) {
        ns.id = id;
        by_id_.emplace(id, it->second);
      }
      return ns;
    }
  }
  std::size_t index = out_.namespaces.size();
  found_namespace ns;
  ns.type = type;
  ns.inode = {nsfs_dev_, ino};
  if (id != 0) {
    ns.id = id;
    by_id_.emplace(id, index);
  }
  out_.namespaces.push_back(std::move(ns));
  by_ino_[ino] = index;
  created = true;
  return out_.namespaces.back();
}

// A process in the namespaces `own` (inode 0: not looked at, or unreadable); false when it is
// in none of them or has gone.
bool scanner::add_process(pid_t pid, const process_ns& own, pid_t ppid) {
  if (std::all_of(std::begin(own.ino), std::end(own.ino), [](auto ino) { return ino == 0; }))
    return false;
  scanned_process proc{pid, ppid, 0, false};
  if (opts_.details == process_details::all && !read_details(proc, opts_.ppids && !ppids_listed_))
    return false;
  out_.processes.push_back(proc);
  for (const auto& row : ns_types) {
    std::uint64_t ino = own.ino[static_cast<std::size_t>(row.type)];
    if (ino == 0)
      continue;
    bool created = false;
    auto& ns = record(row.type, ino, created, own.id[static_cast<std::size_t>(row.type)]);
    if (created)
      ns.path = "/proc/" + std::to_string(pid) + "/ns/" + std::string(row.proc_entry);
    ns.pids.push_back(pid);
    ns.holders.add(ns_holder::process);
    ++ns.nthreads;
    if (row.type == ns_type::mnt)
      mnt_pid_.try_emplace(ino, pid);
  }
  return true;
}

// Thread `tid` of process `pid`, in the namespaces `thread`; only the types its process is seen
// in count.
void scanner::add_thread(pid_t pid, std::string_view tid, const process_ns& thread,
                         const process_ns& own) {
  for (const auto& row : ns_types) {
    std::size_t t = static_cast<std::size_t>(row.type);
    if (own.ino[t] == 0 || thread.ino[t] == 0)
      continue;
    bool created = false;
    auto& ns = record(row.type, thread.ino[t], created, thread.id[t]);
    if (created)
      ns.path = fmt::format("/proc/{}/task/{}/ns/{}", pid, tid, row.proc_entry);
    ++ns.nthreads;
    bool same = thread.id[t] != 0 && own.id[t] != 0 ? thread.id[t] == own.id[t]
                                                    : thread.ino[t] == own.ino[t];
    if (!same) {
      ns.holders.add(ns_holder::thread);
      if (ns.thread_pid == 0 || pid < ns.thread_pid)
        ns.thread_pid = pid;
    }
  }
}

std::optional<std::size_t> scanner::add_ancestor(ns_type type, unique_fd fd) {
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) < 0)
    return std::nullopt;
  bool created = false;
  auto& ns = record(type, st.st_ino, created);
  std::size_t index = index_of(ns);
  if (created)
    pending_.emplace_back(index, std::move(fd));
  ns.holders.add(ns_holder::child);
  return index;
}

// owner_uids and netnsids, for a namespace no process or thread is in. With relations, the
// owner's UID is read with them, from the same NS_GET_USERNS.
void scanner::resolve_processless(found_namespace& ns, const unique_fd& fd) {
  if (opts_.owner_uids && !opts_.relations && !ns.owner_uid) {
    unique_fd owner;
    if (ns.type != ns_type::user)
      owner.reset(::ioctl(fd.get(), NS_GET_USERNS));
    uid_t uid = 0;
    if ((ns.type == ns_type::user || owner) &&
        ::ioctl(ns.type == ns_type::user ? fd.get() : owner.get(), NS_GET_OWNER_UID, &uid) == 0)
      ns.owner_uid = uid;
  }
  if (opts_.netnsids && ns.type == ns_type::net && !ns.netnsid) {
    try {
      if (!rtnetlink_)
        rtnetlink_ = detail::open_rtnetlink();
      std::uint32_t value = static_cast<std::uint32_t>(fd.get());
      ns.netnsid = detail::ask_netnsids(rtnetlink_, NETNSA_FD, {&value, 1}).front();
    } catch (const error&) {
    }
  }
}

// One open per namespace gives its ID and, if asked, its relations. Ancestors found on the way
// are appended and resolved in turn, from the descriptor the ioctl gave (they have no path).
void scanner::resolve_one(std::size_t index, unique_fd fd) {
  const found_namespace& found = out_.namespaces[index];
  bool processless = found.pids.empty() && found.thread_pid == 0;
  bool extra = processless && (opts_.owner_uids || (opts_.netnsids && found.type == ns_type::net));
  if (!opts_.relations && !extra && !(opts_.ids && !found.id))
    return;
  if (!fd) {
    // A PID may have been reused since the scan, a descriptor or a path given another file:
    // only the same nsfs inode counts.
    const found_namespace& ns = out_.namespaces[index];
    if (ns.path.empty())
      return;
    fd = reopen_found(ns.path, ns.inode.dev, ns.inode.ino);
    if (!fd)
      return;
  }
  if (opts_.ids && !out_.namespaces[index].id) {
    std::uint64_t id = 0;
    if (::ioctl(fd.get(), NS_GET_ID, &id) == 0)
      out_.namespaces[index].id = id;
  }
  if (extra)
    resolve_processless(out_.namespaces[index], fd);
  if (!opts_.relations)
    return;
  ns_type type = out_.namespaces[index].type;
  // ENOTTY: the kernel predates the ioctl. lsns fails with status 2 then; the caller decides.
  auto unknown = [&](std::string_view name) {
    if (errno == ENOTTY && out_.unsupported_ioctl.empty())
      out_.unsupported_ioctl = name;
  };
  // The UID that owns a user namespace.
  auto owner_uid = [&](const unique_fd& userns) {
    uid_t uid = 0;
    if (::ioctl(userns.get(), NS_GET_OWNER_UID, &uid) == 0)
      out_.namespaces[index].owner_uid = uid;
    else
      unknown("NS_GET_OWNER_UID");
  };
  // The namespace an ioctl relates this one to, its inode stored in `ino`; empty when there is
  // none or it cannot be read.
  auto related = [&](unsigned long request, std::string_view name, std::uint64_t& ino) {
    unique_fd other(::ioctl(fd.get(), request));
    if (!other)
      unknown(name);
    struct stat st {};
    if (!other || ::fstat(other.get(), &st) < 0)
      return unique_fd();
    ino = st.st_ino;
    return other;
  };
  if (type == ns_type::user)
    owner_uid(fd);
  if (type == ns_type::pid || type == ns_type::user) {
    unique_fd parent = related(NS_GET_PARENT, "NS_GET_PARENT", out_.namespaces[index].parent_ino);
    if (parent && opts_.types.contains(type))
      add_ancestor(type, std::move(parent));
  }
  unique_fd owner = related(NS_GET_USERNS, "NS_GET_USERNS", out_.namespaces[index].owner_ino);
  if (!owner)
    return;
  if (type != ns_type::user)
    owner_uid(owner);
  if (opts_.types.contains(ns_type::user) || opts_.owners_of_any_type)
    add_ancestor(ns_type::user, std::move(owner));
}

// The NETNSID of each network namespace that a process or thread is in, asked by its PID, all in
// a few batches (ask_netnsids): a few system calls in all instead of two per namespace. The
// others are asked through their descriptor (resolve_processless).
void scanner::resolve_netnsids() {
  std::vector<std::size_t> which;
  std::vector<std::uint32_t> pids;
  for (std::size_t i = 0; i < out_.namespaces.size(); ++i) {
    const found_namespace& ns = out_.namespaces[i];
    pid_t pid = ns.pids.empty() ? ns.thread_pid : ns.pids.front();
    if (ns.type == ns_type::net && !ns.netnsid && pid != 0) {
      which.push_back(i);
      pids.push_back(static_cast<std::uint32_t>(pid));
    }
  }
  if (which.empty())
    return;
  try {
    if (!rtnetlink_)
      rtnetlink_ = detail::open_rtnetlink();
    auto ids = detail::ask_netnsids(rtnetlink_, NETNSA_PID, pids);
    for (std::size_t i = 0; i < which.size(); ++i)
      out_.namespaces[which[i]].netnsid = ids[i];
  } catch (const error&) {
  }
}

void scanner::resolve() {
  if (opts_.netnsids)
    resolve_netnsids();
  if (!opts_.ids && !opts_.relations && !opts_.owner_uids && !opts_.netnsids)
    return;
  std::unordered_map<std::size_t, unique_fd> fds;
  for (std::size_t i = 0; i < out_.namespaces.size(); ++i) {
    unique_fd fd;
    for (auto& [index, held] : pending_) {
      if (index == i && held) {
        fd = std::move(held);
        break;
      }
    }
    resolve_one(i, std::move(fd));
  }
  pending_.clear();
}

// listns(2) returns IDs only; a namespace is then opened by an nsfs file handle made of the ID
// alone (accepted by the kernels that have listns; see compat::open_nsfs_handle).
void scanner::scan_listns() {
  std::vector<std::uint64_t> known;
  for (const auto& ns : out_.namespaces)
    if (ns.id)
      known.push_back(*ns.id);
  std::sort(known.begin(), known.end());
  compat::ns_id_req req{};
  req.size = sizeof req;
  req.ns_type = static_cast<std::uint32_t>(opts_.types.clone_flags());
  std::uint64_t ids[256];
  for (;;) {
    long n = compat::listns(&req, ids, std::size(ids), 0);
    if (n <= 0)
      return;  // ENOSYS before Linux 6.19
    for (long i = 0; i < n; ++i) {
      if (std::binary_search(known.begin(), known.end(), ids[i]))
        continue;
      unique_fd fd(compat::open_nsfs_handle(ids[i]));
      int flag = fd ? ::ioctl(fd.get(), NS_GET_NSTYPE) : -1;
      auto type = flag >= 0 ? ns_type_from_clone_flag(flag) : std::nullopt;
      struct stat st {};
      if (!type || ::fstat(fd.get(), &st) < 0)
        continue;
      bool created = false;
      auto& ns = record(*type, st.st_ino, created, ids[i]);
      if (created)
        pending_.emplace_back(index_of(ns), std::move(fd));
    }
    req.ns_id = ids[n - 1];
    if (static_cast<std::size_t>(n) < std::size(ids))
      return;
  }
}

void scanner::fill_details() {
  if (opts_.details != process_details::representatives)
    return;
  auto fill = [&](pid_t pid) {
    auto index = out_.find_process(pid);
    if (index && !out_.processes[*index].detailed)
      read_details(out_.processes[*index], opts_.ppids && !ppids_listed_);
  };
  for (const auto& ns : out_.namespaces) {
    if (!ns.pids.empty())
      fill(ns.pids.front());
    if (ns.thread_pid != 0)
      fill(ns.thread_pid);
  }
}

discovery scanner::run() {
  for (const auto& row : ns_types) {
    struct stat st {};
    if (opts_.types.contains(row.type) &&
        ::stat(("/proc/self/ns/" + std::string(row.proc_entry)).c_str(), &st) == 0) {
      nsfs_dev_ = st.st_dev;
      break;
    }
  }
  if (opts_.bind_mounts)
    collect_mounts();
  scan_processes();
  if (opts_.bind_mounts)
    scan_bind_mounts();
  if (opts_.listns && opts_.ids)
    scan_listns();
  resolve();
  for (auto& ns : out_.namespaces)
    std::sort(ns.pids.begin(), ns.pids.end());
  fill_details();
  std::sort(out_.namespaces.begin(), out_.namespaces.end(),
            [](const auto& a, const auto& b) { return a.inode.ino < b.inode.ino; });
  return std::move(out_);
}

}  // namespace detail

std::string_view to_string(discovery_source source) noexcept {
  // In the enum's order.
  constexpr std::array<std::string_view, 3> names{"auto", "bpf", "proc"};
  auto i = static_cast<std::size_t>(source);
  return i < names.size() ? names[i] : "?";
}

std::string_view to_string(ns_holder holder) noexcept {
  // In the enum's order.
  constexpr std::array<std::string_view, 6> names{"process", "thread", "fd",
                                                  "socket",  "mount",  "child"};
  auto i = static_cast<std::size_t>(holder);
  return i < names.size() ? names[i] : "";
}

bool read_details(scanned_process& proc, bool ppid) noexcept {
  char path[48];
  auto* end = fmt::format_to_n(path, sizeof path - 8, "/proc/{}/", proc.pid).out;
  *end = '\0';
  // The owner of the /proc/PID directory, as lsns reports it: files under it (stat) are given to
  // root when the process is not dumpable, while the directory keeps its owner from lookup.
  struct stat st {};
  if (::stat(path, &st) < 0)
    return false;
  proc.uid = st.st_uid;
  proc.detailed = true;
  if (!ppid)
    return true;
  std::memcpy(end, "stat", 5);
  char buf[1024];
  auto text = detail::read_once(path, buf);
  if (!text)
    return false;
  auto parent = detail::parse_ppid(*text);
  if (!parent) {
    proc.detailed = false;
    return false;
  }
  proc.ppid = *parent;
  return true;
}

std::optional<std::size_t> discovery::find_process(pid_t pid) const noexcept {
  auto it = std::lower_bound(processes.begin(), processes.end(), pid,
                             [](const scanned_process& p, pid_t v) { return p.pid < v; });
  if (it == processes.end() || it->pid != pid)
    return std::nullopt;
  return static_cast<std::size_t>(it - processes.begin());
}

discovery discover(const discovery_options& opts) {
  detail::check_struct_size(opts, "discovery_options");
  detail::scanner scan(opts, opts.source);
  discovery found = scan.run();
  found.source = scan.source();
  return found;
}

std::string process_command(pid_t pid) {
  auto args = detail::read_command_line(detail::pid_path("/proc", pid, "cmdline"));
  // A process that rewrote its command line may leave NULs after it, which are no arguments.
  while (!args.empty() && args.back().empty())
    args.pop_back();
  if (args.empty())
    return detail::read_comm(detail::pid_path("/proc", pid, "comm"));
  return fmt::format("{}", fmt::join(args, " "));
}

}  // namespace nsutil
