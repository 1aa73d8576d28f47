// The scan behind discover(): one object per call. Processes, threads, descriptors and sockets
// come from /proc or the BPF iterators (scan_tasks.cpp), bind mounts from mount tables
// (scan_mounts.cpp); discovery.cpp records, relates and assembles. Private to libnsutil.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nsutil/discovery.hpp>
#include <nsutil/mounts.hpp>
#include <nsutil/unique_fd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "discovery/fd_iter.hpp"

namespace nsutil::detail {

class proc_path;

// Opening a namespace that another process holds, or that a path another user may have changed
// leads to, without blocking (nsfs_files.cpp): the scan runs as root over every user's
// processes, and a user may put another file (a FIFO without a writer) where the scan saw a
// namespace. Each file is checked to be the nsfs inode expected before any ioctl reaches it.

/// The pidfd of one process, opened at its first use (pidfd_open, Linux 5.3): the scan takes a
/// process's descriptors one after another, and most processes need none taken.
class process_pidfd {
 public:
  explicit process_pidfd(pid_t pid = 0) noexcept : pid_(pid) {}
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  /// The pidfd, or -1 when the process has gone (asked once).
  int get() noexcept;

 private:
  pid_t pid_;
  unique_fd fd_;
  bool opened_ = false;
};

/// The file that the process holds as descriptor `fd` (pidfd_getfd, Linux 5.6), if it is the
/// nsfs file (dev, ino); else empty. Opens nothing and does not wait for a FIFO's writer.
unique_fd take_ns_descriptor(process_pidfd& proc, int fd, std::uint64_t dev, std::uint64_t ino);
/// The socket that the process holds as descriptor `fd`, if it is one; else empty.
unique_fd take_socket(process_pidfd& proc, int fd);
/// Opens `path` (not a descriptor of another process), if it is the nsfs file (dev, ino); else
/// empty. Without blocking on a FIFO or taking a terminal.
unique_fd open_nsfs_path(const char* path, std::uint64_t dev, std::uint64_t ino);
/// Opens again the namespace (dev, ino) that a scan found at `path` (found_namespace::path): a
/// "/proc/PID/fd/N" path by take_ns_descriptor(), any other by open_nsfs_path().
unique_fd reopen_found(const std::string& path, std::uint64_t dev, std::uint64_t ino);
/// The inode number of the file at `path` relative to `dir` (the descriptor `dir` itself when
/// `path` is empty) if it is on the nsfs device `dev`, else 0. From the inode's cached attributes
/// (statx with AT_STATX_DONT_SYNC), following /proc's magic links: no filesystem is asked.
std::uint64_t nsfs_inode_at(int dir, const char* path, std::uint64_t dev);

class scanner {
 public:
  scanner(const discovery_options& opts, discovery_source source)
      : opts_(opts), wanted_source_(source) {}
  discovery run();
  /// After run(): where processes, threads and descriptors were read from (bpf or proc).
  [[nodiscard]] discovery_source source() const noexcept { return source_; }

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
  bool add_process(pid_t pid, const process_ns& own, pid_t ppid = 0);
  void add_thread(pid_t pid, std::string_view tid, const process_ns& thread, const process_ns& own);
  void add_listed_tasks(std::vector<detail::task_namespaces>& tasks);
  void scan_descriptors(pid_t pid, proc_path& path, const process_ns& own);
  void scan_sockets(process_pidfd& proc, const std::vector<int>& fds);
  void collect_mounts();
  void scan_bind_mounts();
  void add_nsfs_descriptor(int dir, const char* name, process_pidfd& proc, const proc_path& path);
  bool add_known_descriptor(std::uint64_t ino);
  void add_descriptor_ns(unique_fd fd, std::uint64_t ino, std::string path);
  void add_mounts(const std::vector<ns_mount>& mounts, bool own, const mount_ns* where);
  void resolve();
  void resolve_netnsids();
  void resolve_one(std::size_t index, unique_fd fd);
  std::optional<std::size_t> add_ancestor(ns_type type, unique_fd fd);
  void scan_listns();
  void scan_processes();
  void fill_details();

  const discovery_options& opts_;
  const discovery_source wanted_source_;
  discovery_source source_ = discovery_source::proc;
  discovery out_;
  // Namespaces by inode (the latest one with it), and by ID where the ID is known.
  std::unordered_map<std::uint64_t, std::size_t> by_ino_;
  std::unordered_map<std::uint64_t, std::size_t> by_id_;
  // For reading the mounts of a mount namespace through one of its processes.
  std::unordered_map<std::uint64_t, pid_t> mnt_pid_;
  std::uint64_t nsfs_dev_ = 0;
  std::vector<std::pair<std::size_t, unique_fd>> pending_;
  // For discovery_options::netnsids: an rtnetlink socket, opened at the first namespace that
  // needs it (netnsid_batch.hpp).
  unique_fd rtnetlink_;
  void resolve_processless(found_namespace& ns, const unique_fd& fd);
  struct mount_table {
    mount_ns where;
    std::vector<ns_mount> mounts;
  };
  std::vector<mount_table> tables_;
  bool listed_all_ = false;
  // The task iterator gave every process's PPID: only UIDs are left to read.
  bool ppids_listed_ = false;
  std::vector<detail::open_descriptor> descriptors_;
  void add_listed_descriptors();
  std::unordered_set<std::string> nsfs_targets_;
};

}  // namespace nsutil::detail
