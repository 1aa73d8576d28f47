// Namespace files that another process holds, or that a path leads to, opened without blocking
// (scanner.hpp).
//
// The scan runs as root over every user's processes. Once it has read what a descriptor or a
// path is, the user may put another file in its place: an open() of /proc/PID/fd/N would then
// open that file anew, and a FIFO without a writer blocks the open (a device would be opened, a
// FUSE file's daemon asked). So a descriptor is taken with pidfd_getfd, which duplicates the file
// itself and opens nothing, and every file is checked to be the nsfs inode the scan expects from
// its inode's cached attributes (statx with AT_STATX_DONT_SYNC, which no filesystem answers)
// before any ioctl reaches it.
//
// What this cannot rule out: a taken file that turns out to be another one is closed, and close()
// calls the file's flush, which FUSE sends to its daemon and waits for; no system call drops a
// descriptor without it. A user who swaps a FUSE file in between the scan's look and its
// pidfd_getfd can make that close wait. And a path (a bind mount's target, seen in another mount
// namespace through /proc/PID/root) is walked as it is now: a FUSE mount on the way is asked for
// its lookups, and the file found is opened, though without waiting for a FIFO's writer or
// taking a terminal.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <charconv>

#include "base/compat.hpp"
#include "base/proc_text.hpp"
#include "discovery/scanner.hpp"

namespace nsutil::detail {
namespace {

bool cached_attributes(int dir, const char* path, struct statx& stx) noexcept {
  int flags = AT_STATX_DONT_SYNC | (*path == '\0' ? AT_EMPTY_PATH : 0);
  return ::statx(dir, path, flags, STATX_TYPE | STATX_INO, &stx) == 0;
}

}  // namespace

std::optional<std::pair<pid_t, int>> parse_fd_path(std::string_view path) {
  constexpr std::string_view proc = "/proc/";
  constexpr std::string_view fd_dir = "/fd/";
  if (!path.starts_with(proc))
    return std::nullopt;
  const char* end = path.data() + path.size();
  pid_t pid = 0;
  auto [p, ec] = std::from_chars(path.data() + proc.size(), end, pid);
  if (ec != std::errc() || pid <= 0 || !std::string_view(p, end).starts_with(fd_dir))
    return std::nullopt;
  int fd = -1;
  const char* first = p + fd_dir.size();
  auto [q, ec2] = std::from_chars(first, end, fd);
  if (ec2 != std::errc() || q != end || fd < 0)
    return std::nullopt;
  return std::pair{pid, fd};
}

std::uint64_t nsfs_inode_at(int dir, const char* path, std::uint64_t dev) {
  struct statx stx {};
  if (dev == 0 || !cached_attributes(dir, path, stx) ||
      ::makedev(stx.stx_dev_major, stx.stx_dev_minor) != dev)
    return 0;
  return stx.stx_ino;
}

int process_pidfd::get() noexcept {
  if (!opened_) {
    opened_ = true;
    fd_.reset(compat::pidfd_open(pid_, 0));
  }
  return fd_.get();
}

// pidfd_getfd (Linux 5.6) needs ptrace rights over the process (PTRACE_MODE_ATTACH: root has
// them through CAP_SYS_PTRACE, a user over its own dumpable processes). Where it refuses (EPERM),
// the descriptor is not taken, and there is deliberately no open() of /proc/PID/fd/N to fall back
// to: that open is the call that blocks on a FIFO a user has put there. The namespace is still
// listed where its inode is all the scan needs; what only the file gives (its type, for a
// descriptor whose link does not name it, and its ID or relations) is left out, as for a process
// that has gone.
unique_fd take_ns_descriptor(process_pidfd& proc, int fd, std::uint64_t dev, std::uint64_t ino) {
  if (proc.get() < 0)
    return {};
  unique_fd taken(compat::pidfd_getfd(proc.get(), fd, 0));
  if (!taken || nsfs_inode_at(taken.get(), "", dev) != ino)
    return {};
  return taken;
}

// A socket is checked to be one before its ioctl (SIOCGSKNS) as a namespace file is: a FUSE
// file put in its place would pass the ioctl to its daemon.
unique_fd take_socket(process_pidfd& proc, int fd) {
  if (proc.get() < 0) {
    errno = ESRCH;
    return {};
  }
  unique_fd taken(compat::pidfd_getfd(proc.get(), fd, 0));
  struct statx stx {};
  if (taken && (!cached_attributes(taken.get(), "", stx) || !S_ISSOCK(stx.stx_mode))) {
    errno = ENOTSOCK;
    return {};
  }
  return taken;
}

unique_fd open_nsfs_path(const char* path, std::uint64_t dev, std::uint64_t ino) {
  unique_fd fd(::open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd || nsfs_inode_at(fd.get(), "", dev) != ino)
    return {};
  return fd;
}

unique_fd reopen_found(const std::string& path, std::uint64_t dev, std::uint64_t ino) {
  if (auto held = parse_fd_path(path)) {
    process_pidfd proc(held->first);
    return take_ns_descriptor(proc, held->second, dev, ino);
  }
  return open_nsfs_path(path.c_str(), dev, ino);
}

}  // namespace nsutil::detail
