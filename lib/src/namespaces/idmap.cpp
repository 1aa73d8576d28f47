#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <nsutil/error.hpp>
#include <nsutil/idmap.hpp>
#include <nsutil/unique_fd.hpp>

#include "base/proc_text.hpp"

namespace nsutil {
namespace {

// 4294967295 is (uid_t)-1, "no ID": the kernel refuses a range that includes it.
constexpr std::uint64_t id_space = std::uint64_t{1} << 32;

// The kernel's limit on the lines of one map (UID_GID_MAP_MAX_EXTENTS).
constexpr std::size_t max_ranges = 340;

bool reaches_no_id(const id_range& r) {
  return r.inner + std::uint64_t{r.count} >= id_space ||
         r.outer + std::uint64_t{r.count} >= id_space;
}

std::optional<std::uint32_t> parse_u32(std::string_view text) noexcept {
  return detail::parse_decimal<std::uint32_t>(text);
}

// Splits "a<sep>b<sep>c" into exactly three numbers.
std::optional<std::array<std::uint32_t, 3>> three_numbers(std::string_view spec, char sep) {
  std::array<std::uint32_t, 3> out{};
  for (std::size_t i = 0; i < 3; ++i) {
    auto end = i < 2 ? spec.find(sep) : spec.size();
    if (end == std::string_view::npos)
      return std::nullopt;
    auto n = parse_u32(spec.substr(0, end));
    if (!n)
      return std::nullopt;
    out[i] = *n;
    spec.remove_prefix(std::min(end + 1, spec.size()));
  }
  return out;
}

std::vector<std::string> map_args(pid_t pid, const std::vector<id_range>& ranges) {
  std::vector<std::string> args{std::to_string(pid)};
  for (const auto& r : ranges) {
    args.push_back(std::to_string(r.inner));
    args.push_back(std::to_string(r.outer));
    args.push_back(std::to_string(r.count));
  }
  return args;
}

// newuidmap/newgidmap check the caller's /etc/subuid and /etc/subgid entries (they are
// setuid root); an unprivileged process cannot write multi-line maps any other way.
void run_newidmap(const std::string& tool, pid_t pid, const std::vector<id_range>& ranges) {
  std::vector<std::string> argv{tool};
  for (auto& a : map_args(pid, ranges))
    argv.push_back(std::move(a));
  child c = spawn_program(tool, argv);
  child_status st = c.wait();
  if (st != child_status{})
    throw_error(EPERM, tool, std::to_string(pid),
                fmt::format("{} failed with status {} (check /etc/sub{}id)", tool, st.shell_code(),
                            tool == "newuidmap" ? "u" : "g"));
}

}  // namespace

std::optional<id_range> parse_id_range(std::string_view spec) noexcept {
  id_range r;
  if (auto v = three_numbers(spec, ':'))
    r = {(*v)[0], (*v)[1], (*v)[2]};
  else if (auto legacy = three_numbers(spec, ','))
    r = {(*legacy)[1], (*legacy)[0], (*legacy)[2]};
  else
    return std::nullopt;
  if (r.count == 0 || reaches_no_id(r))
    return std::nullopt;
  return r;
}

std::optional<std::uint32_t> parse_id(std::string_view text) noexcept {
  auto v = parse_u32(text);
  if (!v || *v == static_cast<std::uint32_t>(-1))
    return std::nullopt;
  return v;
}

std::optional<std::pair<std::uint32_t, std::uint32_t>> find_subids(std::string_view file_text,
                                                                   std::string_view name,
                                                                   std::uint32_t id) noexcept {
  std::string number = std::to_string(id);
  for (std::string_view line : detail::lines(file_text)) {
    auto c1 = line.find(':');
    auto c2 = line.find(':', c1 == std::string_view::npos ? line.size() : c1 + 1);
    if (c2 == std::string_view::npos)
      continue;
    std::string_view owner = line.substr(0, c1);
    if (owner != name && owner != number)
      continue;
    auto start = parse_u32(line.substr(c1 + 1, c2 - c1 - 1));
    auto count = parse_u32(line.substr(c2 + 1));
    if (start && count && *count > 0)
      return std::pair{*start, *count};
  }
  return std::nullopt;
}

namespace {

bool overlap(std::uint32_t a, std::uint32_t b, std::uint32_t count_a, std::uint32_t count_b) {
  return a < b + std::uint64_t{count_b} && b < a + std::uint64_t{count_a};
}

std::string describe(const id_range& r) {
  return fmt::format("'{} {} {}'", r.inner, r.outer, r.count);
}

// What the kernel would refuse with a bare EINVAL, said with the ranges at fault.
void check_ranges(const std::vector<id_range>& ranges) {
  if (ranges.size() > max_ranges)
    throw_error(
        EINVAL, "id map", "",
        fmt::format("{} ranges is more than the kernel's limit of {}", ranges.size(), max_ranges));
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const id_range& a = ranges[i];
    // The kernel refuses a line of no IDs; identity_of() or a caller may make one.
    if (a.count == 0)
      throw_error(EINVAL, "id map", "",
                  fmt::format("range {} maps no ID (its count is 0)", describe(a)));
    if (reaches_no_id(a))
      throw_error(EINVAL, "id map", "",
                  fmt::format("range {} includes ID 4294967295, which is not an ID", describe(a)));
    for (std::size_t j = 0; j < i; ++j) {
      const id_range& b = ranges[j];
      const char* side = overlap(a.inner, b.inner, a.count, b.count)   ? "inside"
                         : overlap(a.outer, b.outer, a.count, b.count) ? "outside"
                                                                       : nullptr;
      if (side != nullptr)
        throw_error(EINVAL, "id map", "",
                    fmt::format("ranges {} and {} overlap {} the namespace: an ID may be mapped "
                                "only once",
                                describe(b), describe(a), side));
    }
  }
}

}  // namespace

