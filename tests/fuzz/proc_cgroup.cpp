// /proc/PID/cgroup, as xnsenter --join-cgroup reads it: detail::cgroup2_path().
#include "base/proc_text.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = nsutil::fuzz::text_of(data, size);
  auto path = nsutil::detail::cgroup2_path(text);
  if (path && path->find('\n') != std::string_view::npos)
    nsutil::fuzz::broken("cgroup2_path() gave more than one line");
  return 0;
}
