// What the three tools share besides their option tables (options.hpp): the main wrapper that
// turns errors into one line and an exit status, value parsers, and ending like a waited-for
// child.
#pragma once

#include <cctype>
#include <charconv>
#include <concepts>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <nsutil/ns_type.hpp>
#include <nsutil/process.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace nsutil::cli {

/// Exit statuses shared by the tools (util-linux's).
enum exit_status : int {
  exit_ok = 0,
  exit_failure = 1,
  exit_cannot_execute = 126,
  exit_not_found = 127,
};

/// A command line a tool refuses, the one error type of every parse_args(): printed as
/// "TOOL: what()" with exit status 1, and "Try 'TOOL --help' for more information." after it
/// when it says so (util-linux's errtryhelp(); its errx() for a bad value, without).
class parse_error : public std::runtime_error {
 public:
  enum class hint : bool { none, try_help };
  explicit parse_error(const std::string& what, hint h = hint::try_help)
      : std::runtime_error(what), hint_(h) {}
  [[nodiscard]] bool try_help() const noexcept { return hint_ == hint::try_help; }

 private:
  hint hint_;
};

/// An error with a line of advice after it: "TOOL: what()", then "TOOL: note: NOTE"; status 1.
class noted_error : public std::runtime_error {
 public:
  noted_error(const std::string& what, std::string note)
      : std::runtime_error(what), note_(std::move(note)) {}
  [[nodiscard]] const std::string& note() const noexcept { return note_; }

 private:
  std::string note_;
};

/// What --help and --version ask for: print `text` on stdout and exit 0.
struct early_exit {
  std::string text;
};

/// A tool's parse_args result: options to run, or text to print.
template <class Options>
using parse_result = std::variant<Options, early_exit>;

/// The text of --version: "TOOL from nsutil VERSION".
std::string version_text(std::string_view tool);

/// Runs a tool: parses, runs, and maps every error to one line on stderr ("TOOL: ...", control
/// bytes escaped by one_line()) and an
/// exit status: parse errors 1 (with a "Try" line if they ask for one), exec failures 126/127,
/// other errors 1.
/// Also reports a failed write to stdout (e.g. to /dev/full) as an error.
int main_wrapper(std::string_view tool, int argc, char* argv[],
                 const std::function<int(std::span<char* const>)>& parse_and_run);

/// For a tool about to change what exit handlers rely on: the PID namespace its next children
/// start in (the first becomes its init, and none can start once that init has ended), or its
/// root directory or mount namespace (where /proc may be another one, or none). From then on
/// main_wrapper() ends the process with _exit() once stdio is flushed, on every path, error or
/// not; in a sanitizer build, LeakSanitizer's check (which clones a tracer and reads /proc) runs
/// now instead of at exit. Changes nothing else; calling it again does nothing.
void skip_exit_handlers() noexcept;

/// Glue for main(): `return cli::main(tool, argc, argv, parse_args, run);`.
template <class Options>
int main(std::string_view tool, int argc, char* argv[],
         parse_result<Options> (*parse)(std::span<char* const>), int (*run)(const Options&)) {
  return main_wrapper(tool, argc, argv, [&](std::span<char* const> args) {
    auto parsed = parse(args);
    if (auto* early = std::get_if<early_exit>(&parsed)) {
      std::fputs(early->text.c_str(), stdout);
      return static_cast<int>(exit_ok);
    }
    return run(std::get<Options>(parsed));
  });
}

/// Ends the calling process the way a waited-for child ended: returns its exit code, or kills
/// the caller with the same signal (default action restored and unblocked first), so that a
/// shell sees the same $? and core-dump flag. Returns 128+signal if the signal did not kill.
int mirror_status(const child_status& status) noexcept;

/// Parses a decimal number as util-linux's strtol-based helpers take it: leading white space and
/// one '+' (or '-' for a signed T) are accepted, then digits up to the end. No digits, anything
/// after them, or a value out of T's range gives nullopt. Pure.
template <std::integral T>
std::optional<T> parse_number(std::string_view text) noexcept {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && text.front() == '-')
      return std::nullopt;
  }
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

/// `value` made fit to echo in a one-line message: control bytes as C escapes ("\n", "\x1b"), and
/// a value longer than 80 bytes cut to its first 80 with "... (N bytes)" after them.
std::string printable(std::string_view value);

/// printable() in single quotes: "'value'", or "'first 80 bytes...' (N bytes)".
std::string quoted(std::string_view value);

/// `message` with its control bytes as C escapes, so that it prints as one line. main_wrapper()
/// passes every message through it.
std::string one_line(std::string_view message);

/// A user or group ID as parse_number() takes it: 0 ... 4294967294 ((uid_t)-1 is not an ID).
std::optional<std::uint32_t> parse_id_number(std::string_view text) noexcept;

/// The long option util-linux's unshare and nsenter take for the first namespace type in `types`
/// ("--mount" for mnt): how a tool names the namespace of an nsutil::error's namespaces().
/// Empty for an empty set.
std::string ns_option(ns_set types);

/// Parses a signal as util-linux's signal table does: a name with or without "SIG", in any case
/// (ASCII), aliases included ("KILL", "sigterm", "IOT", "CLD", "POLL"), or a real-time signal
/// as "RTMIN+N", "RTMAX-N" or "RTN" within SIGRTMIN ... SIGRTMAX. Also takes what util-linux
/// does not: a number 1 ... NSIG-1 ("9", as parse_number() reads it), and "RTMIN" and "RTMAX"
/// alone. Throws parse_error "unknown signal: NAME" for anything else.
int parse_signal(std::string_view name);

/// The shell util-linux runs when no program is given: $SHELL, else the passwd shell, else
/// /bin/sh. `shell` is the value of SHELL (null: unset). Returns {file, argv} with argv[0] in
/// login form ("-bash").
std::pair<std::string, std::vector<std::string>> default_shell(
    const char* shell = std::getenv("SHELL"));

}  // namespace nsutil::cli
