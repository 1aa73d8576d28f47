#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nsutil/mounts.hpp>
#include <nsutil/unique_fd.hpp>
#include <string>
#include <string_view>

namespace {

bool libmount_mapped() {
  return nsutil::read_file("/proc/self/maps").find("/libmount.so") != std::string::npos;
}

// A memfd holding `text`, read from its start.
nsutil::unique_fd table(std::string_view text) {
  nsutil::unique_fd fd(::memfd_create("mountinfo", MFD_CLOEXEC));
  REQUIRE(fd);
  REQUIRE(::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  REQUIRE(::lseek(fd.get(), 0, SEEK_SET) == 0);
  return fd;
}

constexpr std::string_view plain =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "23 22 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
    // nsfs in a mount point's name is escaped text, not the file system type
    "24 22 0:5 / /srv/\\040-\\040nsfs\\040x rw shared:2 - tmpfs tmpfs rw\n";

}  // namespace

// Runs before anything in this program has loaded libmount (no other unit test reads a mount
// table): the second half checks that reading an nsfs mount does load it.
TEST_CASE("a mount table without nsfs mounts is read without loading libmount", "[mounts]") {
  REQUIRE_FALSE(libmount_mapped());
  CHECK(nsutil::read_ns_mounts_from_mountinfo(table(plain), "plain").empty());
  CHECK_FALSE(libmount_mapped());

  std::string with_nsfs(plain);
  with_nsfs += "25 22 0:4 net:[4026532001] /run/netns/a rw shared:3 - nsfs nsfs rw\n";
  auto mounts = nsutil::read_ns_mounts_from_mountinfo(table(with_nsfs), "with nsfs");
  REQUIRE(mounts.size() == 1);
  CHECK(mounts[0].type == nsutil::ns_type::net);
  CHECK(mounts[0].ino == 4026532001);
  CHECK(mounts[0].target == "/run/netns/a");
  CHECK(libmount_mapped());
}
