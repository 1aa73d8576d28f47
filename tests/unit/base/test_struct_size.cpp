// The option structs callers fill carry their size (lib/README.md, "ABI and soname"): the
// library refuses one of another size, as a program built against other headers would pass,
// before it does anything.
#include <signal.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <functional>
#include <nsutil/containers.hpp>
#include <nsutil/credentials.hpp>
#include <nsutil/discovery.hpp>
#include <nsutil/enter_plan.hpp>
#include <nsutil/error.hpp>
#include <nsutil/supervise.hpp>
#include <nsutil/unshare.hpp>
#include <string>

namespace {

// `call` throws nsutil::error(EINVAL, op) whose detail names the two sizes.
void check_refused(const std::function<void()>& call, const std::string& op) {
  try {
    call();
    FAIL(op << ": accepted a struct_size that is not the library's");
  } catch (const nsutil::error& e) {
    CHECK(e.errno_value() == EINVAL);
    CHECK(e.op() == op);
    CHECK(e.detail().find("struct_size is 7,") == 0);
  }
}

template <class T>
T wrong_size() {
  T options;
  options.struct_size = 7;
  return options;
}

bool blocked(int sig) {
  sigset_t now;
  REQUIRE(::sigprocmask(SIG_BLOCK, nullptr, &now) == 0);
  return ::sigismember(&now, sig) == 1;
}

}  // namespace

TEST_CASE("every option struct starts out with its own size", "[abi]") {
  CHECK(nsutil::unshare_options{}.struct_size == sizeof(nsutil::unshare_options));
  CHECK(nsutil::discovery_options{}.struct_size == sizeof(nsutil::discovery_options));
  CHECK(nsutil::enter_request{}.struct_size == sizeof(nsutil::enter_request));
  CHECK(nsutil::credentials{}.struct_size == sizeof(nsutil::credentials));
  CHECK(nsutil::supervise_options{}.struct_size == sizeof(nsutil::supervise_options));
  CHECK(nsutil::container_options{}.struct_size == sizeof(nsutil::container_options));
  // Designated initialisers leave it alone, as the tools write them.
  CHECK(nsutil::unshare_options{.persist_mnt = true}.struct_size ==
        sizeof(nsutil::unshare_options));
}

TEST_CASE("a struct_size that is not the library's is refused before anything is done", "[abi]") {
  // An empty set: unshare(2) with no flags would change nothing either, but it is never reached.
  check_refused([] { nsutil::unshare({}, wrong_size<nsutil::unshare_options>()); },
                "unshare_options");
  check_refused([] { (void)nsutil::discover(wrong_size<nsutil::discovery_options>()); },
                "discovery_options");
  check_refused([] { (void)nsutil::enter_plan::open(wrong_size<nsutil::enter_request>()); },
                "enter_request");
  check_refused([] { nsutil::apply(wrong_size<nsutil::credentials>()); }, "credentials");
  check_refused([] { nsutil::container_resolver r(wrong_size<nsutil::container_options>()); },
                "container_options");
  REQUIRE_FALSE(blocked(SIGINT));
  check_refused([] { nsutil::supervisor s(wrong_size<nsutil::supervise_options>()); },
                "supervise_options");
  CHECK_FALSE(blocked(SIGINT));  // refused before the signals were blocked
}
