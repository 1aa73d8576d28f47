/// @file
/// Peer network-namespace IDs (the "netnsid" of ip-netns and lsns's NETNSID column).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nsutil/export.hpp>
#include <nsutil/unique_fd.hpp>
#include <optional>

namespace nsutil {

/// An rtnetlink socket in the caller's network namespace that asks for the ID this namespace
/// has assigned to other network namespaces (RTM_GETNSID, Linux 4.0).
class NSUTIL_API netnsid_query {
 public:
  /// Opens the socket. Throws nsutil::error("socket"). Needs no privilege.
  netnsid_query();
  /// The ID of the network namespace `netns_fd` as seen from the caller's: -1 when none is
  /// assigned ("unassigned"), nullopt when the kernel refused to say. Never throws.
  [[nodiscard]] std::optional<int> of(const unique_fd& netns_fd) const noexcept;
  /// The same for the network namespace of process (or thread) `pid`, named by its PID in the
  /// caller's PID namespace: no descriptor to open. nullopt when it has gone.
  [[nodiscard]] std::optional<int> of(pid_t pid) const noexcept;

 private:
  [[nodiscard]] NSUTIL_LOCAL std::optional<int> ask(int attribute,
                                                    std::uint32_t value) const noexcept;
  unique_fd sock_;
};

}  // namespace nsutil
