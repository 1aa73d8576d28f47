#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <nsutil/containers.hpp>
#include <nsutil/error.hpp>
#include <nsutil/unique_fd.hpp>
#include <unordered_map>
#include <unordered_set>

#include "base/proc_text.hpp"
#include "base/struct_size.hpp"
#include "base/trusted_path.hpp"
#include "containers/cgroup.hpp"
#include "containers/engine_api.hpp"

namespace nsutil {
namespace {

using json = nlohmann::json;

bool is_hex_id(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// `s` without `prefix` and `suffix`, or nullopt when it lacks either.
std::optional<std::string_view> between(std::string_view s, std::string_view prefix,
                                        std::string_view suffix) {
  if (s.size() < prefix.size() + suffix.size() || !s.starts_with(prefix) || !s.ends_with(suffix))
    return std::nullopt;
  return s.substr(prefix.size(), s.size() - prefix.size() - suffix.size());
}

std::optional<std::string_view> hex_id_between(std::string_view s, std::string_view prefix,
                                               std::string_view suffix) {
  auto id = between(s, prefix, suffix);
  return id && is_hex_id(*id) ? id : std::nullopt;
}

template <typename T>
std::optional<T> number(std::string_view s) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty())
    return std::nullopt;
  return v;
}

// Kubernetes' pod component: "pod<UID>" (cgroupfs driver) or
// "kubepods-<QOS>-pod<UID with '_' for '-'>.slice" (systemd driver).
std::optional<std::string> pod_uid_of(std::string_view c) {
  if (c.ends_with(".slice")) {
    auto at = c.rfind("-pod");
    if (at == std::string_view::npos || !c.starts_with("kubepods"))
      return std::nullopt;
    std::string uid(c.substr(at + 4, c.size() - at - 4 - 6));
    std::replace(uid.begin(), uid.end(), '_', '-');
    return uid;
  }
  if (c.starts_with("pod") && c.size() > 3)
    return std::string(c.substr(3));
  return std::nullopt;
}

// Of the kernel: /proc's files, which no user can put anything else in place of.
std::optional<std::string> try_read(const std::string& path) {
  try {
    return read_file(path);
  } catch (const error&) {
    return std::nullopt;
  }
}

// Engine state and configuration can be large (a containers.json lists every container), but
// not this large: a bigger file is refused rather than read.
constexpr std::size_t engine_file_cap = 64 << 20;

// A file that an engine's configuration, a process's command line or a user's home named, for a
// container of `owner`: as the trust rule of containers.hpp allows (root's and the owner's
// directories and symlinks only, a regular file, opened non-blocking, size-capped).
std::optional<std::string> try_read_as(const std::string& path, uid_t owner) {
  try {
    return detail::read_trusted_file(path, {.trusted_uid = owner}, engine_file_cap);
  } catch (const error&) {
    return std::nullopt;
  }
}

// Parsed without exceptions: a truncated or foreign file is a discarded value, not an error.
json parse_json(const std::string& text) {
  return json::parse(text, nullptr, false);
}

std::string string_at(const json& j, const char* key) {
  if (!j.is_object())
    return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A process's command line, split at its NULs.
std::vector<std::string> command_line(const std::string& proc_root, pid_t pid) {
  std::vector<std::string> args;
  auto text = try_read(proc_root + "/" + std::to_string(pid) + "/cmdline");
  if (!text)
    return args;
  std::string_view rest = *text;
  while (!rest.empty()) {
    auto end = rest.find('\0');
    args.emplace_back(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  }
  return args;
}

// The value of option `name` (given as "NAME VALUE" or "NAME=VALUE") in `args`, or empty.
std::string option_value(const std::vector<std::string>& args, std::string_view name) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == name && i + 1 < args.size())
      return args[i + 1];
    if (a.size() > name.size() && a.starts_with(name) && a[name.size()] == '=')
      return std::string(a.substr(name.size() + 1));
  }
  return {};
}

// "data-root" of a dockerd configuration file, or empty.
std::string configured_docker_root(const std::string& config, uid_t owner) {
  auto text = try_read_as(config, owner);
  return text ? string_at(parse_json(*text), "data-root") : std::string();
}

std::string comm_of(const std::string& proc_root, pid_t pid) {
  auto text = try_read(proc_root + "/" + std::to_string(pid) + "/comm");
  if (!text)
    return {};
  if (!text->empty() && text->back() == '\n')
    text->pop_back();
  return *text;
}

