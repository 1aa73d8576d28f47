// Processes, threads, namespace descriptors and sockets: from /proc, or as root from the BPF
// iterators.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nsutil/error.hpp>

#include "base/compat.hpp"
#include "base/directory.hpp"
#include "base/proc_files.hpp"
#include "base/proc_text.hpp"
#include "discovery/scanner.hpp"

namespace nsutil::detail {
namespace {

std::optional<std::pair<ns_type, std::uint64_t>> read_ns_link(const char* path, int& err) {
  char buf[64];
  ssize_t n = ::readlink(path, buf, sizeof buf);
  if (n < 0) {
    err = errno;
    return std::nullopt;
  }
  if (n == 0) {
    // Linux 5.10 answers a link of a process the caller may not trace with an empty name where
    // later kernels say EACCES.
    err = EACCES;
    return std::nullopt;
  }
  err = 0;
  return parse_ns_link(std::string_view(buf, static_cast<std::size_t>(n)));
}

// Whether the automatic source tries the iterators: where they pay off (bpf_min_threads), and
// where /proc hides PID 1's namespaces from the caller (a sandbox may, even from root): the /proc
// walk would then miss processes that the iterators, where the caller may use them, list.
bool bpf_preferred() noexcept {
  char buf[128];
  if (::readlink("/proc/1/ns/pid", buf, sizeof buf) < 0 && (errno == EACCES || errno == EPERM))
    return true;
  auto text = read_once("/proc/loadavg", buf);
  auto threads = text ? parse_thread_count(*text) : std::nullopt;
  return !threads || *threads >= bpf_min_threads;
}

}  // namespace

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

// Scanning in several threads was measured and gains nothing: the /proc lookups contend in the
// kernel (dcache and pid revalidation), so one thread is as fast and uses less memory.
void scanner::scan_processes() {
  bool files = opts_.descriptors || opts_.sockets;
  std::optional<task_listing> all;
  if (wanted_source_ == discovery_source::bpf ||
      (wanted_source_ == discovery_source::automatic && bpf_preferred())) {
    int err = 0;
    unsigned types = 0;
    for (const auto& row : ns_types)
      if (opts_.types.contains(row.type))
        types |= 1U << static_cast<unsigned>(row.type);
    all = detail::iterate_tasks(files, &err, types);
    if (!all && wanted_source_ == discovery_source::bpf)
      // The errno says why, but for the PID namespace, which no errno names, and for a kernel
      // too old for the loader, whose E2BIG alone ("Argument list too long") would mislead.
      throw error(err, "bpf", "",
                  err == EXDEV   ? "not in the initial PID namespace"
                  : err == E2BIG ? detail::bpf_needs_kernel
                                 : "",
                  error_reason::no_bpf);
  }
  if (all) {
    source_ = discovery_source::bpf;
    descriptors_ = std::move(all->descriptors);
    add_listed_tasks(all->tasks);
  } else {
    directory proc("/proc", directory::kind::proc);
    if (!proc)
      throw_errno("open", "/proc");
    // This process first: the scan opens namespace descriptors of its own (the network
    // namespace of each socket, SIOCGSKNS), which its /proc/PID/fd read later would list as
    // held by it. The iterators read every descriptor before any is opened.
    const pid_t self = ::getpid();
    scan_process(self);
    while (const char* name = proc.next())
      if (auto pid = parse_pid(name); pid && *pid != self)
        scan_process(*pid);
  }
  std::sort(out_.processes.begin(), out_.processes.end(),
            [](const auto& a, const auto& b) { return a.pid < b.pid; });
  if (!descriptors_.empty())
    add_listed_descriptors();
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
    // The task directory's link count is 2 + the number of threads: cheaper than reading stat.
    struct stat st {};
    if (::stat(path.with("task"), &st) == 0 && st.st_nlink > 3)
      scan_threads(pid, path, own);
  }
  if (opts_.descriptors || opts_.sockets)
    scan_descriptors(pid, path, own);
}

void scanner::scan_threads(pid_t pid, proc_path& path, const process_ns& own) {
  std::string task_dir = std::string(path.base()) + "task";
  directory dir(task_dir.c_str(), directory::kind::proc);
  if (!dir)
    return;
  proc_path tpath(task_dir);
  while (const char* name = dir.next()) {
    auto tid = parse_pid(name);
    if (!tid || *tid == pid)
      continue;  // the main thread was counted with the process
    tpath.set(task_dir + "/" + name + "/ns/");
    process_ns thread;
    for (const auto& row : ns_types) {
      int err = 0;
      if (own.ino[static_cast<std::size_t>(row.type)] == 0)
        continue;
      if (auto link = read_ns_link(tpath.with(row.proc_entry), err))
        thread.ino[static_cast<std::size_t>(row.type)] = link->second;
    }
    add_thread(pid, name, thread, own);
  }
}

