#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <limits>
#include <nsutil/error.hpp>
#include <nsutil/unique_fd.hpp>

#include "base/trusted_path.hpp"

namespace nsutil {

void unique_fd::reset(int fd) noexcept {
  if (fd_ >= 0) {
    int saved = errno;
    // Never retried: on Linux the descriptor is released even when close() reports EINTR.
    ::close(fd_);
    errno = saved;
  }
  fd_ = fd;
}

unique_fd open_fd(const std::string& path, int flags, unsigned mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0)
    throw_errno("open", path);
  return unique_fd(fd);
}

unique_fd open_fd_at(const unique_fd& dir, const std::string& path, int flags, unsigned mode) {
  int fd = ::openat(dir ? dir.get() : AT_FDCWD, path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0)
    throw_errno("open", path);
  return unique_fd(fd);
}

std::pair<unique_fd, unique_fd> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0)
    throw_errno("pipe");
  return {unique_fd(fds[0]), unique_fd(fds[1])};
}

std::string read_file(const std::string& path) {
  return read_file_at(unique_fd(), path);
}

std::string read_file_at(const unique_fd& dir, const std::string& path) {
  return read_all(open_fd_at(dir, path, O_RDONLY), path);
}

std::string read_all(const unique_fd& fd, std::string_view name) {
  return detail::read_capped(fd, name, std::numeric_limits<std::size_t>::max());
}

namespace detail {

std::string read_capped(const unique_fd& fd, std::string_view name, std::size_t cap) {
  std::string data;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw_errno("read", name);
    if (n == 0)
      return data;
    if (static_cast<std::size_t>(n) > cap - data.size())
      throw_error(EFBIG, "read", name, fmt::format("larger than {} bytes", cap));
    data.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace detail

void write_file(const std::string& path, std::string_view data) {
  unique_fd fd = open_fd(path, O_WRONLY);
  ssize_t n = ::write(fd.get(), data.data(), data.size());
  if (n < 0)
    throw_errno("write", path);
  // /proc control files take a whole record per write; a short write means the kernel refused
  // the rest, which it reports with no errno.
  if (static_cast<std::size_t>(n) != data.size())
    throw_error(EIO, "write", path, "short write");
}

}  // namespace nsutil
