/// @file
/// Watching namespaces appear and vanish: from kernel events where BPF can be used, else by
/// scanning again and again.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nsutil/export.hpp>
#include <nsutil/ns_type.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace nsutil {

/// What happened to a namespace.
enum class watch_event_kind : std::uint8_t {
  /// It was alive when the watch started (one per namespace found then, before any other event).
  present,
  /// It came into being while watching.
  appeared,
  /// It was released while watching (its last holder went).
  vanished,
  /// Events were lost: watch_event::lost says how many. The BPF source loses events when its
  /// ring buffer is full, and the vanishing of a namespace it had no room to remember.
  lost,
};

/// "present", "appeared", "vanished" or "lost".
NSUTIL_API std::string_view to_string(watch_event_kind kind) noexcept;

/// How an appeared namespace was made.
enum class ns_origin : std::uint8_t {
  unknown,  ///< not known (the rescan source, and every event that is not `appeared`)
  clone,    ///< while a task was being made: clone(2), clone3(2), fork with CLONE_NEW*
  unshare,  ///< by unshare(2)
};

/// "" for unknown, "clone" or "unshare".
NSUTIL_API std::string_view to_string(ns_origin origin) noexcept;

/// Where a watcher's events come from.
enum class watch_source : std::uint8_t {
  /// bpf where it can be used, else rescan.
  automatic,
  /// Kernel events: BPF programs on the kernel's namespace creation and release paths
  /// (lib/src/discovery/bpf/watch.bpf.c), through a ring buffer; a namespace that lives a
  /// microsecond is seen. Needs kernel BTF (/sys/kernel/btf/vmlinux), the light skeleton's
  /// loader (Linux 5.17: BPF_PROG_TYPE_SYSCALL and CO-RE in the kernel), CAP_BPF and
  /// CAP_PERFMON (or CAP_SYS_ADMIN), bpf(2) not refused by seccomp, and the initial PID
  /// namespace (the kernel reports global PIDs). fentry/fexit programs where the kernel allows
  /// them; else raw tracepoints, which cannot see the namespaces found at the start vanish
  /// (only their `present` event is given) and run on every syscall and every kernel free.
  bpf,
  /// discover() every watch_options::interval, compared with the scan before: needs no
  /// privilege, sees what discover() sees, and misses a namespace that lives less than the
  /// interval. Its appeared events have no creator and no origin, and times and lifetimes are
  /// those of the scans.
  rescan,
};

/// "auto", "bpf" or "rescan".
NSUTIL_API std::string_view to_string(watch_source source) noexcept;

/// One event.
struct watch_event {
  watch_event_kind kind = watch_event_kind::present;
  /// When it happened (bpf: the kernel's clock at the event; rescan: the scan that saw it).
  std::chrono::system_clock::time_point time;
  /// The namespace (not meaningful for `lost`).
  ns_type type = ns_type::mnt;
  /// Its nsfs inode number (lsns's NS column).
  std::uint64_t inode = 0;
  /// Its NS_GET_ID where the kernel keeps one (Linux 6.18), else nullopt.
  std::optional<std::uint64_t> id;
  /// For `appeared` from the bpf source: the process (thread group) and thread that made it,
  /// as PIDs of the initial PID namespace, its command (the kernel's 15-character comm) and its
  /// real UID in the initial user namespace. 0, empty and nullopt otherwise.
  pid_t pid = 0;
  pid_t tid = 0;
  std::string command;
  std::optional<uid_t> uid;
  /// For `appeared` from the bpf source: how it was made.
  ns_origin how = ns_origin::unknown;
  /// For `vanished`, when its appearing was seen: how long it lived.
  std::optional<std::chrono::nanoseconds> lifetime;
  /// For `lost`: how many events were lost since the last `lost` event.
  std::uint64_t lost = 0;
};

/// What a watcher watches.
struct watch_options {
  /// sizeof(watch_options) in the caller's build; leave it as it is. The library refuses another
  /// size (EINVAL), so that a program built against other headers is not misread.
  std::uint32_t struct_size = sizeof(watch_options);
  /// Only namespaces of these types are reported.
  ns_set types = ns_set::all();
  /// Where events come from.
  watch_source source = watch_source::automatic;
  /// The rescan source's interval (at least 1 ms).
  std::chrono::milliseconds interval{1000};
  /// Whether a `present` event is given for each namespace alive at the start.
  bool present = true;
};

/// A stream of namespace events. Memory grows with the namespaces alive, not with the events
/// seen. Not thread-safe: one thread polls it.
class NSUTIL_API watcher {
 public:
  /// Starts watching: with the bpf source, loads and attaches the BPF programs, then finds the
  /// namespaces alive (discover()), so that none made in between is missed; with the rescan
  /// source, makes the first scan. Throws nsutil::error: with error_reason::no_bpf (op() "bpf",
  /// the errno of the failure; EXDEV outside the initial PID namespace) when `source` is bpf and
  /// it cannot be used here; as discover() does; EINVAL for an interval under 1 ms, and
  /// ("watch_options") when the options' struct_size is not this library's.
  explicit watcher(const watch_options& opts = {});
  /// stop().
  ~watcher();
  watcher(watcher&& other) noexcept;
  watcher& operator=(watcher&& other) noexcept;
  watcher(const watcher&) = delete;
  watcher& operator=(const watcher&) = delete;

  /// The source in use: bpf or rescan, never automatic.
  [[nodiscard]] watch_source source() const noexcept;
  /// Whether every namespace that vanishes is reported: true for the rescan source, and for
  /// the bpf source on fentry/fexit programs; false on its raw tracepoint programs (used where
  /// the kernel refuses BPF trampolines), which miss the namespaces found at the start and those
  /// the kernel frees through kfree_rcu (on Linux 6.18: uts, user, cgroup and time), and see a
  /// network namespace go only when the kernel frees its structure, which Linux 6.18 defers to
  /// the next network namespace's cleanup.
  [[nodiscard]] bool sees_all_releases() const noexcept;
  /// With watch_options::source automatic and the rescan source in use: the errno that kept
  /// the bpf source from being used (EXDEV outside the initial PID namespace); else 0.
  [[nodiscard]] int bpf_errno() const noexcept;
  /// A descriptor that poll(2) reports readable when poll() has events to give, for a caller's
  /// own event loop; -1 after stop(). Owned by the watcher.
  [[nodiscard]] int fd() const noexcept;

  /// Calls `on_event` for each event that is ready, waiting up to `timeout` for one when none
  /// is (a negative timeout waits without end). Returns how many were given; 0 when the wait
  /// timed out or a signal interrupted it (EINTR), so that a caller can check its signal flags
  /// and poll again. The rescan source scans here when its interval has passed. Throws
  /// nsutil::error when the wait fails or a scan cannot read /proc, and what `on_event` throws
  /// (the events after that one are dropped). After stop(), returns 0 at once.
  std::size_t poll(const std::function<void(const watch_event&)>& on_event,
                   std::chrono::milliseconds timeout);

  /// Ends the watch: every BPF program, link and map the watcher made, its ring buffer's
  /// mappings and its descriptors are released. Events not yet given are dropped. Idempotent;
  /// never throws.
  void stop() noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace nsutil
