/// @file
/// Namespace bind mounts in every mount namespace: enumerating mount namespaces and reading
/// their mount tables without entering them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nsutil/export.hpp>
#include <nsutil/ns_handle.hpp>
#include <nsutil/ns_type.hpp>
#include <nsutil/unique_fd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nsutil {

/// A mount namespace found by list_mount_namespaces().
struct mount_ns {
  /// Its 64-bit mount-namespace ID (the one listmount(2) and statmount(2) take).
  std::uint64_t id = 0;
  /// Device and inode of its nsfs file.
  ns_inode inode;
  /// Its ID from NS_GET_ID (the same ID space as every other type), when the kernel has it.
  std::optional<std::uint64_t> nsid;
  /// True for the caller's own mount namespace.
  bool own = false;
};

/// Lists every mount namespace the caller may see through NS_MNT_GET_PREV/NEXT (Linux 6.12),
/// starting from its own, including namespaces that no process is in. Without privilege the
/// kernel shows only namespaces owned by user namespaces the caller has CAP_SYS_ADMIN in.
/// Returns nullopt when the kernel lacks the ioctls (ENOTTY, EINVAL), so the caller falls back
/// to /proc. Never throws; does not change the calling process.
NSUTIL_API std::optional<std::vector<mount_ns>> list_mount_namespaces() noexcept;

/// A namespace bind mount (a mount of an nsfs file, as made by `ip netns add` or persist()).
struct ns_mount {
  ns_type type;
  /// The inode of the bound namespace (its dev is nsfs's, which every namespace shares).
  std::uint64_t ino = 0;
  /// The mount point, as seen from the root of the mount namespace that holds it.
  std::string target;
};

/// The namespace bind mounts of the mount namespace with ID `mnt_ns_id`, read with listmount(2)
/// and statmount(2) (Linux 6.8; by namespace ID since about 6.11) without entering it. Needs
/// CAP_SYS_ADMIN in the owner of that namespace unless it is the caller's own. Returns nullopt
/// when the kernel lacks these calls (ENOSYS, EINVAL); throws nsutil::error("listmount") for
/// other failures (EPERM, ENOENT when the namespace has gone).
NSUTIL_API std::optional<std::vector<ns_mount>> read_ns_mounts(std::uint64_t mnt_ns_id);

/// The namespace bind mounts listed in a mountinfo file (/proc/self/mountinfo,
/// /proc/PID/mountinfo); the fallback for kernels without listmount(2). A table with an nsfs
/// mount is parsed with libmount, loaded with dlopen the first time one is met; a table without
/// one needs no parsing and returns empty. Throws nsutil::error("open" or "read", path), or
/// ("dlopen", "libmount.so.1") when a table has an nsfs mount and libmount is not installed.
NSUTIL_API std::vector<ns_mount> read_ns_mounts_from_mountinfo(const std::string& path);

/// The same, read from an open mountinfo file; `name` is used in errors. For a reader whose
/// root has moved since it opened /proc (a thread that entered another mount namespace opens
/// /proc/thread-self/mountinfo relative to a /proc it opened before). Throws as above.
NSUTIL_API std::vector<ns_mount> read_ns_mounts_from_mountinfo(const unique_fd& file,
                                                               const std::string& name);

}  // namespace nsutil
