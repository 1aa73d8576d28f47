// The check of the struct_size member that the option structs callers fill begin with. Private.
#pragma once

#include <fmt/format.h>

#include <cerrno>
#include <cstddef>
#include <nsutil/error.hpp>
#include <string_view>

namespace nsutil::detail {

// Throws nsutil::error(EINVAL, name) unless `options.struct_size` is a size of T this library
// reads. A caller built against other headers must not have its members misread. Every member is
// in the first size of each struct so far, so only that size is accepted; when a member is
// appended, the old size is accepted too and the new member read only when struct_size covers
// it (lib/README.md, "ABI and soname").
template <class T>
void check_struct_size(const T& options, std::string_view name) {
  if (options.struct_size != sizeof(T))
    throw_error(EINVAL, name, {},
                fmt::format("struct_size is {}, this libnsutil reads {} bytes (built against "
                            "other headers?)",
                            options.struct_size, sizeof(T)));
}

}  // namespace nsutil::detail
