// Kernel interfaces that Debian 12's headers (linux 6.1 uapi, glibc 2.36) lack or only partly
// have. Values are kernel ABI; every use is probed at run time, never assumed.
#pragma once

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#ifndef NSFS_MAGIC
#  define NSFS_MAGIC 0x6e736673
#endif
// pidfs (Linux 6.9): a pidfd is an inode of its own; before, every pidfd is the same anon inode.
#ifndef PID_FS_MAGIC
#  define PID_FS_MAGIC 0x50494446
#endif
#ifndef CLONE_NEWTIME
#  define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_PIDFD
#  define CLONE_PIDFD 0x00001000
#endif

// linux/nsfs.h: NS_GET_ID (6.18), the PID-translation and mount-namespace ioctls (6.11, 6.12).
#ifndef NS_GET_ID
#  define NS_GET_ID _IOR(NSIO, 13, std::uint64_t)
#endif
#ifndef NS_GET_MNTNS_ID
#  define NS_GET_MNTNS_ID _IOR(NSIO, 5, std::uint64_t)
#endif
#ifndef NS_GET_PID_FROM_PIDNS
#  define NS_GET_PID_FROM_PIDNS _IOR(NSIO, 6, int)
#  define NS_GET_TGID_FROM_PIDNS _IOR(NSIO, 7, int)
#  define NS_GET_PID_IN_PIDNS _IOR(NSIO, 8, int)
#  define NS_GET_TGID_IN_PIDNS _IOR(NSIO, 9, int)
#endif

namespace nsutil::compat {

// struct mnt_ns_info and its ioctls (Linux 6.12).
struct mnt_ns_info {
  std::uint32_t size;
  std::uint32_t nr_mounts;
  std::uint64_t mnt_ns_id;
};
inline constexpr unsigned long ns_mnt_get_info = _IOR(NSIO, 10, mnt_ns_info);
inline constexpr unsigned long ns_mnt_get_next = _IOR(NSIO, 11, mnt_ns_info);
inline constexpr unsigned long ns_mnt_get_prev = _IOR(NSIO, 12, mnt_ns_info);

// linux/pidfd.h (Linux 6.11): a namespace descriptor straight from a pidfd, in ns_type order of
// the kernel's own table (cgroup 1, ipc 2, mnt 3, net 4, pid 5, pid_for_children 6, time 7,
// time_for_children 8, user 9, uts 10).
inline constexpr unsigned long pidfd_get_cgroup_namespace = _IO(0xFF, 1);
inline constexpr unsigned long pidfd_get_ipc_namespace = _IO(0xFF, 2);
inline constexpr unsigned long pidfd_get_mnt_namespace = _IO(0xFF, 3);
inline constexpr unsigned long pidfd_get_net_namespace = _IO(0xFF, 4);
inline constexpr unsigned long pidfd_get_pid_namespace = _IO(0xFF, 5);
inline constexpr unsigned long pidfd_get_pid_for_children_namespace = _IO(0xFF, 6);
inline constexpr unsigned long pidfd_get_time_namespace = _IO(0xFF, 7);
inline constexpr unsigned long pidfd_get_time_for_children_namespace = _IO(0xFF, 8);
inline constexpr unsigned long pidfd_get_user_namespace = _IO(0xFF, 9);
inline constexpr unsigned long pidfd_get_uts_namespace = _IO(0xFF, 10);

// Syscall numbers are the same on every architecture that has the generic table (asm-generic)
// and on x86_64 for these recent calls.
#ifndef SYS_pidfd_open
#  define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#  define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_getfd
#  define SYS_pidfd_getfd 438
#endif
#ifndef SYS_statmount
#  define SYS_statmount 457
#endif
#ifndef SYS_listmount
#  define SYS_listmount 458
#endif
#ifndef SYS_listns
#  define SYS_listns 470
#endif

inline int pidfd_open(pid_t pid, unsigned flags) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags));
}
inline int pidfd_send_signal(int pidfd, int sig, unsigned flags) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, flags));
}
inline int pidfd_getfd(int pidfd, int targetfd, unsigned flags) {
  return static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, targetfd, flags));
}

