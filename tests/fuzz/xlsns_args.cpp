// xlsns's command line through parse_args(): -o column lists (with '+', --output-all), -t types,
// -p PID, -T relations, the namespace argument, and the -Q expression's syntax check.
#include "tool_args.hpp"
#include "xlsns/xlsns.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)nsutil::fuzz::parsed_options(&nsutil::xlsns::parse_args, data, size);
  return 0;
}
