// The container resolver's public face: a process's cgroup to its container, the owner of that
// cgroup, running containers, and the names users give them. Each engine's lookups are in a
// file of their own (docker.cpp, podman.cpp, cri.cpp).
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <nsutil/containers.hpp>
#include <nsutil/error.hpp>
#include <nsutil/unique_fd.hpp>
#include <unordered_set>

#include "base/proc_files.hpp"
#include "base/proc_text.hpp"
#include "base/struct_size.hpp"
#include "containers/state.hpp"

namespace nsutil {
namespace {

// Whether a v1 hierarchy mounted with `super_options` ("rw,cpu,cpuacct") is the one a
// /proc/PID/cgroup line names by `controllers` ("cpu,cpuacct", "name=systemd"): it has each.
bool mounts_controllers(std::string_view super_options, std::string_view controllers) {
  // An empty name (a trailing comma) is no controller any hierarchy has.
  if (controllers.empty() || controllers.ends_with(','))
    return false;
  const std::string options = fmt::format(",{},", super_options);
  for (std::string_view controller : detail::split(controllers, ','))
    if (options.find(fmt::format(",{},", controller)) == std::string::npos)
      return false;
  return true;
}

std::string container_key(const detail::cgroup_container& path, std::optional<uid_t> owner) {
  return fmt::format("{}:{}:{}", to_string(path.engine), owner ? std::to_string(*owner) : "?",
                     path.id);
}

}  // namespace

std::string_view to_string(container_engine engine) noexcept {
  // In the enum's order.
  constexpr std::array<std::string_view, 7> names{"docker", "podman",   "containerd", "crio",
                                                  "cri",    "machined", "lxc"};
  auto i = static_cast<std::size_t>(engine);
  return i < names.size() ? names[i] : "?";
}

const std::vector<detail::mount_entry>& container_resolver::state::mounts() {
  if (!own_mounts)
    own_mounts = detail::read_mounts(opts.proc_root + "/self/mountinfo");
  return *own_mounts;
}

std::optional<uid_t> container_resolver::state::owner_of(const detail::cgroup_container& path) {
  std::string key = path.controllers + ":" + path.path;
  if (auto it = owners.find(key); it != owners.end())
    return it->second;
  // systemd's place for a user's instance, which only root can make, says whose it is alone; the
  // walk would find the same owner, where systemd chowns the instance's cgroup to its user.
  auto owner = path.user ? path.user : walk_owner(path);
  owners.emplace(std::move(key), owner);
  return owner;
}

// The cgroup's directory is found where the reader has its hierarchy mounted, and walked from
// the hierarchy's root: the first directory a user owns makes everything below it the user's.
std::optional<uid_t> container_resolver::state::walk_owner(const detail::cgroup_container& path) {
  const auto& table = mounts();
  auto hierarchy = std::find_if(table.begin(), table.end(), [&](const auto& m) {
    return path.controllers.empty()
               ? m.fstype == "cgroup2"
               : m.fstype == "cgroup" && mounts_controllers(m.super_options, path.controllers);
  });
  if (hierarchy == table.end())
    return std::nullopt;
  auto below = detail::below_root(path.path, hierarchy->root);
  if (!below)
    return std::nullopt;
  unique_fd dir(::open(hierarchy->target.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  struct stat st {};
  if (!dir || ::fstat(dir.get(), &st) < 0)
    return std::nullopt;
  uid_t owner = st.st_uid;
  for (std::string_view part : detail::split(*below, '/')) {
    if (part.empty())
      continue;
    dir.reset(::openat(dir.get(), std::string(part).c_str(),
                       O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir || ::fstat(dir.get(), &st) < 0)
      return std::nullopt;
    if (owner == 0)
      owner = st.st_uid;
  }
  return owner;
}

container_resolver::container_resolver(container_options opts) : state_(std::make_unique<state>()) {
  detail::check_struct_size(opts, "container_options");
  state_->opts = std::move(opts);
}
container_resolver::container_resolver(container_resolver&&) noexcept = default;
container_resolver& container_resolver::operator=(container_resolver&&) noexcept = default;
container_resolver::~container_resolver() = default;

std::optional<container> container_resolver::of_process(pid_t pid) {
  auto text = detail::try_read_file(detail::pid_path(state_->opts.proc_root, pid, "cgroup"));
  return text ? of_cgroup(*text, pid) : std::nullopt;
}

std::optional<container> container_resolver::of_cgroup(std::string_view cgroup_text, pid_t pid) {
  auto path = detail::classify_cgroup(cgroup_text);
  if (!path)
    return std::nullopt;
  auto owner = state_->owner_of(*path);
  std::string key = container_key(*path, owner);
  if (auto it = state_->cache.find(key); it != state_->cache.end())
    return it->second;
  container c;
  c.engine = path->engine;
  c.id = path->id;
  c.pod_uid = path->pod_uid;
  c.owner = owner;
  switch (path->engine) {
    case container_engine::docker:
      state_->resolve_docker(c, pid);
      break;
    case container_engine::podman:
      state_->resolve_podman(c, pid);
      break;
    case container_engine::containerd:
      state_->resolve_containerd(c);
      break;
    case container_engine::crio:
      state_->resolve_crio(c);
      break;
    case container_engine::cri:
      // The cgroupfs driver's path does not say which runtime: the one whose state has it.
      if (state_->resolve_containerd(c))
        c.engine = container_engine::containerd;
      else if (state_->resolve_crio(c))
        c.engine = container_engine::crio;
      break;
    case container_engine::machined:
    case container_engine::lxc:
      c.name = c.id;
      break;
  }
  state_->cache.emplace(std::move(key), c);
  return c;
}

std::vector<running_container> container_resolver::running() {
  const std::string& proc = state_->opts.proc_root;
  struct member {
    pid_t pid;
    pid_t ppid;
    std::string cgroup;
  };
  std::unordered_map<std::string, std::vector<member>> by_container;
  for (pid_t pid : detail::all_pids(proc)) {
    auto text = detail::try_read_file(detail::pid_path(proc, pid, "cgroup"));
    if (!text)
      continue;
    auto path = detail::classify_cgroup(*text);
    if (!path)
      continue;
    auto ppid = detail::ppid_of(proc, pid);
    if (!ppid)
      continue;
    // By cgroup too: two cgroups of one owner can answer to one engine and ID (LXC's
    // lxc.payload.NAME under two parents), and they are two containers, not one whose lowest
    // PID would stand for both.
    by_container[container_key(*path, state_->owner_of(*path)) + ":" + path->controllers + ":" +
                 path->path]
        .push_back({pid, *ppid, std::move(*text)});
  }
  std::vector<running_container> out;
  for (auto& [key, members] : by_container) {
    std::unordered_set<pid_t> inside;
    for (const auto& m : members)
      inside.insert(m.pid);
    // Members are ascending by PID: the first whose parent is outside.
    auto main = std::find_if(members.begin(), members.end(),
                             [&](const member& m) { return !inside.contains(m.ppid); });
    if (main == members.end())
      main = members.begin();
    if (auto c = of_cgroup(main->cgroup, main->pid))
      out.push_back({std::move(*c), main->pid});
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.main_pid < b.main_pid; });
  return out;
}

std::string qualified_name(const container& c) {
  if (!c.owner)
    return "?/" + c.display_name();
  if (*c.owner == 0)
    return c.display_name();
  auto user = detail::find_user(*c.owner);
  return fmt::format("{}/{}", user && !user->name.empty() ? user->name : std::to_string(*c.owner),
                     c.display_name());
}

container_query parse_container_query(std::string_view text) {
  container_query q;
  auto slash = text.find('/');
  q.name_or_id = std::string(slash == std::string_view::npos ? text : text.substr(slash + 1));
  if (q.name_or_id.empty() || q.name_or_id.find('/') != std::string::npos)
    throw_error(EINVAL, "container", text, "expected NAME, ID or OWNER/NAME");
  if (slash == std::string_view::npos)
    return q;
  std::string owner(text.substr(0, slash));
  if (owner.empty())
    throw_error(EINVAL, "container", text, "expected NAME, ID or OWNER/NAME");
  if (auto uid = detail::parse_decimal<uid_t>(owner)) {
    q.owner = *uid;
    return q;
  }
  auto user = detail::find_user(std::nullopt, owner);
  if (!user)
    throw_error(ENOENT, "container", text, fmt::format("no user '{}'", owner));
  q.owner = user->uid;
  return q;
}

std::vector<running_container> match_containers(const std::vector<running_container>& running,
                                                const container_query& query, uid_t caller) {
  std::vector<running_container> found;
  const std::string& want = query.name_or_id;
  if (want.empty())
    return found;
  const uid_t owner = query.owner.value_or(caller);
  auto mine = [&](const running_container& c) { return c.info.owner == owner; };
  for (const auto& c : running)
    if (mine(c) && (c.info.name == want || c.info.id == want))
      found.push_back(c);
  if (!found.empty())
    return found;
  for (const auto& c : running)
    if (mine(c) && c.info.id.starts_with(want))
      found.push_back(c);
  return found;
}

process open_main_process(const running_container& c, container_resolver& resolver) {
  auto gone = [&] { throw_error(ESRCH, "open container", c.info.id); };
  std::optional<process> p;
  try {
    p.emplace(process::open(c.main_pid));
  } catch (const error& e) {
    if (e.errno_value() != ESRCH)
      throw;
    gone();
  }
  // Read after the pidfd is held: if the PID is still in the container now, the pidfd is that
  // container's process, whatever happens to the PID later. The owner too: another owner's
  // cgroup of the same engine and ID is another container.
  auto now = resolver.of_process(c.main_pid);
  if (!now || now->engine != c.info.engine || now->id != c.info.id || now->owner != c.info.owner)
    gone();
  return std::move(*p);
}

}  // namespace nsutil
