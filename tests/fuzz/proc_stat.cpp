// /proc/PID/stat, as discover() reads it for PPIDs (detail::parse_ppid()), and /proc/loadavg,
// from which it decides whether the BPF iterators pay off (detail::parse_thread_count()): both
// short lines of numbers and, for stat, a free-text name.
#include "base/proc_text.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The readers hand over at most 1024 and 128 bytes; longer input is read the same way.
  auto text = nsutil::fuzz::text_of(data, size);
  (void)nsutil::detail::parse_ppid(text);
  (void)nsutil::detail::parse_thread_count(text);
  return 0;
}
