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

#include "fd_iter.hpp"

namespace nsutil::detail {

class proc_path;

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
  void scan_sockets(pid_t pid, const std::vector<int>& fds);
  void collect_mounts();
  void scan_bind_mounts();
  void add_nsfs_descriptor(int dir, const char* name, const proc_path& path);
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
