// Peer network-namespace IDs asked in batches: what netnsid_query does one namespace at a time,
// for the scanner's many. Private to libnsutil.
#pragma once

#include <cstdint>
#include <nsutil/unique_fd.hpp>
#include <optional>
#include <span>
#include <vector>

namespace nsutil::detail {

// An rtnetlink socket for ask_netnsids. Throws nsutil::error("socket").
unique_fd open_rtnetlink();

// The ID the caller's network namespace has assigned to each network namespace named by
// `values`, in order: descriptors of them (`attribute` NETNSA_FD) or PIDs of processes in them
// (NETNSA_PID). -1 when none is assigned, nullopt when the kernel refused to say (a process that
// has gone). The requests go in batches of 64, each in one send, its answers in one receive.
// Throws only std::bad_alloc.
std::vector<std::optional<int>> ask_netnsids(const unique_fd& rtnetlink, int attribute,
                                             std::span<const std::uint32_t> values);

}  // namespace nsutil::detail
