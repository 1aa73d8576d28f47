// Opening a namespace by its ID: the refusal in words, shared by ns_handle::open_by_id and the
// discovery layer's open_namespace_by_id, which tells a refused namespace from a gone one.
#pragma once

#include <cstdint>
#include <nsutil/ns_type.hpp>
#include <string>

namespace nsutil::detail {

/// Throws nsutil::error for open_by_handle_at's errno `e` on namespace `id`: ENOENT ("no
/// namespace with ID N") for ESTALE and ENOENT, EPERM with the privilege the kernel wants.
[[noreturn]] void refused_by_id(int e, std::uint64_t id, const std::string& name);

/// Throws nsutil::error EINVAL: namespace `id` is of type `actual`, not `expected`.
[[noreturn]] void wrong_type_by_id(std::uint64_t id, const std::string& name, ns_type actual,
                                   ns_type expected);

}  // namespace nsutil::detail
