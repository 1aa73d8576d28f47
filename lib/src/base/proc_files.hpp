// Reading the kernel's files under /proc, which no user can put anything else in place of: one
// helper per chore, for every layer. Files another user may control are read with
// read_trusted_file() (base/trusted_path.hpp) instead. Private to libnsutil.
#pragma once

#include <sys/types.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nsutil::detail {

// "PROC_ROOT/PID/ENTRY" ("/proc/42/cgroup"): a file of process `pid` in a /proc mounted at
// `proc_root`, which tests may point at a tree of their own.
std::string pid_path(std::string_view proc_root, pid_t pid, std::string_view entry);

// The whole of a /proc file (read_file()), or nullopt when it cannot be opened or read: the
// process has gone, or is not the reader's to look at.
std::optional<std::string> try_read_file(const std::string& path);

// A /proc file the kernel writes in one go (stat, loadavg) in a single read(2) into `buffer`,
// without allocating, for the reads the scan makes of every process: what was read (all of the
// file when `buffer` is larger than it), or nullopt when it cannot be opened or read, or is
// empty.
std::optional<std::string_view> read_once(const char* path, std::span<char> buffer) noexcept;

// /proc/PID/cmdline at `path`: the process's arguments (parse_command_line()), or none when the
// file cannot be read or the process is a kernel thread.
std::vector<std::string> read_command_line(const std::string& path);

// /proc/PID/comm at `path`: the process's name, without the kernel's newline; empty when it
// cannot be read.
std::string read_comm(const std::string& path);

}  // namespace nsutil::detail