// listmount(2) and statmount(2) (Linux 6.8; mnt_ns_id in the request since about 6.11).
struct mnt_id_req {
  std::uint32_t size;
  std::uint32_t spare;
  std::uint64_t mnt_id;
  std::uint64_t param;
  std::uint64_t mnt_ns_id;
};
inline constexpr std::uint32_t mnt_id_req_size_ver1 = 32;
inline constexpr std::uint64_t lsmt_root = ~std::uint64_t{0};
inline constexpr std::uint64_t statmount_sb_basic = 0x1;
inline constexpr std::uint64_t statmount_mnt_root = 0x8;
inline constexpr std::uint64_t statmount_mnt_point = 0x10;

// The fixed part of struct statmount is 512 bytes; its strings follow it (str[] in the kernel,
// left out here: flexible array members are not C++), as offsets from that point.
struct statmount_buf {
  std::uint32_t size;
  std::uint32_t mnt_opts;
  std::uint64_t mask;
  std::uint32_t sb_dev_major;
  std::uint32_t sb_dev_minor;
  std::uint64_t sb_magic;
  std::uint32_t sb_flags;
  std::uint32_t fs_type;
  std::uint64_t mnt_id;
  std::uint64_t mnt_parent_id;
  std::uint32_t mnt_id_old;
  std::uint32_t mnt_parent_id_old;
  std::uint64_t mnt_attr;
  std::uint64_t mnt_propagation;
  std::uint64_t mnt_peer_group;
  std::uint64_t mnt_master;
  std::uint64_t propagate_from;
  std::uint32_t mnt_root;
  std::uint32_t mnt_point;
  std::uint64_t mnt_ns_id;
  std::uint64_t spare[49];
};
static_assert(sizeof(statmount_buf) == 512);

inline long listmount(const mnt_id_req* req, std::uint64_t* ids, std::size_t n, unsigned flags) {
  return ::syscall(SYS_listmount, req, ids, n, flags);
}
inline long statmount(const mnt_id_req* req, statmount_buf* buf, std::size_t size, unsigned flags) {
  return ::syscall(SYS_statmount, req, buf, size, flags);
}

// listns(2) (Linux 6.19): the final 32-byte request layout.
struct ns_id_req {
  std::uint32_t size;
  std::uint32_t spare;
  std::uint64_t ns_id;
  std::uint32_t ns_type;
  std::uint32_t spare2;
  std::uint64_t user_ns_id;
};
inline long listns(const ns_id_req* req, std::uint64_t* ids, std::size_t n, unsigned flags) {
  return ::syscall(SYS_listns, req, ids, n, flags);
}

// nsfs file handles (Linux 6.18): open_by_handle_at(FD_NSFS_ROOT, {ns_id, ns_type, ns_inum}).
// ns_type is the CLONE_NEW* flag. Linux 6.18 opens a handle only when all three match; from 6.19
// on (the unified namespace tree) type and inode may be 0 and the ID alone finds the namespace.
// Failures: ESTALE for no such namespace, for a mismatch, and for a namespace the caller has no
// CAP_SYS_ADMIN over (6.18 turns that EPERM into ESTALE too); EBADF before Linux 6.18.
inline constexpr int fileid_nsfs = 0xf1;
inline constexpr int fd_nsfs_root = -10003;
struct nsfs_file_handle {
  std::uint64_t ns_id;
  std::uint32_t ns_type;
  std::uint32_t ns_inum;
};
static_assert(sizeof(nsfs_file_handle) == 16);

// Returns the descriptor (O_RDONLY | O_CLOEXEC), or -1 with errno set.
inline int open_nsfs_handle(std::uint64_t id, std::uint32_t clone_flag = 0, std::uint64_t ino = 0) {
  // struct file_handle ends in a flexible array: build it in a byte buffer.
  alignas(file_handle) unsigned char buf[sizeof(file_handle) + sizeof(nsfs_file_handle)] = {};
  auto* head = reinterpret_cast<file_handle*>(buf);
  head->handle_bytes = sizeof(nsfs_file_handle);
  head->handle_type = fileid_nsfs;
  nsfs_file_handle fid{id, clone_flag, static_cast<std::uint32_t>(ino)};
  std::memcpy(buf + sizeof(file_handle), &fid, sizeof fid);
  return ::open_by_handle_at(fd_nsfs_root, head, O_RDONLY | O_CLOEXEC);
}

// linux/sockios.h: the network namespace of a socket (Linux 4.9).
#ifndef SIOCGSKNS
#  define SIOCGSKNS 0x894C
#endif

}  // namespace nsutil::compat
