#include "harness.hpp"

#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
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
