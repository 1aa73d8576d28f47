// Optional libraries loaded with dlopen() on first use (libmount, libcurl, libselinux): what only
// one rarely taken path needs is not linked, so no run of any tool loads it otherwise. Private to
// libnsutil.
#pragma once

#include <dlfcn.h>

#include <optional>
#include <type_traits>

namespace nsutil::detail {

// Sets `fn` to the function `name` of `lib` (a dlopen() handle), with fn's declared type; false
// when the library has no such symbol.
template <class Fn>
bool bind_symbol(void* lib, Fn& fn, const char* name) {
  fn = reinterpret_cast<std::remove_reference_t<Fn>>(::dlsym(lib, name));
  return fn != nullptr;
}

// The functions of `soname` that `bind_all(api, bind)` binds into an Api (a struct of function
// pointers) with bind(api.member, "symbol"), returning whether every one was found; nullopt when
// the library cannot be loaded or lacks one. The library stays loaded.
template <class Api, class BindAll>
std::optional<Api> load_library(const char* soname, BindAll bind_all) {
  void* lib = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr)
    return std::nullopt;
  Api api{};
  auto bind = [lib](auto& fn, const char* name) { return bind_symbol(lib, fn, name); };
  if (!bind_all(api, bind))
    return std::nullopt;
  return api;
}

}  // namespace nsutil::detail
