// Container engines' HTTP APIs on their Unix sockets (Docker's, and Podman's Docker-compatible
// one), asked by the container resolver for a name that the engine's state on disk did not give.
// libcurl does the HTTP; it is loaded with dlopen() when a socket is first asked, never linked.
// Private to libnsutil.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace nsutil::detail {

// The socket path of an engine address as DOCKER_HOST and CONTAINER_HOST give it
// ("unix:///run/docker.sock" -> "/run/docker.sock"); empty for any other scheme (tcp://,
// ssh://, npipe://), which is not a local socket.
std::string unix_socket_of(std::string_view host);

// Docker's socket for a container of `user` (rootless when non-zero): DOCKER_HOST's
// (`docker_host`, null when unset) when set, else where dockerd listens by default:
// /run/docker.sock, or rootless dockerd's $XDG_RUNTIME_DIR/docker.sock, /run/user/UID/docker.sock.
// Empty when DOCKER_HOST names no Unix socket: the user's engine is elsewhere, and
// /run/docker.sock may be another one.
std::string docker_socket(const char* docker_host, std::optional<uid_t> user = std::nullopt);

// Podman's socket for a container of `user` (rootless when non-zero): CONTAINER_HOST's
// (`container_host`, null when unset) when set, else podman.socket's: /run/podman/podman.sock
// for root, /run/user/UID/podman/podman.sock for a rootless user. Empty as for docker_socket().
std::string podman_socket(const char* container_host, std::optional<uid_t> user);

// The container name in a GET /containers/ID/json answer: "Name" without Docker's leading '/'.
// Empty when `body` is no JSON object, has no string "Name", or is about another container (an
// "Id" other than `id`).
std::string name_from_inspect(std::string_view body, std::string_view id);

// An HTTP answer: its status code and body.
struct http_reply {
  long status = 0;
  std::string body;
};

// GET `path` (from "/") over the Unix socket `socket`, in at most `timeout_ms` all told; no
// proxy, no redirect. nullopt when libcurl.so.4 cannot be loaded, the socket cannot be reached,
// the answer is not HTTP, is over 4 MiB, or does not come in time.
std::optional<http_reply> unix_http_get(const std::string& socket, const std::string& path,
                                        long timeout_ms);

// The engines' sockets as one resolver asks them: a socket that once failed (absent, refused,
// timed out, not HTTP) is not asked again, so a listing waits at most one timeout per socket.
// Not thread-safe.
class engine_api {
 public:
  // The name the engine on `socket` gives container `id` (its whole hex ID), a container of
  // `owner`, or empty: no socket, a socket that `owner` and its directory's owner are not both
  // (the trust rule of containers.hpp), a socket that failed before or fails now (a request may
  // take `timeout`), an unknown container, an answer without a name.
  std::string container_name(const std::string& socket, const std::string& id, uid_t owner,
                             std::chrono::milliseconds timeout);

 private:
  std::unordered_set<std::string> failed_;
};

}  // namespace nsutil::detail
