// A directory of a test's own under /tmp, removed with all it holds when the test ends, failed
// or not.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <system_error>

namespace nsutil::test {

struct temp_dir {
  std::filesystem::path root;
  explicit temp_dir(const std::string& prefix) {
    std::string name = "/tmp/" + prefix + ".XXXXXX";
    REQUIRE(::mkdtemp(name.data()) != nullptr);
    root = name;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

}  // namespace nsutil::test
