#include <catch2/catch.hpp>
#include <cerrno>
#include <nsutil/error.hpp>
#include <string>

TEST_CASE("an error is one line: op, quoted path, reason", "[error]") {
  nsutil::error e(EPERM, "setns", "/proc/123/ns/net");
  CHECK(std::string(e.what()) == "setns '/proc/123/ns/net': Operation not permitted");
  CHECK(e.code() == std::errc::operation_not_permitted);
  CHECK(e.op() == "setns");
  CHECK(e.path() == "/proc/123/ns/net");
}

TEST_CASE("an error without a path names only the operation", "[error]") {
  nsutil::error e(EINVAL, "unshare");
  CHECK(std::string(e.what()) == "unshare: Invalid argument");
}

TEST_CASE("a detail replaces strerror but keeps the errno", "[error]") {
  nsutil::error e(EINVAL, "open", "/etc/passwd", "not a namespace file");
  CHECK(std::string(e.what()) == "open '/etc/passwd': not a namespace file");
  CHECK(e.errno_value() == EINVAL);
  CHECK(e.detail() == "not a namespace file");
}

TEST_CASE("a huge path is shortened in the message, kept whole in path()", "[error]") {
  std::string path(100000, 'a');
  nsutil::error e(ENAMETOOLONG, "open", path);
  std::string what = e.what();
  CHECK(what.size() < 400);
  CHECK(what.find("100000 bytes") != std::string::npos);
  CHECK(what.find('\n') == std::string::npos);
  CHECK(e.path() == path);
}

TEST_CASE("throw_errno reads errno", "[error]") {
  errno = ENOENT;
  try {
    nsutil::throw_errno("open", "/nope");
    FAIL("did not throw");
  } catch (const nsutil::error& e) {
    CHECK(e.errno_value() == ENOENT);
    CHECK(std::string(e.what()) == "open '/nope': No such file or directory");
  }
}

TEST_CASE("nsutil::error is a std::system_error", "[error]") {
  CHECK_THROWS_AS(nsutil::throw_error(EBUSY, "mount", "/x"), std::system_error);
}
