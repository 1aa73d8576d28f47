#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <nsutil/error.hpp>
#include <nsutil/ns_handle.hpp>
#include <nsutil/process.hpp>

#include "base/compat.hpp"
#include "namespaces/by_id.hpp"

namespace nsutil {
namespace {

unsigned long pidfd_ioctl_for(ns_type type) {
  switch (type) {
    case ns_type::mnt:
      return compat::pidfd_get_mnt_namespace;
    case ns_type::net:
      return compat::pidfd_get_net_namespace;
    case ns_type::pid:
      return compat::pidfd_get_pid_namespace;
    case ns_type::uts:
      return compat::pidfd_get_uts_namespace;
    case ns_type::ipc:
      return compat::pidfd_get_ipc_namespace;
    case ns_type::user:
      return compat::pidfd_get_user_namespace;
    case ns_type::cgroup:
      return compat::pidfd_get_cgroup_namespace;
    case ns_type::time:
      return compat::pidfd_get_time_namespace;
  }
  return 0;
}

// Before Linux 4.11 there is no NS_GET_NSTYPE; the magic link text ("net:[...]") names the type.
std::optional<ns_type> type_from_link(int fd) {
  char buf[64];
  ssize_t n = ::readlink(fmt::format("/proc/self/fd/{}", fd).c_str(), buf, sizeof buf - 1);
  if (n <= 0)
    return std::nullopt;
  auto link = parse_ns_link(std::string_view(buf, static_cast<std::size_t>(n)));
  if (!link)
    return std::nullopt;
  return link->first;
}

enum class probe : int { unknown, yes, no };
std::atomic<probe> has_ns_get_id{probe::unknown};

// What open_by_handle_at takes for a namespace here: nothing (before Linux 6.18), the full
// handle of ID, type and inode (6.18), or the ID alone (6.19).
enum class by_id : int { unknown, unsupported, full_handle, id_alone };
std::atomic<by_id> by_id_support{by_id::unknown};

// Learned once on the caller's own UTS namespace, which it may always open.
by_id probe_by_id() {
  by_id known = by_id_support.load(std::memory_order_relaxed);
  if (known != by_id::unknown)
    return known;
  const std::string path = "/proc/self/ns/uts";
  ns_handle own = ns_handle::open(path, ns_type::uts);
  by_id result = by_id::unsupported;
  if (auto id = own.id()) {
    if (unique_fd(compat::open_nsfs_handle(*id)))
      result = by_id::id_alone;
    else if (unique_fd(compat::open_nsfs_handle(*id, CLONE_NEWUTS, own.inode().ino)))
      result = by_id::full_handle;
    else if (errno != EBADF && errno != EOPNOTSUPP && errno != EINVAL && errno != ESTALE &&
             errno != ENOSYS)
      throw_errno("open_by_handle_at", path);
  }
  by_id_support.store(result, std::memory_order_relaxed);
  return result;
}

}  // namespace

namespace detail {

[[noreturn]] void refused_by_id(int e, std::uint64_t id, const std::string& name) {
  if (e == ESTALE || e == ENOENT)
    throw_error(ENOENT, "open", name, fmt::format("no namespace with ID {}", id));
  if (e == EPERM)
    throw_error(EPERM, "open", name,
                fmt::format("not permitted to open namespace {} by its ID (the kernel opens "
                            "one by ID for a process in it, or with CAP_SYS_ADMIN in the "
                            "initial user namespace)",
                            id));
  throw_error(e, "open_by_handle_at", name);
}

void wrong_type_by_id(std::uint64_t id, const std::string& name, ns_type actual, ns_type expected) {
  throw_error(EINVAL, "open", name,
              fmt::format("namespace {} is a {} namespace, not {}", id, to_string(actual),
                          to_string(expected)));
}

}  // namespace detail

ns_handle ns_handle::adopt(unique_fd fd, const std::string& name, std::optional<ns_type> expected) {
  struct statfs fs {};
  if (::fstatfs(fd.get(), &fs) < 0)
    throw_errno("fstatfs", name);
  if (fs.f_type != NSFS_MAGIC)
    throw_error(EINVAL, "open", name, "not a namespace file");
  std::optional<ns_type> type;
  int flag = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (flag >= 0)
    type = ns_type_from_clone_flag(flag);
  else
    type = type_from_link(fd.get());
  if (!type)
    throw_error(EINVAL, "open", name, "a namespace of a type this program does not know");
  if (expected && *expected != *type)
    throw_error(EINVAL, "open", name,
                fmt::format("is a {} namespace, not {}", to_string(*type), to_string(*expected)));
  return ns_handle(std::move(fd), *type, name);
}

ns_handle ns_handle::open(const std::string& path, std::optional<ns_type> expected) {
  return adopt(open_fd(path, O_RDONLY), path, expected);
}

open_by_id_rule ns_handle::by_id_rule() {
  switch (probe_by_id()) {
    case by_id::id_alone:
      return open_by_id_rule::id_alone;
    case by_id::full_handle:
      return open_by_id_rule::type_and_inode;
    default:
      return open_by_id_rule::unsupported;
  }
}

namespace {

ns_handle checked_by_id(unique_fd fd, std::uint64_t id, const std::string& name,
                        std::optional<ns_type> expected) {
  ns_handle ns = ns_handle::adopt(std::move(fd), name);
  if (expected && ns.type() != *expected)
    detail::wrong_type_by_id(id, name, ns.type(), *expected);
  return ns;
}

}  // namespace

ns_handle ns_handle::open_by_id(std::uint64_t id, std::optional<ns_type> expected) {
  std::string name = fmt::format(":{}", id);
  switch (probe_by_id()) {
    case by_id::id_alone:
      break;
    case by_id::full_handle:
      throw_error(EOPNOTSUPP, "open", name,
                  "this kernel opens a namespace by ID only with its type and inode (Linux "
                  "6.18)");
    default:
      throw_error(ENOSYS, "open", name,
                  "opening a namespace by ID needs Linux 6.18 (namespace IDs and nsfs file "
                  "handles)");
  }
  unique_fd fd(compat::open_nsfs_handle(id));
  if (!fd)
    detail::refused_by_id(errno, id, name);
  return checked_by_id(std::move(fd), id, name, expected);
}

ns_handle ns_handle::open_by_id(std::uint64_t id, ns_type type, std::uint64_t inode) {
  std::string name = fmt::format(":{}", id);
  by_id rule = probe_by_id();
  if (rule == by_id::id_alone)
    return open_by_id(id, type);
  if (rule != by_id::full_handle)
    throw_error(ENOSYS, "open", name,
                "opening a namespace by ID needs Linux 6.18 (namespace IDs and nsfs file "
                "handles)");
  unique_fd fd(
      compat::open_nsfs_handle(id, static_cast<std::uint32_t>(info(type).clone_flag), inode));
  if (!fd)
    detail::refused_by_id(errno, id, name);
  return checked_by_id(std::move(fd), id, name, {});
}

ns_handle ns_handle::of_process(pid_t pid, ns_type type, bool for_children) {
  const auto& row = info(type);
  std::string_view entry =
      for_children && !row.for_children_entry.empty() ? row.for_children_entry : row.proc_entry;
  std::string path = fmt::format("/proc/{}/ns/{}", pid, entry);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT && ::access(fmt::format("/proc/{}", pid).c_str(), F_OK) < 0)
      throw_error(ESRCH, "open", path, "no such process");
    if (e == ENOENT)
      throw_error(e, "open", path,
                  fmt::format("this kernel has no {} namespaces (they need Linux {})", row.name,
                              row.since));
    throw_error(e, "open", path);
  }
  return adopt(unique_fd(fd), path, type);
}

