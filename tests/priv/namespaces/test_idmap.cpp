#include <unistd.h>

#include <catch2/catch.hpp>
#include <nsutil/error.hpp>
#include <nsutil/idmap.hpp>
#include <nsutil/unique_fd.hpp>
#include <nsutil/unshare.hpp>
#include <string>

#include "harness.hpp"

using nsutil::id_range;
using nsutil::ns_type;

TEST_CASE("a process maps its own ids in its new user namespace", "[userns][idmap]") {
  if (!nsutil::test::can_create_userns())
    NSUTIL_SKIP("cannot create user namespaces");
  std::string uid = std::to_string(::geteuid());
  std::string gid = std::to_string(::getegid());
  std::string got = nsutil::test::in_child([&] {
    nsutil::id_maps maps{{{0, ::geteuid(), 1}}, {{0, ::getegid(), 1}}, true};
    nsutil::unshare({ns_type::user});
    nsutil::write_id_maps(0, maps);
    return nsutil::read_file("/proc/self/uid_map") + nsutil::read_file("/proc/self/setgroups") +
           std::to_string(::getuid());
  });
  CHECK(got.find("         0 " + std::string(10 - uid.size(), ' ') + uid + "          1\n") == 0);
  CHECK(got.find("deny\n0") != std::string::npos);
}

TEST_CASE("the helper writes multi-line maps from outside", "[root][idmap]") {
  NSUTIL_REQUIRE_ROOT();
  std::string got = nsutil::test::in_child([&] {
    nsutil::id_maps maps{{{0, 100000, 10}, {10, 5000, 5}}, {{0, 100000, 65536}}, false};
    auto helper = nsutil::id_map_helper::start(maps);
    nsutil::unshare({ns_type::user});
    helper.apply();
    return nsutil::read_file("/proc/self/uid_map") + nsutil::read_file("/proc/self/gid_map");
  });
  CHECK(got ==
        "         0     100000         10\n"
        "        10       5000          5\n"
        "         0     100000      65536\n");
}

TEST_CASE("an id map helper that is never applied does nothing", "[userns][idmap]") {
  std::string got = nsutil::test::in_child([&] {
    auto helper = nsutil::id_map_helper::start({{{0, 0, 1}}, {}, false});
    return std::string("dropped");
  });
  CHECK(got == "dropped");
}

TEST_CASE("newuidmap failures come back as errors", "[userns][idmap]") {
  if (!nsutil::test::can_create_userns())
    NSUTIL_SKIP("cannot create user namespaces");
  std::string got = nsutil::test::in_child([&] {
    // Root writes maps itself; as nobody the helper runs newuidmap.
    nsutil::test::drop_to_nobody();
    // Far outside any /etc/subuid block a test user could have.
    auto helper = nsutil::id_map_helper::start({{{0, 4000000000U, 10}}, {}, false});
    nsutil::unshare({ns_type::user});
    try {
      helper.apply();
      return std::string("mapped");
    } catch (const nsutil::error& e) {
      return std::string(e.what());
    }
  });
  CHECK(got.find("newuidmap") != std::string::npos);
}
