/// @file
/// Entering the namespaces of another process (or of namespace files) the way nsenter(1) does,
/// as one plan: everything is opened first, then entered, then the program's root, working
/// directory, environment and cgroup are set.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <nsutil/credentials.hpp>
#include <nsutil/export.hpp>
#include <nsutil/ns_handle.hpp>
#include <nsutil/ns_type.hpp>
#include <nsutil/process.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nsutil {

/// Where the namespace of one type comes from.
struct ns_source {
  /// Whether this type is entered at all.
  bool enabled = false;
  /// A namespace file (/proc/PID/ns/net, /run/netns/NAME, a persisted file); empty: the
  /// target's namespace (or `id`).
  std::string file;
  /// The namespace with this 64-bit ID (NS_GET_ID), opened by enter_request::open_by_id (see
  /// ns_handle::open_by_id for the privilege it needs). Takes precedence over `file`.
  std::optional<std::uint64_t> id;
};

/// A user or group ID: a number, or `follow` (the owner of the target's /proc/PID).
struct id_choice {
  /// Take the owner of the target's /proc/PID; `id` is then unused.
  bool follow = false;
  /// The ID, when not `follow`.
  unsigned id = 0;
  bool operator==(const id_choice&) const noexcept = default;
};

/// What to enter and how to set up the program afterwards; nsenter's options as data, each member
/// named after nsenter(1)'s long option (ns: --mount etc., uid/gid: --setuid/--setgid). Errors
/// about the request name the member (see enter_plan::open()).
struct enter_request {
  /// sizeof(enter_request) in the caller's build; leave it as it is. The library refuses another
  /// size (EINVAL), so that a program built against other headers is not misread.
  std::uint32_t struct_size = sizeof(enter_request);
  /// The target process; 0 when none is given.
  pid_t target = 0;
  /// The target's pidfs inode (fstat of its pidfd, Linux 6.9): a recycled PID is refused.
  std::optional<std::uint64_t> target_inode;
  /// One entry per namespace type, indexed by static_cast<size_t>(ns_type).
  std::array<ns_source, 8> ns{};
  /// Enter every namespace type this kernel has, from the target (explicit files still win).
  bool all = false;
  /// Enter the parent of the user namespace that would otherwise be entered (NS_GET_USERNS).
  bool user_parent = false;
  /// Enter the network namespace of this socket descriptor of the target (pidfd_getfd).
  std::optional<int> net_socket;
  /// Enter one namespace file at a time even where setns(pidfd) works: util-linux's way, and
  /// the only one before Linux 5.8. open() then opens every /proc/PID/ns/X of the target, so
  /// the namespaces entered are those the target had then, even if it exits before enter().
  bool by_file = false;
  /// chroot: "" for the target's root (/proc/PID/root), else a directory opened before entering.
  std::optional<std::string> root;
  /// Working directory opened before entering: "" for the target's cwd.
  std::optional<std::string> wd;
  /// Working directory resolved after entering (and chroot): "" for the target's cwd path.
  std::optional<std::string> wdns;
  /// Replace the environment with the target's (/proc/PID/environ).
  bool env = false;
  /// Join the target's cgroup (cgroup v2 only).
  bool join_cgroup = false;
  /// setuid for the program (--setuid, or `follow`); unset: 0 when a user namespace is entered
  /// and preserve_credentials is not set, else unchanged.
  std::optional<id_choice> uid;
  /// setgid for the program (--setgid, or `follow`), which also drops the supplementary groups;
  /// unset: as `uid`.
  std::optional<id_choice> gid;
  /// Keep the caller's IDs and groups after entering a user namespace (no setgroups, setgid,
  /// setuid).
  bool preserve_credentials = false;
  /// When a user namespace is entered: raise the permitted capabilities into the ambient set
  /// before the exec (see keep_capabilities()).
  bool keep_caps = false;
  /// Opens ns_source::id. Unset: ns_handle::open_by_id, which needs a kernel that opens by the
  /// ID alone (Linux 6.19); nsutil::open_namespace_by_id (discovery.hpp) also serves Linux 6.18.
  std::function<ns_handle(std::uint64_t id, ns_type type)> open_by_id;

  /// The entry of `ns` for type `t`.
  [[nodiscard]] ns_source& source(ns_type t) { return ns[static_cast<std::size_t>(t)]; }
  /// The entry of `ns` for type `t`.
  [[nodiscard]] const ns_source& source(ns_type t) const { return ns[static_cast<std::size_t>(t)]; }
};

