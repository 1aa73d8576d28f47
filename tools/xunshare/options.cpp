// xunshare's command line: util-linux unshare's options and spellings, applied in order so that
// later options override earlier ones as getopt's loop does.
#include "options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nsutil/idmap.hpp>

#include "xunshare.hpp"

namespace nsutil::xunshare {
namespace {

std::uint32_t id_or_fail(std::string_view text, std::string_view what) {
  auto id = cli::parse_id_number(text);
  if (!id)
    throw cli::parse_error(fmt::format("failed to parse {}: {}", what, cli::quoted(text)));
  return *id;
}

map_target target_of(std::string_view text) {
  if (text.empty())
    throw cli::parse_error("empty user or group name");
  if (auto id = cli::parse_id_number(text))
    return {*id, {}};
  if (text.find_first_not_of("0123456789") == std::string::npos ||
      cli::parse_number<std::uint64_t>(text))
    throw cli::parse_error(fmt::format("ID out of range: {}", cli::quoted(text)));
  return {std::nullopt, std::string(text)};
}

map_spec map_spec_of(std::string_view text, std::string_view option) {
  if (text == "auto")
    return {map_spec::kind::auto_, {}};
  if (text == "subids")
    return {map_spec::kind::subids, {}};
  if (text == "all")
    return {map_spec::kind::all, {}};
  auto r = parse_id_range(text);
  if (!r)
    throw cli::parse_error(
        fmt::format("invalid --{} value {} (expected inner:outer:count, auto, subids or all)",
                    option, cli::quoted(text)));
  return {map_spec::kind::range, *r};
}

std::int64_t seconds_of(std::string_view text, std::string_view option) {
  auto v = cli::parse_number<std::int64_t>(text);
  if (!v)
    throw cli::parse_error(
        fmt::format("failed to parse --{} offset: {}", option, cli::quoted(text)));
  return *v;
}

void add_persist(options& o, ns_type type, std::string_view file) {
  o.namespaces.add(type);
  if (file.empty())
    return;  // a bare --net after --net=FILE keeps FILE, as with util-linux
  std::erase_if(o.persist, [&](const persist_request& r) { return r.type == type; });
  o.persist.push_back({type, std::string(file)});
}

// --whitelist-env: the names of a comma-separated list are added to those kept (empty ones are
// skipped), and the rest of the environment is cleared.
void add_kept_variables(options& o, std::string_view list) {
  o.clear_env = true;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = list.find(',', start);
    std::string name(list.substr(start, comma - start));
    if (!name.empty() && std::find(o.keep_env.begin(), o.keep_env.end(), name) == o.keep_env.end())
      o.keep_env.push_back(std::move(name));
    if (comma == std::string_view::npos)
      return;
    start = comma + 1;
  }
}

// --map-auto and --map-subids: a map of that kind for users and one for groups.
void add_both(options& o, map_spec::kind kind) {
  o.map_users.push_back({kind, {}});
  o.map_groups.push_back({kind, {}});
}

using value = std::optional<std::string_view>;
using cli::takes;

// A namespace option: the type, and with a file, the file it persists to.
template <ns_type type>
void unshare_type(options& o, value file) {
  add_persist(o, type, file.value_or(""));
}

void set_owner(options& o, value v) {
  auto colon = v->find(':');
  if (colon == std::string_view::npos)
    throw cli::parse_error(fmt::format("--owner needs <uid>:<gid>, not {}", cli::quoted(*v)));
  o.owner = {id_or_fail(v->substr(0, colon), "owner uid"),
             id_or_fail(v->substr(colon + 1), "owner gid")};
}

void set_propagation(options& o, value v) {
  auto p = parse_propagation(*v);
  if (!p)
    throw cli::parse_error(fmt::format("unsupported propagation mode: {}", cli::printable(*v)));
  o.prop = *p;
}

void set_setgroups(options& o, value v) {
  if (*v != "allow" && *v != "deny")
    throw cli::parse_error(fmt::format("unsupported --setgroups argument {}", cli::quoted(*v)));
  o.setgroups_allow = *v == "allow";
}

// util-linux unshare's options, as its --help lists them, and xunshare's own.
constexpr cli::option<options> table[] = {
    {{"mount", 'm', takes::optional_long, "[=<file>]", "unshare mounts namespace"},
     unshare_type<ns_type::mnt>},
    {{"uts", 'u', takes::optional_long, "[=<file>]", "unshare UTS namespace (hostname etc)"},
     unshare_type<ns_type::uts>},
    {{"ipc", 'i', takes::optional_long, "[=<file>]", "unshare System V IPC namespace"},
     unshare_type<ns_type::ipc>},
    {{"net", 'n', takes::optional_long, "[=<file>]", "unshare network namespace"},
     unshare_type<ns_type::net>},
    {{"pid", 'p', takes::optional_long, "[=<file>]", "unshare pid namespace (implies --fork)"},
     unshare_type<ns_type::pid>},
    {{"user", 'U', takes::optional_long, "[=<file>]", "unshare user namespace"},
     unshare_type<ns_type::user>},
    {{"cgroup", 'C', takes::optional_long, "[=<file>]", "unshare cgroup namespace"},
     unshare_type<ns_type::cgroup>},
    {{"time", 'T', takes::optional_long, "[=<file>]", "unshare time namespace"},
     unshare_type<ns_type::time>},
    {{"fork", 'f', takes::nothing, "", "fork before launching <program>", true},
     [](options& o, value) { o.fork = true; }},
    {{"init", 0, takes::nothing, "",
      "run a minimal init as PID 1 and <program> as PID 2\n(implies --pid)"},
     [](options& o, value) { o.init = true; }},
    {{"map-user", 0, takes::value, "=<uid>|<name>", "map current user to uid (implies --user)"},
     [](options& o, value v) { o.map_user = target_of(*v); }},
    {{"map-group", 0, takes::value, "=<gid>|<name>", "map current group to gid (implies --user)"},
     [](options& o, value v) { o.map_group = target_of(*v); }},
    {{"map-root-user", 'r', takes::nothing, "", "map current user to root (implies --user)"},
     [](options& o, value) {
       o.map_user = o.map_group = map_target{0, {}};
     }},
    {{"map-current-user", 'c', takes::nothing, "", "map current user to itself (implies --user)"},
     [](options& o, value) { o.map_user = o.map_group = map_target{}; }},
    {{"map-auto", 0, takes::nothing, "", "map users and groups automatically (implies --user)"},
     [](options& o, value) { add_both(o, map_spec::kind::auto_); }},
    {{"map-subids", 0, takes::nothing, "",
      "map users and groups to their subordinate IDs\n(implies --user)"},
     [](options& o, value) { add_both(o, map_spec::kind::subids); }},
    {{"map-users", 0, takes::value, "=<inneruid>:<outeruid>:<count>|auto|subids|all",
      "map count users from outeruid to inneruid (implies --user)"},
     [](options& o, value v) { o.map_users.push_back(map_spec_of(*v, "map-users")); }},
    {{"map-groups", 0, takes::value, "=<innergid>:<outergid>:<count>|auto|subids|all",
      "map count groups from outergid to innergid (implies --user)"},
     [](options& o, value v) { o.map_groups.push_back(map_spec_of(*v, "map-groups")); }},
    {{"owner", 0, takes::value, "=<uid>:<gid>",
      "the user and group that own the new user namespace\n(implies --user)"},
     set_owner},
    {{"kill-child", 0, takes::optional, "[=<signame>]",
      "when dying, kill the forked child (implies --fork)\ndefaults to SIGKILL", true},
     [](options& o, value v) { o.kill_child = cli::parse_signal(v && !v->empty() ? *v : "KILL"); }},
    {{"forward-signals", 0, takes::nothing, "",
      "forward signals to the forked child (implies --fork;\nxunshare always forwards them)"},
     [](options& o, value) { o.forward_signals = true; }},
    {{"mount-proc", 0, takes::optional, "[=<dir>]",
      "mount proc filesystem first (implies --mount)"},
     [](options& o, value v) { o.mount_proc = v && !v->empty() ? *v : "/proc"; }},
    {{"mount-binfmt", 0, takes::optional, "[=<dir>]",
      "mount binfmt filesystem first (implies --user and --mount)"},
     [](options& o, value v) { o.mount_binfmt = v.value_or(""); }},
    {{"load-interp", 'l', takes::value, "=<string>",
      "load binfmt definition in the namespace\n(implies --mount-binfmt)"},
     [](options& o, value v) { o.load_interp.emplace_back(*v); }},
    {{"propagation", 0, takes::value, " slave|shared|private|unchanged",
      "modify mount propagation in mount namespace"},
     set_propagation},
    {{"setgroups", 0, takes::value, " allow|deny",
      "control the setgroups syscall in user namespaces"},
     set_setgroups},
    {{"keep-caps", 0, takes::nothing, "", "retain capabilities granted in user namespaces"},
     [](options& o, value) { o.keep_caps = true; }},
    {{"root", 'R', takes::value, "=<dir>", "run the command with root directory set to <dir>",
      true},
     [](options& o, value v) { o.root = *v; }},
    {{"wd", 'w', takes::value, "=<dir>", "change working directory to <dir>"},
     [](options& o, value v) { o.wd = *v; }},
    {{"setuid", 'S', takes::value, " <uid>", "set uid in entered namespace"},
     [](options& o, value v) { o.setuid = id_or_fail(*v, "uid"); }},
    {{"setgid", 'G', takes::value, " <gid>", "set gid in entered namespace"},
     [](options& o, value v) { o.setgid = id_or_fail(*v, "gid"); }},
    {{"monotonic", 0, takes::value, " <offset>",
      "set clock monotonic offset (seconds) in time namespaces"},
     [](options& o, value v) { o.offsets.monotonic = seconds_of(*v, "monotonic"); }},
    {{"boottime", 0, takes::value, " <offset>",
      "set clock boottime offset (seconds) in time namespaces"},
     [](options& o, value v) { o.offsets.boottime = seconds_of(*v, "boottime"); }},
    {{"clear-env", 0, takes::nothing, "", "clear the environment of the program"},
     [](options& o, value) { o.clear_env = true; }},
    {{"whitelist-env", 0, takes::value, " <list>",
      "clear the environment except the listed variables\n(a comma-separated list of names)"},
     [](options& o, value v) { add_kept_variables(o, *v); }},
    {{"help", 'h', takes::nothing, "", "display this help", true}},
    {{"version", 'V', takes::nothing, "", "display version"}},
};

constexpr cli::help_layout help{
    .tool = "xunshare",
    .head =
        "Usage:\n xunshare [options] [<program> [<argument>...]]\n\n"
        "Run a program with some namespaces unshared from the parent.\n\nOptions:\n",
    .tail = "\nFor more details see xunshare(1).\n",
    .column = 27,
    .indent_long_only = false,
};

// What options imply, as util-linux documents it, plus xunshare's own: -p forks.
void apply_implications(options& o) {
  if (o.mount_proc)
    o.namespaces.add(ns_type::mnt);
  if (!o.load_interp.empty() && !o.mount_binfmt)
    o.mount_binfmt = "";
  if (o.mount_binfmt) {
    o.namespaces.add(ns_type::mnt);
    o.namespaces.add(ns_type::user);
    if (o.mount_binfmt->empty()) {
      o.mount_binfmt = "/proc/sys/fs/binfmt_misc";
      if (!o.mount_proc)
        o.mount_proc = "/proc";
    }
  }
  if (o.map_user || o.map_group || !o.map_users.empty() || !o.map_groups.empty() || o.owner)
    o.namespaces.add(ns_type::user);
  if (o.init)
    o.namespaces.add(ns_type::pid);
  if (o.kill_child != 0 || o.forward_signals || o.init || o.namespaces.contains(ns_type::pid))
    o.fork = true;
}

// The rules between options, once all are read, what they imply, and the program.
options finish(options& o, std::vector<std::string> command) {
  if ((o.offsets.monotonic || o.offsets.boottime) && !o.namespaces.contains(ns_type::time))
    throw cli::parse_error(
        "options --monotonic and --boottime require unsharing of a time namespace (-T)");
  if (o.setgroups_allow == true && o.map_group)
    throw cli::parse_error("options --setgroups=allow and --map-group are mutually exclusive");
  apply_implications(o);
  o.command = std::move(command);
  return std::move(o);
}

}  // namespace

std::vector<const cli::option_spec*> option_specs() {
  return cli::specs_of(std::span(table));
}

cli::parse_result<options> parse_args(std::span<char* const> args) {
  return cli::parse(std::span(table), args, help, cli::operands::end_options, finish);
}

}  // namespace nsutil::xunshare
