// libnsutil's private walk for paths another user may control (lib/src/base/trusted_path.hpp):
// whose links it follows, whose directories it passes, and that it reads a named file without being
// blocked or flooded. Linked against the library's objects; root makes the files of uid 65534.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <fstream>
#include <nsutil/error.hpp>
#include <string>

#include "base/trusted_path.hpp"
#include "harness.hpp"

using nsutil::detail::locate_trusted_path;
using nsutil::detail::open_trusted_path;
using nsutil::detail::path_rules;
using nsutil::detail::read_trusted_file;
using nsutil::test::caught;
using nsutil::test::in_child;
using nsutil::test::scratch_dir;

namespace {

constexpr uid_t nobody = 65534;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

void make_link(const std::string& text, const std::string& path, uid_t owner = 0) {
  REQUIRE(::symlink(text.c_str(), path.c_str()) == 0);
  REQUIRE(::lchown(path.c_str(), owner, owner) == 0);
}

void make_dir(const std::string& path, uid_t owner = 0) {
  REQUIRE(::mkdir(path.c_str(), 0755) == 0);
  REQUIRE(::chown(path.c_str(), owner, owner) == 0);
}

// Whether the walk's descriptor and a plain stat() of `expected` name the same inode.
bool same_file(const nsutil::unique_fd& fd, const std::string& expected) {
  struct stat a {};
  struct stat b {};
  return ::fstat(fd.get(), &a) == 0 && ::stat(expected.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

// The errno and the text of the error `path` gets from open_trusted_path().
std::string refusal(const std::string& path, const path_rules& rules) {
  auto e = caught([&] { (void)open_trusted_path(path, rules); });
  return std::to_string(e.errno_value()) + " " + e.what();
}

}  // namespace

TEST_CASE("a link of another user is refused, on the way and at the end", "[trusted_path]") {
  NSUTIL_REQUIRE_ROOT();
  scratch_dir dir;
  make_dir(dir / "victim");
  write_text(dir / "victim/file", "root's");
  make_link(dir / "victim", dir / "sub", nobody);
  make_link(dir / "victim/file", dir / "link", nobody);
  CHECK(refusal(dir / "sub/file", {}) ==
        fmt::format("{} open '{}': '{}' is a symbolic link owned by uid 65534; only links owned "
                    "by root are followed",
                    EPERM, dir / "sub/file", dir / "sub"));
  CHECK(refusal(dir / "link", {}) ==
        fmt::format("{} open '{}': is a symbolic link owned by uid 65534; only links owned by "
                    "root are followed",
                    EPERM, dir / "link"));
  // Not even to look for a file that is not there, or when the directories are not checked.
  CHECK(refusal(dir / "sub/missing", {.check_directories = false})
            .starts_with(std::to_string(EPERM) + " "));
  // The uid trusted besides root: its links are followed.
  CHECK(
      same_file(open_trusted_path(dir / "sub/file", {.trusted_uid = nobody}), dir / "victim/file"));
}

TEST_CASE("root's links are followed, absolute and relative", "[trusted_path]") {
  NSUTIL_REQUIRE_ROOT();
  scratch_dir dir;
  make_dir(dir / "a");
  make_dir(dir / "a/b");
  write_text(dir / "a/b/file", "x");
  make_link(dir / "a/b", dir / "abs");
  make_link("a/b/file", dir / "rel");
  make_link("rel", dir / "chain");
  CHECK(same_file(open_trusted_path(dir / "abs/file", {}), dir / "a/b/file"));
  CHECK(same_file(open_trusted_path(dir / "rel", {}), dir / "a/b/file"));
  CHECK(same_file(open_trusted_path(dir / "chain", {}), dir / "a/b/file"));
  CHECK(read_trusted_file(dir / "chain", {}, 10) == "x");
  // ".." after a link is taken from where the link led, as the kernel takes it.
  CHECK(same_file(open_trusted_path(dir / "abs/../b/file", {}), dir / "a/b/file"));
  CHECK(same_file(open_trusted_path(dir / "a/b/../../a/./b//file", {}), dir / "a/b/file"));
  CHECK(same_file(open_trusted_path("/../..", {}), "/"));
  CHECK(same_file(open_trusted_path(dir / "abs/", {}), dir / "a/b"));
  CHECK(refusal(dir / "a/b/file/", {}).starts_with(std::to_string(ENOTDIR) + " "));
  CHECK(refusal("", {}).starts_with(std::to_string(ENOENT) + " "));
  CHECK(refusal(dir / std::string(5000, 'n'), {}).starts_with(std::to_string(ENAMETOOLONG) + " "));
  make_link("loop2", dir / "loop1");
  make_link("loop1", dir / "loop2");
  CHECK(refusal(dir / "loop1", {}).starts_with(std::to_string(ELOOP) + " "));
  // A relative path starts at the working directory.
  std::string got = in_child([&] {
    if (::chdir((dir / "a").c_str()) < 0)
      return std::string("chdir failed");
    return std::string(same_file(open_trusted_path("b/../b/file", {}), dir / "a/b/file") ? "same"
                                                                                         : "other");
  });
  CHECK(got == "same");
}

TEST_CASE("without follow_final a last link is returned or refused, never followed",
          "[trusted_path]") {
  NSUTIL_REQUIRE_ROOT();
  scratch_dir dir;
  make_dir(dir / "a");
  write_text(dir / "a/file", "x");
  make_link(dir / "a/file", dir / "a/link");
  make_link(dir / "a", dir / "to_a");
  path_rules rules{.follow_final = false};
  auto where = locate_trusted_path(dir / "to_a/link", rules);
  CHECK(S_ISLNK(where.status.st_mode));
  CHECK(where.name == "link");
  CHECK(same_file(where.directory, dir / "a"));
  CHECK(refusal(dir / "a/link", rules) ==
        fmt::format("{} open '{}': is a symbolic link, which is not followed here", ELOOP,
                    dir / "a/link"));
  // A link before a trailing slash is not the last component: the kernel follows it too.
  CHECK(same_file(open_trusted_path(dir / "to_a/", rules), dir / "a"));
  // A missing last component: its directory and its name, for the caller to create it there.
  auto missing = locate_trusted_path(dir / "to_a/new", rules);
  CHECK_FALSE(missing.object);
  CHECK(missing.name == "new");
  CHECK(same_file(missing.directory, dir / "a"));
  CHECK(refusal(dir / "none/new", rules).starts_with(std::to_string(ENOENT) + " "));
}

TEST_CASE("check_directories refuses a directory or a file of another user", "[trusted_path]") {
  NSUTIL_REQUIRE_ROOT();
  scratch_dir dir;
  make_dir(dir / "theirs", nobody);
  write_text(dir / "theirs/file", "x");
  write_text(dir / "their_file", "x");
  REQUIRE(::chown((dir / "their_file").c_str(), nobody, nobody) == 0);
  CHECK(refusal(dir / "theirs/file", {}) ==
        fmt::format("{} open '{}': '{}' is owned by uid 65534; only what root owns is trusted here",
                    EPERM, dir / "theirs/file", dir / "theirs"));
  CHECK(refusal(dir / "their_file", {}).starts_with(std::to_string(EPERM) + " "));
  CHECK(refusal(dir / "theirs/../theirs/file", {}).starts_with(std::to_string(EPERM) + " "));
  CHECK(same_file(open_trusted_path(dir / "theirs/file", {.check_directories = false}),
                  dir / "theirs/file"));
  CHECK(same_file(open_trusted_path(dir / "theirs/file", {.trusted_uid = nobody}),
                  dir / "theirs/file"));
}

TEST_CASE("read_trusted_file refuses a FIFO, a device and a file over the cap", "[trusted_path]") {
  NSUTIL_REQUIRE_ROOT();
  scratch_dir dir;
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0644) == 0);
  write_text(dir / "ten", "0123456789");
  // In a child with an alarm: a FIFO opened for reading with no writer would block forever.
  std::string got = in_child([&] {
    ::alarm(10);
    return std::to_string(
        caught([&] { (void)read_trusted_file(dir / "fifo", {}, 100); }).errno_value());
  });
  CHECK(got == std::to_string(EINVAL));
  CHECK(caught([] { (void)read_trusted_file("/dev/zero", {}, 100); }).errno_value() == EINVAL);
  CHECK(caught([&] { (void)read_trusted_file(dir.path(), {}, 100); }).errno_value() == EISDIR);
  CHECK(read_trusted_file(dir / "ten", {}, 10) == "0123456789");
  auto e = caught([&] { (void)read_trusted_file(dir / "ten", {}, 9); });
  CHECK(e.errno_value() == EFBIG);
  CHECK(std::string(e.what()) == fmt::format("read '{}': larger than 9 bytes", dir / "ten"));
  // A file whose size says 0 (as /proc's do) is counted while it is read.
  CHECK(caught([] { (void)read_trusted_file("/proc/self/status", {}, 9); }).errno_value() == EFBIG);
  CHECK(read_trusted_file("/proc/self/comm", {}, 100).ends_with("\n"));
}
