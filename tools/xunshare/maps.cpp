// Turning --map-* options into the ID maps of the new user namespace (I/O: passwd, subid files).
#include "maps.hpp"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <nsutil/error.hpp>
#include <nsutil/unique_fd.hpp>

namespace nsutil::xunshare {
namespace {

std::uint32_t resolve(const map_target& t, id_kind kind, std::uint32_t current) {
  if (t.id)
    return *t.id;
  if (t.name.empty())
    return current;
  if (kind == id_kind::uid) {
    if (const passwd* pw = ::getpwnam(t.name.c_str()))
      return pw->pw_uid;
  } else if (const group* gr = ::getgrnam(t.name.c_str())) {
    return gr->gr_gid;
  }
  throw_error(EINVAL, kind == id_kind::uid ? "map-user" : "map-group", t.name,
              kind == id_kind::uid ? "no such user" : "no such group");
}

std::vector<id_range> ranges_of(const std::vector<map_spec>& specs, id_kind kind) {
  std::vector<id_range> out;
  const char* file = kind == id_kind::uid ? "/etc/subuid" : "/etc/subgid";
  for (const auto& s : specs) {
    if (s.what == map_spec::kind::range) {
      out.push_back(s.range);
      continue;
    }
    if (s.what == map_spec::kind::all) {
      for (const auto& r : identity_of(
               read_file(kind == id_kind::uid ? "/proc/self/uid_map" : "/proc/self/gid_map")))
        out.push_back(r);
      continue;
    }
    // Subordinate IDs belong to the user: look them up by the user's name or number, also
    // for /etc/subgid (as newgidmap does).
    const passwd* pw = ::getpwuid(::geteuid());
    auto block = find_subids(read_file(file), pw != nullptr ? pw->pw_name : "", ::geteuid());
    if (!block)
      throw_error(ENOENT, "map", file,
                  fmt::format("no subordinate IDs for user {}",
                              pw ? pw->pw_name : std::to_string(::geteuid())));
    if (s.what == map_spec::kind::auto_)
      out.push_back({0, block->first, block->second});
    else
      out.push_back({block->first, block->first, block->second});
  }
  return out;
}

}  // namespace

map_plan plan_maps(const options& o) {
  map_plan plan;
  std::uint32_t uid = o.owner ? o.owner->first : ::geteuid();
  std::uint32_t gid = o.owner ? o.owner->second : ::getegid();
  plan.maps.uids = ranges_of(o.map_users, id_kind::uid);
  plan.maps.gids = ranges_of(o.map_groups, id_kind::gid);
  bool ranged = !plan.maps.uids.empty() || !plan.maps.gids.empty();
  if (o.map_user) {
    id_range single{resolve(*o.map_user, id_kind::uid, uid), uid, 1};
    plan.maps.uids = merge_single(plan.maps.uids, single);
  }
  if (o.map_group) {
    id_range single{resolve(*o.map_group, id_kind::gid, gid), gid, 1};
    plan.maps.gids = merge_single(plan.maps.gids, single);
  }
  plan.use_helper = ranged || o.owner.has_value();
  // A process may write its own one-line gid map only once setgroups is denied.
  plan.maps.deny_setgroups = o.setgroups_allow == false || (o.map_group && !plan.use_helper);
  // Check the sizes now, before anything has changed.
  if (!plan.maps.uids.empty())
    (void)format_id_map(plan.maps.uids);
  if (!plan.maps.gids.empty())
    (void)format_id_map(plan.maps.gids);
  return plan;
}

}  // namespace nsutil::xunshare
