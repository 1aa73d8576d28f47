// Turning --map-* options into the ID maps of the new user namespace (I/O: passwd, subid files).
#include "maps.hpp"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <nsutil/error.hpp>

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
  for (const auto& s : specs) {
    switch (s.what) {
      case map_spec::kind::range:
        out.push_back(s.range);
        break;
      case map_spec::kind::all:
        for (const auto& r : identity_of_self(kind))
          out.push_back(r);
        break;
      case map_spec::kind::auto_: {
        auto [start, count] = subids_of(kind, ::geteuid());
        out.push_back({0, start, count});
        break;
      }
      case map_spec::kind::subids: {
        auto [start, count] = subids_of(kind, ::geteuid());
        out.push_back({start, start, count});
        break;
      }
    }
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
