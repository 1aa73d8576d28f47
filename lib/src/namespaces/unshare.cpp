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
#include <cstdint>
#include <nsutil/error.hpp>
#include <nsutil/ns_handle.hpp>
#include <nsutil/unique_fd.hpp>
#include <nsutil/unshare.hpp>
#include <optional>

#include "base/struct_size.hpp"

namespace nsutil {

namespace {

std::optional<std::uint64_t> own_mnt_id() {
  return ns_handle::open("/proc/self/ns/mnt", ns_type::mnt).id();
}

// Since Linux 6.18 mount-namespace IDs come from per-CPU batches, so a namespace made now can
// get a lower ID than an older one, and the kernel refuses to bind a mount namespace whose ID is
// not above the binding process's own (mnt_ns_loop(), its guard against reference loops). A copy
// made on another CPU draws from that CPU's batch (snapd does the same, canonical/snapd#17376).
// Copying the fresh copy is as good as copying the original: a copy in the same user namespace
// keeps each mount's peer group, master and lock as they are (copy_tree() without
// CL_SHARED_TO_SLAVE), and the first copy already holds what unshare(2) made of the original
// (peers of its shared mounts, or slaves of them and locked mounts across a user namespace).
// Every online CPU is tried, not only the affine ones: a thread may widen its own affinity
// within its cpuset, and it gets its own back after each try.
void raise_mnt_id(std::uint64_t old_id) {
  std::uint64_t id = own_mnt_id().value_or(0);
  if (id > old_id)
    return;
  cpu_set_t affinity;
  if (::sched_getaffinity(0, sizeof affinity, &affinity) < 0)
    throw_errno("sched_getaffinity");
  for (long cpu = 0, n = ::sysconf(_SC_NPROCESSORS_CONF); cpu < n && cpu < CPU_SETSIZE; ++cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (::sched_setaffinity(0, sizeof one, &one) < 0)
      continue;  // offline, or outside our cpuset
    int made = ::unshare(CLONE_NEWNS);
    int e = errno;
    ::sched_setaffinity(0, sizeof affinity, &affinity);
    if (made < 0)
      throw_error(e, "unshare");
    id = own_mnt_id().value_or(0);
    if (id > old_id)
      return;
  }
  throw_error(
      EAGAIN, "unshare", "",
      fmt::format("the new mount namespace's ID ({}) is not above the old one's ({}) on any "
                  "CPU (since Linux 6.18 IDs come from per-CPU batches), so the kernel "
                  "would refuse to bind it from the old one",
                  id, old_id));
}

}  // namespace

void unshare(ns_set types, const unshare_options& options) {
  detail::check_struct_size(options, "unshare_options");
  std::optional<std::uint64_t> old_id;
  if (options.persist_mnt && types.contains(ns_type::mnt))
    old_id = own_mnt_id();
  if (::unshare(types.clone_flags()) < 0)
    throw_errno("unshare");
  if (old_id)
    raise_mnt_id(*old_id);
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