/// An enter_request with every file open, ready to be carried out.
///
/// Create with open(), then call enter(), then setup(); fork if enters_pid_namespace() says so
/// and apply creds() (see apply() in credentials.hpp) in the process that execs. Single-threaded
/// callers only (setns of a user namespace requires it).
class NSUTIL_API enter_plan {
 public:
  /// Resolves the target (pidfd, pidfs inode check) and opens every file the request needs
  /// (namespace files, namespaces by ID, the target's namespaces when setns(pidfd) is
  /// unavailable or by_file is set, root, cwd, environ, cgroup.procs). Changes nothing. Throws
  /// nsutil::error in words: a PID that does not exist (ESRCH), a file that is no namespace or of
  /// the wrong type (EINVAL), an ID that names no namespace (ENOENT; see ns_handle::open_by_id),
  /// a target whose namespaces cannot be read (EACCES). A request that cannot be carried out
  /// names the member at fault in error::op() and the rule in error::reason(): a member that
  /// needs a target process when `target` is 0 (EINVAL, error_reason::no_target), a
  /// `user_parent` that is the caller's own user namespace (EINVAL, parent_is_own),
  /// `join_cgroup` without cgroup v2 (EOPNOTSUPP, no_cgroup2).
  static enter_plan open(const enter_request& req);

  /// The namespace types that enter() joins.
  [[nodiscard]] ns_set types() const noexcept;
  /// Whether a PID namespace is entered, so the program must be a child to be inside it.
  [[nodiscard]] bool enters_pid_namespace() const noexcept;

  /// Joins the namespaces: through setns(pidfd, flags) where possible (Linux 5.8, and no
  /// enter_request::by_file), so every namespace taken from the target comes from that one
  /// process, else one file at a time in util-linux's order (user, cgroup, ipc, uts, net, pid,
  /// mnt, time). The user namespace is joined last when the caller is privileged without it,
  /// first otherwise. Changes the calling process. Throws nsutil::error("setns", ...) whose
  /// detail ends with the types refused ("[net,uts]", also in error::namespaces()); EPERM when
  /// no user namespace was entered has error_reason::needs_owner_userns.
  void enter();

  /// nsenter -Z: the program runs in the target's SELinux security context. Reads the target's
  /// context (getpidcon, /proc/PID/attr/current) and sets it for the calling thread's next
  /// execve (setexeccon, /proc/thread-self/attr/exec; the setting is inherited by a child forked
  /// afterwards and applies to its execve). Call between open() and enter(), while /proc is the
  /// caller's. Returns the context set; std::nullopt, changing nothing and needing no target,
  /// where SELinux is off (is_selinux_enabled() is 0) or libselinux (libselinux.so.1, loaded on
  /// the first call, never by a program that does not call this) is not installed. Needs
  /// SELinux's `setexec` permission, and at the execve the policy must allow the transition
  /// (enforcing mode). Throws nsutil::error: EINVAL with error_reason::no_target and op()
  /// "follow_context" when the plan has no target; ("getpidcon", "PID") when the target's
  /// context cannot be read; ESRCH when the target exited or its PID was reused meanwhile;
  /// ("setexeccon", CONTEXT) when the context is refused (EINVAL: not valid in the policy
  /// loaded; EACCES: not permitted).
  std::optional<std::string> follow_context();

  /// After enter(): chroot, change the working directory, replace the environment, join the
  /// cgroup, in nsenter's order. Changes the calling process. Throws nsutil::error.
  void setup();

  /// The IDs to switch to in the program's process (for `follow`, read before entering).
  [[nodiscard]] const credentials& creds() const noexcept;

  /// A plan moved from may only be destroyed or assigned to. Destroying a plan closes its files.
  enter_plan(enter_plan&&) noexcept;
  enter_plan& operator=(enter_plan&&) noexcept;
  ~enter_plan();

 private:
  // The open files and the state of enter(), private so that they can change without changing
  // the library's ABI.
  struct impl;
  NSUTIL_LOCAL explicit enter_plan(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

/// The file `ip netns add NAME` creates: /run/netns/NAME. Throws nsutil::error("netns", NAME):
/// ENOENT when it does not exist, listing the names that do; EINVAL for a name with '/', "." or
/// "..", or an empty one.
NSUTIL_API std::string netns_path(const std::string& name);

}  // namespace nsutil
