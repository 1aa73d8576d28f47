// Opening a namespace by ID where the kernel wants its type and inode too (Linux 6.18): only a
// scan finds them, so the namespace layer leaves that to this one.
#include "namespaces/by_id.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <nsutil/discovery.hpp>
#include <nsutil/error.hpp>

#include "base/compat.hpp"
#include "discovery/scanner.hpp"

namespace nsutil {
namespace {

// Whether the namespace a scan found at ns.path is still there.
bool still_there(const found_namespace& ns, std::uint64_t id) {
  if (ns.path.empty())
    return false;
  unique_fd fd = detail::reopen_found(ns.path, ns.inode.dev, ns.inode.ino);
  std::uint64_t now = 0;
  return fd && ::ioctl(fd.get(), NS_GET_ID, &now) == 0 && now == id;
}

const found_namespace& scanned(const discovery& seen, std::uint64_t id, const std::string& name) {
  auto it = std::find_if(seen.namespaces.begin(), seen.namespaces.end(),
                         [&](const found_namespace& ns) { return ns.id == id; });
  if (it != seen.namespaces.end())
    return *it;
  if (seen.denied == 0)
    detail::refused_by_id(ENOENT, id, name);
  throw_error(ENOENT, "open", name,
              fmt::format("no namespace with ID {} that you can see (Linux 6.18 looks IDs "
                          "up among the processes and mounts you may read; {} could not be "
                          "read)",
                          id, seen.denied));
}

}  // namespace

ns_handle open_namespace_by_id(std::uint64_t id, std::optional<ns_type> expected) {
  if (ns_handle::by_id_rule() != open_by_id_rule::type_and_inode)
    return ns_handle::open_by_id(id, expected);
  std::string name = fmt::format(":{}", id);
  discovery_options opts;
  opts.relations = true;  // ancestors that only their children keep
  opts.owners_of_any_type = true;
  opts.listns = false;
  opts.details = process_details::none;
  discovery seen = discover(opts);
  const found_namespace& ns = scanned(seen, id, name);
  try {
    ns_handle handle = ns_handle::open_by_id(id, ns.type, ns.inode.ino);
    if (expected && handle.type() != *expected)
      detail::wrong_type_by_id(id, name, handle.type(), *expected);
    return handle;
  } catch (const error& e) {
    // Linux 6.18 reports a namespace the caller has no rights over as ESTALE, like a gone one.
    if (e.errno_value() == ENOENT && still_there(ns, id))
      detail::refused_by_id(EPERM, id, name);
    throw;
  }
}

}  // namespace nsutil
