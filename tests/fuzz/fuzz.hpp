// What the libFuzzer harnesses share (tests/README.md). Each harness is one file that defines
// LLVMFuzzerTestOneInput, calls a parser of nsutil on the input, and lets through only the
// exceptions that parser documents: any other exception, a sanitizer report or a failed check
// ends the run and libFuzzer saves the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace nsutil::fuzz {

/// The input as text.
inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// The input as a tool's arguments (without argv[0]): split at NUL bytes, as the kernel hands a
/// program its argv. "-U\0--map-users=0:1:1" is two arguments.
class argv_of {
 public:
  argv_of(const std::uint8_t* data, std::size_t size) {
    std::string_view rest = text_of(data, size);
    while (!rest.empty()) {
      auto end = rest.find('\0');
      words_.emplace_back(rest.substr(0, end));
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    }
    for (auto& w : words_)
      pointers_.push_back(w.data());
  }
  [[nodiscard]] std::span<char* const> args() const { return pointers_; }

 private:
  std::vector<std::string> words_;
  std::vector<char*> pointers_;
};

/// A property the parser promises did not hold: reported, then abort() so that libFuzzer keeps
/// the input.
[[noreturn]] inline void broken(const char* what) {
  std::fprintf(stderr, "fuzz: broken promise: %s\n", what);
  std::abort();
}

}  // namespace nsutil::fuzz
