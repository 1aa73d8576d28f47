// Namespace bind mounts, in every mount namespace.
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <cerrno>
#include <nsutil/error.hpp>
#include <thread>
#include <unordered_set>

#include "discovery/scanner.hpp"

namespace nsutil::detail {
namespace {

struct inside_view {
  std::vector<ns_mount> mounts;
  // The mount namespaces bound inside it, opened from there: only a task inside can reach them.
  std::vector<std::pair<std::uint64_t, unique_fd>> nested;
  int error = 0;
};

// A mount namespace that no process is in has no /proc/PID/mountinfo, and before listmount by
// namespace ID (Linux 6.12) the only way to read its table is from inside. A short-lived thread
// enters it instead of the scanning process: setns(CLONE_NEWNS) wants a task whose fs_struct is
// its own, hence unshare(CLONE_FS) first, and it moves that thread's root, hence /proc opened
// before. The mountinfo file shows the namespace its reader was in when it opened it.
inside_view read_from_inside(const unique_fd& proc, const unique_fd& mnt_ns,
                             std::uint64_t nsfs_dev) noexcept {
  inside_view v;
  auto body = [&] {
    if (::unshare(CLONE_FS) < 0 || ::setns(mnt_ns.get(), CLONE_NEWNS) < 0) {
      v.error = errno;
      return;
    }
    try {
      v.mounts = read_ns_mounts_from_mountinfo(open_fd_at(proc, "thread-self/mountinfo", O_RDONLY),
                                               "mountinfo");
      for (const auto& m : v.mounts)
        if (m.type == ns_type::mnt)
          if (unique_fd fd = open_nsfs_path(m.target.c_str(), nsfs_dev, m.ino))
            v.nested.emplace_back(m.ino, std::move(fd));
    } catch (const std::exception&) {
      v.error = EIO;
    }
  };
  try {
    std::thread(body).join();
  } catch (const std::system_error& e) {
    v.error = e.code().value();
  }
  return v;
}

}  // namespace

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
  std::unordered_set<std::uint64_t> seen{self.st_ino};
  for (const auto& entry : mnt_pid_)
    seen.insert(entry.first);
  std::vector<std::pair<std::uint64_t, unique_fd>> process_less;
  // Bind mounts of mount namespaces that no process is in: opened through the root they are
  // seen from, to be read from inside below.
  auto queue = [&](const std::vector<ns_mount>& mounts, const std::string& root) {
    for (const auto& m : mounts) {
      if (m.type != ns_type::mnt || !seen.insert(m.ino).second)
        continue;
      if (unique_fd fd = open_nsfs_path((root + m.target).c_str(), nsfs_dev_, m.ino))
        process_less.emplace_back(m.ino, std::move(fd));
      else
        ++out_.denied;
    }
  };
  for (const auto& table : tables_)
    queue(table.mounts, "");
  for (const auto& [ino, pid] : mnt_pid_) {
    if (ino == self.st_ino)
      continue;
    try {
      mount_ns where{};
      where.inode = {nsfs_dev_, ino};
      std::string root = "/proc/" + std::to_string(pid) + "/root";
      auto mounts = read_ns_mounts_from_mountinfo("/proc/" + std::to_string(pid) + "/mountinfo");
      add_mounts(mounts, false, &where);
      queue(mounts, root);
    } catch (const error&) {
      ++out_.denied;
    }
  }
  if (process_less.empty())
    return;
  unique_fd proc{::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)};
  while (!process_less.empty()) {
    auto [ino, fd] = std::move(process_less.back());
    process_less.pop_back();
    auto inside = read_from_inside(proc, fd, nsfs_dev_);
    if (inside.error != 0) {
      ++out_.denied;
      continue;
    }
    mount_ns where{};
    where.inode = {nsfs_dev_, ino};
    add_mounts(inside.mounts, false, &where);
    for (auto& [nested_ino, nested_fd] : inside.nested)
      if (seen.insert(nested_ino).second)
        process_less.emplace_back(nested_ino, std::move(nested_fd));
  }
}

}  // namespace nsutil::detail
