// xunshare's command line: every option parser (--map-users, --map-groups, --map-user,
// --map-group, --owner, --setgroups, --propagation, --monotonic, --boottime, -S, -G,
// --kill-child, --whitelist-env, the namespace options) through parse_args(), then the ID maps
// the parsed options ask for (plan_maps(): merge_single() and format_id_map()).
#include <nsutil/error.hpp>

#include "tool_args.hpp"
#include "xunshare/maps.hpp"
#include "xunshare/xunshare.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto o = nsutil::fuzz::parsed_options(&nsutil::xunshare::parse_args, data, size);
  if (!o)
    return 0;
  // Reads /proc/self/{uid,gid}_map, /etc/subuid and passwd for 'all', 'auto', 'subids' and
  // names; what it refuses, it refuses with nsutil::error.
  try {
    (void)nsutil::xunshare::plan_maps(*o);
  } catch (const nsutil::error&) {
  }
  return 0;
}
