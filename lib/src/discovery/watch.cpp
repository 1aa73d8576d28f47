#include <linux/bpf.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <nsutil/discovery.hpp>
#include <nsutil/error.hpp>
#include <nsutil/unique_fd.hpp>
#include <nsutil/watch.hpp>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/struct_size.hpp"
#include "discovery/bpf/watch_loader.h"
#include "discovery/bpf/watch_records.h"

namespace nsutil {

namespace {

// The name of an enumerator, from a table in the enumeration's order.
template <class Enum, std::size_t N>
std::string_view name_in(const std::array<std::string_view, N>& names, Enum value) noexcept {
  auto i = static_cast<std::size_t>(value);
  return i < N ? names[i] : std::string_view();
}

}  // namespace

std::string_view to_string(watch_event_kind kind) noexcept {
  static constexpr std::array<std::string_view, 4> names{"present", "appeared", "vanished", "lost"};
  return name_in(names, kind);
}

std::string_view to_string(ns_origin origin) noexcept {
  static constexpr std::array<std::string_view, 3> names{"", "clone", "unshare"};
  return name_in(names, origin);
}

std::string_view to_string(watch_source source) noexcept {
  static constexpr std::array<std::string_view, 3> names{"auto", "bpf", "rescan"};
  return name_in(names, source);
}

namespace {

using mono_ns = std::chrono::nanoseconds;

mono_ns monotonic_now() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::chrono::seconds(ts.tv_sec) + mono_ns(ts.tv_nsec);
}

// The wall-clock time of a CLOCK_MONOTONIC instant (the kernel's events carry the latter).
std::chrono::system_clock::time_point wall_time(mono_ns at) noexcept {
  auto offset = std::chrono::system_clock::now().time_since_epoch() - monotonic_now();
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(at + offset));
}

