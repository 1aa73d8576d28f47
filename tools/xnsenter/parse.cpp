// xnsenter's command line: util-linux nsenter's options (2.42) plus --netns.
#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "options.hpp"
#include "xnsenter.hpp"

namespace nsutil::xnsenter {
namespace {

// A value nsenter refuses with errx(): one line, no "Try --help".
cli::parse_error bad_value(const std::string& what) {
  return cli::parse_error(what, cli::parse_error::hint::none);
}

// getopt hands "-n=FILE" over as "=FILE"; util-linux strips the '='.
std::string strip_eq(std::optional<std::string_view> v) {
  std::string_view text = v.value_or("");
  if (text.starts_with('='))
    text.remove_prefix(1);
  return std::string(text);
}

// --net=FILE or --net=:NSID (util-linux 2.42): a leading ':' means a namespace ID; a file whose
// name starts with ':' is written ./:NAME.
void parse_ns_source(std::string_view option, std::optional<std::string_view> value,
                     ns_source& source) {
  source = {};
  source.enabled = true;
  std::string v = strip_eq(value);
  if (v.empty() || v[0] != ':') {
    source.file = std::move(v);
    return;
  }
  auto id = cli::parse_number<std::uint64_t>(std::string_view(v).substr(1));
  if (!id)
    throw cli::parse_error(
        fmt::format("failed to parse namespace ID: {} (--{}=:ID takes a number, as xlsns -o "
                    "NSID prints; a file named so is ./{})",
                    cli::quoted(v), option, cli::printable(v)),
        cli::parse_error::hint::none);
  source.id = *id;
}

void parse_target(options& o, std::optional<std::string_view> value) {
  std::string_view v = *value;
  o.target_path.clear();
  o.request.target_inode.reset();
  if (v.find('/') != std::string_view::npos) {
    o.target_path = v;
    o.request.target = 0;
    return;
  }
  std::string_view pid_part = v.substr(0, v.find(':'));
  auto pid = cli::parse_number<unsigned>(pid_part);
  if (!pid)
    throw bad_value(fmt::format("failed to parse pid: {}", cli::quoted(v)));
  if (*pid == 0 || *pid > static_cast<unsigned>(INT_MAX))
    throw bad_value(fmt::format("invalid pid: {} (a process ID is 1 or more)", cli::quoted(v)));
  o.request.target = static_cast<pid_t>(*pid);
  if (pid_part.size() < v.size()) {
    auto ino = cli::parse_number<std::uint64_t>(v.substr(pid_part.size() + 1));
    if (!ino)
      throw bad_value(fmt::format("failed to parse pidfs inode in {} (PID:INODE)", cli::quoted(v)));
    o.request.target_inode = *ino;
  }
}

id_choice parse_id(std::string_view value, const char* what) {
  if (value == "follow")
    return {true, 0};
  auto id = cli::parse_id_number(value);
  if (!id)
    throw bad_value(fmt::format("failed to parse {}: {}", what, cli::quoted(value)));
  return {false, *id};
}

using value = std::optional<std::string_view>;
using cli::takes;

// A namespace option: the target's namespace of that type, a file's, or an ID's.
template <ns_type type>
void enter_type(options& o, value v) {
  parse_ns_source(info(type).option, v, o.request.source(type));
}

void set_net_socket(options& o, value v) {
  auto fd = cli::parse_number<int>(*v);
  if (!fd || *fd < 0)
    throw bad_value(fmt::format("failed to parse socket fd: {}", cli::quoted(*v)));
  o.request.net_socket = *fd;
}

// util-linux nsenter's options, as its --help lists them, and xnsenter's own.
constexpr cli::option<options> table[] = {
    {{"all", 'a', takes::nothing, "", "enter every namespace of the target"},
     [](options& o, value) { o.request.all = true; }},
    {{"target", 't', takes::value, " <pid>[:<inode>]",
      "the process whose namespaces are entered (the pidfs\ninode catches a recycled PID)"},
     parse_target},
    {{"container", 0, takes::value, " [<owner>/]<name>|<id>",
      "the main process of a running container (Docker,\nPodman, containerd, CRI-O, nspawn, LXC) "
      "is the\ntarget; with no namespace option, enter them all;\nits user namespace is entered "
      "too; without\n<owner>, only your own containers are named"},
     [](options& o, value v) { o.container = *v; }},
    {{"keep-userns", 0, takes::nothing, "", "with --container, stay in your user namespace"},
     [](options& o, value) { o.keep_userns = true; }},
    {{"mount", 'm', takes::optional, "[=<file>|=:<nsid>]", "enter the mount namespace"},
     enter_type<ns_type::mnt>},
    {{"uts", 'u', takes::optional, "[=<file>|=:<nsid>]",
      "enter the UTS namespace (host and domain name)"},
     enter_type<ns_type::uts>},
    {{"ipc", 'i', takes::optional, "[=<file>|=:<nsid>]", "enter the System V IPC namespace"},
     enter_type<ns_type::ipc>},
    {{"net", 'n', takes::optional, "[=<file>|=:<nsid>]", "enter the network namespace"},
     enter_type<ns_type::net>},
    {{"net-socket", 'N', takes::value, " <fd>",
      "enter the network namespace of the target's socket <fd>"},
     set_net_socket},
    {{"netns", 0, takes::value, " <name>", "enter the network namespace <name> of 'ip netns'"},
     [](options& o, value v) { o.netns = *v; }},
    {{"pid", 'p', takes::optional, "[=<file>|=:<nsid>]", "enter the PID namespace"},
     enter_type<ns_type::pid>},
    {{"cgroup", 'C', takes::optional, "[=<file>|=:<nsid>]", "enter the cgroup namespace"},
     enter_type<ns_type::cgroup>},
    {{"user", 'U', takes::optional, "[=<file>|=:<nsid>]", "enter the user namespace"},
     enter_type<ns_type::user>},
    {{"user-parent", 0, takes::nothing, "", "enter the parent of that user namespace"},
     [](options& o, value) { o.request.user_parent = true; }},
    {{"time", 'T', takes::optional, "[=<file>|=:<nsid>]", "enter the time namespace"},
     enter_type<ns_type::time>},
    {{"setuid", 'S', takes::value, " <uid>|follow", "the user ID to run as in the namespaces"},
     [](options& o, value v) { o.request.uid = parse_id(*v, "uid"); }},
    {{"setgid", 'G', takes::value, " <gid>|follow", "the group ID to run as in the namespaces"},
     [](options& o, value v) { o.request.gid = parse_id(*v, "gid"); }},
    {{"preserve-credentials", 0, takes::nothing, "",
      "keep the user and group IDs when entering a user ns"},
     [](options& o, value) { o.request.preserve_credentials = true; }},
    {{"keep-caps", 0, takes::nothing, "", "keep the capabilities in the user namespace"},
     [](options& o, value) { o.request.keep_caps = true; }},
    {{"root", 'r', takes::optional, "[=<dir>]", "change the root directory"},
     [](options& o, value v) { o.request.root = strip_eq(v); }},
    {{"wd", 'w', takes::optional, "[=<dir>]",
      "change the working directory (opened before entering)"},
     [](options& o, value v) { o.request.wd = strip_eq(v); }},
    {{"wdns", 'W', takes::optional, "[=<dir>]",
      "change the working directory (looked up after entering)"},
     [](options& o, value v) { o.request.wdns = strip_eq(v); }},
    {{"env", 'e', takes::nothing, "", "take the environment of the target"},
     [](options& o, value) { o.request.env = true; }},
    {{"no-fork", 'F', takes::nothing, "", "do not fork before running <program>"},
     [](options& o, value) { o.no_fork = true; }},
    {{"join-cgroup", 'c', takes::nothing, "", "join the cgroup of the target (cgroup v2)"},
     [](options& o, value) { o.request.join_cgroup = true; }},
    {{"follow-context", 'Z', takes::nothing, "", "take the SELinux context of the target"},
     [](options& o, value) { o.follow_context = true; }},
    {{"help", 'h', takes::nothing, "", "display this help", true}},
    {{"version", 'V', takes::nothing, "", "display version"}},
};

constexpr cli::help_layout help{
    .tool = "xnsenter",
    .head =
        "Usage:\n xnsenter [options] [<program> [<argument>...]]\n\n"
        "Run a program in the namespaces of another process, or of namespace files.\n\n"
        "Options:\n",
    .tail =
        "\n<nsid> is a namespace ID (xlsns -o NSID), opened by an nsfs file handle (Linux\n"
        "6.18); a file whose name starts with ':' is written ./:<name>.\n\n"
        "For more details see xnsenter(1).\n",
    .column = 24,
    .indent_long_only = true,
};

// The rules between options, once all are read.
void check_combinations(options& o) {
  enter_request& r = o.request;
  if (o.netns && (!r.source(ns_type::net).file.empty() || r.source(ns_type::net).id))
    throw cli::parse_error("--netns and --net=FILE (or =:ID) are mutually exclusive");
  if (r.wd && r.wdns)
    throw cli::parse_error("--wd and --wdns are mutually exclusive");
  if (o.keep_userns && !o.container)
    throw cli::parse_error("--keep-userns goes with --container");
  if (!o.container)
    return;
  if (r.target != 0 || !o.target_path.empty())
    throw cli::parse_error("--container and --target are mutually exclusive");
  if (o.container->empty())
    throw bad_value("--container needs a container name or ID");
  // Like -a when no namespace is named: a container is entered as a whole.
  bool named = o.netns || r.net_socket ||
               std::any_of(r.ns.begin(), r.ns.end(), [](const ns_source& s) { return s.enabled; });
  if (!named)
    r.all = true;
}

// The rules between options, once all are read, and the program.
options finish(options& o, std::vector<std::string> command) {
  check_combinations(o);
  o.command = std::move(command);
  return std::move(o);
}

}  // namespace

cli::parse_result<options> parse_args(std::span<char* const> args) {
  return cli::parse(std::span(table), args, help, cli::operands::end_options, finish);
}

std::vector<const cli::option_spec*> option_specs() {
  return cli::specs_of(std::span(table));
}

bool chooses_namespace(const options& o) {
  const enter_request& r = o.request;
  return r.all || r.net_socket || r.user_parent || o.netns || o.container ||
         std::any_of(r.ns.begin(), r.ns.end(), [](const ns_source& s) { return s.enabled; });
}

}  // namespace nsutil::xnsenter
