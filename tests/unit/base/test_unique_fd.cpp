#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <nsutil/error.hpp>
#include <nsutil/unique_fd.hpp>
#include <type_traits>

namespace {
bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) >= 0;
}
bool is_cloexec(int fd) {
  return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}
}  // namespace

static_assert(!std::is_copy_constructible_v<nsutil::unique_fd>);
static_assert(!std::is_convertible_v<nsutil::unique_fd, int>);
static_assert(std::is_nothrow_move_constructible_v<nsutil::unique_fd>);

TEST_CASE("unique_fd closes once, on destruction", "[unique_fd]") {
  int raw = ::memfd_create("t", MFD_CLOEXEC);
  REQUIRE(raw >= 0);
  {
    nsutil::unique_fd fd(raw);
    CHECK(fd.get() == raw);
    CHECK(static_cast<bool>(fd));
  }
  CHECK_FALSE(is_open(raw));
}

TEST_CASE("moving transfers ownership and empties the source", "[unique_fd]") {
  nsutil::unique_fd a(::memfd_create("t", MFD_CLOEXEC));
  int raw = a.get();
  nsutil::unique_fd b(std::move(a));
  CHECK(a.get() == -1);  // NOLINT(bugprone-use-after-move): the contract under test
  CHECK(b.get() == raw);
  nsutil::unique_fd c;
  c = std::move(b);
  CHECK(c.get() == raw);
  CHECK(is_open(raw));
}

TEST_CASE("release gives the descriptor away, reset closes it", "[unique_fd]") {
  nsutil::unique_fd fd(::memfd_create("t", MFD_CLOEXEC));
  int raw = fd.release();
  CHECK_FALSE(static_cast<bool>(fd));
  CHECK(is_open(raw));
  fd.reset(raw);
  fd.reset();
  CHECK_FALSE(is_open(raw));
}

TEST_CASE("closing preserves errno", "[unique_fd]") {
  nsutil::unique_fd fd(::memfd_create("t", MFD_CLOEXEC));
  errno = ENOSPC;
  fd.reset();
  CHECK(errno == ENOSPC);
  fd.reset(12345);  // not open: close fails with EBADF, errno must not change
  errno = ENOSPC;
  fd.reset();
  CHECK(errno == ENOSPC);
}

TEST_CASE("every descriptor the library opens is close-on-exec", "[unique_fd]") {
  auto [r, w] = nsutil::make_pipe();
  CHECK(is_cloexec(r.get()));
  CHECK(is_cloexec(w.get()));
  auto f = nsutil::open_fd("/proc/self/status", O_RDONLY);
  CHECK(is_cloexec(f.get()));
  auto d = nsutil::open_fd("/proc", O_RDONLY | O_DIRECTORY);
  auto g = nsutil::open_fd_at(d, "self/stat", O_RDONLY);
  CHECK(is_cloexec(g.get()));
}

TEST_CASE("open_fd failures name the path", "[unique_fd]") {
  CHECK_THROWS_WITH(nsutil::open_fd("/nonexistent/x", O_RDONLY),
                    "open '/nonexistent/x': No such file or directory");
}

TEST_CASE("read_file reads /proc files whole", "[unique_fd]") {
  std::string s = nsutil::read_file("/proc/self/status");
  CHECK(s.find("Pid:") != std::string::npos);
}
