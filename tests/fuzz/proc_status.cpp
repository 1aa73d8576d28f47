// /proc/PID/status, as signal_disposition_of() reads it: the SigCgt/SigIgn masks
// (detail::mask_has) and the NSpid line (detail::is_nested_init).
#include "base/proc_text.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = nsutil::fuzz::text_of(data, size);
  (void)nsutil::detail::is_nested_init(text);
  for (int sig = -1; sig <= 66; ++sig) {
    bool caught = nsutil::detail::mask_has(text, "\nSigCgt:", sig);
    if (caught && (sig < 1 || sig > 64))
      nsutil::fuzz::broken("mask_has() set a bit for a signal outside 1 ... 64");
  }
  return 0;
}
