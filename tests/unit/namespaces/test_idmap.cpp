#include <catch2/catch.hpp>
#include <nsutil/error.hpp>
#include <nsutil/idmap.hpp>
#include <string>

using nsutil::id_range;

TEST_CASE("id ranges parse in both spellings", "[idmap]") {
  CHECK(nsutil::parse_id_range("0:100000:65536") == id_range{0, 100000, 65536});
  // util-linux's older form is outer,inner,count.
  CHECK(nsutil::parse_id_range("100000,0,65536") == id_range{0, 100000, 65536});
  CHECK(nsutil::parse_id_range("4294967294:0:1") == id_range{4294967294U, 0, 1});
  CHECK_FALSE(nsutil::parse_id_range("4294967295:0:2"));
  CHECK_FALSE(nsutil::parse_id_range("0:0:0"));
  CHECK_FALSE(nsutil::parse_id_range("0:0"));
  CHECK_FALSE(nsutil::parse_id_range("0:0:1:"));
  CHECK_FALSE(nsutil::parse_id_range("0,0:1"));
  CHECK_FALSE(nsutil::parse_id_range(""));
  CHECK_FALSE(nsutil::parse_id_range("-1:0:1"));
  CHECK_FALSE(nsutil::parse_id_range(" 1:0:1"));
}

TEST_CASE("id ranges stop short of 4294967295, which is not an ID", "[idmap]") {
  CHECK(nsutil::parse_id_range("4294967293:0:2") == id_range{4294967293U, 0, 2});
  CHECK(nsutil::parse_id_range("0:0:4294967295") == id_range{0, 0, 4294967295U});
  CHECK_FALSE(nsutil::parse_id_range("4294967295:0:1"));
  CHECK_FALSE(nsutil::parse_id_range("0:4294967295:1"));
  CHECK_FALSE(nsutil::parse_id_range("1:0:4294967295"));
  CHECK_FALSE(nsutil::parse_id_range("0,4294967294,2"));
}

TEST_CASE("ids are 0 to 2^32-2", "[idmap]") {
  CHECK(nsutil::parse_id("0") == 0U);
  CHECK(nsutil::parse_id("4294967294") == 4294967294U);
  CHECK_FALSE(nsutil::parse_id("4294967295"));
  CHECK_FALSE(nsutil::parse_id("4294967296"));
  CHECK_FALSE(nsutil::parse_id("-1"));
  CHECK_FALSE(nsutil::parse_id("1a"));
  CHECK_FALSE(nsutil::parse_id(""));
}

TEST_CASE("subordinate ids are found by name or number, first block only", "[idmap]") {
  std::string text = "alice:100000:65536\nbob:165536:65536\n1001:231072:10\nbob:300000:5\n";
  CHECK(nsutil::find_subids(text, "bob", 1000) ==
        std::pair<std::uint32_t, std::uint32_t>{165536, 65536});
  CHECK(nsutil::find_subids(text, "carol", 1001) ==
        std::pair<std::uint32_t, std::uint32_t>{231072, 10});
  CHECK_FALSE(nsutil::find_subids(text, "dave", 7));
  CHECK_FALSE(nsutil::find_subids("broken line\n:1\n", "broken line", 0));
}

TEST_CASE("all turns the caller's map into an identity map", "[idmap]") {
  auto m = nsutil::identity_of("         0          0 4294967295\n");
  CHECK(m == std::vector<id_range>{{0, 0, 4294967295U}});
  m = nsutil::identity_of("0 1000 1\n1 100000 65536\n");
  CHECK(m == std::vector<id_range>{{0, 0, 1}, {1, 1, 65536}});
}

TEST_CASE("a single map cuts a hole in the ranges without skipping outer ids", "[idmap]") {
  auto m = nsutil::merge_single({{0, 100000, 65536}}, {0, 1000, 1});
  CHECK(m == std::vector<id_range>{{0, 1000, 1}, {1, 100000, 65535}});
  m = nsutil::merge_single({{0, 100000, 10}}, {5, 1000, 1});
  CHECK(m == std::vector<id_range>{{5, 1000, 1}, {0, 100000, 5}, {6, 100005, 4}});
  m = nsutil::merge_single({{0, 100000, 1}}, {0, 1000, 1});
  CHECK(m == std::vector<id_range>{{0, 1000, 1}});
  m = nsutil::merge_single({{10, 100000, 5}}, {0, 1000, 1});
  CHECK(m == std::vector<id_range>{{0, 1000, 1}, {10, 100000, 5}});
}

TEST_CASE("maps are formatted for the kernel, within 4 KiB", "[idmap]") {
  CHECK(nsutil::format_id_map({{0, 1000, 1}, {1, 100000, 65536}}) == "0 1000 1\n1 100000 65536\n");
  CHECK_THROWS_AS(nsutil::format_id_map({}), nsutil::error);
  std::vector<id_range> many;
  for (std::uint32_t i = 0; i < 200; ++i)
    many.push_back({4000000000U + i, 4000000000U + i, 1});
  CHECK_THROWS_WITH(nsutil::format_id_map(many), Catch::Contains("limit of 4096"));
}

TEST_CASE("maps the kernel would refuse are refused with the ranges at fault", "[idmap]") {
  std::vector<id_range> lines;
  for (std::uint32_t i = 0; i < 341; ++i)
    lines.push_back({i, i, 1});
  CHECK_THROWS_WITH(nsutil::format_id_map(lines),
                    "id map: 341 ranges is more than the kernel's limit of 340");
  lines.pop_back();
  CHECK_NOTHROW(nsutil::format_id_map(lines));
  CHECK_THROWS_WITH(nsutil::format_id_map({{0, 100000, 10}, {20, 0, 1}, {9, 200000, 2}}),
                    "id map: ranges '0 100000 10' and '9 200000 2' overlap inside the namespace: "
                    "an ID may be mapped only once");
  CHECK_THROWS_WITH(nsutil::format_id_map({{0, 100000, 10}, {10, 100009, 1}}),
                    Catch::Contains("'0 100000 10' and '10 100009 1' overlap outside"));
  CHECK_NOTHROW(nsutil::format_id_map({{0, 100000, 10}, {10, 100010, 1}}));
  CHECK_THROWS_WITH(nsutil::format_id_map({{4294967295U, 0, 1}}),
                    Catch::Contains("range '4294967295 0 1' includes ID 4294967295"));
  // Found by tests/fuzz/idmap: a line of count 0 (which identity_of() reads as it is) passed,
  // and the kernel then refused the whole map with a bare EINVAL.
  CHECK_THROWS_WITH(nsutil::format_id_map({{0, 100000, 10}, {1000, 1000, 0}}),
                    "id map: range '1000 1000 0' maps no ID (its count is 0)");
}
