// xunshare: run a program in new namespaces (a drop-in for util-linux unshare).
#pragma once

#include <cstdint>
#include <nsutil/idmap.hpp>
#include <nsutil/ns_type.hpp>
#include <nsutil/persist.hpp>
#include <nsutil/unshare.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "options.hpp"

namespace nsutil::xunshare {

/// One --map-users/--map-groups argument.
struct map_spec {
  enum class kind { range, auto_, subids, all };
  kind what = kind::range;
  id_range range;  // for kind::range
  bool operator==(const map_spec&) const noexcept = default;
};

/// A --map-user/--map-group value: a number, a name looked up at run time, or (-c) the
/// caller's own ID.
struct map_target {
  std::optional<std::uint32_t> id;
  std::string name;  // when id is empty and this is not empty
  bool operator==(const map_target&) const noexcept = default;
};

struct options {
  ns_set namespaces;
  std::vector<persist_request> persist;  // in command-line order, the last per type wins
  bool fork = false;
  int kill_child = 0;  // signal, 0 = off
  bool forward_signals = false;
  bool init = false;
  std::optional<std::string> mount_proc;
  propagation prop = propagation::private_;
  std::optional<std::string> root;
  std::optional<std::string> wd;
  std::optional<std::uint32_t> setuid;
  std::optional<std::uint32_t> setgid;
  std::optional<map_target> map_user;  // empty target = the caller's euid
  std::optional<map_target> map_group;
  std::vector<map_spec> map_users;
  std::vector<map_spec> map_groups;
  std::optional<std::pair<std::uint32_t, std::uint32_t>> owner;
  std::optional<bool> setgroups_allow;
  bool keep_caps = false;
  time_offsets offsets;
  std::optional<std::string> mount_binfmt;
  std::vector<std::string> load_interp;
  /// --clear-env, or --whitelist-env: the program gets only the variables in keep_env.
  bool clear_env = false;
  std::vector<std::string> keep_env;
  std::vector<std::string> command;  // empty: the default shell
};

/// The rows of xunshare's option table: parse_args() and --help read it, the tests compare the man
/// page and the completions with it.
std::vector<const cli::option_spec*> option_specs();

/// Parses the arguments after argv[0]. Pure: no I/O. Throws cli::parse_error.
cli::parse_result<options> parse_args(std::span<char* const> args);

/// Runs: returns the program's status (or ends by its signal). Throws nsutil::error.
int run(const options& opts);

}  // namespace nsutil::xunshare
