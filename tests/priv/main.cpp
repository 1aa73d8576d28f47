// The priv suite changes namespaces (always in forked children). It needs root or unprivileged
// user namespaces; with neither it skips as a whole (exit 77), or fails under
// NSUTIL_TESTS_MUST_WORK=1. Catch2 provides main; the check runs before the first test.
#define CATCH_CONFIG_MAIN
// Forked test children must keep default signal dispositions (they raise and receive signals).
#define CATCH_CONFIG_NO_POSIX_SIGNALS
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>

#include "harness.hpp"

namespace {

struct environment_check : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testRunStarting(const Catch::TestRunInfo& /*info*/) override {
    if (nsutil::test::is_root() || nsutil::test::can_create_userns())
      return;
    std::fputs("priv: neither root nor unprivileged user namespaces are available\n", stderr);
    std::exit(nsutil::test::must_work() ? 1 : 77);
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(environment_check)
