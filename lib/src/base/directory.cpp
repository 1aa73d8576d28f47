#include "base/directory.hpp"

#include <fcntl.h>

#include <cstring>

namespace nsutil::detail {

directory::directory(const char* path, kind k)
    : fd_(::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)), kind_(k) {}

const char* directory::next() noexcept {
  for (;;) {
    while (offset_ < size_) {
      const auto* entry = reinterpret_cast<const dirent64*>(buffer_ + offset_);
      offset_ += entry->d_reclen;
      if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
        return entry->d_name;
    }
    if (!fd_ || at_end_)
      return nullptr;
    ssize_t n = ::getdents64(fd_.get(), buffer_, sizeof buffer_);
    if (n <= 0) {
      at_end_ = true;
      return nullptr;
    }
    size_ = static_cast<std::size_t>(n);
    offset_ = 0;
    // The largest entry (a 255-byte name) is under 512 bytes: a read that left that much room
    // had no entry left to give.
    at_end_ = kind_ == kind::proc && size_ + 512 < sizeof buffer_;
  }
}

}  // namespace nsutil::detail
