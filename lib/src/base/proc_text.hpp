// Parsers of the text the kernel writes in /proc files. Private to libnsutil: declared here
// rather than file-local so that the fuzz harnesses (tests/fuzz) and unit tests can call them;
// each is defined next to its caller. All are pure.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace nsutil::detail {

// /proc/PID/stat ("pid (comm) state ppid ..."): the PPID field, found after the last ')' since
// comm may hold spaces and parentheses. nullopt when the text does not have that shape.
// Defined in discovery.cpp.
std::optional<pid_t> parse_ppid(std::string_view stat_text);

// /proc/loadavg ("0.12 0.08 0.01 2/153 4242"): the number of threads on the system, after the
// '/' of the fourth field. nullopt when the text does not have that shape. Defined in
// scan_tasks.cpp.
std::optional<std::size_t> parse_thread_count(std::string_view loadavg_text);

// "/proc/PID/fd/N", as the scan names a namespace it found as a descriptor: {PID, N}, or nullopt
// for any other path. Defined in nsfs_files.cpp.
std::optional<std::pair<pid_t, int>> parse_fd_path(std::string_view path);

// /proc/PID/status: whether bit (sig - 1) is set in the hex mask on the line starting `key`
// ("\nSigCgt:"). False for a missing line or a signal outside 1 ... 64. Defined in supervise.cpp.
bool mask_has(std::string_view status_text, std::string_view key, int sig);

// /proc/PID/status: whether the NSpid line has more than one field and its last is 1 (the
// process is init of a PID namespace nested in the reader's). Defined in supervise.cpp.
bool is_nested_init(std::string_view status_text);

// /proc/PID/cgroup: the path of the cgroup v2 entry (the line "0::PATH"), or nullopt when there
// is none. Defined in enter_plan.cpp.
std::optional<std::string_view> cgroup2_path(std::string_view cgroup_text);

}  // namespace nsutil::detail
