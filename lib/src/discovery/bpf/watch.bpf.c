// SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only
/* libnsutil's namespace watcher: an event in a ring buffer (watch_records.h) when a namespace of
 * any type is made, and when one it knows of is released. Compiled once and checked in as a light
 * skeleton (watch.lskel.h, gen-skeleton.sh), CO-RE as tasks.bpf.c, whose notes on relocations
 * apply here too.
 *
 * Creation: fexit of the function each type's unshare and clone paths call, global and with the
 * same signature from Linux 5.10 to 6.18 (copy_mnt_ns, copy_net_ns, copy_utsname, copy_ipcs,
 * copy_pid_ns, copy_cgroup_ns, copy_time_ns, create_user_ns): the static helpers under them
 * (create_uts_ns, clone_uts_ns, create_ipc_ns, create_pid_namespace, clone_time_ns) are inlined
 * in some builds, these are not. Each returns the old namespace when its flag is not set, hence
 * the flag test. Release: every type frees its inode number through proc_free_inum, from
 * ns_free_inum up to 6.17 and __ns_common_free in 6.18; /proc entries free theirs there too, from
 * the same number space, so only the numbers in `live` (the namespaces made while watching and
 * those the caller found at the start) are namespaces.
 *
 * With NSUTIL_WATCH_TRACEPOINTS (skeleton watch_tp), for kernels that refuse or lack BPF
 * trampolines (fentry/fexit): raw tracepoints only. Creation: task_newtask (clone) and the
 * unshare(2) syscall's sys_enter/sys_exit, comparing the task's namespaces before and after.
 * Release: kfree and kmem_cache_free of a namespace's own structure, known by its address from
 * its creation. lib/README.md ("Watching namespaces"). */

#include "kernel.h"
#include "watch_records.h"

/* From <linux/bpf.h>, which needs the target's <asm/types.h>. */
enum { BPF_MAP_TYPE_HASH = 1, BPF_MAP_TYPE_RINGBUF = 27 };
enum { BPF_ANY = 0, BPF_NOEXIST = 1 };
enum { BPF_F_NO_PREALLOC = 1 };

struct task_struct {
  struct nsproxy* nsproxy;
  const struct cred* real_cred;
} NSUTIL_CORE;

/* The clone flags, as <linux/sched.h> has them. */
#define NSUTIL_CLONE_NEWTIME 0x00000080
#define NSUTIL_CLONE_NEWNS 0x00020000
#define NSUTIL_CLONE_NEWCGROUP 0x02000000
#define NSUTIL_CLONE_NEWUTS 0x04000000
#define NSUTIL_CLONE_NEWIPC 0x08000000
#define NSUTIL_CLONE_NEWPID 0x20000000
#define NSUTIL_CLONE_NEWNET 0x40000000

/* bpf_ringbuf_* and fexit programs are for GPL programs only (see tasks.bpf.c). */
char LICENSE[] SEC("license") = "GPL";

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, NSUTIL_WATCH_RING_SIZE);
} events SEC(".maps");

#ifndef NSUTIL_WATCH_TRACEPOINTS
/* The inode numbers of the namespaces known to be alive, and their type: those made while the
 * programs run, and those watch.cpp found at the start. Not preallocated, so that it takes the
 * memory of the namespaces alive, not of its capacity. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 1 << 20);
  __type(key, __u32);
  __type(value, __u32);
} live SEC(".maps");

/* The threads inside unshare(2) now, so that a namespace made meanwhile is told from one made by
 * clone. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, __u64);
  __type(value, __u8);
} unsharing SEC(".maps");
#else
/* The namespaces made while the programs run, by the address of their structure: its inode
 * number and type. Not preallocated (see live above). */
struct addr_value {
  __u32 ino;
  __u32 type;
  __u64 id;
  __u64 born;
};
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 1 << 20);
  __type(key, __u64);
  __type(value, struct addr_value);
} addrs SEC(".maps");

/* The namespaces of each thread inside unshare(2) now, as it entered. */
struct ns_ptrs {
  __u64 p[NSUTIL_NS_COUNT];
};
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, __u64);
  __type(value, struct ns_ptrs);
} unsharing SEC(".maps");

/* unshare's syscall number on this architecture, set by watch_loader.c before attaching; how
 * many threads are inside it and how many namespaces `addrs` holds, so that the programs on
 * every syscall exit and every free return at once when there is nothing to look up. */
__u64 nsutil_unshare_nr = 0;
__s64 nsutil_unsharing = 0;
__s64 nsutil_tracked = 0;
#endif