std::optional<pid_t> ppid_of(const std::string& proc_root, pid_t pid) {
  auto text = try_read(proc_root + "/" + std::to_string(pid) + "/stat");
  return text ? detail::parse_ppid(*text) : std::nullopt;
}

// Whether the process runs as `uid` (the owner of its /proc directory, as lsns says): only an
// owner's own daemons may say where that owner's containers keep their state.
bool runs_as(const std::string& proc_root, pid_t pid, uid_t uid) {
  struct stat st {};
  return ::stat((proc_root + "/" + std::to_string(pid)).c_str(), &st) == 0 && st.st_uid == uid;
}

// Every PID in proc_root, ascending.
std::vector<pid_t> all_pids(const std::string& proc_root) {
  std::vector<pid_t> pids;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(proc_root.c_str()), &::closedir);
  if (!dir)
    return pids;
  while (const dirent* e = ::readdir(dir.get()))
    if (auto pid = number<pid_t>(e->d_name); pid && *pid > 0)
      pids.push_back(*pid);
  std::sort(pids.begin(), pids.end());
  return pids;
}

// A user of the password database, by UID or by name: what the resolver needs of it.
struct user_entry {
  uid_t uid;
  std::string name;
  std::string home;
};

std::optional<user_entry> find_user(std::optional<uid_t> uid, const std::string& name = {}) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(4096);
  int e = uid ? ::getpwuid_r(*uid, &pw, buf.data(), buf.size(), &found)
              : ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
  if (e != 0 || found == nullptr)
    return std::nullopt;
  return user_entry{pw.pw_uid, pw.pw_name != nullptr ? pw.pw_name : "",
                    pw.pw_dir != nullptr ? pw.pw_dir : ""};
}

std::string home_of(uid_t uid) {
  auto user = find_user(uid);
  return user ? user->home : std::string();
}

