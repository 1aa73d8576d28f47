#include "base/proc_text.hpp"

#include <algorithm>
#include <cstdint>

namespace nsutil::detail {

void split::iterator::next() {
  done_ = rest_.empty();
  if (done_)
    return;
  auto end = std::min(rest_.find(separator_), rest_.size());
  piece_ = rest_.substr(0, end);
  rest_.remove_prefix(std::min(end + 1, rest_.size()));
}

std::optional<pid_t> parse_pid(std::string_view name) noexcept {
  auto pid = parse_decimal<pid_t>(name);
  return pid && *pid > 0 ? pid : std::nullopt;
}

std::vector<std::string> parse_command_line(std::string_view text) {
  std::vector<std::string> args;
  for (std::string_view arg : split(text, '\0'))
    args.emplace_back(arg);
  return args;
}

// comm may hold spaces and parentheses, so the fields are found from the last ')'.
std::optional<pid_t> parse_ppid(std::string_view text) {
  auto close = text.rfind(')');
  if (close == std::string_view::npos)
    return std::nullopt;
  std::string_view rest = text.substr(close + 1);  // " S 123 ..."
  auto state = rest.find_first_not_of(' ');
  auto start = state == std::string_view::npos ? state : rest.find_first_not_of(' ', state + 1);
  if (start == std::string_view::npos)
    return std::nullopt;
  pid_t ppid = 0;
  auto [p, ec] = std::from_chars(rest.data() + start, rest.data() + rest.size(), ppid);
  if (ec != std::errc() || (p != rest.data() + rest.size() && *p != ' '))
    return std::nullopt;
  return ppid;
}

std::optional<std::size_t> parse_thread_count(std::string_view text) {
  // The fourth field is "RUNNABLE/THREADS"; comm-like free text never appears in this file.
  std::size_t field = 0;
  std::size_t pos = 0;
  while (field < 3) {
    pos = text.find(' ', pos);
    if (pos == std::string_view::npos)
      return std::nullopt;
    ++pos;
    ++field;
  }
  auto slash = text.find('/', pos);
  auto end = text.find(' ', pos);
  if (slash == std::string_view::npos || (end != std::string_view::npos && slash > end))
    return std::nullopt;
  return parse_decimal<std::size_t>(
      text.substr(slash + 1, end == std::string_view::npos ? end : end - slash - 1));
}

std::optional<std::pair<pid_t, int>> parse_fd_path(std::string_view path) {
  constexpr std::string_view proc = "/proc/";
  constexpr std::string_view fd_dir = "/fd/";
  if (!path.starts_with(proc))
    return std::nullopt;
  path.remove_prefix(proc.size());
  auto slash = path.find('/');
  if (slash == std::string_view::npos)
    return std::nullopt;
  auto pid = parse_pid(path.substr(0, slash));
  if (!pid || !path.substr(slash).starts_with(fd_dir))
    return std::nullopt;
  auto fd = parse_decimal<int>(path.substr(slash + fd_dir.size()));
  if (!fd || *fd < 0)
    return std::nullopt;
  return std::pair{*pid, *fd};
}

// "SigCgt:\t0000000000004a02" -> bit (sig - 1) of the hex mask.
bool mask_has(std::string_view status, std::string_view key, int sig) {
  auto pos = status.find(key);
  if (pos == std::string_view::npos)
    return false;
  auto value = status.substr(pos + key.size());
  value.remove_prefix(std::min(value.find_first_not_of(" \t"), value.size()));
  std::uint64_t mask = 0;
  std::from_chars(value.data(), value.data() + value.size(), mask, 16);
  return sig >= 1 && sig <= 64 && ((mask >> (sig - 1)) & 1U) != 0;
}

// "NSpid:\t4242\t1": more than one field, the last being 1, means init of a nested namespace.
bool is_nested_init(std::string_view status) {
  auto pos = status.find("\nNSpid:");
  if (pos == std::string_view::npos)
    return false;
  auto line = status.substr(pos + 7);
  line = line.substr(0, line.find('\n'));
  int fields = 0;
  std::string_view last;
  while (!line.empty()) {
    line.remove_prefix(std::min(line.find_first_not_of(" \t"), line.size()));
    if (line.empty())
      break;
    auto end = std::min(line.find_first_of(" \t"), line.size());
    last = line.substr(0, end);
    line.remove_prefix(end);
    ++fields;
  }
  return fields > 1 && last == "1";
}

// The v2 entry is the line that starts with "0::": a v1 line's path may hold "0::" too.
std::optional<std::string_view> cgroup2_path(std::string_view text) {
  for (std::string_view line : lines(text))
    if (line.starts_with("0::"))
      return line.substr(3);
  return std::nullopt;
}

}  // namespace nsutil::detail