/* Events the ring buffer had no room for, and namespaces the map of live ones had no room for
 * (their release goes unseen): watch.cpp reads both through the mmapped .bss. */
__u64 nsutil_lost = 0;
__u64 nsutil_untracked = 0;

static __always_inline void appeared(__u32 type, __u32 ino, __u64 id, __u64 addr, __u32 how) {
  if (ino == 0)
    return;
  __u64 now = bpf_ktime_get_ns();
#ifndef NSUTIL_WATCH_TRACEPOINTS
  __u32 t = type;
  if (bpf_map_update_elem(&live, &ino, &t, BPF_ANY) != 0)
    __sync_fetch_and_add(&nsutil_untracked, 1);
#else
  /* An entry there already is of a namespace whose structure was freed unseen: replaced. */
  struct addr_value v = {ino, type, id, now};
  if (bpf_map_update_elem(&addrs, &addr, &v, BPF_NOEXIST) == 0)
    __sync_fetch_and_add(&nsutil_tracked, 1);
  else if (bpf_map_update_elem(&addrs, &addr, &v, BPF_ANY) != 0)
    __sync_fetch_and_add(&nsutil_untracked, 1);
#endif
  struct nsutil_watch_record* r = bpf_ringbuf_reserve(&events, sizeof *r, 0);
  if (!r) {
    __sync_fetch_and_add(&nsutil_lost, 1);
    return;
  }
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  r->time = now;
  r->id = id;
  r->born = 0;
  r->kind = NSUTIL_WATCH_APPEARED;
  r->type = type;
  r->ino = ino;
  r->tgid = (__u32)(pid_tgid >> 32);
  r->tid = (__u32)pid_tgid;
  r->uid = (__u32)bpf_get_current_uid_gid();
  r->how = how;
  bpf_get_current_comm(r->comm, sizeof r->comm);
  r->pad = 0;
  bpf_ringbuf_submit(r, 0);
}

static __always_inline void vanished(__u32 type, __u32 ino, __u64 id, __u64 born) {
  struct nsutil_watch_record* r = bpf_ringbuf_reserve(&events, sizeof *r, 0);
  if (!r) {
    __sync_fetch_and_add(&nsutil_lost, 1);
    return;
  }
  __builtin_memset(r, 0, sizeof *r);
  r->time = bpf_ktime_get_ns();
  r->id = id;
  r->born = born;
  r->kind = NSUTIL_WATCH_VANISHED;
  r->type = type;
  r->ino = ino;
  bpf_ringbuf_submit(r, 0);
}

/* The inode and ID of the namespace `nsp` points to, relocated from its own type (tasks.bpf.c's
 * put_ns explains why). */
#define ns_appeared(type, nsp, how)                                              \
  do {                                                                           \
    typeof(nsp) ns_ = (nsp);                                                     \
    __u64 id_ = 0;                                                               \
    if (bpf_core_field_exists(ns_->ns.ns_id))                                    \
      id_ = BPF_CORE_READ(ns_, ns.ns_id);                                        \
    appeared((type), BPF_CORE_READ(ns_, ns.inum), id_, (__u64)(long)ns_, (how)); \
  } while (0)

#ifndef NSUTIL_WATCH_TRACEPOINTS
static __always_inline int is_err(const void* p) {
  return (unsigned long)p >= (unsigned long)-4095;
}

/* unshare or clone: whether the current thread is inside unshare(2). */
static __always_inline __u32 unshare_or_clone(void) {
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  return bpf_map_lookup_elem(&unsharing, &pid_tgid) ? NSUTIL_HOW_UNSHARE : NSUTIL_HOW_CLONE;
}

