// Every namespace and socket descriptor of every process in one read, through a BPF task_file
// iterator (Linux 5.8), instead of walking /proc/PID/fd of each process. Private to libnsutil.
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

/// The nsfs and socket descriptors of all processes, or nullopt when the iterator cannot be
/// used here: without CAP_BPF/CAP_SYS_ADMIN and CAP_PERFMON, without kernel BTF, or outside the
/// initial PID namespace (the iterator reports global PIDs). Never throws.
std::optional<std::vector<open_descriptor>> iterate_descriptors() noexcept;

}  // namespace nsutil::detail
