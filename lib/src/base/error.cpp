#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <nsutil/error.hpp>

#include "base/error_text.hpp"

namespace nsutil {
namespace detail {

std::string shorten_path(std::string_view path) {
  constexpr std::size_t max_in_message = 200;
  if (path.size() <= max_in_message)
    return std::string(path);
  constexpr std::size_t half = max_in_message / 2;
  return fmt::format("{}...{} ({} bytes)", path.substr(0, half), path.substr(path.size() - half),
                     path.size());
}

}  // namespace detail

namespace {

std::string compose(int errno_value, const std::string& op, const std::string& path,
                    const std::string& detail) {
  std::string why = detail.empty() ? std::strerror(errno_value) : detail;
  if (op.empty() && path.empty())
    return why;
  if (path.empty())
    return fmt::format("{}: {}", op, why);
  return fmt::format("{} '{}': {}", op, nsutil::detail::shorten_path(path), why);
}

}  // namespace

error::error(int errno_value, std::string op, std::string path, std::string detail,
             error_reason reason, ns_set namespaces)
    : std::system_error(errno_value, std::generic_category()),
      op_(std::move(op)),
      path_(std::move(path)),
      detail_(std::move(detail)),
      reason_(reason),
      namespaces_(namespaces),
      message_(compose(errno_value, op_, path_, detail_)) {}

void throw_errno(std::string_view op, std::string_view path) {
  int saved = errno;
  throw error(saved, std::string(op), std::string(path));
}

void throw_error(int errno_value, std::string_view op, std::string_view path,
                 std::string_view detail) {
  throw error(errno_value, std::string(op), std::string(path), std::string(detail));
}

}  // namespace nsutil
