// SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only
/* libnsutil's BPF iterators: the namespaces of every task, and every nsfs and socket descriptor,
 * as fixed records (records.h). Compiled once with clang -target bpf and checked in as a light
 * skeleton (tasks.lskel.h, gen-skeleton.sh); the kernel applies the CO-RE relocations when the
 * skeleton loads, so one object fits every kernel with BTF.
 *
 * The kernel types are declared in kernel.h and below, with only the members read: a whole
 * vmlinux.h would be megabytes in the tree. Every read goes through BPF_CORE_READ
 * (bpf_probe_read_kernel): a direct load through a trusted pointer makes the verifier search the
 * kernel's BTF by name for every pointer it walks, which slows every load.
 *
 * Each relocated root type (the type a BPF_CORE_READ starts from) makes the kernel search all of
 * vmlinux's BTF for its name at load time, cached in a small hash table where colliding names
 * evict each other (kernel/bpf/btf.c, bpf_core_find_cands). Hence few roots: each namespace's
 * ns_common is read through its namespace type, and the iterator contexts, whose layout is the
 * iterators' ABI, are plain structs. A listing of one namespace type loads a program that reads
 * that type alone (NSUTIL_TYPES below). Load times: tests/bench/README.md (bpf_load.sh). */

#include "kernel.h"
#include "records.h"

struct upid {
  int nr;
  struct pid_namespace* ns;
} NSUTIL_CORE;

struct pid {
  unsigned int level;
  struct upid numbers[1];
} NSUTIL_CORE;

struct task_struct {
  int pid;
  int tgid;
  struct task_struct* real_parent;
  struct pid* thread_pid;
  const struct cred* real_cred;
  struct nsproxy* nsproxy;
} NSUTIL_CORE;

struct super_block {
  unsigned long s_magic;
} NSUTIL_CORE;

struct inode {
  unsigned short i_mode;
  unsigned long i_ino;
  struct super_block* i_sb;
} NSUTIL_CORE;

struct file {
  struct inode* f_inode;
} NSUTIL_CORE;

struct bpf_iter_meta {
  struct seq_file* seq;
};

struct bpf_iter__task {
  struct bpf_iter_meta* meta;
  struct task_struct* task;
};

struct bpf_iter__task_file {
  struct bpf_iter_meta* meta;
  struct task_struct* task;
  __u32 fd;
  struct file* file;
};

#define NSUTIL_NSFS_MAGIC 0x6e736673
#define NSUTIL_S_IFMT 00170000
#define NSUTIL_S_IFSOCK 0140000

/* bpf_seq_write is for GPL programs only: the kernel loads this one under the GPL-2.0 side of
 * its dual licence (SPDX line above). */
char LICENSE[] SEC("license") = "GPL";

/* The inode number and, where the kernel keeps it, the NS_GET_ID of the namespace `nsp` points
 * to (a struct *_namespace or struct net, each with its ns_common in `ns`); zeros when the pointer
 * is NULL (probe reads of a NULL base fail and leave 0). A macro, as the type differs: each read
 * is relocated from that namespace type, never from ns_common (see the top of this file). */
#define put_ns(r, type, nsp)                        \
  do {                                              \
    typeof(nsp) ns_ = (nsp);                        \
    (r)->ino[type] = BPF_CORE_READ(ns_, ns.inum);   \
    if (bpf_core_field_exists(ns_->ns.ns_id))       \
      (r)->id[type] = BPF_CORE_READ(ns_, ns.ns_id); \
  } while (0)

/* The namespace types the task program reads, a mask of 1 << NSUTIL_NS_*: all of them, or one
 * alone. gen-skeleton.sh builds a skeleton of each (tasks, tasks_mnt, tasks_net, ...), and a
 * listing of one type loads the program for that type: it relocates fewer types, so the kernel
 * makes fewer of the searches described at the top (the names that share a slot with a type read
 * alone are not loaded with it). The code a type does not want, and its relocations, are left
 * out by the compiler. */