// The graphroot line of containers/storage's storage.conf (TOML: `graphroot = "/path"` in its
// [storage] table). Only that line's plain double-quoted form is understood; anything else
// leaves the default.
std::string storage_graphroot(const std::string& conf_path) {
  auto text = try_read_as(conf_path, 0);
  if (!text)
    return {};
  std::string_view rest = *text;
  while (!rest.empty()) {
    auto eol = std::min(rest.find('\n'), rest.size());
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(std::min(eol + 1, rest.size()));
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

void add_unique(std::vector<std::string>& list, std::string item) {
  if (!item.empty() && std::find(list.begin(), list.end(), item) == list.end())
    list.push_back(std::move(item));
}

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

// The fields of a /proc/PID/mountinfo line that locate a file: the device, the root of the mount
// within its filesystem and the mount point, with the kernel's octal escapes (\040) undone.
struct mount_entry {
  std::string dev;
  std::string root;
  std::string target;
  std::string fstype;
  std::string super_options;
};

// `path` as seen below a mount whose root (within its filesystem) is `root`: the rest of it after
// `root`, or nullopt when it lies outside that root.
std::optional<std::string_view> below_root(std::string_view path, std::string_view root) {
  if (root == "/")
    return path;
  if (!path.starts_with(root) || (path.size() > root.size() && path[root.size()] != '/'))
    return std::nullopt;
  return path.substr(root.size());
}

std::string unescape_octal(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<mount_entry> parse_mountinfo(std::string_view text) {
  std::vector<mount_entry> out;
  while (!text.empty()) {
    auto eol = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, eol);
    const std::string_view whole = line;
    text.remove_prefix(std::min(eol + 1, text.size()));
    std::string_view field[5];
    std::size_t n = 0;
    while (n < 5 && !line.empty()) {
      auto space = std::min(line.find(' '), line.size());
      field[n++] = line.substr(0, space);
      line.remove_prefix(std::min(space + 1, line.size()));
    }
    // The optional fields end at " - ", then come the type, the source and the super options.
    auto dash = whole.find(" - ");
    std::string_view tail =
        dash == std::string_view::npos ? std::string_view() : whole.substr(dash + 3);
    auto type_end = std::min(tail.find(' '), tail.size());
    auto source_end = std::min(tail.find(' ', type_end + 1), tail.size());
    std::string_view super =
        source_end < tail.size() ? tail.substr(source_end + 1) : std::string_view();
    if (n == 5)
      out.push_back({std::string(field[2]), unescape_octal(field[3]), unescape_octal(field[4]),
                     std::string(tail.substr(0, type_end)), std::string(super)});
  }
  return out;
}

}  // namespace

std::string_view to_string(container_engine engine) noexcept {
  switch (engine) {
    case container_engine::docker:
      return "docker";
    case container_engine::podman:
      return "podman";
    case container_engine::containerd:
      return "containerd";
    case container_engine::crio:
      return "crio";
    case container_engine::cri:
      return "cri";
    case container_engine::machined:
      return "machined";
    case container_engine::lxc:
      return "lxc";
  }
  return "?";
}

namespace detail {

std::string unescape_unit_name(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x') {
      unsigned byte = 0;
      auto hex = s.substr(i + 2, 2);
      auto [end, ec] = std::from_chars(hex.data(), hex.data() + 2, byte, 16);
      if (ec == std::errc() && end == hex.data() + 2) {
        out += static_cast<char>(byte);
        i += 3;
      } else {
        out += s[i];
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<cgroup_container> classify_cgroup_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    auto slash = std::min(path.find('/'), path.size());
    if (slash > 0)
      parts.push_back(path.substr(0, slash));
    path.remove_prefix(std::min(slash + 1, path.size()));
  }
  cgroup_container found;
  // systemd's place for a user's instance; a user@UID.service further down is a name the user
  // chose in its own subtree.
  if (parts.size() > 2 && parts[0] == "user.slice") {
    auto slice = between(parts[1], "user-", ".slice");
    auto service = between(parts[2], "user@", ".service");
    if (slice && service && *slice == *service)
      found.user = number<uid_t>(*service);
  }
  bool kube = false;
  // `last` is the index of the container's last component: the cgroup path is the parts up to it.
  auto hit = [&](container_engine engine, std::string_view id, std::size_t last) {
    found.engine = engine;
    found.id = std::string(id);
    for (std::size_t k = 0; k <= last; ++k)
      (found.path += '/') += parts[k];
    return std::optional(found);
  };
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string_view c = parts[i];
    std::string_view next = i + 1 < parts.size() ? parts[i + 1] : std::string_view();
    std::string_view prev = i > 0 ? parts[i - 1] : std::string_view();
    if (c.starts_with("kubepods"))
      kube = true;
    if (kube)
      if (auto pod = pod_uid_of(c))
        found.pod_uid = *pod;
    if (c == "docker" && is_hex_id(next))
      return hit(container_engine::docker, next, i + 1);
    if (auto id = hex_id_between(c, "docker-", ".scope"))
      return hit(container_engine::docker, *id, i);
    if (auto id = hex_id_between(c, "libpod-", ".scope"))
      return hit(container_engine::podman, *id, i);
    if (auto id = hex_id_between(c, "libpod-", ""); id && prev == "libpod_parent")
      return hit(container_engine::podman, *id, i);
    if (auto id = hex_id_between(c, "cri-containerd-", ".scope"))
      return hit(container_engine::containerd, *id, i);
    if (auto id = hex_id_between(c, "crio-", ".scope"))
      return hit(container_engine::crio, *id, i);
    if (kube && is_hex_id(c) && prev.starts_with("pod"))
      return hit(container_engine::cri, c, i);
    if (auto name = between(c, "machine-", ".scope");
        name && !name->empty() && prev == "machine.slice") {
      // machined's names are host names: an escape that makes a control character or a '/'
      // is not one of its scopes.
      std::string machine = unescape_unit_name(*name);
      if (std::none_of(machine.begin(), machine.end(), [](char ch) {
            return ch == '/' || static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
          }))
        return hit(container_engine::machined, machine, i);
    }
    if (auto name = between(c, "lxc.payload.", ""); name && !name->empty())
      return hit(container_engine::lxc, *name, i);
    if ((c == "lxc.payload" || c == "lxc") && !next.empty())
      return hit(container_engine::lxc, next, i + 1);
  }
  return std::nullopt;
}

std::optional<cgroup_container> classify_cgroup(std::string_view text) {
  if (auto v2 = cgroup2_path(text))
    if (auto found = classify_cgroup_path(*v2))
      return found;
  while (!text.empty()) {
    auto eol = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(std::min(eol + 1, text.size()));
    // "ID:CONTROLLERS:PATH"; the path may hold ':' itself.
    auto first = line.find(':');
    auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos || line.starts_with("0::"))
      continue;
    if (auto found = classify_cgroup_path(line.substr(second + 1))) {
      found->controllers = std::string(line.substr(first + 1, second - first - 1));
      return found;
    }
  }
  return std::nullopt;
}

}  // namespace detail