// The kernel's mapping of the BPF ring buffer: the consumer's position, which this process
// advances, then the producer's position and the data, mapped twice in a row by the kernel so
// that a record that wraps reads as one.
class ring_mapping {
 public:
  ring_mapping() = default;
  explicit ring_mapping(int map_fd) {
    page_ = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    void* cons = ::mmap(nullptr, page_, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
    if (cons == MAP_FAILED)
      throw_errno("mmap", "BPF ring buffer");
    cons_ = cons;
    void* prod = ::mmap(nullptr, page_ + 2 * NSUTIL_WATCH_RING_SIZE, PROT_READ, MAP_SHARED, map_fd,
                        static_cast<off_t>(page_));
    if (prod == MAP_FAILED) {
      int err = errno;
      unmap();
      throw_error(err, "mmap", "BPF ring buffer");
    }
    prod_ = prod;
  }
  ring_mapping(ring_mapping&& o) noexcept
      : page_(o.page_),
        cons_(std::exchange(o.cons_, nullptr)),
        prod_(std::exchange(o.prod_, nullptr)) {}
  ring_mapping& operator=(ring_mapping&& o) noexcept {
    if (this != &o) {
      unmap();
      page_ = o.page_;
      cons_ = std::exchange(o.cons_, nullptr);
      prod_ = std::exchange(o.prod_, nullptr);
    }
    return *this;
  }
  ring_mapping(const ring_mapping&) = delete;
  ring_mapping& operator=(const ring_mapping&) = delete;
  ~ring_mapping() { unmap(); }

  // Calls `add` with each record committed since the last call, and hands their room back.
  template <class Add>
  void drain(Add&& add) {
    auto* cons_pos = static_cast<unsigned long*>(cons_);
    auto* prod_pos = static_cast<unsigned long*>(prod_);
    auto* data = static_cast<const char*>(prod_) + page_;
    unsigned long cons = __atomic_load_n(cons_pos, __ATOMIC_ACQUIRE);
    unsigned long prod = __atomic_load_n(prod_pos, __ATOMIC_ACQUIRE);
    while (cons < prod) {
      const auto* hdr = reinterpret_cast<const std::uint32_t*>(data + (cons & ring_mask));
      std::uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
      if ((len & BPF_RINGBUF_BUSY_BIT) != 0)
        break;
      const char* sample = data + (cons & ring_mask) + BPF_RINGBUF_HDR_SZ;
      cons +=
          (static_cast<unsigned long>(len & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ + 7) &
          ~7UL;
      if ((len & BPF_RINGBUF_DISCARD_BIT) == 0 && len >= sizeof(nsutil_watch_record)) {
        nsutil_watch_record r;
        std::memcpy(&r, sample, sizeof r);
        add(r);
      }
      __atomic_store_n(cons_pos, cons, __ATOMIC_RELEASE);
    }
  }

 private:
  static constexpr unsigned long ring_mask = NSUTIL_WATCH_RING_SIZE - 1;
  void unmap() noexcept {
    if (prod_)
      ::munmap(prod_, page_ + 2 * NSUTIL_WATCH_RING_SIZE);
    if (cons_)
      ::munmap(cons_, page_);
    prod_ = cons_ = nullptr;
  }
  std::size_t page_ = 0;
  void* cons_ = nullptr;
  void* prod_ = nullptr;
};

// The BPF programs and maps, released by the destructor.
struct bpf_programs {
  nsutil_watch_bpf* bpf = nullptr;
  bpf_programs() = default;
  bpf_programs(const bpf_programs&) = delete;
  bpf_programs& operator=(const bpf_programs&) = delete;
  ~bpf_programs() { nsutil_watch_bpf_stop(bpf); }
};

unsigned type_mask(ns_set types) noexcept {
  unsigned mask = 0;
  for (const auto& t : ns_types)
    if (types.contains(t.type))
      mask |= 1U << static_cast<unsigned>(t.type);
  return mask;
}

// An event of a namespace a scan found.
watch_event scanned_event(watch_event_kind kind, std::chrono::system_clock::time_point when,
                          const found_namespace& ns) {
  watch_event e;
  e.kind = kind;
  e.time = when;
  e.type = ns.type;
  e.inode = ns.inode.ino;
  e.id = ns.id;
  return e;
}

discovery_options scan_options(ns_set types) {
  discovery_options opts;
  opts.types = types;
  opts.details = process_details::none;
  opts.ppids = false;
  return opts;
}

}  // namespace

// Hidden, although its enclosing class is exported: its members are no part of the ABI.
struct __attribute__((visibility("hidden"))) watcher::impl {
  struct live_ns {
    ns_type type;
    std::optional<std::uint64_t> id;
    // When its appearing was seen (CLOCK_MONOTONIC); nullopt for one present at the start.
    std::optional<mono_ns> appeared;
  };

  watch_options opts;
  watch_source source = watch_source::rescan;
  int bpf_err = 0;
  std::unordered_map<std::uint64_t, live_ns> live;
  std::deque<watch_event> pending;
  // bpf source
  std::unique_ptr<bpf_programs> programs;
  ring_mapping ring;
  std::uint64_t lost_seen = 0;
  // Namespaces found by the first scan that the programs could not track.
  std::uint64_t lost_seen_untracked = 0;
  // When the first scan ended: an appeared event from before may be of a namespace it found.
  mono_ns scanned{};
  // rescan source
  unique_fd timer;
  bool stopped = false;

  explicit impl(const watch_options& o) : opts(o) {
    detail::check_struct_size(opts, "watch_options");
    if (opts.interval < std::chrono::milliseconds(1))
      throw_error(EINVAL, "watch", {}, "the interval must be at least 1 ms");
    if (opts.source != watch_source::rescan) {
      bpf_err = start_bpf();
      if (bpf_err == 0)
        source = watch_source::bpf;
      else if (opts.source == watch_source::bpf)
        throw error(bpf_err, "bpf", {}, {}, error_reason::no_bpf);
    }
    if (source == watch_source::rescan) {
      bpf_err = opts.source == watch_source::automatic ? bpf_err : 0;
      timer = unique_fd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
      if (!timer)
        throw_errno("timerfd_create");
      itimerspec spec{};
      auto ns = std::chrono::duration_cast<mono_ns>(opts.interval).count();
      spec.it_interval.tv_sec = static_cast<time_t>(ns / 1000000000);
      spec.it_interval.tv_nsec = static_cast<long>(ns % 1000000000);
      spec.it_value = spec.it_interval;
      if (::timerfd_settime(timer.get(), 0, &spec, nullptr) < 0)
        throw_errno("timerfd_settime");
    }
    first_scan();
  }

