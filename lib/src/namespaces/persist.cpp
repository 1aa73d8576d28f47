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

#include "base/compat.hpp"
#include "base/trusted_path.hpp"

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

// The type of the namespace bind-mounted where the O_PATH descriptor `object` leads, if any.
std::optional<ns_type> type_at(const unique_fd& object) noexcept {
  struct statfs fs {};
  if (::fstatfs(object.get(), &fs) < 0 || fs.f_type != NSFS_MAGIC)
    return std::nullopt;
  try {
    return ns_handle::adopt(detail::reopen(object, O_RDONLY, "nsfs"), "nsfs").type();
  } catch (const error&) {
    return std::nullopt;
  }
}

// Resolves `target` once: a bind is then made and undone through these descriptors, never by
// name again. Links of root and of the caller are followed on the way (/var/run -> /run), of
// anyone else not: they could steer root's bind onto any file. A final link is refused: a
// namespace is bound onto the file itself. The directory may belong to anyone (root may bind
// into a directory another user owns, as util-linux does). `op` names the caller in errors.
detail::trusted_location locate_target(const std::string& target, std::string_view op) {
  if (target.empty())
    throw_error(ENOENT, op, target, "no file name given");
  detail::trusted_location where;
  try {
    where = detail::locate_trusted_path(
        target, {.trusted_uid = ::geteuid(), .check_directories = false, .follow_final = false});
  } catch (const error& e) {
    // A missing last component is no error (it is created); this is one on the way.
    if (e.errno_value() == ENOENT)
      throw_error(ENOENT, op, target,
                  fmt::format("directory '{}' does not exist", directory_of(target)));
    throw error(e.errno_value(), std::string(op), target, e.detail());
  }
  if (where.object && S_ISLNK(where.status.st_mode))
    throw_error(ELOOP, op, target,
                "is a symbolic link; a namespace is bound onto the file itself, not through a "
                "link");
  return where;
}

// What check_persist_target() refuses in a target already resolved.
void check_located(const detail::trusted_location& where, const std::string& target) {
  if (!where.object)
    return;
  if (S_ISDIR(where.status.st_mode))
    throw_error(EISDIR, "persist", target, "is a directory; a namespace is bound onto a file");
  if (auto type = type_at(where.object))
    throw error(EBUSY, "persist", target,
                fmt::format("already holds a {} namespace (unpersist() or umount(8) it first)",
                            to_string(*type)),
                error_reason::holds_namespace, {*type});
}

// One bind that persist_all() made, so it can be undone.
struct made_bind {
  detail::trusted_location where;  // object: the file bound over
  bool created;
};

// Removes the file persist_one() created, if the name still leads to it.
void remove_created(const detail::trusted_location& where) noexcept {
  struct stat made {};
  struct stat now {};
  if (::fstat(where.object.get(), &made) == 0 &&
      ::fstatat(where.directory.get(), where.name.c_str(), &now, AT_SYMLINK_NOFOLLOW) == 0 &&
      made.st_dev == now.st_dev && made.st_ino == now.st_ino)
    ::unlinkat(where.directory.get(), where.name.c_str(), 0);
}

void undo(const made_bind& bind) noexcept {
  ::umount2(detail::fd_path(bind.where.object).c_str(), MNT_DETACH);
  if (bind.created)
    remove_created(bind.where);
}

made_bind persist_one(const std::string& source, const std::string& target) {
  detail::trusted_location where = locate_target(target, "persist");
  check_located(where, target);
  ns_handle ns = ns_handle::open(source);
  bool created = false;
  if (!where.object) {
    // O_EXCL: never a file or a link that appeared under the name since it was looked up.
    where.object = unique_fd(::openat(where.directory.get(), where.name.c_str(),
                                      O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444));
    if (!where.object)
      throw_errno("create", target);
    created = true;
  }
  // Through the descriptors: the kernel follows /proc/self/fd/N to the file resolved above.
  if (::mount(detail::fd_path(ns.fd()).c_str(), detail::fd_path(where.object).c_str(), nullptr,
              MS_BIND, nullptr) == 0)
    return {std::move(where), created};
  int e = errno;
  if (created)
    remove_created(where);
  // The kernel refuses a mount-namespace bind that could make a reference loop: onto a shared
  // mount (util-linux issue #289), or from inside the namespace being bound, or of a namespace
  // whose ID is below ours (mnt_ns_loop(); since Linux 6.18 a newer one can have a lower ID).
  if (e == EINVAL && ns.type() == ns_type::mnt) {
    auto id = ns.id();
    auto own = ns_handle::open("/proc/self/ns/mnt", ns_type::mnt).id();
    if (id && own && *id < *own)
      throw_error(e, "mount", target,
                  fmt::format("the mount namespace's ID ({}) is below that of the binding "
                              "process's mount namespace ({}), and the kernel binds only newer "
                              "ones; since Linux 6.18 IDs come from per-CPU batches, so a "
                              "namespace made later on another CPU can have a lower ID",
                              *id, *own));
    throw_error(e, "mount", target,
                fmt::format("a mount namespace can only be bound from outside it, onto a mount "
                            "that is not shared; make its directory a private bind mount first "
                            "(mount --bind {0} {0} && mount --make-private {0})",
                            directory_of(target)));
  }
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
  check_located(locate_target(target, "persist"), target);
}

void persist(const std::string& source, const std::string& target) {
  (void)persist_one(source, target);
}

void unpersist(const std::string& target) {
  detail::trusted_location where = locate_target(target, "umount");
  if (!where.object || !type_at(where.object))
    throw_error(EINVAL, "umount", target, "holds no namespace bind mount");
  // The name leads to the bind mount's root; umount2 follows the descriptor's link to it.
  if (::umount2(detail::fd_path(where.object).c_str(), MNT_DETACH) < 0)
    throw_errno("umount", target);
}

std::optional<ns_type> persisted_type(const std::string& path) noexcept {
  unique_fd object(::open(path.c_str(), O_PATH | O_CLOEXEC));
  return object ? type_at(object) : std::nullopt;
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