/* fexit programs see the arguments, then the return value, as ctx[]. */
#  define NSUTIL_COPY(name, fn, nstype, type, flag, nargs) \
    SEC("fexit/" #fn)                                      \
    int name(unsigned long long* ctx) {                    \
      struct nstype* ns = (struct nstype*)ctx[nargs];      \
      if (!(ctx[0] & (flag)) || !ns || is_err(ns))         \
        return 0;                                          \
      ns_appeared(type, ns, unshare_or_clone());           \
      return 0;                                            \
    }

/* copy_mnt_ns(flags, ns, user_ns, new_fs); the others (flags, user_ns, old). */
NSUTIL_COPY(nsutil_mnt, copy_mnt_ns, mnt_namespace, NSUTIL_NS_MNT, NSUTIL_CLONE_NEWNS, 4)
NSUTIL_COPY(nsutil_net, copy_net_ns, net, NSUTIL_NS_NET, NSUTIL_CLONE_NEWNET, 3)
NSUTIL_COPY(nsutil_uts, copy_utsname, uts_namespace, NSUTIL_NS_UTS, NSUTIL_CLONE_NEWUTS, 3)
NSUTIL_COPY(nsutil_ipc, copy_ipcs, ipc_namespace, NSUTIL_NS_IPC, NSUTIL_CLONE_NEWIPC, 3)
NSUTIL_COPY(nsutil_pid, copy_pid_ns, pid_namespace, NSUTIL_NS_PID, NSUTIL_CLONE_NEWPID, 3)
NSUTIL_COPY(nsutil_cgroup, copy_cgroup_ns, cgroup_namespace, NSUTIL_NS_CGROUP,
            NSUTIL_CLONE_NEWCGROUP, 3)
NSUTIL_COPY(nsutil_time, copy_time_ns, time_namespace, NSUTIL_NS_TIME, NSUTIL_CLONE_NEWTIME, 3)

/* create_user_ns(new): 0 when new->user_ns is the new namespace. */
SEC("fexit/create_user_ns")
int nsutil_user(unsigned long long* ctx) {
  struct cred* cred = (struct cred*)ctx[0];
  if ((int)ctx[1] != 0)
    return 0;
  ns_appeared(NSUTIL_NS_USER, BPF_CORE_READ(cred, user_ns), unshare_or_clone());
  return 0;
}

SEC("fentry/proc_free_inum")
int nsutil_free(unsigned long long* ctx) {
  __u32 ino = (__u32)ctx[0];
  __u32* type = bpf_map_lookup_elem(&live, &ino);
  if (!type)
    return 0;
  __u32 t = *type;
  bpf_map_delete_elem(&live, &ino);
  vanished(t, ino, 0, 0);
  return 0;
}

SEC("fentry/ksys_unshare")
int nsutil_unshare_enter(unsigned long long* ctx) {
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u8 one = 1;
  bpf_map_update_elem(&unsharing, &pid_tgid, &one, BPF_ANY);
  return 0;
}

SEC("fexit/ksys_unshare")
int nsutil_unshare_exit(unsigned long long* ctx) {
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  bpf_map_delete_elem(&unsharing, &pid_tgid);
  return 0;
}
#else
/* Raw tracepoints see their arguments as ctx[]. */

/* The namespace of each type `task` is in, or gives its children (pid, time). */
static __always_inline void read_ptrs(struct task_struct* task, struct ns_ptrs* out) {
  struct nsproxy* nsp = BPF_CORE_READ(task, nsproxy);
  out->p[NSUTIL_NS_MNT] = (__u64)(long)BPF_CORE_READ(nsp, mnt_ns);
  out->p[NSUTIL_NS_NET] = (__u64)(long)BPF_CORE_READ(nsp, net_ns);
  out->p[NSUTIL_NS_PID] = (__u64)(long)BPF_CORE_READ(nsp, pid_ns_for_children);
  out->p[NSUTIL_NS_UTS] = (__u64)(long)BPF_CORE_READ(nsp, uts_ns);
  out->p[NSUTIL_NS_IPC] = (__u64)(long)BPF_CORE_READ(nsp, ipc_ns);
  out->p[NSUTIL_NS_USER] = (__u64)(long)BPF_CORE_READ(task, real_cred, user_ns);
  out->p[NSUTIL_NS_CGROUP] = (__u64)(long)BPF_CORE_READ(nsp, cgroup_ns);
  out->p[NSUTIL_NS_TIME] = (__u64)(long)BPF_CORE_READ(nsp, time_ns_for_children);
}

/* Reports the namespace of type `type` at `p`, read through its own type. */
static __always_inline void pointer_appeared(int type, __u64 p, __u32 how) {
#  define NSUTIL_CASE(type, nstype)              \
    case type:                                   \
      ns_appeared(type, (struct nstype*)p, how); \
      break
  switch (type) {
    NSUTIL_CASE(NSUTIL_NS_MNT, mnt_namespace);
    NSUTIL_CASE(NSUTIL_NS_NET, net);
    NSUTIL_CASE(NSUTIL_NS_PID, pid_namespace);
    NSUTIL_CASE(NSUTIL_NS_UTS, uts_namespace);
    NSUTIL_CASE(NSUTIL_NS_IPC, ipc_namespace);
    NSUTIL_CASE(NSUTIL_NS_USER, user_namespace);
    NSUTIL_CASE(NSUTIL_NS_CGROUP, cgroup_namespace);
    NSUTIL_CASE(NSUTIL_NS_TIME, time_namespace);
  }
#  undef NSUTIL_CASE
}

#  define NSUTIL_CLONE_NEWUSER 0x10000000

/* task_newtask(task, clone_flags): the new task's namespaces of each CLONE_NEW* flag are new. */
SEC("raw_tp/task_newtask")
int nsutil_newtask(unsigned long long* ctx) {
  static const __u64 flags[NSUTIL_NS_COUNT] = {
      [NSUTIL_NS_MNT] = NSUTIL_CLONE_NEWNS,        [NSUTIL_NS_NET] = NSUTIL_CLONE_NEWNET,
      [NSUTIL_NS_PID] = NSUTIL_CLONE_NEWPID,       [NSUTIL_NS_UTS] = NSUTIL_CLONE_NEWUTS,
      [NSUTIL_NS_IPC] = NSUTIL_CLONE_NEWIPC,       [NSUTIL_NS_USER] = NSUTIL_CLONE_NEWUSER,
      [NSUTIL_NS_CGROUP] = NSUTIL_CLONE_NEWCGROUP, [NSUTIL_NS_TIME] = NSUTIL_CLONE_NEWTIME,
  };
  __u64 clone_flags = ctx[1];
  if (!(clone_flags & (NSUTIL_CLONE_NEWNS | NSUTIL_CLONE_NEWNET | NSUTIL_CLONE_NEWPID |
                       NSUTIL_CLONE_NEWUTS | NSUTIL_CLONE_NEWIPC | NSUTIL_CLONE_NEWUSER |
                       NSUTIL_CLONE_NEWCGROUP | NSUTIL_CLONE_NEWTIME)))
    return 0;
  struct ns_ptrs now = {};
  read_ptrs((struct task_struct*)ctx[0], &now);
  for (int type = 0; type < NSUTIL_NS_COUNT; ++type)
    if ((clone_flags & flags[type]) && now.p[type])
      pointer_appeared(type, now.p[type], NSUTIL_HOW_CLONE);
  return 0;
}

/* sys_enter(regs, id): a thread entering unshare(2) keeps its namespaces. */
SEC("raw_tp/sys_enter")
int nsutil_sys_enter(unsigned long long* ctx) {
  if (ctx[1] != nsutil_unshare_nr)
    return 0;
  struct ns_ptrs before = {};
  read_ptrs((struct task_struct*)bpf_get_current_task(), &before);
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  if (bpf_map_update_elem(&unsharing, &pid_tgid, &before, BPF_ANY) == 0)
    __sync_fetch_and_add(&nsutil_unsharing, 1);
  return 0;
}

/* sys_exit(regs, ret): the namespaces that changed in unshare(2) are new. */
SEC("raw_tp/sys_exit")
int nsutil_sys_exit(unsigned long long* ctx) {
  if (nsutil_unsharing <= 0)
    return 0;
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  struct ns_ptrs* before = bpf_map_lookup_elem(&unsharing, &pid_tgid);
  if (!before)
    return 0;
  struct ns_ptrs was = *before;
  bpf_map_delete_elem(&unsharing, &pid_tgid);
  __sync_fetch_and_add(&nsutil_unsharing, -1);
  if ((long)ctx[1] != 0)
    return 0;
  struct ns_ptrs now = {};
  read_ptrs((struct task_struct*)bpf_get_current_task(), &now);
  for (int type = 0; type < NSUTIL_NS_COUNT; ++type)
    if (now.p[type] && now.p[type] != was.p[type])
      pointer_appeared(type, now.p[type], NSUTIL_HOW_UNSHARE);
  return 0;
}

/* kfree(call_site, ptr) and kmem_cache_free(call_site, ptr, ...): one of ours is freed. */
static __always_inline int freed(__u64 addr) {
  if (nsutil_tracked <= 0)
    return 0;
  struct addr_value* v = bpf_map_lookup_elem(&addrs, &addr);
  if (!v)
    return 0;
  struct addr_value was = *v;
  if (bpf_map_delete_elem(&addrs, &addr) == 0)
    __sync_fetch_and_add(&nsutil_tracked, -1);
  vanished(was.type, was.ino, was.id, was.born);
  return 0;
}

SEC("raw_tp/kfree")
int nsutil_kfree(unsigned long long* ctx) {
  return freed(ctx[1]);
}

SEC("raw_tp/kmem_cache_free")
int nsutil_cache_free(unsigned long long* ctx) {
  return freed(ctx[1]);
}
#endif
