// libnsutil's private fast path for root: the BPF task and task_file iterators, and the /proc
// walk discover() falls back to where they cannot be used. Linked against
// the library's objects (the shared library hides them), and run as root only.
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <functional>
#include <nsutil/discovery.hpp>
#include <nsutil/error.hpp>
#include <nsutil/ns_type.hpp>
#include <nsutil/unique_fd.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/compat.hpp"
#include "base/proc_text.hpp"
#include "discovery/fd_iter.hpp"
#include "harness.hpp"

using nsutil::test::in_child;

namespace {

std::uint32_t inode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<std::uint32_t>(st.st_ino);
}

// Root, in the initial PID namespace (the iterators report global PIDs: they are used only from
// there), or the test is skipped.
void require_bpf_here() {
  NSUTIL_REQUIRE_ROOT();
  struct stat pidns {};
  REQUIRE(::stat("/proc/self/ns/pid", &pidns) == 0);
  if (pidns.st_ino != 0xEFFFFFFCU)
    NSUTIL_SKIP("not in the initial PID namespace");
}

// Whether this kernel refuses the light skeleton's loader (before Linux 5.17: E2BIG).
bool loader_refused() {
  int err = 0;
  return !nsutil::detail::iterate_tasks(false, &err) && err == E2BIG;
}

// require_bpf_here(), and a kernel that loads the BPF programs, or the test ends, skipped where
// tests/vm/kernels lets the kernel lack them (bpf_lskel). A macro: the skip returns from the test.
#define NSUTIL_REQUIRE_BPF_LOADS()                                                               \
  do {                                                                                           \
    require_bpf_here();                                                                          \
    if (loader_refused())                                                                        \
      NSUTIL_SKIP_KERNEL("bpf_lskel", "the kernel refuses the light skeleton's loader (E2BIG)"); \
  } while (false)

}  // namespace

TEST_CASE("the BPF iterators list this process's descriptors and its tasks' namespaces") {
  NSUTIL_REQUIRE_BPF_LOADS();

  auto ns = nsutil::open_fd("/proc/self/ns/ipc", O_RDONLY);
  nsutil::unique_fd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(sock);
  struct stat ns_st {
  }, sock_st{};
  REQUIRE(::fstat(ns.get(), &ns_st) == 0);
  REQUIRE(::fstat(sock.get(), &sock_st) == 0);

  // A second thread in a UTS namespace of its own: only the task records can tell.
  std::atomic<pid_t> tid{0};
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    if (::unshare(CLONE_NEWUTS) == 0)
      tid = static_cast<pid_t>(::syscall(SYS_gettid));
    else
      tid = -1;
    while (!stop)
      std::this_thread::yield();
  });
  while (tid == 0)
    std::this_thread::yield();
  REQUIRE(tid > 0);
  std::string task = "/proc/self/task/" + std::to_string(tid.load()) + "/ns/";
  auto thread_uts = inode_of(task + "uts");
  auto listing = nsutil::detail::iterate_tasks(true);
  stop = true;
  worker.join();
  REQUIRE(listing.has_value());

  bool saw_ns = false, saw_sock = false;
  for (const auto& d : listing->descriptors) {
    if (d.pid != ::getpid())
      continue;
    saw_ns = saw_ns || (d.fd == ns.get() && !d.socket && d.ino == ns_st.st_ino);
    saw_sock = saw_sock || (d.fd == sock.get() && d.socket && d.ino == sock_st.st_ino);
  }
  CHECK(saw_ns);
  CHECK(saw_sock);

  const nsutil::detail::task_namespaces* main = nullptr;
  const nsutil::detail::task_namespaces* thread = nullptr;
  for (const auto& t : listing->tasks) {
    if (t.pid == ::getpid() && t.tid == ::getpid())
      main = &t;
    if (t.pid == ::getpid() && t.tid == tid)
      thread = &t;
  }
  REQUIRE(main != nullptr);
  REQUIRE(thread != nullptr);
  CHECK(main->ppid == ::getppid());
  CHECK(thread->ppid == ::getppid());
  for (const auto& row : nsutil::ns_types) {
    auto i = static_cast<std::size_t>(row.type);
    CAPTURE(row.name);
    std::string path = "/proc/self/ns/" + std::string(row.proc_entry);
    CHECK(main->ino[i] == inode_of(path));
    // The ID, where the kernel has NS_GET_ID (6.18), is the one the task iterator read.
    std::uint64_t id = 0;
    if (::ioctl(nsutil::open_fd(path, O_RDONLY).get(), NS_GET_ID, &id) == 0)
      CHECK(main->id[i] == id);
    else
      CHECK(main->id[i] == 0);
  }
  CHECK(thread->ino[static_cast<std::size_t>(nsutil::ns_type::uts)] == thread_uts);
  CHECK(thread_uts != main->ino[static_cast<std::size_t>(nsutil::ns_type::uts)]);
  CHECK(thread->ino[static_cast<std::size_t>(nsutil::ns_type::net)] ==
        main->ino[static_cast<std::size_t>(nsutil::ns_type::net)]);
  CHECK(std::is_sorted(listing->tasks.begin(), listing->tasks.end(),
                       [](const auto& a, const auto& b) { return a.tid < b.tid; }));
}

