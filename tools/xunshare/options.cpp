// xunshare's command line: util-linux unshare's options and spellings, parsed in order so that
// later options override earlier ones as getopt's loop does.
#include <fmt/format.h>

#include <algorithm>
#include <nsutil/idmap.hpp>

#include "xunshare.hpp"

namespace po = boost::program_options;

namespace nsutil::xunshare {
namespace {

constexpr std::string_view help_text = R"(
Usage:
 xunshare [options] [<program> [<argument>...]]

Run a program with some namespaces unshared from the parent.

Options:
 -m, --mount[=<file>]      unshare mounts namespace
 -u, --uts[=<file>]        unshare UTS namespace (hostname etc)
 -i, --ipc[=<file>]        unshare System V IPC namespace
 -n, --net[=<file>]        unshare network namespace
 -p, --pid[=<file>]        unshare pid namespace (implies --fork)
 -U, --user[=<file>]       unshare user namespace
 -C, --cgroup[=<file>]     unshare cgroup namespace
 -T, --time[=<file>]       unshare time namespace

 -f, --fork                fork before launching <program>
 --init                    run a minimal init as PID 1 and <program> as PID 2
                             (implies --pid)
 --map-user=<uid>|<name>   map current user to uid (implies --user)
 --map-group=<gid>|<name>  map current group to gid (implies --user)
 -r, --map-root-user       map current user to root (implies --user)
 -c, --map-current-user    map current user to itself (implies --user)
 --map-auto                map users and groups automatically (implies --user)
 --map-subids              map users and groups to their subordinate IDs
                             (implies --user)
 --map-users=<inneruid>:<outeruid>:<count>|auto|subids|all
                           map count users from outeruid to inneruid (implies --user)
 --map-groups=<innergid>:<outergid>:<count>|auto|subids|all
                           map count groups from outergid to innergid (implies --user)
 --owner=<uid>:<gid>       the user and group that own the new user namespace
                             (implies --user)

 --kill-child[=<signame>]  when dying, kill the forked child (implies --fork)
                             defaults to SIGKILL
 --forward-signals         forward signals to the forked child (implies --fork;
                             xunshare always forwards them)
 --mount-proc[=<dir>]      mount proc filesystem first (implies --mount)
 --mount-binfmt[=<dir>]    mount binfmt filesystem first (implies --user and --mount)
 -l, --load-interp=<string>
                           load binfmt definition in the namespace
                             (implies --mount-binfmt)
 --propagation slave|shared|private|unchanged
                           modify mount propagation in mount namespace
 --setgroups allow|deny    control the setgroups syscall in user namespaces
 --keep-caps               retain capabilities granted in user namespaces

 -R, --root=<dir>          run the command with root directory set to <dir>
 -w, --wd=<dir>            change working directory to <dir>
 -S, --setuid <uid>        set uid in entered namespace
 -G, --setgid <gid>        set gid in entered namespace
 --monotonic <offset>      set clock monotonic offset (seconds) in time namespaces
 --boottime <offset>       set clock boottime offset (seconds) in time namespaces
 --clear-env               clear the environment of the program
 --whitelist-env <list>    clear the environment except the listed variables
                             (a comma-separated list of names)

