/// @file
/// Which container a process belongs to: its engine, ID, name and owner, from its cgroup path and
/// the engines' own on-disk state, else, for Docker and Podman, their API socket (a short timeout;
/// libcurl.so.4 loaded on first use).
///
/// The trust rule: a container belongs to the user who owns the cgroup directory it runs in. A
/// directory above it that a user owns (a delegated subtree, such as systemd's user@UID.service)
/// makes everything below it that user's, whatever the names below say: a user can name its own
/// cgroups after anyone's container. So the owner, not the name, says whose a container is:
/// containers of different owners never merge, a name or ID given without an owner names only
/// the caller's own containers (match_containers()), and what the resolver reads for a
/// container (engine state files, daemon configuration, API sockets) must belong to root or to
/// that owner, through no other user's symlink or directory.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <nsutil/export.hpp>
#include <nsutil/process.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nsutil {

/// The software that made a container.
enum class container_engine : std::uint8_t {
  docker,      ///< Docker (dockerd): cgroup /docker/ID or docker-ID.scope
  podman,      ///< Podman (libpod): libpod-ID.scope or /libpod_parent/libpod-ID
  containerd,  ///< containerd's CRI plugin (Kubernetes): cri-containerd-ID.scope
  crio,        ///< CRI-O (Kubernetes): crio-ID.scope
  cri,         ///< a Kubernetes container (kubepods/.../pod UID/ID) whose runtime's state was
               ///< found neither in containerd's nor in CRI-O's state directory
  machined,    ///< a machine registered with systemd-machined (systemd-nspawn):
               ///< machine.slice/machine-NAME.scope
  lxc,         ///< LXC or LXD: lxc.payload.NAME, lxc.payload/NAME or /lxc/NAME
};

/// The engine's name as xlsns prints it ("docker", "podman", "containerd", "crio", "cri",
/// "machined", "lxc").
NSUTIL_API std::string_view to_string(container_engine engine) noexcept;

/// A container.
struct container {
  container_engine engine = container_engine::docker;
  /// The engine's ID: 64 hex digits for Docker, Podman, containerd and CRI-O; the machine or
  /// container name for machined and LXC, whose cgroup path holds no other.
  std::string id;
  /// The name the engine knows it by ("web"); empty when the engine's state could not be read.
  std::string name;
  /// Kubernetes (containerd, CRI-O, cri): the pod's UID from the cgroup path, and its name and
  /// namespace from the runtime's state; empty where unknown.
  std::string pod_uid;
  std::string pod_name;
  std::string pod_namespace;
  /// Whose it is (the trust rule above): the first owner other than root of the cgroup
  /// directories from its hierarchy's root down to its own, else root (0); a cgroup below
  /// user.slice/user-UID.slice/user@UID.service is UID's. nullopt when its cgroup directory is
  /// not in the reader's mount table (or is gone): such a container is no one's, and no name
  /// given to match_containers() names it.
  std::optional<uid_t> owner;
  /// The name when known, else the first 12 characters of the ID (xlsns's CONTAINER).
  [[nodiscard]] std::string display_name() const { return !name.empty() ? name : id.substr(0, 12); }
};

/// The name to give match_containers() for `c`: display_name() for a container of root's,
/// OWNER/NAME for another owner's (OWNER its user name, else its UID), "?/NAME" when the owner
/// is unknown. Reads the password database (getpwuid_r) for other owners.
NSUTIL_API std::string qualified_name(const container& c);

/// A running container and its main process (the lowest PID in it whose parent is not in it:
/// what `docker inspect` calls State.Pid).
struct running_container {
  /// The container.
  container info;
  /// Its main process, in the caller's PID namespace.
  pid_t main_pid = 0;
};

/// Where the resolver reads. Each empty member means "as the engine itself decides": see
/// each one. Tests point them at fixtures.
struct container_options {
  /// sizeof(container_options) in the caller's build; leave it as it is. The library refuses
  /// another size (EINVAL), so that a program built against other headers is not misread.
  std::uint32_t struct_size = sizeof(container_options);
  /// The proc filesystem processes are read from.
  std::string proc_root = "/proc";
  /// Docker's data roots to look in (DATA_ROOT/containers/ID/config.v2.json). Empty: the root
  /// that the container's /etc/hostname bind mount comes from (its mountinfo read against the
  /// reader's own), then `docker_config`'s "data-root", then /var/lib/docker (for a container
  /// of rootless Docker, whose cgroup is in user@UID.service: the "data-root" of that user's
  /// ~/.config/docker/daemon.json, then ~/.local/share/docker), then, only when none of these
  /// has the container, the roots of the running dockerd processes (--data-root or -g on their
  /// command line, else "data-root" of their --config-file): finding those reads every
  /// process's name once. When none of them gives the name, and only then, dockerd's API socket
  /// is asked (GET /containers/ID/json): DOCKER_HOST's when it is unix://PATH (none when it
  /// names another scheme), else /run/docker.sock (rootless: /run/user/UID/docker.sock). Not
  /// empty: only these roots are read, no socket is asked.
  std::vector<std::string> docker_roots;
  /// dockerd's configuration file.
  std::string docker_config = "/etc/docker/daemon.json";
  /// containers/storage graph roots to look in for Podman (ROOT/DRIVER-containers/
  /// containers.json). Empty: the root named by the -b (bundle) argument of the container's
  /// conmon (so a podman started with --root is followed), then `storage_config`'s graphroot
  /// (else /var/lib/containers/storage) for a rootful container, or
  /// ~OWNER/.local/share/containers/storage for a rootless one (user@UID.service in its path).
  /// When none of them gives the name, Podman's API socket is asked as Docker's is (its
  /// Docker-compatible API): CONTAINER_HOST's when it is unix://PATH, else podman.socket's,
  /// /run/podman/podman.sock, or /run/user/UID/podman/podman.sock for a rootless container. Not
  /// empty: only these roots are read, no socket is asked.
  std::vector<std::string> podman_roots;
  /// containers/storage's configuration; only its graphroot line is read.
  std::string storage_config = "/etc/containers/storage.conf";
  /// containerd's v2 runtime state, with one directory per containerd namespace
  /// (k8s.io/ID/config.json).
  std::string containerd_state = "/run/containerd/io.containerd.runtime.v2.task";
  /// CRI-O's run root (overlay-containers/ID/userdata/config.json).
  std::string crio_state = "/run/containers/storage";
  /// Whether the resolver may read other processes to find roots (dockerd's command line,
  /// conmon's); off, only the configured and default roots are read.
  bool find_daemons = true;
  /// How long one request to an engine's socket may take, connecting included. A socket that
  /// failed once is not asked again, so this is also the longest a dead or hung engine delays a
  /// listing. A socket-activated engine (podman.socket) starts on its first request. Zero or
  /// less: no socket is asked.
  std::chrono::milliseconds engine_timeout{1000};
};

