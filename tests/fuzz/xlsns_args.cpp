// xlsns's command line through parse_args(): -o column lists (with '+', --output-all), -t types,
// -p PID, -T relations, the namespace argument, and the -Q expression's syntax check.
#include <boost/program_options/errors.hpp>
#include <stdexcept>

#include "fuzz.hpp"
#include "xlsns/xlsns.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nsutil::fuzz::argv_of argv(data, size);
  try {
    (void)nsutil::xlsns::parse_args(argv.args());
  } catch (const boost::program_options::error&) {
  } catch (const std::runtime_error&) {
    // cli::usage_error, filter_error, and parse_args()'s own runtime_errors (lsns's messages).
  }
  return 0;
}
