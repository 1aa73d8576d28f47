// The priv suite changes namespaces (always in forked children). It needs root or unprivileged
// user namespaces; with neither it skips as a whole (exit 77), or fails under
// NSUTIL_TESTS_MUST_WORK=1.
#define CATCH_CONFIG_RUNNER
// Forked test children must keep default signal dispositions (they raise and receive signals).
#define CATCH_CONFIG_NO_POSIX_SIGNALS
#include <catch2/catch.hpp>
#include <cstdio>

#include "harness.hpp"

int main(int argc, char* argv[]) {
  if (!nsutil::test::is_root() && !nsutil::test::can_create_userns()) {
    std::fputs("priv: neither root nor unprivileged user namespaces are available\n", stderr);
    return nsutil::test::must_work() ? 1 : 77;
  }
  return Catch::Session().run(argc, argv);
}
