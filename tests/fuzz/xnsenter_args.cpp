// xnsenter's command line through parse_args(): -t PID[:INODE], --NS=FILE and --NS=:NSID,
// -S/-G (numbers and "follow"), -N, -r/-w/-W; then --netns NAME through netns_path(), which
// checks the name and looks it up in /run/netns.
#include <nsutil/enter_plan.hpp>
#include <nsutil/error.hpp>

#include "tool_args.hpp"
#include "xnsenter/xnsenter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto o = nsutil::fuzz::parsed_options(&nsutil::xnsenter::parse_args, data, size);
  if (!o || !o->netns)
    return 0;
  try {
    std::string path = nsutil::netns_path(*o->netns);
    if (!path.starts_with("/run/netns/") || path.find('/', 11) != std::string::npos)
      nsutil::fuzz::broken("netns_path() gave a path outside /run/netns");
  } catch (const nsutil::error&) {
  }
  return 0;
}
