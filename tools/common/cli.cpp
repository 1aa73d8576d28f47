#include "cli.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nsutil/error.hpp>

// AddressSanitizer: GCC says so with __SANITIZE_ADDRESS__, clang with __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#  define NSUTIL_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define NSUTIL_ASAN 1
#  endif
#endif
#if defined(NSUTIL_ASAN)
#  include <sanitizer/lsan_interface.h>
#endif

namespace nsutil::cli {
namespace {

// Set by skip_exit_handlers(): main_wrapper() then ends with _exit().
bool exit_handlers_skipped = false;

// Longer values are cut: a 100 kB argument must not become a 100 kB line.
constexpr std::size_t max_echoed = 80;

// The first max_echoed bytes of `value`, not cutting a UTF-8 character in two.
std::string_view head_of(std::string_view value) {
  std::size_t cut = max_echoed;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xc0) == 0x80)
    --cut;
  return value.substr(0, cut);
}

std::string shown(std::string_view value, std::string_view quote) {
  if (value.size() <= max_echoed)
    return fmt::format("{}{}{}", quote, one_line(value), quote);
  return fmt::format("{}{}...{} ({} bytes)", quote, one_line(head_of(value)), quote, value.size());
}

}  // namespace

std::string one_line(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out += c;
      continue;
    }
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += fmt::format("\\x{:02x}", byte);
    }
  }
  return out;
}

std::string printable(std::string_view value) {
  return shown(value, "");
}

std::string quoted(std::string_view value) {
  return shown(value, "'");
}

std::string version_text(std::string_view tool) {
  return fmt::format("{} from nsutil {}\n", tool, NSUTIL_VERSION);
}

namespace {

// main_wrapper() up to its exit status.
int run_wrapped(std::string_view tool, std::span<char* const> args,
                const std::function<int(std::span<char* const>)>& parse_and_run) {
  int status = exit_failure;
  try {
    status = parse_and_run(args);
  } catch (const parse_error& e) {
    fmt::print(stderr, "{}: {}\n", tool, one_line(e.what()));
    if (e.try_help())
      fmt::print(stderr, "Try '{} --help' for more information.\n", tool);
    return exit_failure;
  } catch (const noted_error& e) {
    fmt::print(stderr, "{}: {}\n{}: note: {}\n", tool, one_line(e.what()), tool,
               one_line(e.note()));
    return exit_failure;
  } catch (const nsutil::error& e) {
    fmt::print(stderr, "{}: {}\n", tool, one_line(e.what()));
    if (e.op() == exec_op)
      return e.errno_value() == ENOENT ? exit_not_found : exit_cannot_execute;
    return exit_failure;
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", tool, one_line(e.what()));
    return exit_failure;
  }
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    fmt::print(stderr, "{}: write error: {}\n", tool, std::strerror(errno));
    return exit_failure;
  }
  return status;
}

}  // namespace

void skip_exit_handlers() noexcept {
  if (exit_handlers_skipped)
    return;
  exit_handlers_skipped = true;
#if defined(NSUTIL_ASAN)
  // LeakSanitizer's exit-time check clones a tracer and reads /proc/self/task. In a new PID
  // namespace the tracer would be its init, unable to see us, and the check would wait for it
  // for ever; once that init has ended, the clone fails (ENOMEM) and the check aborts the
  // program; after a chroot or in another mount namespace, /proc/self may be missing. So it
  // runs now, while it can (it is then not run again at exit).
  __lsan_do_leak_check();
#endif
}

int main_wrapper(std::string_view tool, int argc, char* argv[],
                 const std::function<int(std::span<char* const>)>& parse_and_run) {
  std::span<char* const> args(argv, static_cast<std::size_t>(argc));
  if (!args.empty())
    args = args.subspan(1);
  int status = run_wrapped(tool, args, parse_and_run);
  if (exit_handlers_skipped) {
    std::fflush(nullptr);
    ::_exit(status);
  }
  return status;
}

