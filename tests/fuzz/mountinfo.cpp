// Mount tables (/proc/PID/mountinfo), read by read_ns_mounts_from_mountinfo() with libmount as
// discover() does on kernels without listmount (the input is the file, in a memfd), and by
// detail::parse_mountinfo(), libnsutil's one mount table reader, as the container resolver reads
// every table, with or without an nsfs mount.
#include "base/mountinfo.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <nsutil/error.hpp>
#include <nsutil/mounts.hpp>
#include <nsutil/unique_fd.hpp>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const nsutil::unique_fd file(::memfd_create("mountinfo", MFD_CLOEXEC));
  if (!file || ::ftruncate(file.get(), 0) < 0 ||
      ::pwrite(file.get(), data, size, 0) != static_cast<ssize_t>(size) ||
      ::lseek(file.get(), 0, SEEK_SET) != 0)
    nsutil::fuzz::broken("memfd");
  try {
    (void)nsutil::read_ns_mounts_from_mountinfo(file, "mountinfo");
  } catch (const nsutil::error&) {
  }
  try {
    (void)nsutil::detail::parse_mountinfo(nsutil::fuzz::text_of(data, size), "mountinfo");
  } catch (const nsutil::error&) {
  }
  return 0;
}