#ifndef NSUTIL_TYPES
#  define NSUTIL_TYPES 0xff
#endif
#define NSUTIL_WANTS(type) ((NSUTIL_TYPES) & (1u << (type)))

/* Per task: the namespaces /proc/PID/task/TID/ns shows: nsproxy's (none once the task exits),
 * the real credentials' user namespace, and the PID namespace the task's PID lives in. */
SEC("iter/task")
int nsutil_tasks(struct bpf_iter__task* ctx) {
  struct seq_file* seq = ctx->meta->seq;
  struct task_struct* task = ctx->task;
  if (!task)
    return 0;
  struct nsutil_task_record r = {};
  r.tgid = BPF_CORE_READ(task, tgid);
  r.tid = BPF_CORE_READ(task, pid);
  r.ppid = BPF_CORE_READ(task, real_parent, tgid);
  struct nsproxy* nsp = BPF_CORE_READ(task, nsproxy);
  if (NSUTIL_WANTS(NSUTIL_NS_MNT))
    put_ns(&r, NSUTIL_NS_MNT, BPF_CORE_READ(nsp, mnt_ns));
  if (NSUTIL_WANTS(NSUTIL_NS_NET))
    put_ns(&r, NSUTIL_NS_NET, BPF_CORE_READ(nsp, net_ns));
  if (NSUTIL_WANTS(NSUTIL_NS_UTS))
    put_ns(&r, NSUTIL_NS_UTS, BPF_CORE_READ(nsp, uts_ns));
  if (NSUTIL_WANTS(NSUTIL_NS_IPC))
    put_ns(&r, NSUTIL_NS_IPC, BPF_CORE_READ(nsp, ipc_ns));
  if (NSUTIL_WANTS(NSUTIL_NS_CGROUP))
    put_ns(&r, NSUTIL_NS_CGROUP, BPF_CORE_READ(nsp, cgroup_ns));
  if (NSUTIL_WANTS(NSUTIL_NS_TIME))
    put_ns(&r, NSUTIL_NS_TIME, BPF_CORE_READ(nsp, time_ns));
  if (NSUTIL_WANTS(NSUTIL_NS_USER))
    put_ns(&r, NSUTIL_NS_USER, BPF_CORE_READ(task, real_cred, user_ns));
  if (NSUTIL_WANTS(NSUTIL_NS_PID)) {
    /* task_active_pid_ns(): thread_pid->numbers[thread_pid->level].ns */
    struct pid* pid = BPF_CORE_READ(task, thread_pid);
    unsigned int level = BPF_CORE_READ(pid, level);
    struct pid_namespace* pidns = 0;
    bpf_core_read(&pidns, sizeof pidns, &pid->numbers[level].ns);
    put_ns(&r, NSUTIL_NS_PID, pidns);
  }
  bpf_seq_write(seq, &r, sizeof r);
  return 0;
}

/* Per descriptor: nsfs files and sockets only. */
SEC("iter/task_file")
int nsutil_files(struct bpf_iter__task_file* ctx) {
  struct seq_file* seq = ctx->meta->seq;
  struct task_struct* task = ctx->task;
  struct file* file = ctx->file;
  if (!task || !file)
    return 0;
  struct inode* inode = BPF_CORE_READ(file, f_inode);
  struct nsutil_file_record r = {};
  if (BPF_CORE_READ(inode, i_sb, s_magic) == NSUTIL_NSFS_MAGIC)
    r.kind = NSUTIL_FILE_NSFS;
  else if ((BPF_CORE_READ(inode, i_mode) & NSUTIL_S_IFMT) == NSUTIL_S_IFSOCK)
    r.kind = NSUTIL_FILE_SOCKET;
  else
    return 0;
  r.tgid = BPF_CORE_READ(task, tgid);
  r.fd = ctx->fd;
  r.ino = BPF_CORE_READ(inode, i_ino);
  bpf_seq_write(seq, &r, sizeof r);
  return 0;
}
