/// @file
/// User and group ID maps of user namespaces: parsing the specs people write, finding
/// subordinate IDs, and writing /proc/PID/{uid,gid}_map (directly, or through newuidmap and
/// newgidmap for an unprivileged caller).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nsutil/export.hpp>
#include <nsutil/process.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nsutil {

/// One line of an ID map: `count` IDs from `inner` (inside the namespace) onto `outer` (in the
/// parent namespace).
struct id_range {
  std::uint32_t inner = 0;
  std::uint32_t outer = 0;
  std::uint32_t count = 0;
  bool operator==(const id_range&) const noexcept = default;
};

/// Which of the two maps.
enum class id_kind { uid, gid };

/// The kernel's limit on the text of one map (bytes, newline included).
inline constexpr std::size_t id_map_max_size = 4096;

/// Parses a range as `--map-users` takes it: "inner:outer:count", or util-linux's older
/// "outer,inner,count". The count must be at least 1 and neither range may reach 4294967295
/// ((uid_t)-1, not an ID). Returns nullopt for anything else. Pure.
NSUTIL_API std::optional<id_range> parse_id_range(std::string_view spec) noexcept;

/// Parses a user or group ID: decimal, 0 ... 4294967294 (-1 is not an ID). Returns nullopt
/// otherwise. Pure.
NSUTIL_API std::optional<std::uint32_t> parse_id(std::string_view text) noexcept;

/// The first block of subordinate IDs in `file_text` (the contents of /etc/subuid or
/// /etc/subgid) whose owner field is `name` or the decimal `id`, as {start, count}. Pure.
NSUTIL_API std::optional<std::pair<std::uint32_t, std::uint32_t>> find_subids(
    std::string_view file_text, std::string_view name, std::uint32_t id) noexcept;

/// Turns the text of /proc/PID/{uid,gid}_map into an identity map of the same IDs (what
/// `--map-users=all` asks for: every ID the caller has, mapped onto itself). Pure.
NSUTIL_API std::vector<id_range> identity_of(std::string_view map_text);

/// The first block of subordinate IDs of the user `uid` (looked up by name and by number) in
/// /etc/subuid, or /etc/subgid for id_kind::gid (newgidmap also looks groups up by user), as
/// {start, count}. Throws nsutil::error("map", file) with ENOENT when there is none. Reads
/// files only.
NSUTIL_API std::pair<std::uint32_t, std::uint32_t> subids_of(id_kind kind, uid_t uid);

/// identity_of() the calling process's own /proc/self/{uid,gid}_map. Reads files only.
NSUTIL_API std::vector<id_range> identity_of_self(id_kind kind);

/// Puts the single mapping {inner, outer, 1} first and cuts `inner` out of every range that
/// covers it. The part of a range above the hole keeps counting from where the lower part
/// stopped on the outside, so no outer ID is skipped; the range loses its topmost ID. Pure.
NSUTIL_API std::vector<id_range> merge_single(const std::vector<id_range>& ranges, id_range single);

/// Formats a map as the kernel takes it ("inner outer count\n" per range). Throws
/// nsutil::error(EINVAL) naming the ranges at fault where the kernel would refuse the map: when
/// it is empty, has more than 340 ranges, has a range of count 0 or one reaching 4294967295, has
/// two ranges that overlap inside or outside, or is longer than id_map_max_size. Pure.
NSUTIL_API std::string format_id_map(const std::vector<id_range>& ranges);

/// The maps one user namespace gets.
struct id_maps {
  /// The lines of uid_map; empty: not written.
  std::vector<id_range> uids;
  /// The lines of gid_map; empty: not written.
  std::vector<id_range> gids;
  /// Write "deny" to /proc/PID/setgroups before the gid map (required before an unprivileged
  /// process writes its own gid map).
  bool deny_setgroups = false;
};

/// Writes the maps of process `pid` (0: the caller) straight to /proc: setgroups (if asked),
/// then uid_map, then gid_map; empty lists are skipped. The writer needs CAP_SETUID/CAP_SETGID
/// over the namespace; a process inside the namespace may only map its own IDs, one line each.
/// Throws nsutil::error("write", "/proc/PID/uid_map"). Changes only the target's maps.
NSUTIL_API void write_id_maps(pid_t pid, const id_maps& maps);

/// A helper that maps the caller's new user namespace from outside it.
///
/// Multi-line maps must be written by a process in the parent user namespace. Start the helper
/// *before* unshare(CLONE_NEWUSER) and call apply() after it. As root (euid 0) the helper writes
/// the maps itself; otherwise it runs newuidmap and newgidmap (package uidmap) on the caller,
/// which check /etc/subuid and /etc/subgid. The helper is killed if the caller dies first.
class NSUTIL_API id_map_helper : private gated_helper {
 public:
  /// Forks the helper. Throws nsutil::error("pipe") or ("fork").
  static id_map_helper start(id_maps maps);
  /// Lets the helper write the maps and waits for it. Throws the helper's error (a failing
  /// newuidmap gives nsutil::error with op "newuidmap" and its exit status in the detail).
  void apply();

  // A helper never told to apply() is told to stop, and reaped (~gated_helper).

 private:
  using gated_helper::gated_helper;
};

}  // namespace nsutil