TEST_CASE("without descriptors the BPF iterators list only tasks") {
  NSUTIL_REQUIRE_BPF_LOADS();
  auto ns = nsutil::open_fd("/proc/self/ns/ipc", O_RDONLY);
  auto listing = nsutil::detail::iterate_tasks(false);
  REQUIRE(listing.has_value());
  CHECK(listing->descriptors.empty());
  CHECK_FALSE(listing->tasks.empty());
}

TEST_CASE("one namespace type alone: its own program, the others left 0") {
  NSUTIL_REQUIRE_BPF_LOADS();
  for (const auto& row : nsutil::ns_types) {
    struct stat own {};
    std::string link = "/proc/self/ns/" + std::string(row.proc_entry);
    if (::stat(link.c_str(), &own) < 0)
      continue;  // a type this kernel lacks
    auto type = static_cast<std::size_t>(row.type);
    auto listing = nsutil::detail::iterate_tasks(false, nullptr, 1U << type);
    REQUIRE(listing.has_value());
    auto self = std::find_if(listing->tasks.begin(), listing->tasks.end(),
                             [](const auto& t) { return t.tid == ::getpid(); });
    REQUIRE(self != listing->tasks.end());
    INFO(row.proc_entry);
    CHECK(self->ino[type] == own.st_ino);
    for (std::size_t other = 0; other < self->ino.size(); ++other)
      if (other != type)
        CHECK(self->ino[other] == 0);
  }
}

// --- Where the iterators cannot be used: the /proc walk, silently, or no_bpf when demanded ----

namespace {

// The threads on the system, as the automatic source counts them.
std::size_t threads_now() {
  auto n = nsutil::detail::parse_thread_count(nsutil::read_file("/proc/loadavg"));
  REQUIRE(n.has_value());
  return *n;
}

// Runs `body` while this process has `extra` more threads, each blocked in a read. `body` runs
// once every thread has started: a fork (in_child) while one is still starting copies the lock
// it holds (the sanitizers' allocator's, glibc's) into a child that then waits for it forever.
void with_threads(std::size_t extra, const std::function<void()>& body) {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  nsutil::unique_fd rd(p[0]);
  nsutil::unique_fd wr(p[1]);
  std::atomic<std::size_t> started{0};
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < extra; ++i)
    threads.emplace_back([&rd, &started] {
      started.fetch_add(1);
      char c;
      (void)::read(rd.get(), &c, 1);
    });
  while (started.load() < extra)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // From the count to the read each thread takes no lock; give the last ones time to get there.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  body();
  wr.reset();
  for (auto& t : threads)
    t.join();
}

// What the iterators and discover() make of the conditions `setup` creates, in a child:
// "ERRNO AUTO-SOURCE BPF-REASON", e.g. "1 proc no_bpf".
// The automatic source is asked while the system has enough threads for it to take the
// iterators where they work (bpf_min_threads).
std::string fallback_in_child(const std::function<void()>& setup) {
  std::string out;
  with_threads(nsutil::detail::bpf_min_threads + 20, [&] {
    out = in_child([&] {
      setup();
      int err = 0;
      auto listing = nsutil::detail::iterate_tasks(true, &err);
      std::string how = listing ? "listed" : std::to_string(err);
      nsutil::discovery_options opts;
      opts.types = nsutil::ns_set{nsutil::ns_type::net};
      opts.bind_mounts = false;
      auto found = nsutil::discover(opts);
      CHECK_FALSE(found.processes.empty());
      std::string_view demanded = "none";
      try {
        opts.source = nsutil::discovery_source::bpf;
        (void)nsutil::discover(opts);
      } catch (const nsutil::error& e) {
        demanded =
            e.reason() == nsutil::error_reason::no_bpf && e.op() == "bpf" ? "no_bpf" : "other";
      }
      return fmt::format("{} {} {}", how, nsutil::to_string(found.source), demanded);
    });
  });
  return out;
}

// bpf(2) refused with `err` by a seccomp filter on the calling process.
void refuse_bpf(int err) {
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_bpf, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | static_cast<std::uint32_t>(err)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(std::size(code)), code};
  REQUIRE(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
  REQUIRE(::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0);
}

// Drops `caps` from the effective set (they stay permitted).
void drop_effective(std::initializer_list<int> caps) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  REQUIRE(::syscall(SYS_capget, &header, data) == 0);
  for (int cap : caps)
    data[cap / 32].effective &= ~(1U << (cap % 32));
  REQUIRE(::syscall(SYS_capset, &header, data) == 0);
}

}  // namespace

