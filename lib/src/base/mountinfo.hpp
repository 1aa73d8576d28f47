// Mount tables (/proc/PID/mountinfo), parsed by util-linux's libmount, which is loaded with
// dlopen() on first use (base/dl.hpp): most runs of the tools read no mount table, and linking
// it would load it with libblkid, libselinux and libpcre2 into every one. Private to libnsutil.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace nsutil::detail {

// One line of a mount table, its escapes (\040 ...) undone.
struct mount_entry {
  dev_t dev = 0;       // major:minor of the mounted file system
  std::string root;    // the mount's root within its file system
  std::string target;  // the mount point
  std::string fstype;
  std::string super_options;  // the file system's own options ("rw,nsdelegate")
};

// The mounts of a mountinfo file's text, in its order; `name` is the file's, for errors. A line
// that libmount cannot parse is passed over, as libmount passes it. Throws nsutil::error
// ("dlopen", "libmount.so.1") with ELIBACC when libmount is not installed, and ("read", name)
// when it fails.
std::vector<mount_entry> parse_mountinfo(std::string_view text, const std::string& name);

}  // namespace nsutil::detail