// The task iterator's records, applied as the /proc walk would apply /proc/PID/ns and
// /proc/PID/task/TID/ns.
void scanner::add_listed_tasks(std::vector<detail::task_namespaces>& tasks) {
  ppids_listed_ = true;
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
    add_process(it->pid, namespaces_of(*it), it->ppid);
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
  directory dir(path.with("fd"), directory::kind::proc);
  if (!dir)
    return;
  process_pidfd proc(pid);
  std::vector<int> sockets;
  while (const char* name = dir.next()) {
    char target[64];
    ssize_t len = ::readlinkat(dir.fd().get(), name, target, sizeof target);
    if (len <= 0)
      continue;
    std::string_view link(target, static_cast<std::size_t>(len));
    if (link.starts_with("socket:[")) {
      if (opts_.sockets && own.ino[static_cast<std::size_t>(ns_type::net)] != 0)
        sockets.push_back(std::atoi(name));
      continue;
    }
    if (!opts_.descriptors)
      continue;
    auto ns_link = parse_ns_link(link);
    if (!ns_link) {
      // Opened through a bind mount, the link reads as its path, or as "/" once unmounted.
      if (link == "/" || (link[0] == '/' && nsfs_targets_.count(std::string(link)) != 0))
        add_nsfs_descriptor(dir.fd().get(), name, proc, path);
      continue;
    }
    if (!opts_.types.contains(ns_link->first))
      continue;
    bool created = false;
    auto& ns = record(ns_link->first, ns_link->second, created);
    if (created)
      ns.path = std::string(path.base()) + "fd/" + name;
    ns.holders.add(ns_holder::descriptor);
  }
  if (!sockets.empty())
    scan_sockets(proc, sockets);
}

// A descriptor whose link reads as a path: the inode through the link first (most such links are
// directories, "/" above all, which need no pidfd), then the file itself.
void scanner::add_nsfs_descriptor(int dir, const char* name, process_pidfd& proc,
                                  const proc_path& path) {
  std::uint64_t ino = nsfs_inode_at(dir, name, nsfs_dev_);
  if (ino == 0 || add_known_descriptor(ino))
    return;
  add_descriptor_ns(take_ns_descriptor(proc, std::atoi(name), nsfs_dev_, ino), ino,
                    std::string(path.base()) + "fd/" + name);
}

// A descriptor of a namespace already found: no need to take it for its type.
bool scanner::add_known_descriptor(std::uint64_t ino) {
  auto it = by_ino_.find(ino);
  if (it == by_ino_.end())
    return false;
  out_.namespaces[it->second].holders.add(ns_holder::descriptor);
  return true;
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

void scanner::scan_sockets(process_pidfd& proc, const std::vector<int>& fds) {
  for (int fd : fds) {
    unique_fd sock = take_socket(proc, fd);
    if (!sock && errno == ENOTSOCK)
      continue;  // another file put in its place since it was listed
    if (!sock)
      return;  // gone, no ptrace rights over it, or no pidfd_getfd (Linux < 5.6)
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

// The iterator's records, applied as the /proc walk would: only for processes the scan could
// read, nsfs files by inode (taken for their type when new), sockets, all through pidfd_getfd.
void scanner::add_listed_descriptors() {
  std::vector<int> sockets;
  process_pidfd proc;
  auto flush = [&] {
    if (!sockets.empty())
      scan_sockets(proc, sockets);
    sockets.clear();
  };
  std::sort(descriptors_.begin(), descriptors_.end(),
            [](const auto& a, const auto& b) { return a.pid < b.pid; });
  for (const auto& d : descriptors_) {
    if (!out_.find_process(d.pid))
      continue;
    if (d.pid != proc.pid()) {
      flush();
      proc = process_pidfd(d.pid);
    }
    if (d.socket) {
      if (opts_.sockets && opts_.types.contains(ns_type::net))
        sockets.push_back(d.fd);
      continue;
    }
    if (!opts_.descriptors)
      continue;
    if (add_known_descriptor(d.ino))
      continue;
    add_descriptor_ns(take_ns_descriptor(proc, d.fd, nsfs_dev_, d.ino), d.ino,
                      "/proc/" + std::to_string(d.pid) + "/fd/" + std::to_string(d.fd));
  }
  flush();
  descriptors_.clear();
}

}  // namespace nsutil::detail
