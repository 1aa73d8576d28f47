#include <fmt/format.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <nsutil/error.hpp>
#include <nsutil/unique_fd.hpp>
#include <nsutil/unshare.hpp>

namespace nsutil {

void unshare(ns_set types) {
  if (::unshare(types.clone_flags()) < 0)
    throw_errno("unshare");
}

std::optional<propagation> parse_propagation(std::string_view name) noexcept {
  if (name == "slave")
    return propagation::slave;
  if (name == "shared")
    return propagation::shared;
  if (name == "private")
    return propagation::private_;
  if (name == "unchanged")
    return propagation::unchanged;
  return std::nullopt;
}

void set_root_propagation(propagation mode) {
  unsigned long flag = 0;
  switch (mode) {
    case propagation::slave:
      flag = MS_SLAVE;
      break;
    case propagation::shared:
      flag = MS_SHARED;
      break;
    case propagation::private_:
      flag = MS_PRIVATE;
      break;
    case propagation::unchanged:
      return;
  }
  if (::mount("none", "/", nullptr, MS_REC | flag, nullptr) == 0)
    return;
  // EINVAL here means "/" is no mount point: the process runs in a chroot.
  if (errno == EINVAL)
    throw_error(EINVAL, "mount", "/",
                "'/' is not a mount point (a chroot?); leave the propagation unchanged");
  throw_errno("mount", "/");
}

void mount_proc(const std::string& dir, bool make_private) {
  if (make_private && ::mount("none", dir.c_str(), nullptr, MS_PRIVATE | MS_REC, nullptr) < 0 &&
      errno != EINVAL)
    throw_errno("mount", dir);
  if (::mount("proc", dir.c_str(), "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, nullptr) < 0)
    throw_errno("mount", dir);
}

void mount_binfmt(const std::string& dir) {
  if (::mount("binfmt_misc", dir.c_str(), "binfmt_misc", MS_NOSUID | MS_NOEXEC | MS_NODEV,
              nullptr) < 0)
    throw_errno("mount", dir);
}

void register_binfmt(const std::string& dir, const std::string& definition) {
  write_file(dir + "/register", definition);
}

void set_time_offsets(const time_offsets& offsets) {
  // One write per clock: the kernel takes the lines one by one, and a failure then names it.
  constexpr const char* path = "/proc/self/timens_offsets";
  if (offsets.boottime)
    write_file(path, fmt::format("{} {} 0", CLOCK_BOOTTIME, *offsets.boottime));
  if (offsets.monotonic)
    write_file(path, fmt::format("{} {} 0", CLOCK_MONOTONIC, *offsets.monotonic));
}

}  // namespace nsutil