 -h, --help                display this help
 -V, --version             display version

For more details see xunshare(1).
)";

// The options `named` names (cli::named_options says why not all).
po::options_description describe(const cli::named_options& named) {
  po::options_description d;
  auto flag = [&](const char* name) { named.add(d, name, po::bool_switch()); };
  auto optional_value = [&](const char* name) {
    named.add(d, name, po::value<std::string>()->implicit_value(""));
  };
  auto value = [&](const char* name) { named.add(d, name, po::value<std::string>()); };
  // The short namespace options take no value, so "-mfp" is three options: they are declared
  // apart from the long ones, whose value is optional (see cli::split_at_command).
  for (const auto& row : ns_types) {
    optional_value(std::string(row.option).c_str());
  }
  for (const char* s : {",m", ",u", ",i", ",n", ",p", ",U", ",C", ",T", "fork,f", "init",
                        "forward-signals", "map-root-user,r", "map-current-user,c", "map-auto",
                        "map-subids", "keep-caps", "clear-env", "help,h", "version,V"})
    flag(s);
  for (const char* s : {"kill-child", "mount-proc", "mount-binfmt"})
    optional_value(s);
  for (const char* s : {"map-user", "map-group", "map-users", "map-groups", "owner", "propagation",
                        "setgroups", "root,R", "wd,w", "setuid,S", "setgid,G", "monotonic",
                        "boottime", "load-interp,l", "whitelist-env"})
    value(s);
  return d;
}

std::uint32_t id_or_fail(const std::string& text, std::string_view what) {
  auto id = cli::parse_id_number(text);
  if (!id)
    throw cli::usage_error(fmt::format("failed to parse {}: {}", what, cli::quoted(text)));
  return *id;
}

map_target target_of(const std::string& text) {
  if (text.empty())
    throw cli::usage_error("empty user or group name");
  if (auto id = cli::parse_id_number(text))
    return {*id, {}};
  if (text.find_first_not_of("0123456789") == std::string::npos ||
      cli::parse_number<std::uint64_t>(text))
    throw cli::usage_error(fmt::format("ID out of range: {}", cli::quoted(text)));
  return {std::nullopt, text};
}

map_spec map_spec_of(const std::string& text, std::string_view option) {
  if (text == "auto")
    return {map_spec::kind::auto_, {}};
  if (text == "subids")
    return {map_spec::kind::subids, {}};
  if (text == "all")
    return {map_spec::kind::all, {}};
  auto r = parse_id_range(text);
  if (!r)
    throw cli::usage_error(
        fmt::format("invalid --{} value {} (expected inner:outer:count, auto, subids or all)",
                    option, cli::quoted(text)));
  return {map_spec::kind::range, *r};
}

std::int64_t seconds_of(const std::string& text, std::string_view option) {
  auto v = cli::parse_number<std::int64_t>(text);
  if (!v)
    throw cli::usage_error(
        fmt::format("failed to parse --{} offset: {}", option, cli::quoted(text)));
  return *v;
}

void add_persist(options& o, ns_type type, const std::string& file) {
  o.namespaces.add(type);
  if (file.empty())
    return;  // a bare --net after --net=FILE keeps FILE, as with util-linux
  std::erase_if(o.persist, [&](const persist_request& r) { return r.type == type; });
  o.persist.push_back({type, file});
}

// --whitelist-env: the names of a comma-separated list are added to those kept (empty ones are
// skipped), and the rest of the environment is cleared.
void add_kept_variables(options& o, const std::string& list) {
  o.clear_env = true;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = list.find(',', start);
    std::string name = list.substr(start, comma - start);
    if (!name.empty() && std::find(o.keep_env.begin(), o.keep_env.end(), name) == o.keep_env.end())
      o.keep_env.push_back(std::move(name));
    if (comma == std::string::npos)
      return;
    start = comma + 1;
  }
}

