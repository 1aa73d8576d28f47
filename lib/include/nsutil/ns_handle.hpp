/// @file
/// Open namespace files: where they come from, what they are, and how they relate.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nsutil/export.hpp>
#include <nsutil/ns_type.hpp>
#include <nsutil/unique_fd.hpp>
#include <optional>
#include <string>

namespace nsutil {

class process;

/// The identity lsns and ip-netns use: the device and inode of the namespace file. The kernel
/// reuses inode numbers once a namespace is gone; ns_handle::id() does not.
struct ns_inode {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  bool operator==(const ns_inode&) const noexcept = default;
};

/// How the running kernel opens a namespace by its ID (ns_handle::by_id_rule()).
enum class open_by_id_rule {
  unsupported,     ///< before Linux 6.18: no nsfs file handles
  type_and_inode,  ///< Linux 6.18: the handle holds the ID, the type and the inode
  id_alone,        ///< Linux 6.19 and later: the ID alone
};

/// An open namespace file (nsfs), checked to be one, with its type known.
///
/// Holding a handle keeps the namespace alive. All descriptors are O_CLOEXEC. Opening needs the
/// rights to open the file (for /proc/PID/ns/X: ptrace-read access to PID); nothing else needs
/// privilege. No function here changes the calling process; see enter.hpp for that. Move-only.
class NSUTIL_API ns_handle {
 public:
  /// Opens the namespace file at `path` (/proc/PID/ns/net, /run/netns/NAME, a bind mount made
  /// by persist()). Throws nsutil::error("open", path) when it cannot be opened, when it is not a
  /// namespace file (detail "not a namespace file"), or when `expected` is given and the type
  /// differs (detail "is a uts namespace, not net").
  static ns_handle open(const std::string& path, std::optional<ns_type> expected = {});

  /// The namespace of `type` that process `pid` is in (/proc/PID/ns/TYPE), or, with
  /// `for_children`, the one its future children get (pid_for_children, time_for_children; for
  /// other types the same as the process's own). Errors name the path; a process that does not
  /// exist gives ESRCH ("no such process").
  static ns_handle of_process(pid_t pid, ns_type type, bool for_children = false);

  /// The namespace of `type` that `target` is in. Through the pidfd (PIDFD_GET_*_NAMESPACE,
  /// Linux 6.11) when the kernel has it, else through /proc with a liveness check afterwards, so
  /// the handle never belongs to a process that replaced `target` under the same PID.
  static ns_handle of_process(const process& target, ns_type type);

  /// How this kernel opens a namespace by its ID (probed once on the caller's own UTS
  /// namespace; never throws for want of support).
  static open_by_id_rule by_id_rule();

  /// The namespace whose 64-bit ID (NS_GET_ID, what id() and xlsns's NSID column give) is `id`,
  /// opened through an nsfs file handle (open_by_handle_at on FD_NSFS_ROOT) where the kernel
  /// takes the ID alone (open_by_id_rule::id_alone, Linux 6.19). Its name() is ":ID". Linux 6.18
  /// also wants the namespace's type and inode: use the overload below, or
  /// nsutil::open_namespace_by_id() (discovery.hpp), which looks them up.
  ///
  /// Privilege: none for a namespace the caller is in; for any other, CAP_SYS_ADMIN in the
  /// initial user namespace (the kernel's rule for nsfs handles in later 6.18 releases, 6.18.44
  /// for one; the first 6.18 releases let CAP_SYS_ADMIN over the namespace's owner do). Not
  /// CAP_DAC_READ_SEARCH. Does not change the calling process.
  ///
  /// Throws nsutil::error("open", ":ID"): ENOENT "no namespace with ID N" (none, or none the
  /// caller may see), EINVAL "namespace N is a uts namespace, not net" when `expected` differs,
  /// EPERM when the kernel refuses to open it (with the privilege it needs), EOPNOTSUPP where
  /// the kernel also wants the type and inode, ENOSYS "opening a namespace by ID needs Linux
  /// 6.18" on older kernels; any other refusal as nsutil::error("open_by_handle_at", ":ID").
  static ns_handle open_by_id(std::uint64_t id, std::optional<ns_type> expected = {});

  /// The namespace with ID `id`, of `type`, whose nsfs inode is `inode`: what Linux 6.18's file
  /// handles hold (from 6.19 on the ID alone is used). A handle whose type or inode is not the
  /// namespace's names no namespace (ENOENT), as does one of a gone namespace; Linux 6.18 also
  /// answers so (ESTALE) when the caller lacks the privilege above. Otherwise as above.
  static ns_handle open_by_id(std::uint64_t id, ns_type type, std::uint64_t inode);

  /// Takes ownership of an open descriptor and checks it as open() does; `name` is used in
  /// error messages.
  static ns_handle adopt(unique_fd fd, const std::string& name,
                         std::optional<ns_type> expected = {});

  /// The namespace's type (checked with NS_GET_NSTYPE when it was opened).
  [[nodiscard]] ns_type type() const noexcept { return type_; }
  /// The open nsfs file, still owned by the handle (for setns(2) or an ioctl).
  [[nodiscard]] const unique_fd& fd() const noexcept { return fd_; }
  /// The name it was opened by, for messages.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// Device and inode of the namespace file (what lsns prints as NS). Throws
  /// nsutil::error("fstat", name()) if fstat fails.
  [[nodiscard]] ns_inode inode() const;

  /// The 64-bit namespace ID from NS_GET_ID (Linux 6.18), which unlike inode numbers is never
  /// reused while the system runs. nullopt when the kernel lacks the ioctl (probed once). Throws
  /// nsutil::error("ioctl NS_GET_ID", name()) for other failures.
  [[nodiscard]] std::optional<std::uint64_t> id() const;

  /// The user namespace that owns this namespace (NS_GET_USERNS, Linux 4.9). nullopt when it is
  /// outside the caller's reach (EPERM: an ancestor of the caller's own user namespace). Throws
  /// nsutil::error("ioctl NS_GET_USERNS", name()) for other failures.
  [[nodiscard]] std::optional<ns_handle> owner() const;

  /// The parent namespace, for pid and user namespaces (NS_GET_PARENT, Linux 4.9). nullopt for a
  /// root namespace or one outside the caller's reach. Throws error(EINVAL) for other types, and
  /// nsutil::error("ioctl NS_GET_PARENT", name()) for other failures.
  [[nodiscard]] std::optional<ns_handle> parent() const;

  /// The user ID that created this user namespace (NS_GET_OWNER_UID, Linux 4.11), in the
  /// caller's user namespace. Throws error(EINVAL) when this is not a user namespace, and
  /// nsutil::error("ioctl NS_GET_OWNER_UID", name()) when the ioctl fails.
  [[nodiscard]] uid_t owner_uid() const;

  /// "net:[4026531992]", the form readlink(/proc/PID/ns/net) gives.
  [[nodiscard]] std::string describe() const;

 private:
  ns_handle(unique_fd fd, ns_type type, std::string name) noexcept
      : fd_(std::move(fd)), type_(type), name_(std::move(name)) {}
  NSUTIL_LOCAL std::optional<ns_handle> relative(unsigned long request, const char* what) const;

  unique_fd fd_;
  ns_type type_;
  std::string name_;
};

/// Whether this kernel supports namespaces of `type` (its /proc/self/ns entry exists).
NSUTIL_API bool kernel_has(ns_type type) noexcept;

}  // namespace nsutil
