// Namespace bind mounts, in every mount namespace.
#include <sys/stat.h>

#include <nsutil/error.hpp>

#include "scanner.hpp"

namespace nsutil::detail {

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

}  // namespace nsutil::detail