int mirror_status(const child_status& status) noexcept {
  if (!status.signaled)
    return status.value;
  int sig = status.value;
  std::fflush(stdout);
  if (sig != SIGKILL && sig != SIGSTOP) {
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    ::sigaction(sig, &sa, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
  }
  ::kill(::getpid(), sig);
  return 128 + sig;
}

std::optional<std::uint32_t> parse_id_number(std::string_view text) noexcept {
  auto id = parse_number<std::uint32_t>(text);
  if (id == static_cast<std::uint32_t>(-1))
    return std::nullopt;
  return id;
}

std::string ns_option(ns_set types) {
  for (const auto& row : ns_types)
    if (types.contains(row.type))
      return fmt::format("--{}", row.option);
  return {};
}

namespace {

// util-linux's signal table (its lib/signames.c) has the names glibc gives each signal
// (sigabbrev_np: one a signal), and these aliases besides; real-time signals are spelt RTMIN+N,
// RTMAX-N or RTN instead.
struct signal_alias {
  std::string_view name;
  int value;
};
constexpr signal_alias signal_aliases[] = {{"IOT", SIGIOT}, {"CLD", SIGCLD}, {"IO", SIGIO}};

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Case-insensitive in ASCII only, whatever the locale (as util-linux compares signal names).
bool ascii_iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

bool strip_prefix(std::string_view& text, std::string_view prefix) {
  if (text.size() < prefix.size() || !ascii_iequal(text.substr(0, prefix.size()), prefix))
    return false;
  text.remove_prefix(prefix.size());
  return true;
}

// What follows "RT": "MIN+N", "MAX-N" or "N", N counted from SIGRTMIN (SIGRTMAX for MAX-) and
// within SIGRTMIN ... SIGRTMAX. As util-linux reads N (strtol): digits first, no sign or space,
// and anything after them ignored. "MIN" and "MAX" alone are ours.
std::optional<int> realtime_signal(std::string_view rest) {
  if (ascii_iequal(rest, "min"))
    return SIGRTMIN;
  if (ascii_iequal(rest, "max"))
    return SIGRTMAX;
  bool from_max = false;
  if (!strip_prefix(rest, "min+"))
    from_max = strip_prefix(rest, "max-");
  if (rest.empty() || rest.front() < '0' || rest.front() > '9')
    return std::nullopt;
  long offset = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), offset);
  if (ec != std::errc() || offset > SIGRTMAX - SIGRTMIN)
    return std::nullopt;
  return from_max ? SIGRTMAX - static_cast<int>(offset) : SIGRTMIN + static_cast<int>(offset);
}

}  // namespace

int parse_signal(std::string_view name) {
  auto unknown = [&] { return parse_error(fmt::format("unknown signal: {}", printable(name))); };
  if (auto number = parse_number<int>(name)) {
    if (*number > 0 && *number < NSIG)
      return *number;
    throw unknown();
  }
  std::string_view rest = name;
  strip_prefix(rest, "sig");
  if (strip_prefix(rest, "rt")) {
    if (auto sig = realtime_signal(rest))
      return *sig;
    throw unknown();
  }
  for (int sig = 1; sig < SIGRTMIN; ++sig)
    if (const char* abbrev = sigabbrev_np(sig); abbrev != nullptr && ascii_iequal(abbrev, rest))
      return sig;
  for (const auto& alias : signal_aliases)
    if (ascii_iequal(alias.name, rest))
      return alias.value;
  throw unknown();
}

std::pair<std::string, std::vector<std::string>> default_shell(const char* env) {
  std::string shell;
  if (env != nullptr && *env != '\0')
    shell = env;
  if (shell.empty()) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_shell != nullptr)
      shell = pw->pw_shell;
  }
  if (shell.empty())
    shell = "/bin/sh";
  // A login shell, as util-linux starts it: argv[0] is "-" and the shell's base name.
  std::string login = "-";
  login += std::string_view(shell).substr(shell.rfind('/') + 1);
  return {shell, {login}};
}

}  // namespace nsutil::cli