TEST_CASE("discover() reports the BPF iterators as its source where they work") {
  NSUTIL_REQUIRE_BPF_LOADS();
  CHECK(fallback_in_child([] {}) == "listed bpf none");
  nsutil::discovery_options opts;
  opts.source = nsutil::discovery_source::proc;
  CHECK(nsutil::discover(opts).source == nsutil::discovery_source::proc);
  CHECK(nsutil::to_string(nsutil::discovery_source::automatic) == "auto");
}

TEST_CASE("the automatic source reads an idle machine's few threads from /proc") {
  require_bpf_here();
  // Where /proc hides PID 1 from root (the development machine's sandbox does), the iterators
  // are taken whatever the count, since the /proc walk would miss what they see; elsewhere (the
  // kernel matrix's VMs) the count decides. Other tests' threads come and go: the count is
  // checked only while it stays on one side of the threshold. On the VMs (about 100 threads) it
  // is below; the case above adds threads to be above.
  char link[64];
  if (::readlink("/proc/1/ns/pid", link, sizeof link) < 0) {
    INFO("/proc/1/ns/pid: " << std::strerror(errno));
    REQUIRE((errno == EACCES || errno == EPERM));
    CHECK(nsutil::discover().source == nsutil::discovery_source::bpf);
    return;
  }
  // A count that crossed the line during the listing proves nothing: listed again, up to 10
  // times; a run where it always crossed fails rather than passing unchecked.
  nsutil::discovery_options opts;
  opts.bind_mounts = false;
  for (int attempt = 0; attempt < 10; ++attempt) {
    std::size_t before = threads_now();
    auto used = nsutil::discover(opts).source;
    std::size_t after = threads_now();
    INFO("threads before " << before << ", after " << after);
    if (std::max(before, after) < nsutil::detail::bpf_min_threads) {
      CHECK(used == nsutil::discovery_source::proc);
      return;
    }
    if (std::min(before, after) >= nsutil::detail::bpf_min_threads) {
      CHECK(used == nsutil::discovery_source::bpf);
      return;
    }
  }
  FAIL("the thread count crossed bpf_min_threads during each of 10 listings");
}

TEST_CASE("seccomp refusing bpf(2): the /proc walk, or no_bpf when BPF is demanded") {
  require_bpf_here();
  CHECK(fallback_in_child([] { refuse_bpf(EPERM); }) == fmt::format("{} proc no_bpf", EPERM));
  CHECK(fallback_in_child([] { refuse_bpf(ENOSYS); }) == fmt::format("{} proc no_bpf", ENOSYS));
}

TEST_CASE("without CAP_BPF, or CAP_PERFMON, and CAP_SYS_ADMIN: the /proc walk") {
  require_bpf_here();
  // The errno is the kernel's (EPERM from bpf(2), or what the skeleton's loader program returns
  // for a program it may not load): a number, not "listed".
  auto refused = Catch::Matchers::Matches("[0-9]+ proc no_bpf");
  CHECK_THAT(fallback_in_child([] { drop_effective({CAP_BPF, CAP_SYS_ADMIN}); }), refused);
  CHECK_THAT(fallback_in_child([] { drop_effective({CAP_PERFMON, CAP_SYS_ADMIN}); }), refused);
  // CAP_SYS_ADMIN alone stands in for both.
  if (loader_refused())
    NSUTIL_SKIP_KERNEL("bpf_lskel", "the kernel refuses the light skeleton's loader (E2BIG)");
  CHECK(fallback_in_child([] { drop_effective({CAP_BPF, CAP_PERFMON}); }) == "listed bpf none");
}

// A kernel before Linux 5.17 refuses the loader with E2BIG (fd_iter.hpp): there the kernel's own
// answer is tested, elsewhere a seccomp filter's.
TEST_CASE("a kernel that refuses the loader: the /proc walk, and no_bpf names the Linux it needs") {
  require_bpf_here();
  const bool refused = loader_refused();
  INFO((refused ? "this kernel refuses the loader" : "seccomp answers bpf(2) with E2BIG"));
  auto setup = [refused] {
    if (!refused)
      refuse_bpf(E2BIG);
  };
  CHECK(fallback_in_child(setup) == fmt::format("{} proc no_bpf", E2BIG));
  std::string what = in_child([&] {
    setup();
    try {
      nsutil::discovery_options opts;
      opts.source = nsutil::discovery_source::bpf;
      (void)nsutil::discover(opts);
    } catch (const nsutil::error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  });
  CHECK(what == std::string("bpf: ") + nsutil::detail::bpf_needs_kernel);
}

TEST_CASE("outside the initial PID namespace: the /proc walk, no_bpf with EXDEV") {
  require_bpf_here();
  // The child of an unshare(CLONE_NEWPID) is the first process of the new namespace; it mounts
  // a /proc of its own, as the /proc walk needs.
  std::string got = in_child([] {
    REQUIRE(::unshare(CLONE_NEWPID | CLONE_NEWNS) == 0);
    return in_child([] {
      REQUIRE(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
      REQUIRE(::mount("proc", "/proc", "proc", 0, nullptr) == 0);
      return fallback_in_child([] {});
    });
  });
  CHECK(got == fmt::format("{} proc no_bpf", EXDEV));
}
