#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <nsutil/discovery.hpp>
#include <nsutil/error.hpp>
#include <nsutil/mounts.hpp>
#include <unordered_map>
#include <unordered_set>

#include "compat.hpp"
#include "fd_iter.hpp"

namespace nsutil {
namespace {

using dir_ptr = std::unique_ptr<DIR, int (*)(DIR*)>;

dir_ptr open_dir(const char* path) {
  return {::opendir(path), &::closedir};
}

std::optional<pid_t> parse_pid(const char* name) noexcept {
  pid_t pid = 0;
  const char* end = name + std::strlen(name);
  auto [p, ec] = std::from_chars(name, end, pid);
  if (ec != std::errc() || p != end || pid <= 0)
    return std::nullopt;
  return pid;
}

// A "/proc/PID/" prefix built once per process; entries are appended without allocating, since
// the scan makes a dozen calls per process and runs over thousands of them.
class proc_path {
 public:
  explicit proc_path(std::string_view base) { set(base); }
  void set(std::string_view base) {
    len_ = base.size();
    std::memcpy(buf_, base.data(), len_);
  }
  const char* with(std::string_view entry) {
    std::memcpy(buf_ + len_, entry.data(), entry.size());
    buf_[len_ + entry.size()] = '\0';
    return buf_;
  }
  [[nodiscard]] std::string_view base() const { return {buf_, len_}; }

 private:
  char buf_[256];
  std::size_t len_ = 0;
};

std::optional<std::pair<ns_type, std::uint64_t>> read_ns_link(const char* path, int& err) {
  char buf[64];
  ssize_t n = ::readlink(path, buf, sizeof buf);
  if (n <= 0) {
    err = errno;
    return std::nullopt;
  }
  err = 0;
  return parse_ns_link(std::string_view(buf, static_cast<std::size_t>(n)));
}

// /proc/PID/stat: "pid (comm) state ppid ... num_threads(20th) ...". comm may hold spaces and
// parentheses, so fields are counted from the last ')'.
bool parse_stat(std::string_view text, pid_t& ppid, long& threads) {
  auto close = text.rfind(')');
  if (close == std::string_view::npos)
    return false;
  std::string_view rest = text.substr(close + 1);
  int field = 2;  // the field that ends at ')'
  std::size_t pos = 0;
  while (pos < rest.size()) {
    while (pos < rest.size() && rest[pos] == ' ')
      ++pos;
    std::size_t end = rest.find(' ', pos);
    if (end == std::string_view::npos)
      end = rest.size();
    ++field;
    std::string_view value = rest.substr(pos, end - pos);
    if (field == 4)
      std::from_chars(value.data(), value.data() + value.size(), ppid);
    if (field == 20) {
      std::from_chars(value.data(), value.data() + value.size(), threads);
      return true;
    }
    pos = end;
  }
  return false;
}

class scanner {
 public:
  explicit scanner(const discovery_options& opts) : opts_(opts) {}
  discovery run();

 private:
  struct process_ns {
    std::uint64_t ino[ns_types.size()] = {};
    std::uint64_t id[ns_types.size()] = {};  // NS_GET_ID where the source gives it, else 0
  };

  found_namespace& record(ns_type type, std::uint64_t ino, bool& created, std::uint64_t id = 0);
  [[nodiscard]] std::size_t index_of(const found_namespace& ns) const {
    return static_cast<std::size_t>(&ns - out_.namespaces.data());
  }
  void scan_process(pid_t pid);
  void scan_threads(pid_t pid, proc_path& path, const process_ns& own);
  bool add_process(pid_t pid, const process_ns& own);
  void add_thread(pid_t pid, std::string_view tid, const process_ns& thread, const process_ns& own);
  void add_listed_tasks(std::vector<detail::task_namespaces>& tasks);
  void scan_descriptors(pid_t pid, proc_path& path, const process_ns& own);
  void scan_sockets(pid_t pid, const std::vector<int>& fds);
  void collect_mounts();
  void scan_bind_mounts();
  void add_nsfs_descriptor(int dir, const char* name, const proc_path& path);
  void add_descriptor_ns(unique_fd fd, std::uint64_t ino, std::string path);
  void add_mounts(const std::vector<ns_mount>& mounts, bool own, const mount_ns* where);
  void resolve();
  void resolve_one(std::size_t index, unique_fd fd);
  std::optional<std::size_t> add_ancestor(ns_type type, unique_fd fd);
  void scan_listns();
  void scan_processes();
  void fill_details();

