/* The fixed records libnsutil's BPF iterators (tasks.bpf.c) write and fd_iter.cpp reads: one
 * layout for the BPF C and the C++, so that the two cannot drift apart. Private to libnsutil. */
#ifndef NSUTIL_BPF_RECORDS_H
#define NSUTIL_BPF_RECORDS_H

#ifdef __bpf__
typedef unsigned int nsutil_u32;
typedef unsigned long long nsutil_u64;
#else
#  include <stdint.h>
typedef uint32_t nsutil_u32;
typedef uint64_t nsutil_u64;
#endif

/* Namespaces in ns_type's order (lib/include/nsutil/ns_type.hpp). */
enum {
  NSUTIL_NS_MNT,
  NSUTIL_NS_NET,
  NSUTIL_NS_PID,
  NSUTIL_NS_UTS,
  NSUTIL_NS_IPC,
  NSUTIL_NS_USER,
  NSUTIL_NS_CGROUP,
  NSUTIL_NS_TIME,
  NSUTIL_NS_COUNT
};

/* One task (thread), written by the iter/task program. */
struct nsutil_task_record {
  nsutil_u32 tgid;
  nsutil_u32 tid;
  nsutil_u32 ppid; /* the thread group of real_parent, as /proc/PID/stat shows it */
  nsutil_u32 pad;
  nsutil_u64 id[NSUTIL_NS_COUNT];  /* NS_GET_ID where the kernel keeps it (6.18), else 0 */
  nsutil_u32 ino[NSUTIL_NS_COUNT]; /* 0 where the task has none (it is exiting) */
};

enum { NSUTIL_FILE_NSFS = 1, NSUTIL_FILE_SOCKET = 2 };

/* One nsfs or socket descriptor, written by the iter/task_file program. */
struct nsutil_file_record {
  nsutil_u32 kind; /* NSUTIL_FILE_* */
  nsutil_u32 pad;
  nsutil_u32 tgid;
  nsutil_u32 fd;
  nsutil_u64 ino;
};

#endif
