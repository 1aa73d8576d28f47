// xnsenter: run a program in the namespaces of another process or of namespace files.
#pragma once

#include <nsutil/enter_plan.hpp>
#include <nsutil/error.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "options.hpp"

namespace nsutil::xnsenter {

struct options {
  /// What to enter, and how to set up the program (the library's view of the options).
  enter_request request;
  /// -t given a path instead of a PID: run() explains which option to use instead.
  std::string target_path;
  /// --netns NAME: the file /run/netns/NAME, resolved by run().
  std::optional<std::string> netns;
  /// --container NAME|ID: the target is that running container's main process, resolved by
  /// run(); request.all is set when no namespace option was given.
  std::optional<std::string> container;
  /// --keep-userns: with --container, keep the caller's user namespace rather than enter the
  /// container's.
  bool keep_userns = false;
  /// -F: exec directly even when entering a PID namespace.
  bool no_fork = false;
  /// -Z: SELinux context of the target.
  bool follow_context = false;
  /// The program and its arguments; empty: the shell.
  std::vector<std::string> command;
};

/// The rows of xnsenter's option table: parse_args() and --help read it, the tests compare the man
/// page and the completions with it.
std::vector<const cli::option_spec*> option_specs();

/// Parses the arguments (without argv[0]). Pure: no I/O. Throws cli::parse_error.
cli::parse_result<options> parse_args(std::span<char* const> args);

/// `e` in xnsenter's words: where the library names an enter_request member and its rule
/// (error::reason()), the message names our option and says which option would help. Other
/// errors are returned as they are. Pure.
error in_our_words(const error& e);

/// Whether the options choose a namespace to enter, as util-linux 2.41 and later require: -a, a
/// namespace option, -N, --user-parent, --netns or --container. run() refuses "no namespace
/// specified" otherwise, after the errors of what it opens (util-linux's order). Pure.
bool chooses_namespace(const options& opts);

/// Enters and runs the program; returns the exit status.
int run(const options& opts);

}  // namespace nsutil::xnsenter
