/// @file
/// The one descriptor type of libnsutil: a move-only owner of a file descriptor.
#pragma once

#include <nsutil/export.hpp>
#include <string>
#include <string_view>
#include <utility>

namespace nsutil {

/// Owns one file descriptor and closes it when destroyed.
///
/// Move-only, with no implicit conversion to int: ownership is visible at every call site
/// (`fd.get()` borrows, `fd.release()` gives away). close() is called once and never retried on
/// EINTR (on Linux the descriptor is gone either way, and a retry could close a descriptor another
/// thread has just been given). Closing preserves errno, so cleanup on an error path cannot change
/// the error being reported. Never throws.
class NSUTIL_API unique_fd {
 public:
  /// An empty owner (holds -1).
  unique_fd() noexcept = default;
  /// Takes ownership of `fd` (which may be -1).
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  /// The descriptor, still owned by this object; -1 when empty.
  [[nodiscard]] int get() const noexcept { return fd_; }
  /// Gives up ownership and returns the descriptor; this object becomes empty.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the owned descriptor (if any) and takes `fd` instead. errno is preserved.
  void reset(int fd = -1) noexcept;
  /// True when a descriptor is owned.
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// Opens `path` with `flags | O_CLOEXEC`.
/// Throws nsutil::error("open", path) on failure. Does not change the calling process otherwise.
NSUTIL_API unique_fd open_fd(const std::string& path, int flags, unsigned mode = 0);

/// Opens `path` relative to the directory `dir` (AT_FDCWD semantics when `dir` is empty), with
/// `flags | O_CLOEXEC`. Throws nsutil::error("open", path).
NSUTIL_API unique_fd open_fd_at(const unique_fd& dir, const std::string& path, int flags,
                                unsigned mode = 0);

/// Makes a pipe whose ends are both O_CLOEXEC: {read end, write end}. Throws nsutil::error("pipe").
NSUTIL_API std::pair<unique_fd, unique_fd> make_pipe();

/// Reads the whole of a small file (a /proc entry) into a string. Throws nsutil::error("read",
/// path).
NSUTIL_API std::string read_file(const std::string& path);

/// read_file() relative to the directory `dir` (e.g. a /proc instance opened earlier, which
/// keeps showing the same PID namespace when another proc is mounted over /proc).
NSUTIL_API std::string read_file_at(const unique_fd& dir, const std::string& path);

/// Reads the open descriptor `fd` to its end (retrying on EINTR). `name` is used in errors.
/// Throws nsutil::error("read", name).
NSUTIL_API std::string read_all(const unique_fd& fd, std::string_view name);

/// Writes `data` to `path` (opened O_WRONLY) in one write(2), as /proc control files require
/// (uid_map, setgroups, timens_offsets). Throws nsutil::error("write", path).
NSUTIL_API void write_file(const std::string& path, std::string_view data);

}  // namespace nsutil
