/// @file
/// The one error type libnsutil throws.
#pragma once

#include <cstdint>
#include <nsutil/export.hpp>
#include <nsutil/ns_type.hpp>
#include <string>
#include <string_view>
#include <system_error>

namespace nsutil {

/// The rule behind an error, for a caller that explains it in its own terms (a tool names its
/// command-line options). what() states it in the library's words, which name no tool's
/// options. Most errors have none: the errno, op() and path() say it all.
enum class error_reason : std::uint8_t {
  none,
  /// enter_plan::open(): the request needs a target process and enter_request::target is 0.
  /// op() names the enter_request member that needs it ("all", "net_socket", "user_parent",
  /// "root", "wd", "wdns", "env", "join_cgroup", "uid" or "gid" for `follow`, or "ns" for a
  /// namespace with neither file nor ID; enter_plan::follow_context() names "follow_context");
  /// namespaces() is the namespace type that member was to enter ("ns", "all", "net_socket",
  /// "user_parent"), empty for the others.
  no_target,
  /// enter_plan::open(): enter_request::user_parent names the caller's own user namespace.
  /// op() is "user_parent", path() the namespace whose parent that is.
  parent_is_own,
  /// enter_plan::open(): enter_request::join_cgroup, but /sys/fs/cgroup is not cgroup v2.
  /// op() is "join_cgroup".
  no_cgroup2,
  /// enter_plan::enter(): setns() said EPERM and no user namespace was entered, so nothing
  /// gave the caller CAP_SYS_ADMIN over namespaces(); entering the user namespace that owns
  /// them would.
  needs_owner_userns,
  /// apply(): setgroups() said EPERM in the user namespace entered (setgroups is denied there,
  /// or it maps none of the caller's groups). Keeping the caller's IDs avoids it
  /// (enter_request::preserve_credentials).
  setgroups_denied,
  /// check_persist_target(), and so persist(): path() already holds a namespace, of the type in
  /// namespaces().
  holds_namespace,
  /// discover(): discovery_options::source is bpf, and the BPF iterators cannot be used here
  /// (no kernel BTF, no CAP_BPF or CAP_PERFMON, bpf(2) refused, not the initial PID
  /// namespace, or E2BIG: a kernel before 5.17, which refuses the loader). op() is "bpf".
  no_bpf,
};

/// A failed operation: what was being done (`op`, e.g. "setns"), on what (`path`, may be empty),
/// and why (an errno-based std::error_code, plus an optional explanation that replaces strerror
/// when the errno alone would mislead, e.g. "not a namespace file" instead of EINVAL).
///
/// what() is one line a person can act on: `setns '/proc/123/ns/net': Operation not permitted`.
/// Paths longer than a screen line are shortened in what() (path() keeps the full one). With
/// neither an operation nor a path, what() is the explanation alone (or strerror): fork_child()
/// uses that to pass on the text of another exception unchanged.
///
/// Some errors also carry a reason() and the namespace types they are about (namespaces()), for
/// callers that word them differently. fork_child() passes all of these on to the parent.
class NSUTIL_API error : public std::system_error {
 public:
  /// An error with errno `errno_value` (code() in std::generic_category()) and the parts above;
  /// builds what() at once. Throws only std::bad_alloc.
  error(int errno_value, std::string op, std::string path = {}, std::string detail = {},
        error_reason reason = error_reason::none, ns_set namespaces = {});

  /// The operation that failed ("open", "setns", "mount", ...), or the part of a request that
  /// was refused before anything was done (see error_reason::no_target).
  [[nodiscard]] const std::string& op() const noexcept { return op_; }
  /// The file or object it was applied to; empty when there is none.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// The explanation given instead of strerror, or empty.
  [[nodiscard]] const std::string& detail() const noexcept { return detail_; }
  /// The rule broken, or error_reason::none.
  [[nodiscard]] error_reason reason() const noexcept { return reason_; }
  /// The namespace types the error is about, as its reason() says, and the types refused by a
  /// setns() in enter_plan::enter(); else empty.
  [[nodiscard]] ns_set namespaces() const noexcept { return namespaces_; }
  /// The errno value (same as code().value()).
  [[nodiscard]] int errno_value() const noexcept { return code().value(); }
  /// The one-line message described above.
  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string op_;
  std::string path_;
  std::string detail_;
  error_reason reason_;
  ns_set namespaces_;
  std::string message_;
};

/// Throws nsutil::error built from the current errno. Reads errno before anything else.
[[noreturn]] NSUTIL_API void throw_errno(std::string_view op, std::string_view path = {});

/// Throws nsutil::error with an explicit errno value and, if given, an explanation that is
/// printed instead of strerror(errno_value).
[[noreturn]] NSUTIL_API void throw_error(int errno_value, std::string_view op,
                                         std::string_view path = {}, std::string_view detail = {});

}  // namespace nsutil
