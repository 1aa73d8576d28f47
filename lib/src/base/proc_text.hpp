// Parsers of the text the kernel writes in /proc files, and the splitting and number parsing
// they and libnsutil's other text readers share. Private to libnsutil: declared here rather
// than file-local so that the fuzz harnesses (tests/fuzz) and unit tests can call them. All are
// pure; all are defined in proc_text.cpp.
#pragma once

#include <sys/types.h>

#include <charconv>
#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nsutil::detail {

// The pieces of `text` between the separators, in order, for a range-for:
// `for (std::string_view line : split(text, '\n'))`. A separator at the very end ends the last
// piece and starts none, so "a\nb\n" is two lines, as is "a\nb"; empty pieces between two
// separators are kept; empty text has no pieces.
class split {
 public:
  split(std::string_view text, char separator) : text_(text), separator_(separator) {}

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string_view*;
    using reference = std::string_view;

    iterator(std::string_view rest, char separator) : rest_(rest), separator_(separator) { next(); }
    std::string_view operator*() const { return piece_; }
    iterator& operator++() {
      next();
      return *this;
    }
    void operator++(int) { next(); }
    bool operator==(std::default_sentinel_t) const { return done_; }

   private:
    void next();
    std::string_view rest_;
    std::string_view piece_;
    char separator_ = '\n';
    bool done_ = true;
  };

  [[nodiscard]] iterator begin() const { return {text_, separator_}; }
  [[nodiscard]] static std::default_sentinel_t end() { return {}; }

 private:
  std::string_view text_;
  char separator_;
};

// The lines of a /proc or configuration file: split(text, '\n').
inline split lines(std::string_view text) {
  return {text, '\n'};
}

// The whole of `text` as a decimal number of type T, or nullopt: empty text, a sign T does not
// take, anything after the digits, or a value out of T's range.
template <class T>
std::optional<T> parse_decimal(std::string_view text) noexcept {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

// A /proc directory entry's name as a PID (a positive decimal number), or nullopt for the
// other entries ("self", "sys", ...).
std::optional<pid_t> parse_pid(std::string_view name) noexcept;

// /proc/PID/cmdline: the arguments, split at the NUL that ends each. A command line a process
// rewrote without NULs is one argument.
std::vector<std::string> parse_command_line(std::string_view cmdline_text);

// /proc/PID/stat ("pid (comm) state ppid ..."): the PPID field, found after the last ')' since
// comm may hold spaces and parentheses. nullopt when the text does not have that shape.
std::optional<pid_t> parse_ppid(std::string_view stat_text);

// /proc/loadavg ("0.12 0.08 0.01 2/153 4242"): the number of threads on the system, after the
// '/' of the fourth field. nullopt when the text does not have that shape.
std::optional<std::size_t> parse_thread_count(std::string_view loadavg_text);

// "/proc/PID/fd/N", as the scan names a namespace it found as a descriptor: {PID, N}, or nullopt
// for any other path.
std::optional<std::pair<pid_t, int>> parse_fd_path(std::string_view path);

// /proc/PID/status: whether bit (sig - 1) is set in the hex mask on the line starting `key`
// ("\nSigCgt:"). False for a missing line or a signal outside 1 ... 64.
bool mask_has(std::string_view status_text, std::string_view key, int sig);

// /proc/PID/status: whether the NSpid line has more than one field and its last is 1 (the
// process is init of a PID namespace nested in the reader's).
bool is_nested_init(std::string_view status_text);

// /proc/PID/cgroup: the path of the cgroup v2 entry (the line "0::PATH"), or nullopt when there
// is none.
std::optional<std::string_view> cgroup2_path(std::string_view cgroup_text);

}  // namespace nsutil::detail