/// Finds the container of processes. Reads each container's state once and remembers it, so
/// one resolver serves a whole listing; not thread-safe. Never throws nsutil::error: what
/// cannot be read (a process gone, an engine stopped, a state file unreadable, truncated or
/// not JSON, a socket absent, refusing, not answering, answering 404 or not JSON) leaves the
/// name empty and keeps the ID the cgroup path gave. An engine's socket is asked with the limit
/// container_options::engine_timeout gives a request, and not again by this resolver once it
/// failed: a listing waits at most that long per socket. libcurl.so.4 is loaded with dlopen() when
/// a socket is first asked (never when every name is on disk); without it, sockets give no names.
/// Needs the privilege to read the engines' state and connect to their sockets (root for the
/// default ones). Does not change the calling process (it keeps libcurl loaded once loaded).
class NSUTIL_API container_resolver {
 public:
  /// A resolver reading where `opts` says; reads nothing yet. Throws nsutil::error(EINVAL,
  /// "container_options") when the options' struct_size is not this library's.
  explicit container_resolver(container_options opts = {});
  container_resolver(container_resolver&&) noexcept;
  container_resolver& operator=(container_resolver&&) noexcept;
  ~container_resolver();

  /// The container process `pid` is in (from proc_root/PID/cgroup), or nullopt when it is in
  /// none or is gone.
  std::optional<container> of_process(pid_t pid);

  /// The container of a process whose /proc/PID/cgroup reads `cgroup_text` (cgroup v1 and v2
  /// lines); `pid`, when non-zero, is the process, for the conmon that started it.
  std::optional<container> of_cgroup(std::string_view cgroup_text, pid_t pid = 0);

  /// Every container that has a process now, ascending by main PID (one scan of proc_root).
  /// Each cgroup is a container of its own: two cgroups that answer to one engine and ID (two
  /// lxc.payload.NAME under different parents) are two entries, never merged.
  std::vector<running_container> running();

  struct state;

 private:
  std::unique_ptr<state> state_;
};

/// A container as a user names it: NAME, ID or ID prefix, optionally qualified with its owner
/// (OWNER/NAME, OWNER a user name or a UID).
struct container_query {
  std::optional<uid_t> owner;  ///< nullopt: not qualified
  /// The name, the whole ID or a prefix of the ID.
  std::string name_or_id;
};

/// Parses "NAME" or "OWNER/NAME" (no engine allows '/' in a container's name or ID). Throws
/// nsutil::error(EINVAL, "container", text) for an empty name or owner, and (ENOENT) for an owner
/// that is neither a number nor a user of the password database (read with getpwnam_r).
NSUTIL_API container_query parse_container_query(std::string_view text);

/// The containers among `running` that `query` names, among those of its owner (`caller` when
/// it names none, the caller's effective UID: root's tools then see only root's containers by
/// an unqualified name): every one whose name or whole ID it is; else every one whose ID starts
/// with it (Docker's and Podman's short IDs). More than one is ambiguous, for the caller to
/// refuse. Empty when none does, or when the name is empty. Pure.
NSUTIL_API std::vector<running_container> match_containers(
    const std::vector<running_container>& running, const container_query& query, uid_t caller);

/// Opens the main process of `c` (its pidfd, see process::open) and checks, after opening it,
/// that it is still in that container: a container that stopped, and whose PID went to another
/// process, is refused. Holding the result and calling check_alive() after reading anything
/// of /proc/PID proves it was read from that container's process. Throws nsutil::error(ESRCH,
/// "open container", ID) when the container's main process is gone or is no longer in it.
/// Needs to read /proc/PID/cgroup. Does not change the calling process.
NSUTIL_API process open_main_process(const running_container& c, container_resolver& resolver);

}  // namespace nsutil