  // 0, or the errno that keeps the bpf source from being used.
  int start_bpf() {
    // The kernel reports global PIDs: use them only where they are ours.
    struct stat pidns {};
    if (::stat("/proc/self/ns/pid", &pidns) < 0 || pidns.st_ino != 0xEFFFFFFCU)
      return EXDEV;
    auto p = std::make_unique<bpf_programs>();
    if (int rc = nsutil_watch_bpf_start(type_mask(opts.types), &p->bpf); rc < 0)
      return -rc;
    ring = ring_mapping(nsutil_watch_bpf_events_fd(p->bpf));
    programs = std::move(p);
    return 0;
  }

  // The namespaces alive now, after the programs are attached (bpf), so that one made meanwhile
  // is seen by one or the other: present events, and their release tracked.
  void first_scan() {
    auto now = monotonic_now();
    auto found = discover(scan_options(opts.types));
    auto when = wall_time(now);
    // The tracepoint programs cannot see these go (nsutil_watch_bpf_tracks_found).
    bool track = programs && nsutil_watch_bpf_tracks_found(programs->bpf) != 0;
    for (const auto& ns : found.namespaces) {
      if (track && nsutil_watch_bpf_track(programs->bpf, static_cast<unsigned>(ns.inode.ino),
                                          static_cast<unsigned>(ns.type)) < 0)
        ++lost_seen_untracked;
      live.emplace(ns.inode.ino, live_ns{ns.type, ns.id, std::nullopt});
      if (opts.present)
        pending.push_back(scanned_event(watch_event_kind::present, when, ns));
    }
    scanned = monotonic_now();
  }

  int fd() const noexcept {
    if (stopped)
      return -1;
    return programs ? nsutil_watch_bpf_events_fd(programs->bpf) : timer.get();
  }

  void from_record(const nsutil_watch_record& r) {
    if (r.type >= NSUTIL_NS_COUNT)
      return;
    auto type = static_cast<ns_type>(r.type);
    if (!opts.types.contains(type))
      return;
    watch_event e;
    e.time = wall_time(mono_ns(r.time));
    e.type = type;
    e.inode = r.ino;
    if (r.kind == NSUTIL_WATCH_APPEARED) {
      auto [it, added] = live.try_emplace(r.ino, live_ns{type, std::nullopt, mono_ns(r.time)});
      if (!added) {
        // Made after the programs were attached, and found by the first scan too: given already.
        if (mono_ns(r.time) <= scanned)
          return;
        // Its number is reused: the namespace that had it went unseen (the tracepoint programs
        // do not see those found by the scan go).
        it->second = live_ns{type, std::nullopt, mono_ns(r.time)};
      }
      e.kind = watch_event_kind::appeared;
      if (r.id != 0)
        e.id = it->second.id = r.id;
      e.pid = static_cast<pid_t>(r.tgid);
      e.tid = static_cast<pid_t>(r.tid);
      e.command.assign(r.comm, ::strnlen(r.comm, sizeof r.comm));
      e.uid = static_cast<uid_t>(r.uid);
      e.how = r.how == NSUTIL_HOW_UNSHARE ? ns_origin::unshare : ns_origin::clone;
    } else if (r.kind == NSUTIL_WATCH_VANISHED) {
      e.kind = watch_event_kind::vanished;
      auto it = live.find(r.ino);
      if (r.born != 0) {
        // The tracepoint programs: the structure is freed after its number, which a newer
        // namespace may have taken meanwhile (an RCU grace period later, for a PID namespace).
        e.lifetime = mono_ns(r.time) - mono_ns(r.born);
        if (r.id != 0)
          e.id = r.id;
        if (it != live.end() && it->second.appeared == mono_ns(r.born))
          live.erase(it);
      } else if (it != live.end()) {
        e.id = it->second.id;
        if (it->second.appeared)
          e.lifetime = mono_ns(r.time) - *it->second.appeared;
        live.erase(it);
      }
    } else {
      return;
    }
    pending.push_back(std::move(e));
  }

