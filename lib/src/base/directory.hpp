// Reading a directory's entries: the one owner of a directory being listed in libnsutil.
// Private.
#pragma once

#include <dirent.h>

#include <cstddef>
#include <nsutil/unique_fd.hpp>

namespace nsutil::detail {

// A directory open for listing, read with getdents64(2) into a buffer of its own. Neither
// copied nor moved (the buffer is inline, so a listing allocates nothing); a function may still
// return one, as C++17 builds it in place.
class directory {
 public:
  // Whether a read that leaves room in the buffer was the last one. /proc fills the buffer as far
  // as the entries go, so there the call that would return 0 is saved, once per directory of
  // each process the scan lists; other file systems promise nothing of the kind.
  enum class kind { any, proc };

  // Opens `path` O_RDONLY | O_DIRECTORY; empty (false) when that fails, errno saying why.
  explicit directory(const char* path, kind k = kind::any);
  // Lists the directory `fd` was opened on (O_RDONLY | O_DIRECTORY), which it then owns.
  explicit directory(unique_fd fd, kind k = kind::any) : fd_(std::move(fd)), kind_(k) {}
  directory(const directory&) = delete;
  directory& operator=(const directory&) = delete;

  explicit operator bool() const noexcept { return static_cast<bool>(fd_); }
  // For the *at() calls on its entries.
  [[nodiscard]] const unique_fd& fd() const noexcept { return fd_; }

  // The next entry's name, "." and ".." passed over; nullptr at the end, when the directory
  // could not be opened, or when reading it fails.
  const char* next() noexcept;

 private:
  unique_fd fd_;
  kind kind_;
  bool at_end_ = false;
  std::size_t size_ = 0;    // of the entries in buffer_
  std::size_t offset_ = 0;  // of the next one
  alignas(dirent64) char buffer_[16384];
};

}  // namespace nsutil::detail