// Hidden: the class is exported, and its nested type's members would be with it.
struct __attribute__((visibility("hidden"))) container_resolver::state {
  container_options opts;
  // Resolved containers by engine, owner and ID: containers of different owners never merge.
  std::unordered_map<std::string, container> cache;
  // The data roots of each owner's running dockerd processes.
  std::unordered_map<uid_t, std::vector<std::string>> docker_roots;
  // The reader's own mount table (proc_root/self/mountinfo), read at the first use.
  std::optional<std::vector<mount_entry>> own_mounts;
  // The owner of each cgroup (by controllers and path) asked about.
  std::unordered_map<std::string, std::optional<uid_t>> owners;
  // Podman: containers.json of each graph root read for an owner, as ID -> name.
  std::unordered_map<std::string, std::unordered_map<std::string, std::string>> podman_names;
  // The engines' sockets, for a name their state on disk did not give.
  detail::engine_api api;

  const std::vector<mount_entry>& mounts();
  std::optional<uid_t> owner_of(const detail::cgroup_container& path);
  std::optional<uid_t> walk_owner(const detail::cgroup_container& path);
  const std::vector<std::string>& find_docker_roots(uid_t owner);
  std::string docker_root_of(const std::string& id, pid_t pid);
  void resolve_docker(container& c, pid_t pid);
  void docker_name_on_disk(container& c, pid_t pid);
  void resolve_podman(container& c, pid_t pid);
  bool resolve_containerd(container& c);
  bool resolve_crio(container& c);
  std::string conmon_root(pid_t pid, uid_t owner);
  const std::unordered_map<std::string, std::string>& podman_root_names(const std::string& root,
                                                                        uid_t owner);
};

namespace {

// Whose state a container's files may be read from: its owner's, and root's; root's alone when
// its owner is unknown.
uid_t trusted(const container& c) {
  return c.owner.value_or(0);
}

// Whether a v1 hierarchy mounted with `super_options` ("rw,cpu,cpuacct") is the one a
// /proc/PID/cgroup line names by `controllers` ("cpu,cpuacct", "name=systemd"): it has each.
bool mounts_controllers(std::string_view super_options, std::string_view controllers) {
  if (controllers.empty())
    return false;
  const std::string options = fmt::format(",{},", super_options);
  for (std::string_view rest = controllers;;) {
    auto comma = std::min(rest.find(','), rest.size());
    if (options.find(fmt::format(",{},", rest.substr(0, comma))) == std::string::npos)
      return false;
    if (comma == rest.size())
      return true;
    rest.remove_prefix(comma + 1);
  }
}

}  // namespace

