#include "harness.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nsutil/error.hpp>
#include <nsutil/idmap.hpp>
#include <nsutil/process.hpp>
#include <nsutil/unique_fd.hpp>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <vector>

namespace nsutil::test {

bool kernel_opens_by_id(const std::string& ns_file) {
  nsutil::unique_fd ns(::open(ns_file.c_str(), O_RDONLY | O_CLOEXEC));
  std::uint64_t id = 0;
  struct stat st {};
  // NS_GET_ID = _IOR(0xb7, 13, u64) and NS_GET_NSTYPE = _IO(0xb7, 3), spelt out as the kernel's
  // ABI: the test asks the kernel without the library's compat header.
  int type = ns ? ::ioctl(ns.get(), _IO(0xb7, 3)) : -1;
  if (type < 0 || ::ioctl(ns.get(), _IOR(0xb7, 13, std::uint64_t), &id) < 0 ||
      ::fstat(ns.get(), &st) < 0)
    return false;
  struct {
    std::uint64_t id;
    std::uint32_t type;
    std::uint32_t inode;
  } fid{id, static_cast<std::uint32_t>(type), static_cast<std::uint32_t>(st.st_ino)};
  alignas(file_handle) unsigned char buf[sizeof(file_handle) + sizeof fid] = {};
  auto* head = reinterpret_cast<file_handle*>(buf);
  head->handle_bytes = sizeof fid;
  head->handle_type = 0xf1;  // FILEID_NSFS
  std::memcpy(buf + sizeof(file_handle), &fid, sizeof fid);
  // FD_NSFS_ROOT (-10003) as the mount: nsfs has no mount of its own to name.
  return static_cast<bool>(
      nsutil::unique_fd(::open_by_handle_at(-10003, head, O_RDONLY | O_CLOEXEC)));
}

std::string by_id_refusal(std::uint64_t id) {
  return "open ':" + std::to_string(id) + "': not permitted to open namespace " +
         std::to_string(id) +
         " by its ID (the kernel opens one by ID for a process in it, or with CAP_SYS_ADMIN in "
         "the initial user namespace)";
}

bool is_root() {
  return ::geteuid() == 0;
}

bool can_create_userns() {
  static const bool can = [] {
    try {
      auto c = fork_child([] {
        if (::unshare(CLONE_NEWUSER) < 0)
          ::_exit(1);
      });
      return c.wait().value == 0;
    } catch (const std::exception&) {
      return false;
    }
  }();
  return can;
}

bool must_work() {
  const char* v = std::getenv("NSUTIL_TESTS_MUST_WORK");
  return v != nullptr && std::string_view(v) == "1";
}

bool kernel_may_lack(std::string_view feature) {
  const char* v = std::getenv("NSUTIL_TESTS_KERNEL_SKIPS");
  std::string_view list = v != nullptr ? v : "";
  while (!list.empty()) {
    auto comma = list.find(',');
    if (list.substr(0, comma) == feature)
      return true;
    list = comma == std::string_view::npos ? "" : list.substr(comma + 1);
  }
  return false;
}

std::uint64_t inode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0)
    nsutil::throw_errno("stat", path);
  return st.st_ino;
}

void drop_to_nobody() {
  if (!is_root())
    return;
  if (::setgroups(0, nullptr) < 0 || ::setresgid(65534, 65534, 65534) < 0 ||
      ::setresuid(65534, 65534, 65534) < 0)
    throw_errno("setresuid", "65534");
  // Changing the IDs made us undumpable: /proc/PID/ns would stay root's.
  if (::prctl(PR_SET_DUMPABLE, 1) < 0)
    throw_errno("prctl", "PR_SET_DUMPABLE");
}

pipe_ends open_pipe() {
  auto [read_end, write_end] = make_pipe();
  return {std::move(read_end), std::move(write_end)};
}

nsutil::error caught(const std::function<void()>& f) {
  try {
    f();
  } catch (const nsutil::error& e) {
    return e;
  }
  throw std::runtime_error("no nsutil::error was thrown");
}

std::string in_child(const std::function<std::string()>& body) {
  auto out = open_pipe();
  child c = fork_child([&] {
    out.read.reset();
    std::string text = body();
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
      ssize_t n = ::write(out.write.get(), p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  });
  out.write.reset();
  std::string text = read_all(out.read, "test child output");
  child_status st = c.wait();
  if (st != child_status{})
    throw std::runtime_error("test child ended with status " + std::to_string(st.shell_code()));
  return text;
}

std::function<void()> rootless_setup(std::string hostname) {
  return [hostname = std::move(hostname)] {
    drop_to_nobody();
    id_maps maps{{{0, ::geteuid(), 1}}, {{0, ::getegid(), 1}}, true};
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS) < 0)
      throw_errno("unshare");
    write_id_maps(0, maps);
    if (::sethostname(hostname.data(), hostname.size()) < 0)
      throw_errno("sethostname");
  };
}

sandbox::sandbox(std::string hostname)
    : sandbox([hostname = std::move(hostname)] {
        int flags = CLONE_NEWUTS | CLONE_NEWNET | (is_root() ? 0 : CLONE_NEWUSER);
        if (::unshare(flags) < 0)
          throw_errno("unshare");
        if (::sethostname(hostname.data(), hostname.size()) < 0)
          throw_errno("sethostname");
      }) {}

sandbox::sandbox(const std::function<void()>& setup) {
  auto stop = open_pipe();
  child_.emplace(fork_child([&] {
    stop.write.reset();
    setup();
    report_started();  // a set-up error reaches wait_started() below; now we are ready
    char b;
    (void)::read(stop.read.get(), &b, 1);
  }));
  stop.read.reset();
  stop_ = std::move(stop.write);
  child_->wait_started();
}

sandbox::~sandbox() {
  stop_.reset();
  try {
    child_->wait();
  } catch (const std::exception&) {
    // A sandbox that failed to set up has reported that already.
  }
}

scratch_dir::scratch_dir() {
  std::string tmpl = "/tmp/nsutil-test.XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

scratch_dir::~scratch_dir() {
  // Unmount everything below the directory, deepest first, then remove it.
  std::ifstream mounts("/proc/self/mountinfo");
  std::vector<std::string> below;
  for (std::string line; std::getline(mounts, line);) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mountpoint;
    fields >> id >> parent >> devno >> root >> mountpoint;
    if (mountpoint.rfind(path_ + "/", 0) == 0 || mountpoint == path_)
      below.push_back(mountpoint);
  }
  for (auto it = below.rbegin(); it != below.rend(); ++it)
    ::umount2(it->c_str(), MNT_DETACH);
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string scratch_dir::operator/(std::string_view name) const {
  return path_ + "/" + std::string(name);
}

}  // namespace nsutil::test
