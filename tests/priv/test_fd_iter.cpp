// libnsutil's private fast path for root: the BPF task and task_file iterators. Linked against
// the library's objects (the shared library hides them), and run as root only.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <nsutil/unique_fd.hpp>
#include <thread>

#include "../../lib/src/fd_iter.hpp"
#include "harness.hpp"

namespace {

bool btf_can_be_mapped() {
  nsutil::unique_fd fd(nsutil::open_fd("/sys/kernel/btf/vmlinux", O_RDONLY));
  void* p = ::mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (p == MAP_FAILED)
    return false;
  ::munmap(p, 4096);
  return true;
}

}  // namespace

TEST_CASE("the BPF iterators list this process's nsfs and socket descriptors and threads") {
  NSUTIL_REQUIRE_ROOT();
  struct stat pidns {};
  REQUIRE(::stat("/proc/self/ns/pid", &pidns) == 0);
  if (pidns.st_ino != 0xEFFFFFFCU)
    NSUTIL_SKIP("not in the initial PID namespace");
  if (::access("/sys/kernel/btf/vmlinux", R_OK) != 0 || !btf_can_be_mapped())
    NSUTIL_SKIP("the kernel's BTF cannot be mapped (Linux 6.16)");

  auto ns = nsutil::open_fd("/proc/self/ns/ipc", O_RDONLY);
  nsutil::unique_fd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(sock);
  struct stat ns_st {
  }, sock_st{};
  REQUIRE(::fstat(ns.get(), &ns_st) == 0);
  REQUIRE(::fstat(sock.get(), &sock_st) == 0);

  std::atomic<pid_t> tid{0};
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    tid = static_cast<pid_t>(::syscall(SYS_gettid));
    while (!stop)
      std::this_thread::yield();
  });
  while (tid == 0)
    std::this_thread::yield();
  auto listing = nsutil::detail::iterate_tasks();
  stop = true;
  worker.join();

  REQUIRE(listing.has_value());
  bool saw_ns = false, saw_sock = false, saw_thread = false;
  for (const auto& d : listing->descriptors) {
    if (d.pid != ::getpid())
      continue;
    saw_ns = saw_ns || (d.fd == ns.get() && !d.socket && d.ino == ns_st.st_ino);
    saw_sock = saw_sock || (d.fd == sock.get() && d.socket && d.ino == sock_st.st_ino);
  }
  for (const auto& t : listing->threads)
    saw_thread = saw_thread || (t.pid == ::getpid() && t.tid == tid);
  CHECK(saw_ns);
  CHECK(saw_sock);
  CHECK(saw_thread);
  for (const auto& t : listing->threads)
    CHECK(t.pid != t.tid);  // main threads are never listed
}
