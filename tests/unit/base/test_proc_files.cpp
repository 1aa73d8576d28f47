// libnsutil's readers of /proc and of directories (lib/src/base/proc_files.hpp, directory.hpp)
// and its libmount-based mount table parser (mountinfo.hpp), on files made here.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nsutil/error.hpp>
#include <nsutil/unique_fd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/directory.hpp"
#include "base/mountinfo.hpp"
#include "base/proc_files.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace std::string_view_literals;
using nsutil::detail::directory;

namespace {

// A directory of the test's own, and files written in it.
struct scratch : nsutil::test::temp_dir {
  scratch() : temp_dir("nsutil-proc-files") {}
  std::string write(const std::string& name, std::string_view text) const {
    fs::create_directories((root / name).parent_path());
    std::ofstream(root / name, std::ios::binary) << text;
    return (root / name).string();
  }
};

std::vector<std::string> names_in(directory& dir) {
  std::vector<std::string> names;
  while (const char* name = dir.next())
    names.emplace_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("a directory lists its entries without . and ..", "[directory]") {
  scratch s;
  s.write("b", "");
  s.write(".hidden", "");
  fs::create_directory(s.root / "sub");
  directory dir(s.root.c_str());
  REQUIRE(dir);
  CHECK(names_in(dir) == std::vector<std::string>{".hidden", "b", "sub"});
  // At the end it stays at the end.
  CHECK(dir.next() == nullptr);
}

TEST_CASE("a directory larger than one read is listed whole, of either kind", "[directory]") {
  scratch s;
  // 1000 entries of 100-byte names: several times the reader's buffer.
  std::vector<std::string> made;
  for (int i = 0; i < 1000; ++i) {
    std::string name = std::to_string(i) + std::string(100, 'x');
    s.write(name, "");
    made.push_back(name);
  }
  std::sort(made.begin(), made.end());
  directory any(s.root.c_str());
  CHECK(names_in(any) == made);
  // /proc's kind on /proc itself: every PID the kernel shows, this process's among them.
  directory proc("/proc", directory::kind::proc);
  auto in_proc = names_in(proc);
  CHECK(std::find(in_proc.begin(), in_proc.end(), std::to_string(::getpid())) != in_proc.end());
  CHECK(std::find(in_proc.begin(), in_proc.end(), "self") != in_proc.end());
}

TEST_CASE("a directory that cannot be opened is empty and false", "[directory]") {
  scratch s;
  std::string file = s.write("file", "x");
  directory not_dir(file.c_str());
  CHECK_FALSE(not_dir);
  CHECK(not_dir.next() == nullptr);
  directory missing((s.root / "missing").c_str());
  CHECK_FALSE(missing);
  CHECK(missing.next() == nullptr);
}

TEST_CASE("a directory lists the descriptor it is given, and owns it", "[directory]") {
  scratch s;
  s.write("only", "");
  nsutil::unique_fd fd(::open(s.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd);
  int raw = fd.get();
  {
    directory dir(std::move(fd));
    CHECK(dir.fd().get() == raw);
    CHECK(names_in(dir) == std::vector<std::string>{"only"});
  }
  CHECK(::fcntl(raw, F_GETFD) < 0);
}

TEST_CASE("a process's files: path, whole text, one read, command line, name", "[proc_files]") {
  using namespace nsutil::detail;
  CHECK(pid_path("/proc", 42, "cgroup") == "/proc/42/cgroup");
  CHECK(pid_path("/tmp/p", 1, "") == "/tmp/p/1/");
  scratch s;
  std::string cmdline = s.write("7/cmdline", "dockerd\0-g\0/srv\0"sv);
  std::string comm = s.write("7/comm", "dockerd\n");
  std::string empty = s.write("7/empty", "");
  CHECK(try_read_file(comm) == "dockerd\n");
  CHECK_FALSE(try_read_file(s.root / "7/missing"));
  CHECK(read_command_line(cmdline) == std::vector<std::string>{"dockerd", "-g", "/srv"});
  CHECK(read_command_line(s.root / "7/missing").empty());
  CHECK(read_comm(comm) == "dockerd");
  CHECK(read_comm(s.root / "7/missing").empty());
  char buf[4];
  CHECK(read_once(comm.c_str(), buf) == "dock");
  char big[64];
  CHECK(read_once(comm.c_str(), big) == "dockerd\n");
  CHECK_FALSE(read_once(empty.c_str(), big));
  CHECK_FALSE(read_once((s.root / "7/missing").c_str(), big));
  // The kernel's own: this process's name and command line.
  CHECK_FALSE(read_comm(pid_path("/proc", ::getpid(), "comm")).empty());
  CHECK_FALSE(read_command_line(pid_path("/proc", ::getpid(), "cmdline")).empty());
}

TEST_CASE("mountinfo: every field libmount gives, its escapes undone", "[mountinfo]") {
  using nsutil::detail::parse_mountinfo;
  auto mounts = parse_mountinfo(
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
      "30 22 0:27 /a\\040b /sys/fs/cgroup/cpu\\040x rw shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
      "31 22 0:28 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n",
      "test");
  REQUIRE(mounts.size() == 3);
  CHECK(mounts[0].dev == ::makedev(8, 1));
  CHECK(mounts[0].root == "/");
  CHECK(mounts[0].target == "/");
  CHECK(mounts[0].fstype == "ext4");
  CHECK(mounts[0].super_options == "rw,errors=remount-ro");
  CHECK(mounts[1].dev == ::makedev(0, 27));
  CHECK(mounts[1].root == "/a b");
  CHECK(mounts[1].target == "/sys/fs/cgroup/cpu x");
  CHECK(mounts[1].fstype == "cgroup");
  CHECK(mounts[1].super_options == "rw,cpu,cpuacct");
  CHECK(mounts[2].fstype == "cgroup2");
  CHECK(mounts[2].super_options == "rw,nsdelegate");
  CHECK(parse_mountinfo("", "empty").empty());
}

TEST_CASE("mountinfo: a line libmount cannot parse is passed over", "[mountinfo]") {
  auto mounts = nsutil::detail::parse_mountinfo(
      "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
      "23 22\n"
      "24 22 0:5 / /proc rw - proc proc rw\n",
      "test");
  REQUIRE(mounts.size() == 2);
  CHECK(mounts[0].target == "/");
  CHECK(mounts[1].target == "/proc");
}

// Not "it has /": in a chroot whose root is no mount point (a build root), no mount is at "/".
TEST_CASE("mountinfo: this process's own table is read whole", "[mountinfo]") {
  std::string text = nsutil::read_file("/proc/self/mountinfo");
  auto mounts = nsutil::detail::parse_mountinfo(text, "/proc/self/mountinfo");
  CHECK(mounts.size() == static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
  CHECK(std::all_of(mounts.begin(), mounts.end(),
                    [](const auto& m) { return m.target.starts_with('/'); }));
}
