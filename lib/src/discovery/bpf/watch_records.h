/* The events libnsutil's namespace watcher (watch.bpf.c) sends through its ring buffer, and
 * watch.cpp reads: one layout for the BPF C and the C++. Private to libnsutil. */
#ifndef NSUTIL_BPF_WATCH_RECORDS_H
#define NSUTIL_BPF_WATCH_RECORDS_H

#include "records.h"

/* The ring buffer's size in bytes: a power of two and a multiple of the page size. */
#define NSUTIL_WATCH_RING_SIZE (256 * 1024)

enum { NSUTIL_WATCH_APPEARED = 1, NSUTIL_WATCH_VANISHED = 2 };

/* How an appeared namespace was made: in unshare(2), else while a task was being cloned. */
enum { NSUTIL_HOW_CLONE = 1, NSUTIL_HOW_UNSHARE = 2 };

struct nsutil_watch_record {
  nsutil_u64 time; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
  nsutil_u64 id;   /* NS_GET_ID where the kernel keeps it (6.18), else 0 */
  /* vanished, from the tracepoint programs: when it appeared (CLOCK_MONOTONIC), else 0 */
  nsutil_u64 born;
  nsutil_u32 kind; /* NSUTIL_WATCH_* */
  nsutil_u32 type; /* NSUTIL_NS_* */
  nsutil_u32 ino;
  /* The task that made it (appeared only): global PIDs, the UID in the initial user namespace. */
  nsutil_u32 tgid;
  nsutil_u32 tid;
  nsutil_u32 uid;
  nsutil_u32 how; /* NSUTIL_HOW_* */
  char comm[16];
  nsutil_u32 pad;
};

#endif
