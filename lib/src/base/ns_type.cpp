#include <charconv>
#include <nsutil/ns_type.hpp>
#include <system_error>

namespace nsutil {

std::optional<ns_type> parse_ns_type(std::string_view name) noexcept {
  for (const auto& row : ns_types)
    if (name == row.name || name == row.option)
      return row.type;
  return std::nullopt;
}

std::optional<ns_type> ns_type_from_clone_flag(int flag) noexcept {
  for (const auto& row : ns_types)
    if (flag == row.clone_flag)
      return row.type;
  return std::nullopt;
}

std::string to_string(const ns_set& set) {
  std::string out;
  for (const auto& row : ns_types) {
    if (!set.contains(row.type))
      continue;
    if (!out.empty())
      out += ',';
    out += row.name;
  }
  return out;
}

std::optional<std::pair<ns_type, std::uint64_t>> parse_ns_link(std::string_view text) noexcept {
  auto colon = text.find(":[");
  if (colon == std::string_view::npos || text.empty() || text.back() != ']')
    return std::nullopt;
  auto type = parse_ns_type(text.substr(0, colon));
  if (!type)
    return std::nullopt;
  std::uint64_t ino = 0;
  const char* first = text.data() + colon + 2;
  const char* last = text.data() + text.size() - 1;
  auto [end, ec] = std::from_chars(first, last, ino);
  if (ec != std::errc() || end != last)
    return std::nullopt;
  return std::pair{*type, ino};
}

}  // namespace nsutil
