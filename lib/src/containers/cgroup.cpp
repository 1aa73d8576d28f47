#include "containers/cgroup.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

#include "base/proc_text.hpp"

namespace nsutil::detail {
namespace {

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

// systemd's place for a user's instance; a user@UID.service further down is a name the user
// chose in its own subtree.
std::optional<uid_t> systemd_user_of(const std::vector<std::string_view>& parts) {
  if (parts.size() <= 2 || parts[0] != "user.slice")
    return std::nullopt;
  auto slice = between(parts[1], "user-", ".slice");
  auto service = between(parts[2], "user@", ".service");
  if (!slice || !service || *slice != *service)
    return std::nullopt;
  return parse_decimal<uid_t>(*service);
}

// machined's names are host names: an escape that makes a control character or a '/' is not one
// of its scopes.
std::optional<std::string> machine_of(std::string_view component, std::string_view parent) {
  auto name = between(component, "machine-", ".scope");
  if (!name || name->empty() || parent != "machine.slice")
    return std::nullopt;
  std::string machine = unescape_unit_name(*name);
  if (std::any_of(machine.begin(), machine.end(), [](char ch) {
        return ch == '/' || static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
      }))
    return std::nullopt;
  return machine;
}

// What names a container at component `i` of `parts`: its engine, its ID, and the index of the
// container's last component (the next one, where the ID is a component of its own).
struct component_hit {
  container_engine engine;
  std::string id;
  std::size_t last;
};

std::optional<component_hit> engine_component(const std::vector<std::string_view>& parts,
                                              std::size_t i, bool kube) {
  using enum container_engine;
  std::string_view c = parts[i];
  std::string_view next = i + 1 < parts.size() ? parts[i + 1] : std::string_view();
  std::string_view prev = i > 0 ? parts[i - 1] : std::string_view();
  auto at = [&](container_engine engine, std::string_view id, std::size_t last) {
    return std::optional(component_hit{engine, std::string(id), last});
  };
  if (c == "docker" && is_hex_id(next))
    return at(docker, next, i + 1);
  if (auto id = hex_id_between(c, "docker-", ".scope"))
    return at(docker, *id, i);
  if (auto id = hex_id_between(c, "libpod-", ".scope"))
    return at(podman, *id, i);
  if (auto id = hex_id_between(c, "libpod-", ""); id && prev == "libpod_parent")
    return at(podman, *id, i);
  if (auto id = hex_id_between(c, "cri-containerd-", ".scope"))
    return at(containerd, *id, i);
  if (auto id = hex_id_between(c, "crio-", ".scope"))
    return at(crio, *id, i);
  if (kube && is_hex_id(c) && prev.starts_with("pod"))
    return at(cri, c, i);
  if (auto machine = machine_of(c, prev))
    return at(machined, *machine, i);
  if (auto name = between(c, "lxc.payload.", ""); name && !name->empty())
    return at(lxc, *name, i);
  if ((c == "lxc.payload" || c == "lxc") && !next.empty())
    return at(lxc, next, i + 1);
  return std::nullopt;
}

}  // namespace

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
  for (std::string_view part : split(path, '/'))
    if (!part.empty())
      parts.push_back(part);
  cgroup_container found;
  found.user = systemd_user_of(parts);
  bool kube = false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].starts_with("kubepods"))
      kube = true;
    if (kube)
      if (auto pod = pod_uid_of(parts[i]))
        found.pod_uid = *pod;
    auto hit = engine_component(parts, i, kube);
    if (!hit)
      continue;
    found.engine = hit->engine;
    found.id = std::move(hit->id);
    // The cgroup path is the parts up to the container's last component.
    for (std::size_t k = 0; k <= hit->last; ++k)
      (found.path += '/') += parts[k];
    return found;
  }
  return std::nullopt;
}

std::optional<cgroup_container> classify_cgroup(std::string_view text) {
  if (auto v2 = cgroup2_path(text))
    if (auto found = classify_cgroup_path(*v2))
      return found;
  for (std::string_view line : lines(text)) {
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

}  // namespace nsutil::detail