std::vector<id_range> identity_of(std::string_view map_text) {
  std::vector<id_range> out;
  for (std::string_view line : detail::lines(map_text)) {
    std::uint32_t f[3];
    int n = 0;
    while (n < 3) {
      auto b = line.find_first_not_of(' ');
      if (b == std::string_view::npos)
        break;
      line.remove_prefix(b);
      auto e = std::min(line.find(' '), line.size());
      auto v = parse_u32(line.substr(0, e));
      if (!v)
        break;
      f[n++] = *v;
      line.remove_prefix(e);
    }
    // The caller's IDs are the first column of its own map; map each onto itself.
    if (n == 3)
      out.push_back({f[0], f[0], f[2]});
  }
  return out;
}

std::pair<std::uint32_t, std::uint32_t> subids_of(id_kind kind, uid_t uid) {
  const char* file = kind == id_kind::uid ? "/etc/subuid" : "/etc/subgid";
  const passwd* pw = ::getpwuid(uid);
  std::string name = pw != nullptr ? pw->pw_name : std::to_string(uid);
  auto block = find_subids(read_file(file), name, uid);
  if (!block)
    throw_error(ENOENT, "map", file, fmt::format("no subordinate IDs for user {}", name));
  return *block;
}

std::vector<id_range> identity_of_self(id_kind kind) {
  return identity_of(read_file(kind == id_kind::uid ? "/proc/self/uid_map" : "/proc/self/gid_map"));
}

std::vector<id_range> merge_single(const std::vector<id_range>& ranges, id_range single) {
  std::vector<id_range> out{single};
  const std::uint32_t hole = single.inner;
  for (const auto& r : ranges) {
    if (hole < r.inner || hole - r.inner >= r.count) {
      out.push_back(r);
      continue;
    }
    std::uint32_t below = hole - r.inner;
    if (below > 0)
      out.push_back({r.inner, r.outer, below});
    if (r.count - below > 1)
      out.push_back({hole + 1, r.outer + below, r.count - below - 1});
  }
  return out;
}

std::string format_id_map(const std::vector<id_range>& ranges) {
  if (ranges.empty())
    throw_error(EINVAL, "id map", "", "no ranges to map");
  check_ranges(ranges);
  std::string text;
  for (const auto& r : ranges)
    text += fmt::format("{} {} {}\n", r.inner, r.outer, r.count);
  if (text.size() > id_map_max_size)
    throw_error(EINVAL, "id map", "",
                fmt::format("{} bytes is more than the kernel's limit of {}", text.size(),
                            id_map_max_size));
  return text;
}

void write_id_maps(pid_t pid, const id_maps& maps) {
  std::string proc = pid == 0 ? "/proc/self" : fmt::format("/proc/{}", pid);
  if (!maps.uids.empty())
    write_file(proc + "/uid_map", format_id_map(maps.uids));
  if (maps.deny_setgroups)
    write_file(proc + "/setgroups", "deny");
  if (!maps.gids.empty())
    write_file(proc + "/gid_map", format_id_map(maps.gids));
}

id_map_helper id_map_helper::start(id_maps maps) {
  pid_t caller = ::getpid();
  return id_map_helper([&] {
    if (::geteuid() == 0) {
      write_id_maps(caller, maps);
      return;
    }
    if (!maps.uids.empty())
      run_newidmap("newuidmap", caller, maps.uids);
    if (maps.deny_setgroups)
      write_file(fmt::format("/proc/{}/setgroups", caller), "deny");
    if (!maps.gids.empty())
      run_newidmap("newgidmap", caller, maps.gids);
  });
}

void id_map_helper::apply() {
  open("id map");
}

}  // namespace nsutil
