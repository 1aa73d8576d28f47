// xlsns --watch: namespace events from nsutil::watcher, one line each, as a table that grows or
// as JSON Lines.
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <nsutil/error.hpp>
#include <nsutil/watch.hpp>
#include <optional>
#include <stdexcept>

#include "filter.hpp"
#include "table.hpp"
#include "xlsns.hpp"

namespace nsutil::xlsns {
namespace {

volatile std::sig_atomic_t stop_signal = 0;

void on_stop_signal(int sig) {
  stop_signal = sig;
}

// SIGINT, SIGTERM and SIGHUP end the watch between two polls (no SA_RESTART: the wait returns);
// a closed stdout ends it at the write that fails, not by SIGPIPE.
void catch_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP})
    ::sigaction(sig, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

// Whether the reader of stdout went away (a pipe reports POLLERR to its writer then).
bool stdout_closed() {
  pollfd p{STDOUT_FILENO, 0, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

// RFC 3339 in UTC with microseconds: 2026-12-07T01:02:03.456789Z.
std::string rfc3339(std::chrono::system_clock::time_point t) {
  auto us = std::chrono::time_point_cast<std::chrono::microseconds>(t);
  auto secs = std::chrono::floor<std::chrono::seconds>(us);
  std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06}Z", tm, (us - secs).count());
}

std::string lifetime_text(const watch_event& e) {
  if (!e.lifetime)
    return {};
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(*e.lifetime).count();
  return fmt::format("{}.{:06}", us / 1000000, us % 1000000);
}

// The value of one -o column for an event; empty where the event has none.
std::string event_value(column c, const watch_event& e, cell_context& cells) {
  const bool made = e.kind == watch_event_kind::appeared && e.pid != 0;
  switch (c) {
    case column::ns:
      return std::to_string(e.inode);
    case column::type:
      return std::string(to_string(e.type));
    case column::nsid:
      return e.id ? std::to_string(*e.id) : std::string();
    case column::pid:
      return made ? std::to_string(e.pid) : std::string();
    case column::uid:
      return e.uid ? std::to_string(*e.uid) : std::string();
    case column::user:
      return e.uid ? cells.user_name(*e.uid) : std::string();
    case column::command:
      return e.command;
    case column::container:
    case column::containerid:
    case column::engine: {
      if (!made)
        return {};
      scanned_process proc;
      proc.pid = e.pid;
      return cells.value(c, {nullptr, &proc});
    }
    default:
      return {};
  }
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (unsigned char ch : valid_utf8(text)) {
    if (ch == '"' || ch == '\\')
      out += {'\\', static_cast<char>(ch)};
    else if (ch < 0x20)
      out += fmt::format("\\u{:04x}", ch);
    else
      out += static_cast<char>(ch);
  }
  return out + '"';
}

// Raw output as libsmartcols writes it: bytes that would split the line hex-escaped.
std::string raw_cell(std::string_view text) {
  std::string out;
  for (unsigned char ch : text) {
    if (ch <= 0x20 || ch == '\\' || ch == 0x7f)
      out += fmt::format("\\x{:02x}", ch);
    else
      out += static_cast<char>(ch);
  }
  return out;
}

// One event as a JSON object: time, event, the columns' lower-case keys, how and lifetime.
std::string json_line(const options& opts, const watch_event& e, cell_context& cells) {
  std::string line =
      fmt::format(R"({{"time":"{}","event":"{}")", rfc3339(e.time), to_string(e.kind));
  if (e.kind == watch_event_kind::lost)
    return line + fmt::format(R"(,"lost":{}}})", e.lost);
  for (column c : opts.columns) {
    const auto& ci = info(c);
    std::string key(ci.name);
    std::transform(key.begin(), key.end(), key.begin(), [](char ch) { return std::tolower(ch); });
    std::string value = event_value(c, e, cells);
    if (value.empty())
      value = "null";
    else if (ci.kind == column_kind::string)
      value = json_string(value);
    line += fmt::format(R"(,"{}":{})", key, value);
  }
  std::string how(to_string(e.how));
  std::string lifetime = lifetime_text(e);
  line += fmt::format(R"(,"how":{},"lifetime":{}}})", how.empty() ? "null" : json_string(how),
                      lifetime.empty() ? "null" : lifetime);
  return line;
}

struct table_column {
  std::string name;
  std::size_t width;
  bool right;
};

std::vector<table_column> table_layout(const options& opts) {
  std::vector<table_column> out{{"TIME", 27, false}, {"EVENT", 8, false}};
  for (column c : opts.columns) {
    const auto& ci = info(c);
    std::size_t width = c == column::ns ? 10 : c == column::type ? 6 : c == column::user ? 8 : 16;
    if (ci.kind == column_kind::number && c != column::ns)
      width = 7;
    out.push_back(
        {std::string(ci.name), std::max(width, ci.name.size()), ci.kind == column_kind::number});
  }
  out.push_back({"HOW", 7, false});
  out.push_back({"LIFETIME", 8, false});
  return out;
}

std::string table_line(const options& opts, const std::vector<table_column>& layout,
                       const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0)
      line += ' ';
    if (opts.raw) {
      line += raw_cell(cells[i]);
      continue;
    }
    const bool last = i + 1 == cells.size();
    if (layout[i].right)
      line += fmt::format("{:>{}}", cells[i], layout[i].width);
    else
      line += last ? cells[i] : fmt::format("{:<{}}", cells[i], layout[i].width);
  }
  while (!opts.raw && line.ends_with(' '))
    line.pop_back();
  return line;
}

