// Optional libraries loaded with dlopen() on first use (libmount, libcurl): what only one rarely
// taken path needs is not linked, so no run of any tool loads it otherwise. Private to libnsutil.
#pragma once

#include <dlfcn.h>

#include <type_traits>

namespace nsutil::detail {

// Sets `fn` to the function `name` of `lib` (a dlopen() handle), with fn's declared type; false
// when the library has no such symbol.
template <class Fn>
bool bind_symbol(void* lib, Fn& fn, const char* name) {
  fn = reinterpret_cast<std::remove_reference_t<Fn>>(::dlsym(lib, name));
  return fn != nullptr;
}

}  // namespace nsutil::detail
