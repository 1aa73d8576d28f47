#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <nsutil/error.hpp>
#include <nsutil/ns_handle.hpp>
#include <nsutil/persist.hpp>

#include "compat.hpp"

namespace nsutil {
namespace {

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

// One bind that persist_all() made, so it can be undone.
struct made_bind {
  std::string target;
  bool created;
};

void undo(const made_bind& bind) noexcept {
  ::umount2(bind.target.c_str(), MNT_DETACH);
  if (bind.created)
    ::unlink(bind.target.c_str());
}

made_bind persist_one(const std::string& source, const std::string& target) {
  check_persist_target(target);
  ns_handle ns = ns_handle::open(source);
  bool created = false;
  int fd = ::open(target.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd >= 0) {
    ::close(fd);
    created = true;
  } else if (errno != EEXIST) {
    throw_errno("create", target);
  }
  std::string from = fmt::format("/proc/self/fd/{}", ns.fd().get());
  if (::mount(from.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) == 0)
    return {target, created};
  int e = errno;
  if (created)
    ::unlink(target.c_str());
  // The kernel refuses a mount-namespace bind that could make a reference loop: onto a shared
  // mount (util-linux issue #289), or from inside the namespace being bound.
  if (e == EINVAL && ns.type() == ns_type::mnt)
    throw_error(e, "mount", target,
                fmt::format("a mount namespace can only be bound from outside it, onto a mount "
                            "that is not shared; make its directory a private bind mount first "
                            "(mount --bind {0} {0} && mount --make-private {0})",
                            directory_of(target)));
  throw_error(e, "mount", target);
}

void persist_all(pid_t pid, const std::vector<persist_request>& requests) {
  std::vector<made_bind> made;
  try {
    for (const auto& r : requests) {
      const auto& row = info(r.type);
      std::string_view entry =
          row.for_children_entry.empty() ? row.proc_entry : row.for_children_entry;
      made.push_back(persist_one(fmt::format("/proc/{}/ns/{}", pid, entry), r.target));
    }
  } catch (...) {
    for (auto it = made.rbegin(); it != made.rend(); ++it)
      undo(*it);
    throw;
  }
}

}  // namespace

void check_persist_target(const std::string& target) {
  if (target.empty())
    throw_error(ENOENT, "persist", target, "no file name given");
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      throw_error(EISDIR, "persist", target, "is a directory; a namespace is bound onto a file");
    if (auto type = persisted_type(target))
      throw error(EBUSY, "persist", target,
                  fmt::format("already holds a {} namespace (unpersist() or umount(8) it first)",
                              to_string(*type)),
                  error_reason::holds_namespace, {*type});
    return;
  }
  if (errno != ENOENT)
    throw_errno("persist", target);
  std::string directory = directory_of(target);
  if (::stat(directory.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
    throw_error(ENOENT, "persist", target, fmt::format("directory '{}' does not exist", directory));
}

void persist(const std::string& source, const std::string& target) {
  (void)persist_one(source, target);
}

void unpersist(const std::string& target) {
  if (!persisted_type(target))
    throw_error(EINVAL, "umount", target, "holds no namespace bind mount");
  if (::umount2(target.c_str(), MNT_DETACH) < 0)
    throw_errno("umount", target);
}

std::optional<ns_type> persisted_type(const std::string& path) noexcept {
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) < 0 || fs.f_type != NSFS_MAGIC)
    return std::nullopt;
  try {
    return ns_handle::open(path).type();
  } catch (const error&) {
    return std::nullopt;
  }
}

void persist_own(const std::vector<persist_request>& requests) {
  persist_all(::getpid(), requests);
}

persist_helper persist_helper::start(std::vector<persist_request> requests) {
  pid_t caller = ::getpid();
  return persist_helper([&] { persist_all(caller, requests); });
}

void persist_helper::bind() {
  open("persist");
}

}  // namespace nsutil
