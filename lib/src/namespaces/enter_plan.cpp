#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <linux/magic.h>
#include <linux/sockios.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nsutil/enter.hpp>
#include <nsutil/enter_plan.hpp>
#include <nsutil/error.hpp>

#include "base/compat.hpp"
#include "base/directory.hpp"
#include "base/proc_text.hpp"
#include "base/struct_size.hpp"
#include "namespaces/enter_plan_impl.hpp"

#ifndef CGROUP2_SUPER_MAGIC
#  define CGROUP2_SUPER_MAGIC 0x63677270
#endif

namespace nsutil {
namespace {

// util-linux's order. It matters for the per-file path: the user namespace comes first or last
// (see enter()), mnt late because it resets root and cwd, time last.
constexpr std::array<ns_type, 8> entry_order{ns_type::user, ns_type::cgroup, ns_type::ipc,
                                             ns_type::uts,  ns_type::net,    ns_type::pid,
                                             ns_type::mnt,  ns_type::time};

std::size_t index(ns_type t) {
  return static_cast<std::size_t>(t);
}

// Opening /proc/PID/ns/X needs ptrace-read access to PID; say so instead of a bare EACCES.
ns_handle open_target_ns(const process& target, ns_type type) {
  try {
    return ns_handle::of_process(target, type);
  } catch (const error& e) {
    if (e.errno_value() != EACCES && e.errno_value() != EPERM)
      throw;
    throw_error(e.errno_value(), "open", e.path(),
                fmt::format("cannot read the namespaces of process {} (that needs the same user "
                            "or CAP_SYS_PTRACE over it)",
                            target.pid()));
  }
}

unique_fd open_dir(const std::string& path, std::string_view what) {
  try {
    return open_fd(path, O_RDONLY | O_DIRECTORY);
  } catch (const error& e) {
    if (e.errno_value() != ENOENT && e.errno_value() != ENOTDIR)
      throw;
    throw_error(e.errno_value(), std::string("open ") + std::string(what), path,
                e.errno_value() == ENOENT ? "no such directory" : "not a directory");
  }
}

ns_handle socket_netns(const process& target, int fd) {
  std::string name = fmt::format("socket {} of process {}", fd, target.pid());
  if (!target.pidfd())
    throw_error(ENOSYS, "pidfd_getfd", name, "this kernel has no pidfds (Linux 5.6)");
  unique_fd sock(compat::pidfd_getfd(target.pidfd().get(), fd, 0));
  if (!sock) {
    if (errno == EBADF)
      throw_error(EBADF, "pidfd_getfd", name, "the process has no such descriptor");
    if (errno == EPERM)
      throw_error(EPERM, "pidfd_getfd", name, "not permitted (needs ptrace access to it)");
    throw_errno("pidfd_getfd", name);
  }
  int ns = ::ioctl(sock.get(), SIOCGSKNS);
  if (ns < 0) {
    if (errno == ENOTTY || errno == ENOTSOCK || errno == EINVAL)
      throw_error(ENOTSOCK, "ioctl SIOCGSKNS", name, "not a socket");
    throw_errno("ioctl SIOCGSKNS", name);
  }
  return ns_handle::adopt(unique_fd(ns), name, ns_type::net);
}

// `member` of the request asks for something of the target, and there is none. The library names
// its own members; a tool says which of its options that was (error_reason::no_target).
[[noreturn]] void no_target(std::string_view member, ns_set types = {}) {
  throw error(EINVAL, std::string(member), "",
              types.empty() ? "needs a target process (enter_request::target is 0)"
                            : fmt::format("the {} namespace needs a target process "
                                          "(enter_request::target is 0), a file or an ID",
                                          to_string(types)),
              error_reason::no_target, types);
}

}  // namespace

enter_plan enter_plan::open(const enter_request& req) {
  detail::check_struct_size(req, "enter_request");
  auto p = std::make_unique<impl>();
  p->open_target(req);
  p->open_namespaces(req);
  p->open_extras(req);
  return enter_plan(std::move(p));
}

enter_plan::enter_plan(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
enter_plan::enter_plan(enter_plan&&) noexcept = default;
enter_plan& enter_plan::operator=(enter_plan&&) noexcept = default;
enter_plan::~enter_plan() = default;

ns_set enter_plan::types() const noexcept {
  return impl_->types_;
}

bool enter_plan::enters_pid_namespace() const noexcept {
  return impl_->types_.contains(ns_type::pid);
}

const credentials& enter_plan::creds() const noexcept {
  return impl_->creds_;
}

void enter_plan::enter() {
  impl_->enter();
}

void enter_plan::setup() {
  impl_->setup();
}

std::optional<std::string> enter_plan::follow_context() {
  return impl_->follow_context();
}

void enter_plan::impl::open_target(const enter_request& req) {
  if (req.target == 0)
    return;
  target_.emplace(process::open(req.target));
  if (!req.target_inode)
    return;
  // Before pidfs every pidfd is the one anon inode: its number would match any process.
  struct statfs fs {};
  if (!target_->pidfd() || ::fstatfs(target_->pidfd().get(), &fs) < 0 || fs.f_type != PID_FS_MAGIC)
    throw_error(ENOSYS, "pidfd_open", std::to_string(req.target),
                "PID:INODE needs pidfds (Linux 5.3) with pidfs (Linux 6.9)");
  struct stat st {};
  if (::fstat(target_->pidfd().get(), &st) < 0)
    throw_errno("fstat", "pidfd");
  if (st.st_ino != *req.target_inode)
    throw_error(
        ESRCH, "open process", fmt::format("{}:{}", req.target, *req.target_inode),
        fmt::format("PID {} is now another process (pidfs inode {})", req.target, st.st_ino));
}

void enter_plan::impl::open_namespaces(const enter_request& req) {
  for (const auto& row : ns_types)
    if (req.source(row.type).enabled || (req.all && kernel_has(row.type)))
      types_.add(row.type);
  if (req.net_socket)
    types_.add(ns_type::net);
  if (req.user_parent)
    types_.add(ns_type::user);

  auto require_target = [&](std::string_view member, ns_type t) {
    if (!target_)
      no_target(member, {t});
  };
  for (ns_type t : entry_order) {
    if (!types_.contains(t))
      continue;
    if (req.source(t).id)
      files_[index(t)] = req.open_by_id ? req.open_by_id(*req.source(t).id, t)
                                        : ns_handle::open_by_id(*req.source(t).id, t);
    else if (!req.source(t).file.empty())
      files_[index(t)] = ns_handle::open(req.source(t).file, t);
    // net_socket and user_parent give their namespace below, and say there what they lack.
    else if (!(t == ns_type::net && req.net_socket) && !(t == ns_type::user && req.user_parent))
      require_target(req.all ? "all" : "ns", t);
  }
  if (req.net_socket) {
    require_target("net_socket", ns_type::net);
    files_[index(ns_type::net)] = socket_netns(*target_, *req.net_socket);
  }

  if (req.all && target_) {
    // Entering one's own user namespace is EINVAL, and could regain dropped capabilities.
    // An unprivileged caller also skips the other namespaces it already shares with the target:
    // rejoining them is a no-op that the kernel would refuse (they belong to a user namespace
    // it has no rights in), which made `nsenter -a` fail on rootless sandboxes.
    bool privileged = ::geteuid() == 0;
    for (const auto& row : ns_types) {
      ns_type t = row.type;
      if (!types_.contains(t) || files_[index(t)] || (privileged && t != ns_type::user))
        continue;
      if (t == ns_type::user && req.user_parent)
        continue;
      if (open_target_ns(*target_, t).inode() == ns_handle::of_process(::getpid(), t).inode())
        types_.remove(t);
    }
  }

  if (req.user_parent) {
    std::optional<ns_handle> base = std::move(files_[index(ns_type::user)]);
    if (!base) {
      require_target("user_parent", ns_type::user);
      base = open_target_ns(*target_, ns_type::user);
    }
    auto parent = base->owner();
    if (!parent)
      throw_error(EPERM, "ioctl NS_GET_USERNS", base->name(),
                  "its parent user namespace is outside your reach (or it has none)");
    if (parent->inode() == ns_handle::of_process(::getpid(), ns_type::user).inode())
      throw error(EINVAL, "user_parent", base->name(),
                  "its parent is your own user namespace, which you are in already",
                  error_reason::parent_is_own);
    files_[index(ns_type::user)] = std::move(parent);
  }

  by_pidfd_ = !req.by_file && target_ && target_->pidfd() && kernel_can_enter_by_pidfd();
  if (by_pidfd_)
    return;
  for (ns_type t : entry_order)
    if (types_.contains(t) && !files_[index(t)])
      files_[index(t)] = open_target_ns(*target_, t);
}

void enter_plan::impl::open_extras(const enter_request& req) {
  auto need = [&](std::string_view member) -> const process& {
    if (!target_)
      no_target(member);
    return *target_;
  };
  if (req.root)
    root_ = req.root->empty() ? open_dir(need("root").proc_path("root"), "root")
                              : open_dir(*req.root, "root");
  if (req.wd)
    wd_ = req.wd->empty() ? open_dir(need("wd").proc_path("cwd"), "working directory")
                          : open_dir(*req.wd, "working directory");
  if (req.wdns) {
    wdns_ = *req.wdns;
    if (wdns_->empty()) {
      std::string link = need("wdns").proc_path("cwd");
      char buf[4096];
      ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
      if (n < 0)
        throw_errno("readlink", link);
      wdns_->assign(buf, static_cast<std::size_t>(n));
    }
  }
  if (req.env)
    environ_ = open_fd(need("env").proc_path("environ"), O_RDONLY);
  if (req.join_cgroup) {
    const process& t = need("join_cgroup");
    struct statfs fs {};
    if (::statfs("/sys/fs/cgroup", &fs) < 0 || fs.f_type != CGROUP2_SUPER_MAGIC)
      throw error(EOPNOTSUPP, "join_cgroup", "/sys/fs/cgroup",
                  "needs cgroup v2 (the unified hierarchy) mounted here; this system uses cgroup "
                  "v1",
                  error_reason::no_cgroup2);
    std::string text = read_file(t.proc_path("cgroup"));
    auto dir = detail::cgroup2_path(text);
    if (!dir)
      throw_error(ENOENT, "read", t.proc_path("cgroup"), "no cgroup v2 entry (0::)");
    cgroup_procs_ =
        open_fd(fmt::format("/sys/fs/cgroup{}/cgroup.procs", *dir), O_WRONLY | O_APPEND);
  }

  creds_.entered_userns = types_.contains(ns_type::user);
  creds_.keep_caps = req.keep_caps && creds_.entered_userns;
  if (creds_.entered_userns && !req.preserve_credentials) {
    creds_.uid = 0;
    creds_.gid = 0;
    creds_.drop_groups = true;
  }
  struct stat owner {};
  if ((req.uid && req.uid->follow) || (req.gid && req.gid->follow)) {
    std::string dir = need(req.uid && req.uid->follow ? "uid" : "gid").proc_path("");
    if (::stat(dir.c_str(), &owner) < 0)
      throw_errno("stat", dir);
  }
  if (req.uid)
    creds_.uid = req.uid->follow ? owner.st_uid : req.uid->id;
  if (req.gid) {
    creds_.gid = req.gid->follow ? owner.st_gid : req.gid->id;
    creds_.drop_groups = true;
  }
  // A PID that was recycled while the files above were opened would have given us a stranger's
  // root, cwd or environment.
  if (target_)
    target_->check_alive();
}

bool enter_plan::impl::enter_pass(bool include_user, bool report) {
  auto fail = [&](int e, const std::string& name, ns_set what) {
    if (!report)
      return;
    std::string why = std::strerror(e);
    error_reason reason = error_reason::none;
    if (e == EPERM && types_.contains(ns_type::user)) {
      why += " (the user namespace entered gives no rights over it)";
    } else if (e == EPERM) {
      why +=
          " (needs CAP_SYS_ADMIN over it; an unprivileged caller must enter the user "
          "namespace that owns it first)";
      reason = error_reason::needs_owner_userns;
    } else if (e == ESRCH) {
      why = "the target process has exited";
    }
    // setns(pidfd) says EPERM where opening /proc/PID/ns/X would have said why.
    if (e == EPERM && target_ && name == target_->proc_path("ns"))
      for (ns_type t : entry_order)
        if (what.contains(t))
          (void)open_target_ns(*target_, t);
    throw error(e, "setns", name, fmt::format("{} [{}]", why, to_string(what)), reason, what);
  };
  auto by_file = [&](ns_type t) {
    if (!types_.contains(t) || done_.contains(t) || !files_[index(t)])
      return;
    if (t == ns_type::user && !include_user)
      return;
    if (::setns(files_[index(t)]->fd().get(), info(t).clone_flag) == 0)
      done_.add(t);
    else
      fail(errno, files_[index(t)]->name(), ns_set{t});
  };
  auto by_pidfd = [&] {
    ns_set mask;
    for (ns_type t : entry_order)
      if (types_.contains(t) && !done_.contains(t) && !files_[index(t)] &&
          (include_user || t != ns_type::user))
        mask.add(t);
    if (mask.empty())
      return;
    // One call: the kernel joins all of them or none, all from the one process the pidfd names.
    if (::setns(target_->pidfd().get(), mask.clone_flags()) == 0) {
      for (ns_type t : entry_order)
        if (mask.contains(t))
          done_.add(t);
    } else {
      fail(errno, target_->proc_path("ns"), mask);
    }
  };
  // The user namespace goes first in its pass: when it grants the privilege, the rest needs it.
  by_file(ns_type::user);
  if (by_pidfd_)
    by_pidfd();
  for (ns_type t : entry_order)
    by_file(t);
  return done_ == types_;
}

void enter_plan::impl::enter() {
  if (creds_.drop_groups)
    creds_.groups_dropped = try_drop_groups();
  // "The user namespace comes either first or last: first if you're using it to increase your
  // privilege and last if you're using it to decrease" (util-linux). Pass 1 tries everything
  // but the user namespace and ignores errors; it succeeds for a privileged caller, who then
  // drops privilege by entering the user namespace last. An unprivileged caller fails there and
  // enters the user namespace first in pass 2.
  if (enter_pass(false, false))
    return;
  enter_pass(true, true);
}

void enter_plan::impl::setup() {
  target_.reset();
  if (root_ && !wd_ && !wdns_)
    wd_ = open_fd(".", O_RDONLY);
  if (root_) {
    if (::fchdir(root_.get()) < 0)
      throw_errno("fchdir", "root");
    if (::chroot(".") < 0)
      throw_errno("chroot", "root");
    if (::chdir("/") < 0)
      throw_errno("chdir", "/");
    root_.reset();
  }
  if (wdns_)
    wd_ = open_dir(*wdns_, "working directory");
  if (wd_) {
    if (::fchdir(wd_.get()) < 0)
      throw_errno("fchdir", "working directory");
    wd_.reset();
  }
  if (environ_) {
    std::string text = read_all(environ_, "environ");
    environ_.reset();
    ::clearenv();
    for (std::string_view entry : detail::split(text, '\0')) {
      auto eq = entry.find('=');
      if (eq != std::string_view::npos && eq > 0)
        ::setenv(std::string(entry.substr(0, eq)).c_str(),
                 std::string(entry.substr(eq + 1)).c_str(), 1);
    }
  }
  if (cgroup_procs_) {
    std::string pid = std::to_string(::getpid());
    if (::write(cgroup_procs_.get(), pid.data(), pid.size()) < 0)
      throw_errno("write", "cgroup.procs");
    cgroup_procs_.reset();
  }
}

std::string netns_path(const std::string& name) {
  constexpr std::string_view dir = "/run/netns";
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    throw_error(EINVAL, "netns", name, "not a name that ip netns gives (no '/')");
  std::string path = fmt::format("{}/{}", dir, name);
  if (::access(path.c_str(), F_OK) == 0)
    return path;
  int e = errno;
  if (e != ENOENT)
    throw_error(e, "netns", path);
  std::vector<std::string> names;
  detail::directory listing(std::string(dir).c_str());
  while (const char* entry = listing.next())
    if (entry[0] != '.')
      names.emplace_back(entry);
  std::sort(names.begin(), names.end());
  throw_error(ENOENT, "netns", name,
              names.empty() ? "no such network namespace (there are none in /run/netns)"
                            : fmt::format("no such network namespace; there are: {}",
                                          fmt::join(names, ", ")));
}

}  // namespace nsutil
