/// @file
/// The one error type libnsutil throws.
#pragma once

#include <nsutil/export.hpp>
#include <string>
#include <string_view>
#include <system_error>

namespace nsutil {

/// A failed operation: what was being done (`op`, e.g. "setns"), on what (`path`, may be empty),
/// and why (an errno-based std::error_code, plus an optional explanation that replaces strerror
/// when the errno alone would mislead, e.g. "not a namespace file" instead of EINVAL).
///
/// what() is one line a person can act on: `setns '/proc/123/ns/net': Operation not permitted`.
/// Paths longer than a screen line are shortened in what() (path() keeps the full one). With
/// neither an operation nor a path, what() is the explanation alone (or strerror): fork_child()
/// uses that to pass on the text of another exception unchanged.
class NSUTIL_API error : public std::system_error {
 public:
  error(int errno_value, std::string op, std::string path = {}, std::string detail = {});

  /// The operation that failed ("open", "setns", "mount", ...).
  [[nodiscard]] const std::string& op() const noexcept { return op_; }
  /// The file or object it was applied to; empty when there is none.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// The explanation given instead of strerror, or empty.
  [[nodiscard]] const std::string& detail() const noexcept { return detail_; }
  /// The errno value (same as code().value()).
  [[nodiscard]] int errno_value() const noexcept { return code().value(); }
  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string op_;
  std::string path_;
  std::string detail_;
  std::string message_;
};

/// Throws nsutil::error built from the current errno. Reads errno before anything else.
[[noreturn]] NSUTIL_API void throw_errno(std::string_view op, std::string_view path = {});

/// Throws nsutil::error with an explicit errno value and, if given, an explanation that is
/// printed instead of strerror(errno_value).
[[noreturn]] NSUTIL_API void throw_error(int errno_value, std::string_view op,
                                         std::string_view path = {}, std::string_view detail = {});

}  // namespace nsutil
