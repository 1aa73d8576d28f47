// The cgroup classifier: which container a process's cgroup path names. Private to libnsutil;
// declared here so that the fuzz harnesses (tests/fuzz) and unit tests can call it. Pure.
#pragma once

#include <sys/types.h>

#include <nsutil/containers.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace nsutil::detail {

// What a cgroup path says of the container a process is in: the engine, its ID (for machined
// and LXC, the unescaped name), and where the path has them, the Kubernetes pod's UID and the
// UID of the user whose systemd instance holds it (rootless Podman and Docker): only at
// systemd's place, /user.slice/user-UID.slice/user@UID.service, which no user can make, never
// from a component further down that a user named so. Also where it was found: the cgroup path
// (up to and including the container's component) and, for a cgroup v1 line, its hierarchy's
// controllers ("memory", "name=systemd"); empty for cgroup v2.
struct cgroup_container {
  container_engine engine = container_engine::docker;
  std::string id;
  std::string pod_uid;
  std::optional<uid_t> user;
  std::string path;
  std::string controllers;
};

// One cgroup path ("/docker/ID", "/system.slice/docker-ID.scope", ...): its outermost
// container component, as the host's engines see it (a container inside a container is the
// outer one's business), or nullopt. A monitor beside a container (libpod-conmon-ID.scope,
// crio-conmon-ID.scope, lxc.monitor.NAME) is in the host's namespaces and is no container.
// Defined in containers.cpp.
std::optional<cgroup_container> classify_cgroup_path(std::string_view path);

// /proc/PID/cgroup: classify_cgroup_path() of the v2 entry ("0::PATH"), else of the v1 lines in
// order; the first that names a container. Defined in containers.cpp.
std::optional<cgroup_container> classify_cgroup(std::string_view cgroup_text);

// systemd's unit-name unescaping of one name ("my\\x2dbox" -> "my-box": each \\xNN is that byte),
// as machined escapes a machine name into its scope's name. Defined in containers.cpp.
std::string unescape_unit_name(std::string_view escaped);

}  // namespace nsutil::detail
