/* The kernel's types that libnsutil's BPF programs read (tasks.bpf.c, watch.bpf.c), declared
 * with only the members read: a whole vmlinux.h would be megabytes in the tree. CO-RE
 * (preserve_access_index) relocates each member to where the running kernel has it. */
#ifndef NSUTIL_BPF_KERNEL_H
#define NSUTIL_BPF_KERNEL_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#define NSUTIL_CORE __attribute__((preserve_access_index))

struct ns_common {
  unsigned int inum;
  __u64 ns_id; /* Linux 6.18 */
} NSUTIL_CORE;

struct mnt_namespace {
  struct ns_common ns;
} NSUTIL_CORE;
struct net {
  struct ns_common ns;
} NSUTIL_CORE;
struct uts_namespace {
  struct ns_common ns;
} NSUTIL_CORE;
struct ipc_namespace {
  struct ns_common ns;
} NSUTIL_CORE;
struct cgroup_namespace {
  struct ns_common ns;
} NSUTIL_CORE;
struct time_namespace {
  struct ns_common ns;
} NSUTIL_CORE;
struct user_namespace {
  struct ns_common ns;
} NSUTIL_CORE;
struct pid_namespace {
  struct ns_common ns;
} NSUTIL_CORE;

struct nsproxy {
  struct uts_namespace* uts_ns;
  struct ipc_namespace* ipc_ns;
  struct mnt_namespace* mnt_ns;
  struct pid_namespace* pid_ns_for_children;
  struct net* net_ns;
  struct time_namespace* time_ns;
  struct time_namespace* time_ns_for_children;
  struct cgroup_namespace* cgroup_ns;
} NSUTIL_CORE;

struct cred {
  struct user_namespace* user_ns;
} NSUTIL_CORE;

#endif
