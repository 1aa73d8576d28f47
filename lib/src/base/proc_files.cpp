#include "base/proc_files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <nsutil/error.hpp>
#include <nsutil/unique_fd.hpp>

#include "base/proc_text.hpp"

namespace nsutil::detail {

std::string pid_path(std::string_view proc_root, pid_t pid, std::string_view entry) {
  return fmt::format("{}/{}/{}", proc_root, pid, entry);
}

std::optional<std::string> try_read_file(const std::string& path) {
  try {
    return read_file(path);
  } catch (const error&) {
    return std::nullopt;
  }
}

std::optional<std::string_view> read_once(const char* path, std::span<char> buffer) noexcept {
  unique_fd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd)
    return std::nullopt;
  ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
  if (n <= 0)
    return std::nullopt;
  return std::string_view(buffer.data(), static_cast<std::size_t>(n));
}

std::vector<std::string> read_command_line(const std::string& path) {
  auto text = try_read_file(path);
  return text ? parse_command_line(*text) : std::vector<std::string>();
}

std::string read_comm(const std::string& path) {
  auto text = try_read_file(path);
  if (!text)
    return {};
  if (!text->empty() && text->back() == '\n')
    text->pop_back();
  return *text;
}

}  // namespace nsutil::detail