std::vector<std::string> table_cells(const options& opts, const watch_event& e,
                                     cell_context& cells) {
  std::vector<std::string> out{rfc3339(e.time), std::string(to_string(e.kind))};
  for (column c : opts.columns)
    out.push_back(e.kind == watch_event_kind::lost ? std::string() : event_value(c, e, cells));
  out.emplace_back(to_string(e.how));
  out.push_back(e.kind == watch_event_kind::lost ? fmt::format("{} lost", e.lost)
                                                 : lifetime_text(e));
  return out;
}

watch_source source_of(discovery_source s) {
  switch (s) {
    case discovery_source::bpf:
      return watch_source::bpf;
    case discovery_source::proc:
      return watch_source::rescan;
    default:
      return watch_source::automatic;
  }
}

watcher start(const options& opts) {
  watch_options wo;
  wo.types = opts.types;
  wo.source = source_of(opts.source);
  wo.interval = opts.interval;
  try {
    return watcher(wo);
  } catch (const error& e) {
    if (e.reason() != error_reason::no_bpf)
      throw;
    throw cli::noted_error(
        fmt::format("--source=bpf: kernel events cannot be had here: {}", e.what()),
        "leave out --source to rescan instead, or give --source=proc");
  }
}

// "1", "0.25": an interval in seconds, as --interval takes it. Integers only: formatting a
// double would bring libm into the self-contained program.
std::string seconds_text(std::chrono::milliseconds interval) {
  auto ms = interval.count();
  std::string text = fmt::format("{}.{:03}", ms / 1000, ms % 1000);
  while (text.ends_with('0'))
    text.pop_back();
  if (text.ends_with('.'))
    text.pop_back();
  return text;
}

// The notes on what this watch can miss, in xlsns's words.
void note_limits(const watcher& w, const options& opts) {
  if (w.source() == watch_source::rescan) {
    std::string why = w.bpf_errno() != 0 ? fmt::format("no kernel events here ({}); ",
                                                       std::strerror(w.bpf_errno()))
                                         : std::string();
    fmt::print(stderr,
               "xlsns: note: {}rescanning every {} s: namespaces that live shorter than that "
               "can be missed\n",
               why, seconds_text(opts.interval));
  } else if (!w.sees_all_releases()) {
    fmt::print(stderr,
               "xlsns: note: this kernel refuses BPF trampolines: some namespaces are not seen "
               "vanishing (those alive at the start, and those the kernel frees after an RCU "
               "grace period)\n");
  }
}

}  // namespace

int run_watch(const options& opts) {
  std::optional<filter_expr> filter;
  if (!opts.filter.empty())
    filter = filter_expr::parse(opts.filter);
  catch_stop_signals();
  watcher w = start(opts);
  note_limits(w, opts);
  cell_context cells(true);
  const auto layout = table_layout(opts);
  if (!opts.json && !opts.noheadings) {
    std::vector<std::string> head;
    for (const auto& c : layout)
      head.push_back(c.name);
    fmt::print("{}\n", table_line(opts, layout, head));
  }
  bool closed = std::fflush(stdout) != 0;
  auto print = [&](const watch_event& e) {
    if (closed)
      return;
    if (filter && e.kind != watch_event_kind::lost &&
        !filter->matches([&](column c) { return event_value(c, e, cells); }))
      return;
    std::string line = opts.json ? json_line(opts, e, cells)
                                 : table_line(opts, layout, table_cells(opts, e, cells));
    closed = std::fputs((line + '\n').c_str(), stdout) == EOF || std::fflush(stdout) != 0;
  };
  while (stop_signal == 0 && !closed && !stdout_closed())
    w.poll(print, std::chrono::milliseconds(200));
  w.stop();
  std::clearerr(stdout);
  return cli::exit_ok;
}

}  // namespace nsutil::xlsns
