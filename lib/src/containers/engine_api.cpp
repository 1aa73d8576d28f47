#include "containers/engine_api.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <nsutil/error.hpp>
#include <nsutil/unique_fd.hpp>

#include "base/dl.hpp"
#include "base/trusted_path.hpp"

namespace nsutil::detail {
namespace {

// libcurl, loaded on first use. Only this fallback needs it, and it is rarely taken: linking it
// would load it, and through it OpenSSL, its HTTP/2, SSH, LDAP, Kerberos and IDN libraries, into
// every run of every tool. The soname is libcurl's ABI, stable since 2006 (the same pattern as
// libmount in base/mountinfo.cpp).
struct libcurl_api {
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_cleanup) easy_cleanup;
};

const libcurl_api* libcurl() {
  static const auto api = load_library<libcurl_api>("libcurl.so.4", [](auto& a, auto bind) {
    return bind(a.easy_init, "curl_easy_init") && bind(a.easy_setopt, "curl_easy_setopt") &&
           bind(a.easy_perform, "curl_easy_perform") && bind(a.easy_getinfo, "curl_easy_getinfo") &&
           bind(a.easy_cleanup, "curl_easy_cleanup");
  });
  return api ? &*api : nullptr;
}

constexpr std::size_t max_body = std::size_t{4} << 20;

std::size_t append_body(char* data, std::size_t size, std::size_t n, void* out) {
  auto& body = *static_cast<std::string*>(out);
  if (body.size() + size * n > max_body)
    return 0;  // libcurl ends the transfer with CURLE_WRITE_ERROR
  body.append(data, size * n);
  return size * n;
}

// libcurl's own socket() lacks SOCK_CLOEXEC: a program that forks and execs on another thread
// meanwhile would pass the engine's socket on.
curl_socket_t open_cloexec(void*, curlsocktype, curl_sockaddr* addr) {
  int fd = ::socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
  return fd < 0 ? CURL_SOCKET_BAD : fd;
}

// The socket at `path` as the trust rule allows for a container of `owner`: reached through
// root's and the owner's directories and symlinks only, a socket that the owner owns in a
// directory that the owner owns. Another user could otherwise answer in the engine's place with
// any name. Its O_PATH descriptor, for connecting through /proc/self/fd so that the socket
// checked is the one asked; empty when it is not so.
unique_fd trusted_socket(const std::string& path, uid_t owner) {
  try {
    trusted_location where = locate_trusted_path(path, {.trusted_uid = owner});
    struct stat dir {};
    if (where.object && S_ISSOCK(where.status.st_mode) && where.status.st_uid == owner &&
        ::fstat(where.directory.get(), &dir) == 0 && dir.st_uid == owner)
      return std::move(where.object);
  } catch (const error&) {
  }
  return {};
}

}  // namespace

std::string unix_socket_of(std::string_view host) {
  constexpr std::string_view scheme = "unix://";
  if (!host.starts_with(scheme) || host.size() == scheme.size())
    return {};
  return std::string(host.substr(scheme.size()));
}

namespace {

// The socket of an engine whose address variable reads `host` (null when unset), for a
// container of `user`: the variable's when set, else `rootful` for root and `rootless`
// under /run/user/UID for another user.
std::string engine_socket(const char* host, std::optional<uid_t> user, std::string_view rootful,
                          std::string_view rootless) {
  if (host != nullptr && *host != '\0')
    return unix_socket_of(host);
  if (user && *user != 0)
    return fmt::format("/run/user/{}/{}", *user, rootless);
  return std::string(rootful);
}

}  // namespace

std::string docker_socket(const char* docker_host, std::optional<uid_t> user) {
  return engine_socket(docker_host, user, "/run/docker.sock", "docker.sock");
}

std::string podman_socket(const char* container_host, std::optional<uid_t> user) {
  return engine_socket(container_host, user, "/run/podman/podman.sock", "podman/podman.sock");
}

std::string name_from_inspect(std::string_view body, std::string_view id) {
  auto j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (!j.is_object())
    return {};
  if (auto got = j.find("Id");
      got != j.end() && (!got->is_string() || got->get<std::string>() != id))
    return {};
  auto name = j.find("Name");
  if (name == j.end() || !name->is_string())
    return {};
  std::string s = name->get<std::string>();
  if (s.starts_with('/'))
    s.erase(0, 1);
  return s;
}

std::optional<http_reply> unix_http_get(const std::string& socket, const std::string& path,
                                        long timeout_ms) {
  const libcurl_api* curl = libcurl();
  if (curl == nullptr)
    return std::nullopt;
  std::unique_ptr<CURL, decltype(curl->easy_cleanup)> h(curl->easy_init(), curl->easy_cleanup);
  if (!h)
    return std::nullopt;
  http_reply reply;
  std::string url = "http://localhost" + path;
  auto set = [&](CURLoption opt, auto value) { return curl->easy_setopt(h.get(), opt, value); };
  // NOSIGNAL: a library must not have libcurl arm SIGALRM in its caller. PROXY "": an http_proxy
  // in the environment is for the network, not for a local socket.
  if (set(CURLOPT_URL, url.c_str()) != CURLE_OK ||
      set(CURLOPT_UNIX_SOCKET_PATH, socket.c_str()) != CURLE_OK ||
      set(CURLOPT_PROXY, "") != CURLE_OK || set(CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
      set(CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
      set(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) != CURLE_OK ||
      set(CURLOPT_OPENSOCKETFUNCTION, &open_cloexec) != CURLE_OK ||
      set(CURLOPT_WRITEFUNCTION, &append_body) != CURLE_OK ||
      set(CURLOPT_WRITEDATA, static_cast<void*>(&reply.body)) != CURLE_OK)
    return std::nullopt;
  if (curl->easy_perform(h.get()) != CURLE_OK ||
      curl->easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &reply.status) != CURLE_OK)
    return std::nullopt;
  return reply;
}

std::string engine_api::container_name(const std::string& socket, const std::string& id,
                                       uid_t owner, std::chrono::milliseconds timeout) {
  // libcurl reads a limit of 0 as none at all: a hung engine would hang the listing.
  if (socket.empty() || timeout <= std::chrono::milliseconds(0) || failed_.contains(socket))
    return {};
  // No socket, no engine: libcurl is not even loaded.
  unique_fd checked = trusted_socket(socket, owner);
  auto reply = checked ? unix_http_get(fd_path(checked), "/containers/" + id + "/json",
                                       static_cast<long>(timeout.count()))
                       : std::nullopt;
  if (!reply) {
    failed_.insert(socket);
    return {};
  }
  // 404 is "no such container": the engine answers, and may know the next one.
  return reply->status == 200 ? name_from_inspect(reply->body, id) : std::string();
}

}  // namespace nsutil::detail
