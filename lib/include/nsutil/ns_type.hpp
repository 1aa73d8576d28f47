/// @file
/// The eight namespace types, described by one constant table.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <nsutil/export.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace nsutil {

/// A Linux namespace type. The order is lsns's listing order.
enum class ns_type : std::uint8_t { mnt, net, pid, uts, ipc, user, cgroup, time };

/// Everything the suite needs to know about one namespace type.
struct ns_type_info {
  ns_type type;
  /// The short name used on command lines and in lsns output ("mnt", "net", ...).
  std::string_view name;
  /// The entry under /proc/PID/ns/ ("mnt", "net", ...).
  std::string_view proc_entry;
  /// The entry that names the namespace a process's *children* get ("pid_for_children"), or
  /// empty for types that apply to the caller at once.
  std::string_view for_children_entry;
  /// The CLONE_NEW* flag (values are kernel ABI, spelled out because old headers lack some).
  int clone_flag;
  /// The long option util-linux's unshare and nsenter use ("mount" for mnt).
  std::string_view option;
  /// The first kernel version with this type, for error messages.
  std::string_view since;
};

/// The table, one row per type, in ns_type order.
inline constexpr std::array<ns_type_info, 8> ns_types{{
    {ns_type::mnt, "mnt", "mnt", "", 0x00020000, "mount", "2.4.19"},
    {ns_type::net, "net", "net", "", 0x40000000, "net", "2.6.24"},
    {ns_type::pid, "pid", "pid", "pid_for_children", 0x20000000, "pid", "2.6.24"},
    {ns_type::uts, "uts", "uts", "", 0x04000000, "uts", "2.6.19"},
    {ns_type::ipc, "ipc", "ipc", "", 0x08000000, "ipc", "2.6.19"},
    {ns_type::user, "user", "user", "", 0x10000000, "user", "3.8"},
    {ns_type::cgroup, "cgroup", "cgroup", "", 0x02000000, "cgroup", "4.6"},
    {ns_type::time, "time", "time", "time_for_children", 0x00000080, "time", "5.6"},
}};

/// The table row for `type`.
constexpr const ns_type_info& info(ns_type type) {
  return ns_types[static_cast<std::size_t>(type)];
}

/// The short name of `type` ("net").
constexpr std::string_view to_string(ns_type type) {
  return info(type).name;
}

/// Parses a type name as lsns -t accepts it ("mnt", "net", ...). Also accepts the long option
/// spelling ("mount"). Returns nullopt for anything else.
NSUTIL_API std::optional<ns_type> parse_ns_type(std::string_view name) noexcept;

/// The type whose CLONE_NEW* flag is `flag` (the value NS_GET_NSTYPE returns), or nullopt.
NSUTIL_API std::optional<ns_type> ns_type_from_clone_flag(int flag) noexcept;

/// A set of namespace types; converts to the CLONE_NEW* mask that unshare(2) and setns(2) take.
class NSUTIL_API ns_set {
 public:
  /// The empty set.
  constexpr ns_set() noexcept = default;
  /// The set of `types` ({ns_type::net, ns_type::uts}).
  constexpr ns_set(std::initializer_list<ns_type> types) noexcept {
    for (ns_type t : types)
      add(t);
  }
  /// Every type this build knows (the kernel may lack some; see ns_handle).
  static constexpr ns_set all() noexcept {
    ns_set s;
    for (const auto& row : ns_types)
      s.add(row.type);
    return s;
  }
  /// The set whose CLONE_NEW* flags are in `flags`; other bits are ignored.
  static constexpr ns_set from_clone_flags(int flags) noexcept {
    ns_set s;
    for (const auto& row : ns_types)
      if ((flags & row.clone_flag) != 0)
        s.add(row.type);
    return s;
  }

  /// Adds `t` (nothing when it is in already).
  constexpr void add(ns_type t) noexcept { bits_ |= bit(t); }
  /// Removes `t` (nothing when it is not in).
  constexpr void remove(ns_type t) noexcept { bits_ &= static_cast<std::uint8_t>(~bit(t)); }
  /// Whether `t` is in the set.
  [[nodiscard]] constexpr bool contains(ns_type t) const noexcept { return (bits_ & bit(t)) != 0; }
  /// Whether no type is in the set.
  [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }
  /// The OR of the members' CLONE_NEW* flags.
  [[nodiscard]] constexpr int clone_flags() const noexcept {
    int flags = 0;
    for (const auto& row : ns_types)
      if (contains(row.type))
        flags |= row.clone_flag;
    return flags;
  }
  /// Same members.
  constexpr bool operator==(const ns_set&) const noexcept = default;

 private:
  static constexpr std::uint8_t bit(ns_type t) noexcept {
    return static_cast<std::uint8_t>(1U << static_cast<unsigned>(t));
  }
  std::uint8_t bits_ = 0;
};

/// Formats a set as a comma-separated list of names in table order ("mnt,pid").
NSUTIL_API std::string to_string(const ns_set& set);

/// Parses a namespace link's text, as readlink gives it for /proc/PID/ns/X and as an nsfs
/// mount's root field holds it ("net:[4026532001]"): type and inode, or nullopt.
NSUTIL_API std::optional<std::pair<ns_type, std::uint64_t>> parse_ns_link(
    std::string_view text) noexcept;

}  // namespace nsutil
