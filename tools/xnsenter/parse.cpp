// xnsenter's command line: util-linux nsenter's options (2.42) plus --netns.
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <stdexcept>

#include "xnsenter.hpp"

namespace po = boost::program_options;

namespace nsutil::xnsenter {
namespace {

constexpr std::string_view help_text = R"(
Usage:
 xnsenter [options] [<program> [<argument>...]]

Run a program in the namespaces of another process, or of namespace files.

Options:
 -a, --all              enter every namespace of the target
 -t, --target <pid>[:<inode>]
                        the process whose namespaces are entered (the pidfs
                          inode catches a recycled PID)
     --container [<owner>/]<name>|<id>
                        the main process of a running container (Docker,
                          Podman, containerd, CRI-O, nspawn, LXC) is the
                          target; with no namespace option, enter them all;
                          its user namespace is entered too; without
                          <owner>, only your own containers are named
     --keep-userns      with --container, stay in your user namespace
 -m, --mount[=<file>|=:<nsid>]
                        enter the mount namespace
 -u, --uts[=<file>|=:<nsid>]
                        enter the UTS namespace (host and domain name)
 -i, --ipc[=<file>|=:<nsid>]
                        enter the System V IPC namespace
 -n, --net[=<file>|=:<nsid>]
                        enter the network namespace
 -N, --net-socket <fd>  enter the network namespace of the target's socket <fd>
     --netns <name>     enter the network namespace <name> of 'ip netns'
 -p, --pid[=<file>|=:<nsid>]
                        enter the PID namespace
 -C, --cgroup[=<file>|=:<nsid>]
                        enter the cgroup namespace
 -U, --user[=<file>|=:<nsid>]
                        enter the user namespace
     --user-parent      enter the parent of that user namespace
 -T, --time[=<file>|=:<nsid>]
                        enter the time namespace
 -S, --setuid <uid>|follow
                        the user ID to run as in the namespaces
 -G, --setgid <gid>|follow
                        the group ID to run as in the namespaces
     --preserve-credentials
                        keep the user and group IDs when entering a user ns
     --keep-caps        keep the capabilities in the user namespace
 -r, --root[=<dir>]     change the root directory
 -w, --wd[=<dir>]       change the working directory (opened before entering)
 -W, --wdns[=<dir>]     change the working directory (looked up after entering)
 -e, --env              take the environment of the target
 -F, --no-fork          do not fork before running <program>
 -c, --join-cgroup      join the cgroup of the target (cgroup v2)
 -Z, --follow-context   take the SELinux context of the target

 -h, --help             display this help
 -V, --version          display version

<nsid> is a namespace ID (xlsns -o NSID), opened by an nsfs file handle (Linux
6.18); a file whose name starts with ':' is written ./:<name>.

For more details see xnsenter(1).
)";

struct ns_option {
  const char* spec;
  ns_type type;
};
constexpr std::array<ns_option, 8> ns_options{{
    {"mount,m", ns_type::mnt},
    {"uts,u", ns_type::uts},
    {"ipc,i", ns_type::ipc},
    {"net,n", ns_type::net},
    {"pid,p", ns_type::pid},
    {"user,U", ns_type::user},
    {"cgroup,C", ns_type::cgroup},
    {"time,T", ns_type::time},
}};

// The options `named` names (cli::named_options says why not all).
po::options_description describe(const cli::named_options& named) {
  po::options_description d;
  auto add = [&](const char* spec, const po::value_semantic* semantic) {
    named.add(d, spec, semantic);
  };
  add("all,a", po::bool_switch());
  add("target,t", po::value<std::string>());
  add("container", po::value<std::string>());
  add("keep-userns", po::bool_switch());
  for (const auto& o : ns_options)
    add(o.spec, po::value<std::string>()->implicit_value(""));
  add("net-socket,N", po::value<std::string>());
  add("netns", po::value<std::string>());
  add("user-parent", po::bool_switch());
  add("setuid,S", po::value<std::string>());
  add("setgid,G", po::value<std::string>());
  add("preserve-credentials", po::bool_switch());
  add("keep-caps", po::bool_switch());
  add("root,r", po::value<std::string>()->implicit_value(""));
  add("wd,w", po::value<std::string>()->implicit_value(""));
  add("wdns,W", po::value<std::string>()->implicit_value(""));
  add("env,e", po::bool_switch());
  add("no-fork,F", po::bool_switch());
  add("join-cgroup,c", po::bool_switch());
  add("follow-context,Z", po::bool_switch());
  add("help,h", po::bool_switch());
  add("version,V", po::bool_switch());
  return d;
}

// getopt hands "-n=FILE" over as "=FILE"; util-linux strips the '='.
std::string strip_eq(std::string v) {
  if (!v.empty() && v[0] == '=')
    v.erase(0, 1);
  return v;
}

// --net=FILE or --net=:NSID (util-linux 2.42): a leading ':' means a namespace ID; a file whose
// name starts with ':' is written ./:NAME.
void parse_ns_source(std::string_view option, const std::string& value, ns_source& source) {
  source.enabled = true;
  std::string v = strip_eq(value);
  if (v.empty() || v[0] != ':') {
    source.file = std::move(v);
    return;
  }
  auto id = cli::parse_number<std::uint64_t>(std::string_view(v).substr(1));
  if (!id)
    throw std::invalid_argument(
        fmt::format("failed to parse namespace ID: {} (--{}=:ID takes a number, as xlsns -o "
                    "NSID prints; a file named so is ./{})",
                    cli::quoted(v), option, cli::printable(v)));
  source.id = *id;
}

void parse_target(const std::string& value, options& o) {
  if (value.find('/') != std::string::npos) {
    o.target_path = value;
    return;
  }
  std::string_view v(value);
  std::string_view pid_part = v.substr(0, v.find(':'));
  auto pid = cli::parse_number<unsigned>(pid_part);
  if (!pid)
    throw std::invalid_argument(fmt::format("failed to parse pid: {}", cli::quoted(value)));
  if (*pid == 0 || *pid > static_cast<unsigned>(INT_MAX))
    throw std::invalid_argument(
        fmt::format("invalid pid: {} (a process ID is 1 or more)", cli::quoted(value)));
  o.request.target = static_cast<pid_t>(*pid);
  if (pid_part.size() < v.size()) {
    auto ino = cli::parse_number<std::uint64_t>(v.substr(pid_part.size() + 1));
    if (!ino)
      throw std::invalid_argument(
          fmt::format("failed to parse pidfs inode in {} (PID:INODE)", cli::quoted(value)));
    o.request.target_inode = *ino;
  }
}

id_choice parse_id(const std::string& value, const char* what) {
  if (value == "follow")
    return {true, 0};
  auto id = cli::parse_id_number(value);
  if (!id)
    throw std::invalid_argument(fmt::format("failed to parse {}: {}", what, cli::quoted(value)));
  return {false, *id};
}

}  // namespace

