// The container resolver's state, and what its parts share: the resolver (resolver.cpp), each
// engine's lookups (docker.cpp, podman.cpp, cri.cpp) and the files they read as the trust rule
// of containers.hpp allows (state.cpp). Private to libnsutil.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <nsutil/containers.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/mountinfo.hpp"
#include "containers/cgroup.hpp"
#include "containers/engine_api.hpp"

namespace nsutil {

// Hidden: the class is exported, and its nested type's members would be with it.
struct __attribute__((visibility("hidden"))) container_resolver::state {
  container_options opts;
  // Resolved containers by engine, owner and ID: containers of different owners never merge.
  std::unordered_map<std::string, container> cache;
  // The data roots of each owner's running dockerd processes.
  std::unordered_map<uid_t, std::vector<std::string>> docker_roots;
  // The reader's own mount table (proc_root/self/mountinfo), read at the first use.
  std::optional<std::vector<detail::mount_entry>> own_mounts;
  // The owner of each cgroup (by controllers and path) asked about.
  std::unordered_map<std::string, std::optional<uid_t>> owners;
  // Podman: containers.json of each graph root read for an owner, as ID -> name.
  std::unordered_map<std::string, std::unordered_map<std::string, std::string>> podman_names;
  // The engines' sockets, for a name their state on disk did not give.
  detail::engine_api api;

  // resolver.cpp
  const std::vector<detail::mount_entry>& mounts();
  std::optional<uid_t> owner_of(const detail::cgroup_container& path);
  std::optional<uid_t> walk_owner(const detail::cgroup_container& path);
  // docker.cpp
  const std::vector<std::string>& find_docker_roots(uid_t owner);
  std::string docker_root_of(const std::string& id, pid_t pid);
  void resolve_docker(container& c, pid_t pid);
  void docker_name_on_disk(container& c, pid_t pid);
  // podman.cpp
  void resolve_podman(container& c, pid_t pid);
  std::string conmon_root(pid_t pid, uid_t owner);
  const std::unordered_map<std::string, std::string>& podman_root_names(const std::string& root,
                                                                        uid_t owner);
  // cri.cpp
  bool resolve_containerd(container& c);
  bool resolve_crio(container& c);
};

namespace detail {

// Whose state a container's files may be read from: its owner's, and root's; root's alone when
// its owner is unknown.
inline uid_t trusted(const container& c) {
  return c.owner.value_or(0);
}

// A file that an engine's configuration, a process's command line or a user's home named, for a
// container of `owner`: as the trust rule of containers.hpp allows (root's and the owner's
// directories and symlinks only, a regular file, opened non-blocking, size-capped); nullopt
// when it is not so, or cannot be read.
std::optional<std::string> read_engine_file(const std::string& path, uid_t owner);

// An engine's JSON, parsed without exceptions: a truncated or foreign file is a discarded value,
// not an error.
nlohmann::json parse_json(const std::string& text);

// The string member `key` of a JSON object; empty when `j` is no object or has no such string.
std::string string_at(const nlohmann::json& j, const char* key);

// The value of option `name` (given as "NAME VALUE" or "NAME=VALUE") in a command line, or
// empty; the first of `names` that is there.
std::string option_value(const std::vector<std::string>& args,
                         std::initializer_list<std::string_view> names);

// Appends `item` unless it is empty or listed already.
void add_unique(std::vector<std::string>& list, std::string item);

// A user of the password database, by UID or by name: what the resolver needs of it.
struct user_entry {
  uid_t uid;
  std::string name;
  std::string home;
};
std::optional<user_entry> find_user(std::optional<uid_t> uid, const std::string& name = {});

// The home directory of `uid`; empty when the password database has none.
std::string home_of(uid_t uid);

// Every PID in proc_root, ascending.
std::vector<pid_t> all_pids(const std::string& proc_root);

// The parent of process `pid`, from proc_root/PID/stat.
std::optional<pid_t> ppid_of(const std::string& proc_root, pid_t pid);

// Whether the process runs as `uid` (the owner of its /proc directory, as lsns says): only an
// owner's own daemons may say where that owner's containers keep their state.
bool runs_as(const std::string& proc_root, pid_t pid, uid_t uid);

// The mount table at `path` (a proc_root/PID/mountinfo); empty when it cannot be read or
// parsed, or libmount is not installed.
std::vector<mount_entry> read_mounts(const std::string& path);

// `path` as seen below a mount whose root (within its filesystem) is `root`: the rest of it after
// `root`, or nullopt when it lies outside that root.
std::optional<std::string_view> below_root(std::string_view path, std::string_view root);

}  // namespace detail
}  // namespace nsutil
