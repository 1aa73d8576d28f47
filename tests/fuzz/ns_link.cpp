// Namespace link targets ("net:[4026531840]": /proc/PID/ns/*, /proc/PID/fd/*, the root of an
// nsfs mount): parse_ns_link(), and parse_ns_type() on the part before the colon.
#include <nsutil/mounts.hpp>
#include <nsutil/ns_type.hpp>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = nsutil::fuzz::text_of(data, size);
  auto link = nsutil::parse_ns_link(text);
  auto type = nsutil::parse_ns_type(text.substr(0, text.find(':')));
  if (link && (!type || *type != link->first))
    nsutil::fuzz::broken("parse_ns_link() and parse_ns_type() disagree on the type");
  return 0;
}
