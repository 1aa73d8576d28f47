// Every namespace and socket descriptor of every process, and the namespaces of every thread, in
// one read each, through BPF task_file and task iterators (Linux 5.8), instead of reading
// /proc/PID/ns, /proc/PID/task and /proc/PID/fd of each process. Private to libnsutil.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace nsutil::detail {

/// One descriptor the iterator reported.
struct open_descriptor {
  pid_t pid;  // the process (thread group) in the caller's PID namespace
  int fd;
  bool socket;        // else an nsfs file
  std::uint64_t ino;  // the nsfs inode (for a socket: the socket's inode)
};

/// A task (thread) and its namespaces, as /proc/PID/task/TID/ns would show them.
struct task_namespaces {
  pid_t pid;  // the thread group (process)
  pid_t tid;
  pid_t ppid;  // the parent process, as /proc/PID/stat shows it
  /// Inode of each namespace, indexed by ns_type; 0 where the task has none (it is exiting).
  std::array<std::uint32_t, 8> ino;
  /// The NS_GET_ID of each, where the kernel keeps it with the namespace (Linux 6.18), else 0.
  std::array<std::uint64_t, 8> id;
};

// Loading the BPF programs (the kernel verifies and relocates them when they load) costs a few
// milliseconds however small the system, the /proc walk a few microseconds a thread. Measured on
// Linux 6.18 with 2 CPUs (xlsns --source=bpf against --source=proc, CPU time, medians of 30): 1.1x
// at 100 threads, 0.75x at 205, 0.49x at 502. So discovery_source::automatic uses the iterators
// from this many threads on the system (/proc/loadavg) up, and an idle machine is read from /proc.
inline constexpr std::size_t bpf_min_threads = 150;

struct task_listing {
  std::vector<open_descriptor> descriptors;
  /// Every task, main threads included, ascending by TID.
  std::vector<task_namespaces> tasks;
};

/// The namespaces of every task, and with `descriptors` the nsfs and socket descriptors of every
/// process, from the BPF task and task_file iterators of lib/src/discovery/bpf/tasks.bpf.c (BPF C
/// with CO-RE, loaded by its light skeleton), in one read each. nullopt when they cannot be used
/// here: without kernel BTF (/sys/kernel/btf/vmlinux), without CAP_BPF/CAP_SYS_ADMIN and
/// CAP_PERFMON, where seccomp refuses bpf(2), or outside the initial PID namespace (they report
/// global PIDs); then
/// `*error`, if given, is the errno of the failure (EXDEV for the PID namespace). `types`, a mask
/// of 1 << ns_type, are the namespace types the tasks must carry (the others may be 0): one type
/// alone loads a program that reads only that one, a millisecond or two faster. E2BIG is the
/// kernel refusing the light skeleton's loader: its BPF_PROG_LOAD sets fd_array, which a kernel
/// before 5.14 has not (nor BPF_PROG_TYPE_SYSCALL), and the loads it makes set core_relos, which
/// one before 5.17 has not; bpf_needs_kernel says so. Never throws.
std::optional<task_listing> iterate_tasks(bool descriptors, int* error = nullptr,
                                          unsigned types = 0xff) noexcept;

/// Why iterate_tasks() fails with E2BIG, as a fact for the error that reports it.
inline constexpr const char* bpf_needs_kernel =
    "the BPF source needs Linux 5.17 (BPF_PROG_TYPE_SYSCALL, kernel-side CO-RE); this kernel "
    "refused the loader: E2BIG";

}  // namespace nsutil::detail
