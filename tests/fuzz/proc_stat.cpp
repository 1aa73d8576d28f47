// /proc/PID/stat, as discover() reads it for PPIDs: detail::parse_ppid().
#include "fuzz.hpp"
#include "proc_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The reader hands over at most 1024 bytes (discovery.cpp); longer input is read the same way.
  (void)nsutil::detail::parse_ppid(nsutil::fuzz::text_of(data, size));
  return 0;
}