cli::parse_result<options> parse_args(std::span<char* const> args) {
  const po::options_description desc = describe(cli::named_options(args));
  cli::split_args split = cli::split_at_command(args, desc);
  po::variables_map vm = cli::parse_options(split.options, desc);
  auto flag = [&](const char* name) { return cli::switch_given(vm, name); };
  auto str = [&](const char* name) -> std::optional<std::string> {
    if (!vm.count(name))
      return std::nullopt;
    return vm[name].as<std::string>();
  };

  if (flag("help"))
    return cli::early_exit{std::string(help_text.substr(1))};
  if (flag("version"))
    return cli::early_exit{cli::version_text("xnsenter")};

  options o;
  enter_request& r = o.request;
  if (auto t = str("target"))
    parse_target(*t, o);
  for (const auto& opt : ns_options) {
    std::string name(opt.spec, std::string_view(opt.spec).find(','));
    if (auto v = str(name.c_str()))
      parse_ns_source(name, *v, r.source(opt.type));
  }
  r.all = flag("all");
  r.user_parent = flag("user-parent");
  if (auto v = str("net-socket")) {
    auto fd = cli::parse_number<int>(*v);
    if (!fd || *fd < 0)
      throw std::invalid_argument(fmt::format("failed to parse socket fd: {}", cli::quoted(*v)));
    r.net_socket = *fd;
  }
  if (auto v = str("netns")) {
    if (!r.source(ns_type::net).file.empty() || r.source(ns_type::net).id)
      throw cli::usage_error("--netns and --net=FILE (or =:ID) are mutually exclusive");
    o.netns = *v;
  }
  if (auto v = str("setuid"))
    r.uid = parse_id(*v, "uid");
  if (auto v = str("setgid"))
    r.gid = parse_id(*v, "gid");
  r.preserve_credentials = flag("preserve-credentials");
  r.keep_caps = flag("keep-caps");
  if (auto v = str("root"))
    r.root = strip_eq(*v);
  if (auto v = str("wd"))
    r.wd = strip_eq(*v);
  if (auto v = str("wdns"))
    r.wdns = strip_eq(*v);
  if (r.wd && r.wdns)
    throw cli::usage_error("--wd and --wdns are mutually exclusive");
  r.env = flag("env");
  r.join_cgroup = flag("join-cgroup");
  o.no_fork = flag("no-fork");
  o.follow_context = flag("follow-context");
  o.keep_userns = flag("keep-userns");
  if (o.keep_userns && !vm.count("container"))
    throw cli::usage_error("--keep-userns goes with --container");
  if (auto v = str("container")) {
    if (vm.count("target"))
      throw cli::usage_error("--container and --target are mutually exclusive");
    if (v->empty())
      throw std::invalid_argument("--container needs a container name or ID");
    o.container = *v;
    // Like -a when no namespace is named: a container is entered as a whole.
    bool named = o.netns || r.net_socket ||
                 std::any_of(ns_options.begin(), ns_options.end(),
                             [&](const ns_option& opt) { return r.source(opt.type).enabled; });
    if (!named)
      r.all = true;
  }
  o.command = std::move(split.command);
  return o;
}

bool chooses_namespace(const options& o) {
  const enter_request& r = o.request;
  return r.all || r.net_socket || r.user_parent || o.netns || o.container ||
         std::any_of(r.ns.begin(), r.ns.end(), [](const ns_source& s) { return s.enabled; });
}

}  // namespace nsutil::xnsenter
