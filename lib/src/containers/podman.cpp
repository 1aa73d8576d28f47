// Podman's containers: their names from GRAPHROOT/DRIVER-containers/containers.json, the graph
// root found as containers.hpp says (container_options::podman_roots), else from Podman's
// Docker-compatible socket.
#include <fcntl.h>

#include <cstdlib>
#include <nsutil/error.hpp>

#include "base/directory.hpp"
#include "base/proc_files.hpp"
#include "base/proc_text.hpp"
#include "base/trusted_path.hpp"
#include "containers/state.hpp"

namespace nsutil {
namespace {

// "/a/b/c/d" less its last `n` components.
std::string parent_dir(std::string path, int n) {
  for (int i = 0; i < n; ++i) {
    while (path.size() > 1 && path.back() == '/')
      path.pop_back();
    auto slash = path.rfind('/');
    if (slash == std::string::npos)
      return {};
    path.resize(slash);
  }
  return path;
}

// The graphroot line of containers/storage's storage.conf (TOML: `graphroot = "/path"` in its
// [storage] table). Only that line's plain double-quoted form is understood; anything else
// leaves the default.
std::string storage_graphroot(const std::string& conf_path) {
  auto text = detail::read_engine_file(conf_path, 0);
  if (!text)
    return {};
  for (std::string_view line : detail::lines(*text)) {
    line.remove_prefix(std::min(line.find_first_not_of(" \t"), line.size()));
    if (!line.starts_with("graphroot"))
      continue;
    line.remove_prefix(9);
    line.remove_prefix(std::min(line.find_first_not_of(" \t"), line.size()));
    if (!line.starts_with('='))
      continue;
    auto open = line.find('"');
    auto close = open == std::string_view::npos ? open : line.find('"', open + 1);
    if (close != std::string_view::npos && close > open + 1)
      return std::string(line.substr(open + 1, close - open - 1));
  }
  return {};
}

// The ID -> name pairs of one containers.json (a list of {"id", "names": [...]}), added to
// `names`.
void add_podman_names(const std::string& text,
                      std::unordered_map<std::string, std::string>& names) {
  nlohmann::json list = detail::parse_json(text);
  if (!list.is_array())
    return;
  for (const auto& item : list) {
    std::string id = detail::string_at(item, "id");
    auto found = item.is_object() ? item.find("names") : item.end();
    if (id.empty() || found == item.end() || !found->is_array() || found->empty() ||
        !found->front().is_string())
      continue;
    names.emplace(id, found->front().get<std::string>());
  }
}

}  // namespace

// Podman's container is a child of its conmon, whose -b names the bundle
// GRAPHROOT/DRIVER-containers/ID/userdata: that leads to the graph root even when podman was
// given --root. A process deeper in the container is found through its ancestors. Only a conmon
// of the container's owner is believed.
std::string container_resolver::state::conmon_root(pid_t pid, uid_t owner) {
  for (int depth = 0; pid > 1 && depth < 16; ++depth) {
    auto ppid = detail::ppid_of(opts.proc_root, pid);
    if (!ppid || *ppid <= 1)
      return {};
    pid = *ppid;
    if (detail::read_comm(detail::pid_path(opts.proc_root, pid, "comm")) != "conmon")
      continue;
    if (!detail::runs_as(opts.proc_root, pid, owner))
      return {};
    auto args = detail::read_command_line(detail::pid_path(opts.proc_root, pid, "cmdline"));
    std::string bundle = detail::option_value(args, {"-b", "--bundle"});
    return bundle.empty() ? std::string() : parent_dir(bundle, 3);
  }
  return {};
}

const std::unordered_map<std::string, std::string>& container_resolver::state::podman_root_names(
    const std::string& root, uid_t owner) {
  auto [it, added] = podman_names.try_emplace(std::to_string(owner) + ":" + root);
  if (!added)
    return it->second;
  unique_fd listing;
  try {
    listing = detail::reopen(detail::open_trusted_path(root, {.trusted_uid = owner}),
                             O_RDONLY | O_DIRECTORY, root);
  } catch (const error&) {
    return it->second;
  }
  // One containers.json per storage driver (overlay-containers, vfs-containers, ...).
  detail::directory dir(std::move(listing));
  while (const char* name = dir.next()) {
    std::string_view entry = name;
    if (!entry.ends_with("-containers"))
      continue;
    if (auto text = detail::read_engine_file(root + "/" + name + "/containers.json", owner))
      add_podman_names(*text, it->second);
  }
  return it->second;
}

void container_resolver::state::resolve_podman(container& c, pid_t pid) {
  const uid_t owner = detail::trusted(c);
  std::vector<std::string> roots = opts.podman_roots;
  if (roots.empty()) {
    if (opts.find_daemons && pid > 0)
      detail::add_unique(roots, conmon_root(pid, owner));
    if (owner != 0) {
      std::string home = detail::home_of(owner);
      if (!home.empty())
        detail::add_unique(roots, home + "/.local/share/containers/storage");
    } else {
      std::string root = storage_graphroot(opts.storage_config);
      detail::add_unique(roots, root.empty() ? "/var/lib/containers/storage" : root);
    }
  }
  for (const auto& root : roots) {
    const auto& names = podman_root_names(root, owner);
    if (auto it = names.find(c.id); it != names.end()) {
      c.name = it->second;
      return;
    }
  }
  // As for Docker (resolve_docker); Podman's Docker-compatible API answers the same request.
  if (opts.podman_roots.empty())
    c.name = api.container_name(detail::podman_socket(::secure_getenv("CONTAINER_HOST"), owner),
                                c.id, owner, opts.engine_timeout);
}

}  // namespace nsutil
