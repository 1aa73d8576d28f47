// Docker's containers: their names from DATA_ROOT/containers/ID/config.v2.json, the data root
// found as containers.hpp says (container_options::docker_roots), else from dockerd's socket.
#include <algorithm>
#include <cstdlib>

#include "base/proc_files.hpp"
#include "containers/state.hpp"

namespace nsutil {
namespace {

// "data-root" of a dockerd configuration file, or empty.
std::string configured_docker_root(const std::string& config, uid_t owner) {
  auto text = detail::read_engine_file(config, owner);
  return text ? detail::string_at(detail::parse_json(*text), "data-root") : std::string();
}

}  // namespace

// The data roots of the running dockerd processes of `owner`: every process's name is read,
// once.
const std::vector<std::string>& container_resolver::state::find_docker_roots(uid_t owner) {
  auto [it, added] = docker_roots.try_emplace(owner);
  auto& roots = it->second;
  if (!added || !opts.find_daemons)
    return roots;
  for (pid_t pid : detail::all_pids(opts.proc_root)) {
    if (detail::read_comm(detail::pid_path(opts.proc_root, pid, "comm")) != "dockerd" ||
        !detail::runs_as(opts.proc_root, pid, owner))
      continue;
    auto args = detail::read_command_line(detail::pid_path(opts.proc_root, pid, "cmdline"));
    std::string root = detail::option_value(args, {"--data-root", "-g", "--graph"});
    if (root.empty()) {
      std::string config = detail::option_value(args, {"--config-file"});
      root = configured_docker_root(config.empty() ? opts.docker_config : config, owner);
    }
    detail::add_unique(roots, root.empty() ? "/var/lib/docker" : root);
  }
  return roots;
}

// Docker bind-mounts DATA_ROOT/containers/ID/hostname on the container's /etc/hostname: the
// container's mount table and the reader's give the data root for the price of two reads,
// where finding the daemons means reading every process's name.
std::string container_resolver::state::docker_root_of(const std::string& id, pid_t pid) {
  const std::string suffix = "/containers/" + id + "/hostname";
  for (const auto& m : detail::read_mounts(detail::pid_path(opts.proc_root, pid, "mountinfo"))) {
    if (m.target != "/etc/hostname" || !m.root.ends_with(suffix))
      continue;
    // The reader's mount of the same filesystem whose root holds the file.
    for (const auto& host : mounts()) {
      if (host.dev != m.dev)
        continue;
      auto rest = detail::below_root(m.root, host.root);
      if (!rest)
        continue;
      std::string path = (host.target == "/" ? std::string() : host.target) + std::string(*rest);
      return path.substr(0, path.size() - suffix.size());
    }
  }
  return {};
}

// The engine is asked only when its state on disk gave no name and no root was configured:
// configured roots are the caller's choice of what is read. secure_getenv: the variables name
// where to connect, which a set-user-ID caller's environment must not choose.
void container_resolver::state::resolve_docker(container& c, pid_t pid) {
  docker_name_on_disk(c, pid);
  if (c.name.empty() && opts.docker_roots.empty())
    c.name = api.container_name(
        detail::docker_socket(::secure_getenv("DOCKER_HOST"), detail::trusted(c)), c.id,
        detail::trusted(c), opts.engine_timeout);
}

void container_resolver::state::docker_name_on_disk(container& c, pid_t pid) {
  const uid_t owner = detail::trusted(c);
  auto from_root = [&](const std::string& root) {
    auto text = detail::read_engine_file(root + "/containers/" + c.id + "/config.v2.json", owner);
    if (!text)
      return false;
    // Docker keeps the name with its leading '/' ("/web").
    std::string name = detail::string_at(detail::parse_json(*text), "Name");
    if (name.starts_with('/'))
      name.erase(0, 1);
    c.name = name;
    return true;
  };
  if (!opts.docker_roots.empty()) {
    std::any_of(opts.docker_roots.begin(), opts.docker_roots.end(), from_root);
    return;
  }
  // Cheapest first; the ID is unique, so the order changes the cost, not the answer.
  if (opts.find_daemons && pid > 0)
    if (std::string root = docker_root_of(c.id, pid); !root.empty() && from_root(root))
      return;
  // Rootless dockerd (a user's systemd instance holds its containers) keeps its state in the
  // user's home: ~/.config/docker/daemon.json, ~/.local/share/docker ($XDG_CONFIG_HOME and
  // $XDG_DATA_HOME are the daemon's environment, not read here).
  std::string config = opts.docker_config;
  std::string fallback = "/var/lib/docker";
  if (owner != 0) {
    std::string home = detail::home_of(owner);
    config = home.empty() ? std::string() : home + "/.config/docker/daemon.json";
    fallback = home.empty() ? std::string() : home + "/.local/share/docker";
  }
  std::string configured = configured_docker_root(config, owner);
  if ((!configured.empty() && from_root(configured)) || (!fallback.empty() && from_root(fallback)))
    return;
  const auto& roots = find_docker_roots(owner);
  std::any_of(roots.begin(), roots.end(), from_root);
}

}  // namespace nsutil
