// Every namespace and socket descriptor of every process, and every thread, in one read each,
// through BPF task_file and task iterators (Linux 5.8), instead of walking /proc/PID/fd and
// stat-ing /proc/PID/task of each process. Private to libnsutil.
#pragma once

#include <sys/types.h>

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

/// A thread that is not its process's main thread.
struct extra_thread {
  pid_t pid;
  pid_t tid;
};

struct task_listing {
  std::vector<open_descriptor> descriptors;
  std::vector<extra_thread> threads;
};

/// The nsfs and socket descriptors of all processes, and every thread that is not a main
/// thread, from two BPF iterators (task_file and task, Linux 5.8). nullopt when they cannot be
/// used here: without CAP_BPF/CAP_SYS_ADMIN and CAP_PERFMON, without a mappable kernel BTF
/// (/sys/kernel/btf/vmlinux, Linux 6.16), or outside
/// the initial PID namespace (they report global PIDs). Never throws.
std::optional<task_listing> iterate_tasks() noexcept;

}  // namespace nsutil::detail
