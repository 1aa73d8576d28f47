// The priv suite's helpers: what the environment allows, skips that CI turns into failures, and
// running a test body in a forked child so the test process's namespaces never change.
#pragma once

#include <cstdint>
#include <functional>
#include <nsutil/error.hpp>
#include <nsutil/process.hpp>
#include <nsutil/unique_fd.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace nsutil::test {

/// True when running as root (euid 0).
bool is_root();
/// True when a forked child can create a user namespace (probed once).
bool can_create_userns();
/// True when NSUTIL_TESTS_MUST_WORK=1: a skip is then a failure.
bool must_work();
/// True when NSUTIL_TESTS_KERNEL_SKIPS (a comma-separated list that tests/vm/run sets from
/// tests/vm/kernels) names `feature`: the kernel under test is known to lack it, so a test that
/// probed its absence may skip even under NSUTIL_TESTS_MUST_WORK=1.
bool kernel_may_lack(std::string_view feature);
/// Whether the kernel lets this process open the namespace `ns_file` names (a /proc/PID/ns
/// entry) through its nsfs file handle, asked with open_by_handle_at directly, not through the
/// library under test. Later 6.18 releases (6.18.44 for one) open a namespace the caller is not
/// in only for CAP_SYS_ADMIN in the initial user namespace; the first took it over the
/// namespace's owner, so an unprivileged user could open its own sandbox's. False without IDs.
bool kernel_opens_by_id(const std::string& ns_file);
/// The library's words when the kernel refuses to open namespace `id` by its ID (EPERM).
std::string by_id_refusal(std::uint64_t id);
/// The inode number of `path` (stat); throws nsutil::error when it cannot be read.
std::uint64_t inode_of(const std::string& path);
/// As root: becomes nobody (65534, no supplementary groups), still dumpable so that another
/// process of nobody's can open our /proc/PID/ns files. Does nothing for other users. For forked
/// children that test what an unprivileged user gets.
void drop_to_nobody();

/// A sandbox setup (see sandbox) for what `unshare -r -n -u` makes: new user, net and uts
/// namespaces, our IDs mapped to 0, hostname `hostname`. As root it becomes nobody first, so that
/// nobody can enter what it makes. Throws nsutil::error when unprivileged user namespaces are
/// not allowed.
std::function<void()> rootless_setup(std::string hostname);

/// A pipe's two ends as named members: unlike the structured bindings of make_pipe()'s pair,
/// a lambda can capture them (clang 14 cannot capture a structured binding).
struct pipe_ends {
  nsutil::unique_fd read;
  nsutil::unique_fd write;
};
pipe_ends open_pipe();

/// The nsutil::error that `f` throws; throws std::runtime_error when it throws none.
nsutil::error caught(const std::function<void()>& f);

/// Runs `body` in a forked child and returns what it returned. The child's namespace changes
/// never reach the test process. If `body` throws, the same error is rethrown here (so Catch
/// reports it); if the child dies any other way, this throws std::runtime_error.
std::string in_child(const std::function<std::string()>& body);

/// A process in new uts and net namespaces (and a new user namespace when not root) with
/// hostname `hostname`, alive until the object dies. The constructor returns once it is set up.
class sandbox {
 public:
  explicit sandbox(std::string hostname);
  /// A process that runs `setup` (unshare, sethostname...) and then waits until the object dies.
  /// The constructor returns once `setup` has returned; an error it throws is rethrown here.
  explicit sandbox(const std::function<void()>& setup);
  ~sandbox();
  sandbox(const sandbox&) = delete;
  sandbox& operator=(const sandbox&) = delete;
  [[nodiscard]] pid_t pid() const { return child_->pid(); }

 private:
  unique_fd stop_;
  std::optional<child> child_;
};

/// A per-test scratch directory under /tmp, removed (after unmounting what is mounted below it)
/// when the object dies, even when the test fails.
class scratch_dir {
 public:
  scratch_dir();
  ~scratch_dir();
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::string operator/(std::string_view name) const;

 private:
  std::string path_;
};

}  // namespace nsutil::test

/// Skips the rest of the test with a warning, or fails it when NSUTIL_TESTS_MUST_WORK=1.
#define NSUTIL_SKIP(reason)          \
  do {                               \
    if (::nsutil::test::must_work()) \
      FAIL(reason);                  \
    WARN("skipped: " << (reason));   \
    return;                          \
  } while (false)

/// Skips the rest of the test because the kernel lacks `feature` (a name from tests/vm/kernels),
/// which the caller has probed. A failure under NSUTIL_TESTS_MUST_WORK=1 unless the kernel matrix
/// allows this kernel to lack it.
#define NSUTIL_SKIP_KERNEL(feature, reason)                                              \
  do {                                                                                   \
    if (::nsutil::test::kernel_may_lack(feature)) {                                      \
      WARN("skipped: " << (feature) << ": " << (reason) << " (allowed on this kernel)"); \
      return;                                                                            \
    }                                                                                    \
    NSUTIL_SKIP(std::string(feature) + ": " + (reason));                                 \
  } while (false)

#define NSUTIL_REQUIRE_ROOT()     \
  if (!::nsutil::test::is_root()) \
  NSUTIL_SKIP("needs root")