ns_handle ns_handle::of_process(const process& target, ns_type type) {
  if (target.pidfd()) {
    int fd = ::ioctl(target.pidfd().get(), pidfd_ioctl_for(type), 0);
    if (fd >= 0)
      return adopt(unique_fd(fd), target.proc_path(fmt::format("ns/{}", to_string(type))), type);
    // ENOTTY/EINVAL: a kernel before 6.11; fall back to /proc below. Other errors are real.
    if (errno == ESRCH)
      throw_error(ESRCH, "open", target.proc_path("ns"), "no such process");
    if (errno != ENOTTY && errno != EINVAL && errno != EOPNOTSUPP)
      throw_errno("open", target.proc_path(fmt::format("ns/{}", info(type).proc_entry)));
  }
  ns_handle ns = of_process(target.pid(), type);
  target.check_alive();
  return ns;
}

ns_inode ns_handle::inode() const {
  struct stat st {};
  if (::fstat(fd_.get(), &st) < 0)
    throw_errno("fstat", name_);
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

std::optional<std::uint64_t> ns_handle::id() const {
  if (has_ns_get_id.load(std::memory_order_relaxed) == probe::no)
    return std::nullopt;
  std::uint64_t id = 0;
  if (::ioctl(fd_.get(), NS_GET_ID, &id) == 0) {
    has_ns_get_id.store(probe::yes, std::memory_order_relaxed);
    return id;
  }
  if (errno == ENOTTY || errno == EINVAL) {
    has_ns_get_id.store(probe::no, std::memory_order_relaxed);
    return std::nullopt;
  }
  throw_errno("ioctl NS_GET_ID", name_);
}

std::optional<ns_handle> ns_handle::relative(unsigned long request, const char* what) const {
  int fd = ::ioctl(fd_.get(), request);
  if (fd < 0) {
    // EPERM: the relative lies outside the caller's user namespace (or is the root one).
    if (errno == EPERM)
      return std::nullopt;
    throw_errno(what, name_);
  }
  unique_fd owned(fd);
  auto handle = adopt(std::move(owned), "", std::nullopt);
  handle.name_ = handle.describe();
  return handle;
}

std::optional<ns_handle> ns_handle::owner() const {
  return relative(NS_GET_USERNS, "ioctl NS_GET_USERNS");
}

std::optional<ns_handle> ns_handle::parent() const {
  if (type_ != ns_type::pid && type_ != ns_type::user)
    throw_error(EINVAL, "ioctl NS_GET_PARENT", name_, "only pid and user namespaces have parents");
  return relative(NS_GET_PARENT, "ioctl NS_GET_PARENT");
}

uid_t ns_handle::owner_uid() const {
  if (type_ != ns_type::user)
    throw_error(EINVAL, "ioctl NS_GET_OWNER_UID", name_, "not a user namespace");
  uid_t uid = 0;
  if (::ioctl(fd_.get(), NS_GET_OWNER_UID, &uid) < 0)
    throw_errno("ioctl NS_GET_OWNER_UID", name_);
  return uid;
}

std::string ns_handle::describe() const {
  return fmt::format("{}:[{}]", to_string(type_), inode().ino);
}

bool kernel_has(ns_type type) noexcept {
  std::string path = fmt::format("/proc/self/ns/{}", info(type).proc_entry);
  return ::access(path.c_str(), F_OK) == 0;
}

}  // namespace nsutil
