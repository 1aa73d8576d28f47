// Opening a path that another user may control (a persist target root names in a directory
// someone else can write, a file a less privileged process named), one component at a time, so
// that nobody else's symbolic link can steer the caller to a file of their choosing. Private to
// libnsutil.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <nsutil/unique_fd.hpp>
#include <string>
#include <string_view>

namespace nsutil::detail {

// Whose links and directories a walk trusts. Root's always.
struct path_rules {
  // Besides root, whose symbolic links (and, with check_directories, directories) are passed.
  uid_t trusted_uid = 0;
  // Directories on the way, the start ("/" or the working directory) and the object reached
  // must also be owned by root or trusted_uid.
  bool check_directories = true;
  // false: a symbolic link as the last component is not followed (see locate_trusted_path()).
  bool follow_final = true;
};

// Where a walk ended: the directory that holds the object and its name there ("." or ".." for a
// path that ends so, or in a slash), and the object itself.
struct trusted_location {
  unique_fd directory;  // O_PATH
  std::string name;
  unique_fd object;       // O_PATH; empty when the last component does not exist
  struct stat status {};  // of object, when there is one
};

// Walks `path` from "/" (or from the working directory when it is relative) one component at a
// time, with openat(O_PATH | O_NOFOLLOW) and fstat. A symbolic link met on the way is followed
// only when root or rules.trusted_uid owns it (its text read from the link's own descriptor, 40
// links at the most, as the kernel allows); a link of anyone else is refused. With
// follow_final false a last component that is a link is returned as it is: `object` is the link.
// "..", "." and repeated slashes mean what they mean to the kernel; a trailing slash wants a
// directory. Throws nsutil::error("open", path): EPERM naming the component and its owner,
// ELOOP, ENAMETOOLONG, ENOENT for a missing directory on the way, and openat's other errors.
trusted_location locate_trusted_path(std::string_view path, const path_rules& rules);

// The O_PATH descriptor of what `path` names, walked as locate_trusted_path() walks it. Throws
// its errors, ENOENT when the object does not exist, and ELOOP when follow_final is false and
// the last component is a symbolic link.
unique_fd open_trusted_path(std::string_view path, const path_rules& rules);

// Opens the object of an O_PATH descriptor again with `flags` (O_CLOEXEC is added), through
// /proc/self/fd: no lookup by name, so what was checked is what is opened. Throws
// nsutil::error("open", name).
unique_fd reopen(const unique_fd& object, int flags, std::string_view name);

// "/proc/self/fd/N": the name of a descriptor's object for calls that take no descriptor
// (mount(2), umount2(2)).
std::string fd_path(const unique_fd& fd);

// read_all() that refuses more than `cap` bytes: nsutil::error(EFBIG, "read", name) as soon as
// the data passes it. Defined in unique_fd.cpp, next to read_all().
std::string read_capped(const unique_fd& fd, std::string_view name, std::size_t cap);

// The whole of a regular file that another process or user named (a daemon's configuration
// file, one in a user's home): open_trusted_path(), then, only if the object is a regular file
// (a FIFO or a device is refused before it is opened for reading, so it cannot block the
// caller), reopened O_RDONLY | O_NONBLOCK | O_NOCTTY and read. A file of more than `cap` bytes
// is refused (EFBIG), not cut short. Throws nsutil::error("open", path) and ("read", path).
std::string read_trusted_file(std::string_view path, const path_rules& rules, std::size_t cap);

}  // namespace nsutil::detail
