/// @file
/// Leaving namespaces: unshare(2) and the mount-propagation step that follows a new mount
/// namespace.
#pragma once

#include <nsutil/export.hpp>
#include <nsutil/ns_type.hpp>
#include <optional>
#include <string_view>

namespace nsutil {

/// Moves the calling process into new namespaces of every type in `types`, in one unshare(2).
///
/// Changes the calling process. pid and time are special: the caller stays where it is and only
/// children it forks afterwards are in the new namespace (fork_child() after this makes the
/// program PID 1). A new user namespace needs a single-threaded caller; every other type needs
/// CAP_SYS_ADMIN in the caller's user namespace, unless `types` includes user (then the new user
/// namespace grants it). Throws nsutil::error("unshare"); EPERM for an unprivileged caller
/// without user gets a detail that says so.
NSUTIL_API void unshare(ns_set types);

/// What the new mount namespace's mounts do with mount events from and to the old one.
enum class propagation { slave, shared, private_, unchanged };

/// Parses "slave", "shared", "private" or "unchanged".
NSUTIL_API std::optional<propagation> parse_propagation(std::string_view name) noexcept;

/// Applies `mode` recursively to every mount in the calling process's mount namespace, which
/// must be a new one (else the host's mounts change). Does nothing for propagation::unchanged.
/// Needs CAP_SYS_ADMIN in the namespace's owner. Throws nsutil::error("mount", "/"); when "/" is
/// not a mount point (inside a chroot) the detail says to use unchanged.
NSUTIL_API void set_root_propagation(propagation mode);

}  // namespace nsutil