  const discovery_options& opts_;
  discovery out_;
  // Namespaces by inode (the latest one with it), and by ID where the ID is known.
  std::unordered_map<std::uint64_t, std::size_t> by_ino_;
  std::unordered_map<std::uint64_t, std::size_t> by_id_;
  // For reading the mounts of a mount namespace through one of its processes.
  std::unordered_map<std::uint64_t, pid_t> mnt_pid_;
  std::uint64_t nsfs_dev_ = 0;
  std::vector<std::pair<std::size_t, unique_fd>> pending_;
  struct mount_table {
    mount_ns where;
    std::vector<ns_mount> mounts;
  };
  std::vector<mount_table> tables_;
  bool listed_all_ = false;
  std::vector<detail::open_descriptor> descriptors_;
  void add_listed_descriptors();
  std::unordered_set<std::string> nsfs_targets_;
};

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

void scanner::scan_process(pid_t pid) {
  char base[32] = "/proc/";
  auto* end = std::to_chars(base + 6, base + 24, pid).ptr;
  *end++ = '/';
  proc_path path(std::string_view(base, static_cast<std::size_t>(end - base)));
  process_ns own;
  for (const auto& row : ns_types) {
    if (!opts_.types.contains(row.type))
      continue;
    char entry[32] = "ns/";
    std::memcpy(entry + 3, row.proc_entry.data(), row.proc_entry.size());
    int err = 0;
    auto link = read_ns_link(path.with({entry, 3 + row.proc_entry.size()}), err);
    if (!link) {
      if (err == EACCES || err == EPERM) {
        ++out_.denied;
        return;
      }
      continue;  // ENOENT: the process is gone, or the kernel lacks this type
    }
    own.ino[static_cast<std::size_t>(row.type)] = link->second;
  }
  if (!add_process(pid, own))
    return;
  if (opts_.threads) {
    // The task folder's link count is 2 + the number of threads: cheaper than reading stat.
    struct stat st {};
    if (::stat(path.with("task"), &st) == 0 && st.st_nlink > 3)
      scan_threads(pid, path, own);
  }
  if (opts_.descriptors || opts_.sockets)
    scan_descriptors(pid, path, own);
}

// A process in the namespaces `own` (inode 0: not looked at, or unreadable); false when it is
// in none of them or has gone.
bool scanner::add_process(pid_t pid, const process_ns& own) {
  if (std::all_of(std::begin(own.ino), std::end(own.ino), [](auto ino) { return ino == 0; }))
    return false;
  scanned_process proc{pid, 0, 0, false};
  if (opts_.details == process_details::all && !read_details(proc))
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

void scanner::scan_threads(pid_t pid, proc_path& path, const process_ns& own) {
  std::string task_dir = std::string(path.base()) + "task";
  dir_ptr dir = open_dir(task_dir.c_str());
  if (!dir)
    return;
  proc_path tpath(task_dir);
  while (dirent* de = ::readdir(dir.get())) {
    auto tid = parse_pid(de->d_name);
    if (!tid || *tid == pid)
      continue;  // the main thread was counted with the process
    tpath.set(task_dir + "/" + de->d_name + "/ns/");
    process_ns thread;
    for (const auto& row : ns_types) {
      int err = 0;
      if (own.ino[static_cast<std::size_t>(row.type)] == 0)
        continue;
      if (auto link = read_ns_link(tpath.with(row.proc_entry), err))
        thread.ino[static_cast<std::size_t>(row.type)] = link->second;
    }
    add_thread(pid, de->d_name, thread, own);
  }
}

// The task iterator's records, applied as the /proc walk would apply /proc/PID/ns and
// /proc/PID/task/TID/ns.
void scanner::add_listed_tasks(std::vector<detail::task_namespaces>& tasks) {
  auto namespaces_of = [&](const detail::task_namespaces& t) {
    process_ns ns;
    for (const auto& row : ns_types) {
      auto i = static_cast<std::size_t>(row.type);
      if (opts_.types.contains(row.type)) {
        ns.ino[i] = t.ino[i];
        ns.id[i] = t.id[i];
      }
    }
    return ns;
  };
  // Main threads first: they are the processes, ascending by PID as TIDs ascend.
  auto threads = std::stable_partition(tasks.begin(), tasks.end(),
                                       [](const auto& t) { return t.pid == t.tid; });
  for (auto it = tasks.begin(); it != threads; ++it)
    add_process(it->pid, namespaces_of(*it));
  if (!opts_.threads)
    return;
  for (auto it = threads; it != tasks.end(); ++it) {
    auto main = std::lower_bound(tasks.begin(), threads, it->pid,
                                 [](const auto& t, pid_t pid) { return t.pid < pid; });
    if (main == threads || main->pid != it->pid)
      continue;
    char tid[16];
    auto* end = std::to_chars(tid, tid + sizeof tid, it->tid).ptr;
    add_thread(it->pid, std::string_view(tid, static_cast<std::size_t>(end - tid)),
               namespaces_of(*it), namespaces_of(*main));
  }
}

void scanner::scan_descriptors(pid_t pid, proc_path& path, const process_ns& own) {
  unique_fd dir(::open(path.with("fd"), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir)
    return;
  std::vector<int> sockets;
  alignas(dirent64) char buf[16384];
  for (;;) {
    long n = ::syscall(SYS_getdents64, dir.get(), buf, sizeof buf);
    if (n <= 0)
      break;
    for (long off = 0; off < n;) {
      const auto* de = reinterpret_cast<const dirent64*>(buf + off);
      off += de->d_reclen;
      if (de->d_name[0] == '.')
        continue;
      char target[64];
      ssize_t len = ::readlinkat(dir.get(), de->d_name, target, sizeof target);
      if (len <= 0)
        continue;
      std::string_view link(target, static_cast<std::size_t>(len));
      if (link.starts_with("socket:[")) {
        if (opts_.sockets && own.ino[static_cast<std::size_t>(ns_type::net)] != 0)
          sockets.push_back(std::atoi(de->d_name));
        continue;
      }
      if (!opts_.descriptors)
        continue;
      auto ns_link = parse_ns_link(link);
      if (!ns_link) {
        // Opened through a bind mount, the link reads as its path, or as "/" once unmounted.
        if (link == "/" || (link[0] == '/' && nsfs_targets_.count(std::string(link)) != 0))
          add_nsfs_descriptor(dir.get(), de->d_name, path);
        continue;
      }
      if (!opts_.types.contains(ns_link->first))
        continue;
      bool created = false;
      auto& ns = record(ns_link->first, ns_link->second, created);
      if (created)
        ns.path = std::string(path.base()) + "fd/" + de->d_name;
      ns.holders.add(ns_holder::descriptor);
    }
    // /proc fills the buffer as far as the entries go: a short read was the last one, and
    // saves the getdents call that would return 0.
    if (static_cast<std::size_t>(n) + 512 < sizeof buf)
      break;
  }
  if (!sockets.empty())
    scan_sockets(pid, sockets);
}

void scanner::add_nsfs_descriptor(int dir, const char* name, const proc_path& path) {
  struct stat st {};
  if (::fstatat(dir, name, &st, 0) < 0 || st.st_dev != nsfs_dev_ || nsfs_dev_ == 0)
    return;
  add_descriptor_ns(unique_fd(::openat(dir, name, O_RDONLY | O_CLOEXEC)), st.st_ino,
                    std::string(path.base()) + "fd/" + name);
}

// A namespace seen only as a descriptor: its type comes from the file itself.
void scanner::add_descriptor_ns(unique_fd fd, std::uint64_t ino, std::string path) {
  int flag = fd ? ::ioctl(fd.get(), NS_GET_NSTYPE) : -1;
  auto type = flag >= 0 ? ns_type_from_clone_flag(flag) : std::nullopt;
  if (!type || !opts_.types.contains(*type))
    return;
  bool created = false;
  auto& ns = record(*type, ino, created);
  if (created)
    ns.path = std::move(path);
  ns.holders.add(ns_holder::descriptor);
}

void scanner::scan_sockets(pid_t pid, const std::vector<int>& fds) {
  unique_fd pidfd(compat::pidfd_open(pid, 0));
  if (!pidfd)
    return;
  for (int fd : fds) {
    unique_fd sock(compat::pidfd_getfd(pidfd.get(), fd, 0));
    if (!sock)
      return;  // no ptrace rights over it, or no pidfd_getfd (Linux < 5.6)
    unique_fd net(::ioctl(sock.get(), SIOCGSKNS));
    struct stat st {};
    if (!net || ::fstat(net.get(), &st) < 0)
      continue;
    bool created = false;
    auto& ns = record(ns_type::net, st.st_ino, created);
    ns.holders.add(ns_holder::socket);
    if (created)
      pending_.emplace_back(out_.namespaces.size() - 1, std::move(net));
  }
}

void scanner::add_mounts(const std::vector<ns_mount>& mounts, bool own, const mount_ns* where) {
  for (const auto& m : mounts) {
    if (!opts_.types.contains(m.type))
      continue;
    bool created = false;
    auto& ns = record(m.type, m.ino, created);
    ns.holders.add(ns_holder::bind_mount);
    if (own) {
      ns.mounts.push_back(m.target);
      if (ns.path.empty() || created)
        ns.path = m.target;
      continue;
    }
    std::uint64_t mnt_ino = where ? where->inode.ino : 0;
    ns.foreign_mounts.push_back("mnt:[" + std::to_string(mnt_ino) + "]:" + m.target);
    if (ns.path.empty()) {
      // Reach it through the root of a process in that mount namespace, if there is one.
      if (auto it = mnt_pid_.find(mnt_ino); it != mnt_pid_.end())
        ns.path = "/proc/" + std::to_string(it->second) + "/root" + m.target;
    }
  }
}

// Mount tables are read before the processes, so that the descriptor scan knows which paths
// are namespace bind mounts (a descriptor opened through one reads as that path).
void scanner::collect_mounts() {
  if (auto all = list_mount_namespaces()) {
    listed_all_ = true;
    for (const auto& mnt : *all) {
      try {
        auto mounts = read_ns_mounts(mnt.id);
        if (!mounts) {
          listed_all_ = false;  // no listmount by namespace ID: use mountinfo
          break;
        }
        tables_.push_back({mnt, std::move(*mounts)});
      } catch (const error&) {
        tables_.push_back({mnt, {}});
        ++out_.denied;
      }
    }
  }
  if (!listed_all_) {
    tables_.clear();
    mount_ns own{};
    own.own = true;
    try {
      tables_.push_back({own, read_ns_mounts_from_mountinfo("/proc/self/mountinfo")});
    } catch (const error&) {
    }
  }
  for (const auto& table : tables_)
    for (const auto& m : table.mounts)
      nsfs_targets_.insert(m.target);
}

void scanner::scan_bind_mounts() {
  for (const auto& table : tables_) {
    add_mounts(table.mounts, table.where.own, &table.where);
    if (listed_all_ && opts_.types.contains(ns_type::mnt)) {
      bool created = false;
      auto& ns = record(ns_type::mnt, table.where.inode.ino, created);
      if (created)
        ns.id = table.where.nsid;  // held by something no other source sees (a detached tree)
    }
  }
  if (listed_all_)
    return;
  // Without listmount by namespace ID: one process's view of every other mount namespace.
  struct stat self {};
  if (::stat("/proc/self/ns/mnt", &self) < 0)
    return;
  for (const auto& [ino, pid] : mnt_pid_) {
    if (ino == self.st_ino)
      continue;
    try {
      mount_ns where{};
      where.inode = {nsfs_dev_, ino};
      add_mounts(read_ns_mounts_from_mountinfo("/proc/" + std::to_string(pid) + "/mountinfo"),
                 false, &where);
    } catch (const error&) {
      ++out_.denied;
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

// One open per namespace gives its ID and, if asked, its relations. Ancestors found on the way
// are appended and resolved in turn, from the descriptor the ioctl gave (they have no path).
void scanner::resolve_one(std::size_t index, unique_fd fd) {
  if (!fd) {
    const std::string& path = out_.namespaces[index].path;
    if (path.empty())
      return;
    fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    // A PID may have been reused since the scan: only a descriptor of the same inode counts.
    if (!fd || ::fstat(fd.get(), &st) < 0 || st.st_ino != out_.namespaces[index].inode.ino)
      return;
  }
  if (opts_.ids && !out_.namespaces[index].id) {
    std::uint64_t id = 0;
    if (::ioctl(fd.get(), NS_GET_ID, &id) == 0)
      out_.namespaces[index].id = id;
  }
  if (!opts_.relations)
    return;
  ns_type type = out_.namespaces[index].type;
  if (type == ns_type::user) {
    uid_t uid = 0;
    if (::ioctl(fd.get(), NS_GET_OWNER_UID, &uid) == 0)
      out_.namespaces[index].owner_uid = uid;
  }
  if (type == ns_type::pid || type == ns_type::user) {
    unique_fd parent(::ioctl(fd.get(), NS_GET_PARENT));
    struct stat st {};
    if (parent && ::fstat(parent.get(), &st) == 0) {
      out_.namespaces[index].parent_ino = st.st_ino;
      if (opts_.types.contains(type))
        add_ancestor(type, std::move(parent));
    }
  }
  unique_fd owner(::ioctl(fd.get(), NS_GET_USERNS));
  struct stat st {};
  if (owner && ::fstat(owner.get(), &st) == 0) {
    out_.namespaces[index].owner_ino = st.st_ino;
    if (type != ns_type::user) {
      uid_t uid = 0;
      if (::ioctl(owner.get(), NS_GET_OWNER_UID, &uid) == 0)
        out_.namespaces[index].owner_uid = uid;
    }
    if (opts_.types.contains(ns_type::user) || opts_.owners_of_any_type)
      add_ancestor(ns_type::user, std::move(owner));
  }
}

void scanner::resolve() {
  if (!opts_.ids && !opts_.relations)
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
// (type and inode 0: accepted by the kernels that have listns, refused by 6.18 with ESTALE).
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
      // struct file_handle ends in a flexible array: build it in a byte buffer.
      alignas(file_handle) unsigned char handle[sizeof(file_handle) + 16] = {};
      auto* head = reinterpret_cast<file_handle*>(handle);
      head->handle_bytes = 16;
      head->handle_type = compat::fileid_nsfs;
      std::memcpy(handle + sizeof(file_handle), &ids[i], sizeof ids[i]);
      unique_fd fd(::open_by_handle_at(compat::fd_nsfs_root, head, O_RDONLY | O_CLOEXEC));
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

// Scanning in several threads was measured and gains nothing: the /proc lookups contend in the
// kernel (dcache and pid revalidation), so one thread is as fast and uses less memory.
void scanner::scan_processes() {
  bool files = opts_.descriptors || opts_.sockets;
  if (auto all = detail::iterate_tasks(files)) {
    descriptors_ = std::move(all->descriptors);
    add_listed_tasks(all->tasks);
  } else {
    dir_ptr proc = open_dir("/proc");
    if (!proc)
      throw_errno("open", "/proc");
    while (dirent* de = ::readdir(proc.get()))
      if (auto pid = parse_pid(de->d_name))
        scan_process(*pid);
  }
  std::sort(out_.processes.begin(), out_.processes.end(),
            [](const auto& a, const auto& b) { return a.pid < b.pid; });
  if (!descriptors_.empty())
    add_listed_descriptors();
}

// The iterator's records, applied as the /proc walk would: only for processes the scan could
// read, nsfs files by inode (opened for their type when new), sockets through pidfd_getfd.
void scanner::add_listed_descriptors() {
  std::vector<int> sockets;
  pid_t socket_pid = 0;
  auto flush = [&] {
    if (!sockets.empty())
      scan_sockets(socket_pid, sockets);
    sockets.clear();
  };
  std::sort(descriptors_.begin(), descriptors_.end(),
            [](const auto& a, const auto& b) { return a.pid < b.pid; });
  for (const auto& d : descriptors_) {
    if (!out_.find_process(d.pid))
      continue;
    std::string fd_path = "/proc/" + std::to_string(d.pid) + "/fd/" + std::to_string(d.fd);
    if (d.socket) {
      if (!opts_.sockets || !opts_.types.contains(ns_type::net))
        continue;
      if (d.pid != socket_pid)
        flush();
      socket_pid = d.pid;
      sockets.push_back(d.fd);
      continue;
    }
    if (!opts_.descriptors)
      continue;
    if (auto it = by_ino_.find(d.ino); it != by_ino_.end()) {
      out_.namespaces[it->second].holders.add(ns_holder::descriptor);
      continue;
    }
    add_descriptor_ns(unique_fd(::open(fd_path.c_str(), O_RDONLY | O_CLOEXEC)), d.ino, fd_path);
  }
  flush();
  descriptors_.clear();
}

void scanner::fill_details() {
  if (opts_.details != process_details::representatives)
    return;
  auto fill = [&](pid_t pid) {
    auto index = out_.find_process(pid);
    if (index && !out_.processes[*index].detailed)
      read_details(out_.processes[*index]);
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

}  // namespace

std::string_view to_string(ns_holder holder) noexcept {
  switch (holder) {
    case ns_holder::process:
      return "process";
    case ns_holder::thread:
      return "thread";
    case ns_holder::descriptor:
      return "fd";
    case ns_holder::socket:
      return "socket";
    case ns_holder::bind_mount:
      return "mount";
    case ns_holder::child:
      return "child";
  }
  return "";
}

bool read_details(scanned_process& proc) noexcept {
  char path[48];
  auto* end = fmt::format_to_n(path, sizeof path - 8, "/proc/{}/", proc.pid).out;
  *end = '\0';
  // The owner of the /proc/PID folder, as lsns reports it: files under it (stat) are given to
  // root when the process is not dumpable, while the folder keeps its owner from lookup.
  struct stat st {};
  if (::stat(path, &st) < 0)
    return false;
  std::memcpy(end, "stat", 5);
  unique_fd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd)
    return false;
  char buf[1024];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  long threads = 0;
  if (n <= 0 || !parse_stat(std::string_view(buf, static_cast<std::size_t>(n)), proc.ppid, threads))
    return false;
  proc.uid = st.st_uid;
  proc.detailed = true;
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
  return scanner(opts).run();
}

std::string process_command(pid_t pid) {
  std::string base = "/proc/" + std::to_string(pid) + "/";
  auto read = [](const std::string& path) {
    try {
      return read_file(path);
    } catch (const error&) {
      return std::string();  // gone, or not ours to read
    }
  };
  std::string text = read(base + "cmdline");
  while (!text.empty() && text.back() == '\0')
    text.pop_back();
  std::replace(text.begin(), text.end(), '\0', ' ');
  if (text.empty()) {
    text = read(base + "comm");
    if (!text.empty() && text.back() == '\n')
      text.pop_back();
  }
  return text;
}

}  // namespace nsutil
