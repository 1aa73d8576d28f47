#include "base/trusted_path.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <nsutil/error.hpp>

#include "base/error_text.hpp"

namespace nsutil::detail {
namespace {

// The kernel's limit (MAXSYMLINKS): a walk meets no more links than a plain open would follow.
constexpr int max_links = 40;

// The components of `text`, empty ones (repeated slashes) dropped. A trailing slash becomes a
// last "." component: the kernel then wants a directory and follows a link before it.
std::deque<std::string> components_of(std::string_view text) {
  std::deque<std::string> parts;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t slash = text.find('/', at);
    if (slash == std::string_view::npos)
      slash = text.size();
    if (slash > at)
      parts.emplace_back(text.substr(at, slash - at));
    at = slash + 1;
  }
  if (text.ends_with('/'))
    parts.emplace_back(".");
  return parts;
}

std::string join(const std::string& directory, std::string_view name) {
  if (directory.empty())
    return std::string(name);
  return fmt::format("{}{}{}", directory, directory.ends_with('/') ? "" : "/", name);
}

std::string trusted_owners(const path_rules& rules) {
  return rules.trusted_uid == 0 ? "root" : fmt::format("root or uid {}", rules.trusted_uid);
}

// One walk: where it is, what is left, and the path it was given, which every error names.
class walk {
 public:
  walk(std::string_view path, const path_rules& rules) : path_(path), rules_(rules) {}

  trusted_location run() {
    // Like the kernel, which refuses longer paths before it looks at them.
    if (path_.empty())
      throw_error(ENOENT, "open", path_);
    if (path_.size() >= PATH_MAX)
      throw_error(ENAMETOOLONG, "open", path_);
    pending_ = components_of(path_);
    start(path_.starts_with('/'));
    for (;;) {
      std::string name = std::move(pending_.front());
      pending_.pop_front();
      bool last = pending_.empty();
      std::string here = join(at_, name);
      unique_fd object(::openat(directory_.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!object && errno == ENOENT && last)
        return {std::move(directory_), std::move(name), unique_fd(), {}};
      if (!object)
        fail(errno, here);
      struct stat st {};
      if (::fstat(object.get(), &st) < 0)
        fail(errno, here);
      if (S_ISLNK(st.st_mode) && (!last || rules_.follow_final)) {
        follow(object, st, here);
        continue;
      }
      if (!S_ISLNK(st.st_mode))
        check_owner(st, here);
      if (last)
        return {std::move(directory_), std::move(name), std::move(object), st};
      directory_ = std::move(object);
      at_ = std::move(here);
    }
  }

 private:
  // Back to "/" (a path or a link text that starts with a slash), or the working directory.
  void start(bool absolute) {
    std::string from(absolute ? "/" : ".");
    directory_ = unique_fd(::open(from.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    struct stat st {};
    if (!directory_ || ::fstat(directory_.get(), &st) < 0)
      fail(errno, from);
    check_owner(st, from);
    at_ = absolute ? std::move(from) : std::string();
  }

  void follow(const unique_fd& link, const struct stat& st, const std::string& here) {
    if (st.st_uid != 0 && st.st_uid != rules_.trusted_uid)
      refuse(here, fmt::format("a symbolic link owned by uid {}; only links owned by {} are "
                               "followed",
                               st.st_uid, trusted_owners(rules_)));
    if (++links_ > max_links)
      fail(ELOOP, here);
    // The text of this link, read through its descriptor: not of one put in its place since.
    std::string text(PATH_MAX, '\0');
    ssize_t n = ::readlinkat(link.get(), "", text.data(), text.size());
    if (n < 0)
      fail(errno, here);
    if (n == 0)
      fail(ENOENT, here);
    if (static_cast<std::size_t>(n) >= text.size())
      fail(ENAMETOOLONG, here);
    text.resize(static_cast<std::size_t>(n));
    auto parts = components_of(text);
    pending_.insert(pending_.begin(), parts.begin(), parts.end());
    if (text.starts_with('/'))
      start(true);
  }

  void check_owner(const struct stat& st, const std::string& here) {
    if (rules_.check_directories && st.st_uid != 0 && st.st_uid != rules_.trusted_uid)
      refuse(here, fmt::format("owned by uid {}; only what {} owns is trusted here", st.st_uid,
                               trusted_owners(rules_)));
  }

  [[noreturn]] void refuse(const std::string& here, std::string_view why) {
    throw_error(EPERM, "open", path_,
                here == path_ ? fmt::format("is {}", why)
                              : fmt::format("'{}' is {}", shorten_path(here), why));
  }

  // An error of the component `here`, named when it is not the whole path.
  [[noreturn]] void fail(int errno_value, const std::string& here) {
    if (here == path_)
      throw_error(errno_value, "open", path_);
    throw_error(errno_value, "open", path_,
                fmt::format("'{}': {}", shorten_path(here), std::strerror(errno_value)));
  }

  std::string_view path_;
  const path_rules& rules_;
  unique_fd directory_;
  std::string at_;  // the directory's path as walked ("" for the working directory)
  std::deque<std::string> pending_;
  int links_ = 0;
};

// locate_trusted_path() of an object that must exist, and must not be a link.
trusted_location existing(std::string_view path, const path_rules& rules) {
  trusted_location where = locate_trusted_path(path, rules);
  if (!where.object)
    throw_error(ENOENT, "open", path);
  if (S_ISLNK(where.status.st_mode))
    throw_error(ELOOP, "open", path, "is a symbolic link, which is not followed here");
  return where;
}

}  // namespace

trusted_location locate_trusted_path(std::string_view path, const path_rules& rules) {
  return walk(path, rules).run();
}

unique_fd open_trusted_path(std::string_view path, const path_rules& rules) {
  return existing(path, rules).object;
}

std::string fd_path(const unique_fd& fd) {
  return fmt::format("/proc/self/fd/{}", fd.get());
}

unique_fd reopen(const unique_fd& object, int flags, std::string_view name) {
  unique_fd fd(::open(fd_path(object).c_str(), flags | O_CLOEXEC));
  if (!fd)
    throw_errno("open", name);
  return fd;
}

std::string read_trusted_file(std::string_view path, const path_rules& rules, std::size_t cap) {
  trusted_location where = existing(path, rules);
  const struct stat& st = where.status;
  if (S_ISDIR(st.st_mode))
    throw_error(EISDIR, "open", path);
  if (!S_ISREG(st.st_mode))
    throw_error(EINVAL, "open", path, "not a regular file");
  unique_fd fd = reopen(where.object, O_RDONLY | O_NONBLOCK | O_NOCTTY, path);
  // Counted while reading, not taken from st_size: a file can grow, and /proc's say 0.
  return read_capped(fd, path, cap);
}

}  // namespace nsutil::detail