// Applies one option; `v` is its value ("" when it has none).
void apply(options& o, const std::string& key, const std::string& v, bool& timens_asked) {
  if (key.size() == 2 && key[0] == '-') {
    static constexpr std::string_view letters = "muinpUCT";
    static constexpr ns_type types[] = {ns_type::mnt,    ns_type::uts, ns_type::ipc,
                                        ns_type::net,    ns_type::pid, ns_type::user,
                                        ns_type::cgroup, ns_type::time};
    auto pos = letters.find(key[1]);
    if (pos != std::string_view::npos) {
      o.namespaces.add(types[pos]);
      return;
    }
  }
  if (auto type = parse_ns_type(key); type && key != "mnt") {
    add_persist(o, *type, v);
    return;
  }
  using setter = void (*)(options&, const std::string&);
  static const std::pair<std::string_view, setter> table[] = {
      {"fork", [](options& x, const std::string&) { x.fork = true; }},
      {"init", [](options& x, const std::string&) { x.init = true; }},
      {"forward-signals", [](options& x, const std::string&) { x.forward_signals = true; }},
      {"kill-child",
       [](options& x, const std::string& s) {
         x.kill_child = cli::parse_signal(s.empty() ? "KILL" : s);
       }},
      {"mount-proc",
       [](options& x, const std::string& s) { x.mount_proc = s.empty() ? "/proc" : s; }},
      {"mount-binfmt", [](options& x, const std::string& s) { x.mount_binfmt = s; }},
      {"load-interp", [](options& x, const std::string& s) { x.load_interp.push_back(s); }},
      {"map-root-user",
       [](options& x, const std::string&) {
         x.map_user = x.map_group = map_target{0, {}};
       }},
      {"map-current-user",
       [](options& x, const std::string&) { x.map_user = x.map_group = map_target{}; }},
      {"map-user", [](options& x, const std::string& s) { x.map_user = target_of(s); }},
      {"map-group", [](options& x, const std::string& s) { x.map_group = target_of(s); }},
      {"map-users",
       [](options& x, const std::string& s) {
         x.map_users.push_back(map_spec_of(s, "map-users"));
       }},
      {"map-groups",
       [](options& x, const std::string& s) {
         x.map_groups.push_back(map_spec_of(s, "map-groups"));
       }},
      {"map-auto",
       [](options& x, const std::string&) {
         x.map_users.push_back({map_spec::kind::auto_, {}});
         x.map_groups.push_back({map_spec::kind::auto_, {}});
       }},
      {"map-subids",
       [](options& x, const std::string&) {
         x.map_users.push_back({map_spec::kind::subids, {}});
         x.map_groups.push_back({map_spec::kind::subids, {}});
       }},
      {"owner",
       [](options& x, const std::string& s) {
         auto colon = s.find(':');
         if (colon == std::string::npos)
           throw cli::usage_error(fmt::format("--owner needs <uid>:<gid>, not {}", cli::quoted(s)));
         x.owner = {id_or_fail(s.substr(0, colon), "owner uid"),
                    id_or_fail(s.substr(colon + 1), "owner gid")};
       }},
      {"propagation",
       [](options& x, const std::string& s) {
         auto p = parse_propagation(s);
         if (!p)
           throw cli::usage_error(
               fmt::format("unsupported propagation mode: {}", cli::printable(s)));
         x.prop = *p;
       }},
      {"setgroups",
       [](options& x, const std::string& s) {
         if (s != "allow" && s != "deny")
           throw cli::usage_error(
               fmt::format("unsupported --setgroups argument {}", cli::quoted(s)));
         x.setgroups_allow = s == "allow";
       }},
      {"keep-caps", [](options& x, const std::string&) { x.keep_caps = true; }},
      {"clear-env", [](options& x, const std::string&) { x.clear_env = true; }},
      {"whitelist-env", add_kept_variables},
      {"root", [](options& x, const std::string& s) { x.root = s; }},
      {"wd", [](options& x, const std::string& s) { x.wd = s; }},
      {"setuid", [](options& x, const std::string& s) { x.setuid = id_or_fail(s, "uid"); }},
      {"setgid", [](options& x, const std::string& s) { x.setgid = id_or_fail(s, "gid"); }},
      {"monotonic",
       [](options& x, const std::string& s) { x.offsets.monotonic = seconds_of(s, "monotonic"); }},
      {"boottime",
       [](options& x, const std::string& s) { x.offsets.boottime = seconds_of(s, "boottime"); }},
  };
  for (const auto& [name, set] : table) {
    if (name == key) {
      set(o, v);
      if (name == "monotonic" || name == "boottime")
        timens_asked = true;
      return;
    }
  }
}

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

}  // namespace

cli::parse_result<options> parse_args(std::span<char* const> args) {
  const po::options_description desc = describe(cli::named_options(args));
  cli::split_args split = cli::split_at_command(args, desc);
  options o;
  bool timens_asked = false;
  for (const po::option& opt : cli::parse_options_in_order(split.options, desc)) {
    const std::string& key = opt.string_key;
    if (key == "help")
      return cli::early_exit{std::string(help_text.substr(1))};
    if (key == "version")
      return cli::early_exit{cli::version_text("xunshare")};
    apply(o, key, opt.value.empty() ? std::string() : opt.value.front(), timens_asked);
  }
  if (timens_asked && !o.namespaces.contains(ns_type::time))
    throw cli::usage_error(
        "options --monotonic and --boottime require unsharing of a time namespace (-T)");
  if (o.setgroups_allow == true && o.map_group)
    throw cli::usage_error("options --setgroups=allow and --map-group are mutually exclusive");
  apply_implications(o);
  o.command = std::move(split.command);
  return o;
}

}  // namespace nsutil::xunshare
