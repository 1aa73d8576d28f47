#include <nsutil/ns_type.hpp>

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

}  // namespace nsutil
