// xunshare's command line: every option parser (--map-users, --map-groups, --map-user,
// --map-group, --owner, --setgroups, --propagation, --monotonic, --boottime, -S, -G,
// --kill-child, --whitelist-env, the namespace options) through parse_args(), then the ID maps
// the parsed options ask for (plan_maps(): merge_single() and format_id_map()).
#include <boost/program_options/errors.hpp>
#include <nsutil/error.hpp>
#include <variant>

#include "fuzz.hpp"
#include "xunshare/maps.hpp"
#include "xunshare/xunshare.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nsutil::fuzz::argv_of argv(data, size);
  nsutil::cli::parse_result<nsutil::xunshare::options> parsed;
  try {
    parsed = nsutil::xunshare::parse_args(argv.args());
  } catch (const nsutil::cli::usage_error&) {
    return 0;
  } catch (const boost::program_options::error&) {
    return 0;
  }
  if (const auto* o = std::get_if<nsutil::xunshare::options>(&parsed)) {
    // Reads /proc/self/{uid,gid}_map, /etc/subuid and passwd for 'all', 'auto', 'subids' and
    // names; what it refuses, it refuses with nsutil::error.
    try {
      (void)nsutil::xunshare::plan_maps(*o);
    } catch (const nsutil::error&) {
    }
  }
  return 0;
}
