// /proc/PID/cgroup, as the container resolver reads it: detail::classify_cgroup().
#include <algorithm>

#include "base/proc_text.hpp"
#include "containers/cgroup.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = nsutil::fuzz::text_of(data, size);
  auto found = nsutil::detail::classify_cgroup(text);
  if (!found)
    return 0;
  if (found->id.empty())
    nsutil::fuzz::broken("classify_cgroup() gave an empty ID");
  if (found->id.find('\n') != std::string::npos || found->pod_uid.find('\n') != std::string::npos)
    nsutil::fuzz::broken("classify_cgroup() gave more than one line");
  using nsutil::container_engine;
  bool hex_engine =
      found->engine != container_engine::machined && found->engine != container_engine::lxc;
  if (hex_engine &&
      (found->id.size() != 64 || !std::all_of(found->id.begin(), found->id.end(), [](char c) {
         return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
       })))
    nsutil::fuzz::broken("classify_cgroup() gave an engine ID that is not 64 hex digits");
  return 0;
}
