// xnsenter's command line through parse_args(): -t PID[:INODE], --NS=FILE and --NS=:NSID,
// -S/-G (numbers and "follow"), -N, -r/-w/-W; then --netns NAME through netns_path(), which
// checks the name and looks it up in /run/netns.
#include <boost/program_options/errors.hpp>
#include <nsutil/enter_plan.hpp>
#include <nsutil/error.hpp>
#include <stdexcept>
#include <variant>

#include "fuzz.hpp"
#include "xnsenter/xnsenter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nsutil::fuzz::argv_of argv(data, size);
  nsutil::cli::parse_result<nsutil::xnsenter::options> parsed;
  try {
    parsed = nsutil::xnsenter::parse_args(argv.args());
  } catch (const nsutil::cli::usage_error&) {
    return 0;
  } catch (const boost::program_options::error&) {
    return 0;
  } catch (const std::invalid_argument&) {
    return 0;
  }
  const auto* o = std::get_if<nsutil::xnsenter::options>(&parsed);
  if (o == nullptr || !o->netns)
    return 0;
  try {
    std::string path = nsutil::netns_path(*o->netns);
    if (!path.starts_with("/run/netns/") || path.find('/', 11) != std::string::npos)
      nsutil::fuzz::broken("netns_path() gave a path outside /run/netns");
  } catch (const nsutil::error&) {
  }
  return 0;
}
