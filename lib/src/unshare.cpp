#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <nsutil/error.hpp>
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

}  // namespace nsutil
