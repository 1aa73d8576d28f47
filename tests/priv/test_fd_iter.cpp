// libnsutil's private fast path for root: the BPF task and task_file iterators. Linked against
// the library's objects (the shared library hides them), and run as root only.
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <nsutil/ns_type.hpp>
#include <nsutil/unique_fd.hpp>
#include <string>
#include <thread>

#include "../../lib/src/compat.hpp"
#include "../../lib/src/fd_iter.hpp"
#include "harness.hpp"

namespace {

std::uint32_t inode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<std::uint32_t>(st.st_ino);
}

}  // namespace

TEST_CASE("the BPF iterators list this process's descriptors and its tasks' namespaces") {
  NSUTIL_REQUIRE_ROOT();
  struct stat pidns {};
  REQUIRE(::stat("/proc/self/ns/pid", &pidns) == 0);
  if (pidns.st_ino != 0xEFFFFFFCU)
    NSUTIL_SKIP("not in the initial PID namespace");

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
  NSUTIL_REQUIRE_ROOT();
  struct stat pidns {};
  REQUIRE(::stat("/proc/self/ns/pid", &pidns) == 0);
  if (pidns.st_ino != 0xEFFFFFFCU)
    NSUTIL_SKIP("not in the initial PID namespace");
  auto ns = nsutil::open_fd("/proc/self/ns/ipc", O_RDONLY);
  auto listing = nsutil::detail::iterate_tasks(false);
  REQUIRE(listing.has_value());
  CHECK(listing->descriptors.empty());
  CHECK_FALSE(listing->tasks.empty());
}