const std::vector<mount_entry>& container_resolver::state::mounts() {
  if (!own_mounts) {
    auto own = try_read(opts.proc_root + "/self/mountinfo");
    own_mounts = own ? parse_mountinfo(*own) : std::vector<mount_entry>();
  }
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
  const mount_entry* hierarchy = nullptr;
  for (const auto& m : mounts())
    if (path.controllers.empty()
            ? m.fstype == "cgroup2"
            : m.fstype == "cgroup" && mounts_controllers(m.super_options, path.controllers)) {
      hierarchy = &m;
      break;
    }
  if (hierarchy == nullptr)
    return std::nullopt;
  auto below = below_root(path.path, hierarchy->root);
  if (!below)
    return std::nullopt;
  std::string_view rest = *below;
  unique_fd dir(::open(hierarchy->target.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  struct stat st {};
  if (!dir || ::fstat(dir.get(), &st) < 0)
    return std::nullopt;
  uid_t owner = st.st_uid;
  while (!rest.empty()) {
    auto slash = std::min(rest.find('/'), rest.size());
    std::string part(rest.substr(0, slash));
    rest.remove_prefix(std::min(slash + 1, rest.size()));
    if (part.empty())
      continue;
    dir.reset(::openat(dir.get(), part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir || ::fstat(dir.get(), &st) < 0)
      return std::nullopt;
    if (owner == 0)
      owner = st.st_uid;
  }
  return owner;
}

// The data roots of the running dockerd processes of `owner`: every process's name is read,
// once.
const std::vector<std::string>& container_resolver::state::find_docker_roots(uid_t owner) {
  auto [it, added] = docker_roots.try_emplace(owner);
  auto& roots = it->second;
  if (!added || !opts.find_daemons)
    return roots;
  for (pid_t pid : all_pids(opts.proc_root)) {
    if (comm_of(opts.proc_root, pid) != "dockerd" || !runs_as(opts.proc_root, pid, owner))
      continue;
    auto args = command_line(opts.proc_root, pid);
    std::string root = option_value(args, "--data-root");
    if (root.empty())
      root = option_value(args, "-g");
    if (root.empty())
      root = option_value(args, "--graph");
    if (root.empty()) {
      std::string config = option_value(args, "--config-file");
      root = configured_docker_root(config.empty() ? opts.docker_config : config, owner);
    }
    add_unique(roots, root.empty() ? "/var/lib/docker" : root);
  }
  return roots;
}

// Docker bind-mounts DATA_ROOT/containers/ID/hostname on the container's /etc/hostname: the
// container's mount table and the reader's give the data root for the price of two reads,
// where finding the daemons means reading every process's name.
std::string container_resolver::state::docker_root_of(const std::string& id, pid_t pid) {
  auto text = try_read(opts.proc_root + "/" + std::to_string(pid) + "/mountinfo");
  if (!text)
    return {};
  const std::string suffix = "/containers/" + id + "/hostname";
  for (const auto& m : parse_mountinfo(*text)) {
    if (m.target != "/etc/hostname" || !m.root.ends_with(suffix))
      continue;
    // The reader's mount of the same filesystem whose root holds the file.
    for (const auto& host : mounts()) {
      if (host.dev != m.dev)
        continue;
      auto rest = below_root(m.root, host.root);
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
    c.name = api.container_name(detail::docker_socket(::secure_getenv("DOCKER_HOST"), trusted(c)),
                                c.id, trusted(c));
}

void container_resolver::state::docker_name_on_disk(container& c, pid_t pid) {
  auto from_root = [&](const std::string& root) {
    auto text = try_read_as(root + "/containers/" + c.id + "/config.v2.json", trusted(c));
    if (!text)
      return false;
    // Docker keeps the name with its leading '/' ("/web").
    std::string name = string_at(parse_json(*text), "Name");
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
  if (trusted(c) != 0) {
    std::string home = home_of(trusted(c));
    config = home.empty() ? std::string() : home + "/.config/docker/daemon.json";
    fallback = home.empty() ? std::string() : home + "/.local/share/docker";
  }
  std::string configured = configured_docker_root(config, trusted(c));
  if ((!configured.empty() && from_root(configured)) || (!fallback.empty() && from_root(fallback)))
    return;
  const auto& roots = find_docker_roots(trusted(c));
  std::any_of(roots.begin(), roots.end(), from_root);
}

// Podman's container is a child of its conmon, whose -b names the bundle
// GRAPHROOT/DRIVER-containers/ID/userdata: that leads to the graph root even when podman was
// given --root. A process deeper in the container is found through its ancestors. Only a conmon
// of the container's owner is believed.
std::string container_resolver::state::conmon_root(pid_t pid, uid_t owner) {
  for (int depth = 0; pid > 1 && depth < 16; ++depth) {
    auto ppid = ppid_of(opts.proc_root, pid);
    if (!ppid || *ppid <= 1)
      return {};
    pid = *ppid;
    if (comm_of(opts.proc_root, pid) != "conmon")
      continue;
    if (!runs_as(opts.proc_root, pid, owner))
      return {};
    auto args = command_line(opts.proc_root, pid);
    std::string bundle = option_value(args, "-b");
    if (bundle.empty())
      bundle = option_value(args, "--bundle");
    return bundle.empty() ? std::string() : parent_dir(bundle, 3);
  }
  return {};
}

const std::unordered_map<std::string, std::string>& container_resolver::state::podman_root_names(
    const std::string& root, uid_t owner) {
  auto [it, added] = podman_names.try_emplace(std::to_string(owner) + ":" + root);
  if (!added)
    return it->second;
  // One containers.json per storage driver (overlay-containers, vfs-containers, ...).
  std::unique_ptr<DIR, int (*)(DIR*)> dir(nullptr, &::closedir);
  try {
    unique_fd listing = detail::reopen(detail::open_trusted_path(root, {.trusted_uid = owner}),
                                       O_RDONLY | O_DIRECTORY, root);
    dir.reset(::fdopendir(listing.get()));
    if (dir)
      (void)listing.release();  // the DIR owns it now
  } catch (const error&) {
  }
  if (!dir)
    return it->second;
  while (const dirent* e = ::readdir(dir.get())) {
    std::string_view entry = e->d_name;
    if (!entry.ends_with("-containers"))
      continue;
    auto text = try_read_as(root + "/" + std::string(entry) + "/containers.json", owner);
    if (!text)
      continue;
    json list = parse_json(*text);
    if (!list.is_array())
      continue;
    for (const auto& item : list) {
      std::string id = string_at(item, "id");
      auto names = item.is_object() ? item.find("names") : item.end();
      if (id.empty() || names == item.end() || !names->is_array() || names->empty() ||
          !names->front().is_string())
        continue;
      it->second.emplace(id, names->front().get<std::string>());
    }
  }
  return it->second;
}

void container_resolver::state::resolve_podman(container& c, pid_t pid) {
  std::vector<std::string> roots = opts.podman_roots;
  if (roots.empty()) {
    if (opts.find_daemons && pid > 0)
      add_unique(roots, conmon_root(pid, trusted(c)));
    if (trusted(c) != 0) {
      std::string home = home_of(trusted(c));
      if (!home.empty())
        add_unique(roots, home + "/.local/share/containers/storage");
    } else {
      std::string root = storage_graphroot(opts.storage_config);
      add_unique(roots, root.empty() ? "/var/lib/containers/storage" : root);
    }
  }
  for (const auto& root : roots) {
    const auto& names = podman_root_names(root, trusted(c));
    if (auto it = names.find(c.id); it != names.end()) {
      c.name = it->second;
      return;
    }
  }
  // As for Docker (resolve_docker); Podman's Docker-compatible API answers the same request.
  if (opts.podman_roots.empty())
    c.name = api.container_name(
        detail::podman_socket(::secure_getenv("CONTAINER_HOST"), trusted(c)), c.id, trusted(c));
}

// The OCI runtime spec's annotations of a containerd (k8s.io namespace) or CRI-O container.
namespace {
json annotations_of(const std::string& config_path, uid_t owner, bool& found) {
  auto text = try_read_as(config_path, owner);
  found = text.has_value();
  if (!text)
    return json();
  json spec = parse_json(*text);
  if (!spec.is_object())
    return json();
  auto it = spec.find("annotations");
  return it != spec.end() && it->is_object() ? *it : json();
}
}  // namespace

bool container_resolver::state::resolve_containerd(container& c) {
  bool found = false;
  json a =
      annotations_of(opts.containerd_state + "/k8s.io/" + c.id + "/config.json", trusted(c), found);
  c.name = string_at(a, "io.kubernetes.cri.container-name");
  c.pod_name = string_at(a, "io.kubernetes.cri.sandbox-name");
  c.pod_namespace = string_at(a, "io.kubernetes.cri.sandbox-namespace");
  return found;
}

bool container_resolver::state::resolve_crio(container& c) {
  bool found = false;
  json a = annotations_of(opts.crio_state + "/overlay-containers/" + c.id + "/userdata/config.json",
                          trusted(c), found);
  c.name = string_at(a, "io.kubernetes.container.name");
  c.pod_name = string_at(a, "io.kubernetes.pod.name");
  c.pod_namespace = string_at(a, "io.kubernetes.pod.namespace");
  return found;
}

container_resolver::container_resolver(container_options opts) : state_(std::make_unique<state>()) {
  detail::check_struct_size(opts, "container_options");
  state_->opts = std::move(opts);
}
container_resolver::container_resolver(container_resolver&&) noexcept = default;
container_resolver& container_resolver::operator=(container_resolver&&) noexcept = default;
container_resolver::~container_resolver() = default;

std::optional<container> container_resolver::of_process(pid_t pid) {
  auto text = try_read(state_->opts.proc_root + "/" + std::to_string(pid) + "/cgroup");
  return text ? of_cgroup(*text, pid) : std::nullopt;
}

namespace {
std::string container_key(const detail::cgroup_container& path, std::optional<uid_t> owner) {
  return fmt::format("{}:{}:{}", to_string(path.engine), owner ? std::to_string(*owner) : "?",
                     path.id);
}
}  // namespace

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
  for (pid_t pid : all_pids(proc)) {
    auto text = try_read(proc + "/" + std::to_string(pid) + "/cgroup");
    if (!text)
      continue;
    auto path = detail::classify_cgroup(*text);
    if (!path)
      continue;
    auto ppid = ppid_of(proc, pid);
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
  auto user = find_user(*c.owner);
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
  if (auto uid = number<uid_t>(owner)) {
    q.owner = *uid;
    return q;
  }
  auto user = find_user(std::nullopt, owner);
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