  void lost_events() {
    std::uint64_t lost = nsutil_watch_bpf_lost(programs->bpf) +
                         nsutil_watch_bpf_untracked(programs->bpf) + lost_seen_untracked;
    if (lost == lost_seen)
      return;
    watch_event e;
    e.kind = watch_event_kind::lost;
    e.time = std::chrono::system_clock::now();
    e.lost = lost - lost_seen;
    lost_seen = lost;
    pending.push_back(std::move(e));
  }

  void rescan() {
    std::uint64_t expirations = 0;
    if (::read(timer.get(), &expirations, sizeof expirations) < 0)
      return;  // EAGAIN: not yet
    auto now = monotonic_now();
    auto found = discover(scan_options(opts.types));
    auto when = wall_time(now);
    std::unordered_map<std::uint64_t, const found_namespace*> seen;
    seen.reserve(found.namespaces.size());
    for (const auto& ns : found.namespaces)
      seen.emplace(ns.inode.ino, &ns);
    for (auto it = live.begin(); it != live.end();) {
      if (seen.count(it->first) != 0) {
        ++it;
        continue;
      }
      watch_event e;
      e.kind = watch_event_kind::vanished;
      e.time = when;
      e.type = it->second.type;
      e.inode = it->first;
      e.id = it->second.id;
      if (it->second.appeared)
        e.lifetime = now - *it->second.appeared;
      pending.push_back(std::move(e));
      it = live.erase(it);
    }
    for (const auto& ns : found.namespaces) {
      if (!live.try_emplace(ns.inode.ino, live_ns{ns.type, ns.id, now}).second)
        continue;
      pending.push_back(scanned_event(watch_event_kind::appeared, when, ns));
    }
  }

  void collect() {
    if (programs) {
      ring.drain([&](const nsutil_watch_record& r) { from_record(r); });
      lost_events();
    } else {
      rescan();
    }
  }

  std::size_t poll(const std::function<void(const watch_event&)>& on_event,
                   std::chrono::milliseconds timeout) {
    if (stopped)
      return 0;
    if (pending.empty())
      collect();
    if (pending.empty()) {
      pollfd p{fd(), POLLIN, 0};
      int rc = ::poll(&p, 1, timeout.count() < 0 ? -1 : static_cast<int>(timeout.count()));
      if (rc < 0 && errno != EINTR)
        throw_errno("poll");
      if (rc <= 0)
        return 0;
      collect();
    }
    std::size_t given = 0;
    while (!pending.empty()) {
      watch_event e = std::move(pending.front());
      pending.pop_front();
      ++given;
      on_event(e);
    }
    return given;
  }

  void stop() noexcept {
    ring = ring_mapping();
    programs.reset();
    timer.reset();
    pending.clear();
    live.clear();
    stopped = true;
  }
};

watcher::watcher(const watch_options& opts) : impl_(std::make_unique<impl>(opts)) {}
watcher::~watcher() = default;
watcher::watcher(watcher&& other) noexcept = default;
watcher& watcher::operator=(watcher&& other) noexcept = default;

watch_source watcher::source() const noexcept {
  return impl_ ? impl_->source : watch_source::rescan;
}

bool watcher::sees_all_releases() const noexcept {
  return !impl_ || !impl_->programs || nsutil_watch_bpf_tracks_found(impl_->programs->bpf) != 0;
}

int watcher::bpf_errno() const noexcept {
  return impl_ ? impl_->bpf_err : 0;
}

int watcher::fd() const noexcept {
  return impl_ ? impl_->fd() : -1;
}

std::size_t watcher::poll(const std::function<void(const watch_event&)>& on_event,
                          std::chrono::milliseconds timeout) {
  return impl_ ? impl_->poll(on_event, timeout) : 0;
}

void watcher::stop() noexcept {
  if (impl_)
    impl_->stop();
}

}  // namespace nsutil
