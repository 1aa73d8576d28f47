// ID maps: a --map-users range spec (parse_id_range, parse_id), /etc/subuid text (find_subids),
// and /proc/PID/uid_map text (identity_of); the ranges read are then checked (format_id_map) and,
// when valid, have a single mapping cut into them (merge_single), whose promises are checked.
#include <nsutil/error.hpp>
#include <nsutil/idmap.hpp>

#include "fuzz.hpp"

namespace {

bool covers(const nsutil::id_range& r, std::uint32_t id) {
  return id >= r.inner && id - r.inner < r.count;
}

std::uint64_t total(const std::vector<nsutil::id_range>& ranges) {
  std::uint64_t n = 0;
  for (const auto& r : ranges)
    n += r.count;
  return n;
}

void check_merge(const std::vector<nsutil::id_range>& ranges, nsutil::id_range single) {
  auto merged = nsutil::merge_single(ranges, single);
  if (merged.empty() || merged.front() != single)
    nsutil::fuzz::broken("merge_single() does not put the single mapping first");
  std::uint64_t cut = 0;
  for (const auto& r : ranges)
    cut += covers(r, single.inner) ? 1 : 0;
  for (std::size_t i = 1; i < merged.size(); ++i) {
    if (covers(merged[i], single.inner))
      nsutil::fuzz::broken("merge_single() left the single inner ID in a range");
    if (merged[i].count == 0)
      nsutil::fuzz::broken("merge_single() made an empty range");
  }
  if (total(merged) - 1 != total(ranges) - cut)
    nsutil::fuzz::broken("merge_single() lost or added IDs besides the hole");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = nsutil::fuzz::text_of(data, size);
  if (auto r = nsutil::parse_id_range(text); r && r->count == 0)
    nsutil::fuzz::broken("parse_id_range() accepted a count of 0");
  if (auto id = nsutil::parse_id(text); id && *id == 4294967295U)
    nsutil::fuzz::broken("parse_id() accepted (uid_t)-1");
  if (auto block = nsutil::find_subids(text, "nobody", 65534); block && block->second == 0)
    nsutil::fuzz::broken("find_subids() gave an empty block");

  auto ranges = nsutil::identity_of(text);
  try {
    (void)nsutil::format_id_map(ranges);
  } catch (const nsutil::error&) {
    return 0;
  }
  // format_id_map() accepts only what the kernel would: it refuses a range of no IDs.
  for (const auto& r : ranges)
    if (r.count == 0)
      nsutil::fuzz::broken("format_id_map() accepted a range of count 0");
  // A valid map: the single mapping takes the first and the middle ID of each range in turn.
  for (const auto& r : ranges) {
    check_merge(ranges, {r.inner, 0, 1});
    check_merge(ranges, {r.inner + r.count / 2, 1, 1});
  }
  return 0;
}
