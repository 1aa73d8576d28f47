// gated_helper (process.hpp): helper processes forked before unshare() that wait at a "gate"
// until the caller has made its new namespaces, then act on it from outside them
// (persist_helper, id_map_helper).
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <exception>
#include <nsutil/error.hpp>
#include <nsutil/process.hpp>
#include <tuple>

namespace nsutil {
namespace {

// Forks a child that blocks until the gate's write end gets a byte and then runs `body`; if the
// caller closes the gate without that (its unshare failed), the child exits without running
// `body`. Returns the child and the gate's write end.
std::pair<child, unique_fd> start_behind_gate(const std::function<void()>& body) {
  // Named ends rather than a structured binding, which a lambda may capture only from clang 16.
  unique_fd go_read;
  unique_fd go_write;
  std::tie(go_read, go_write) = make_pipe();
  child helper = fork_child(
      [&] {
        go_write.reset();
        char byte;
        ssize_t n;
        while ((n = ::read(go_read.get(), &byte, 1)) < 0 && errno == EINTR) {
        }
        if (n == 1)
          body();
      },
      {.death_signal = SIGKILL});
  return {std::move(helper), std::move(go_write)};
}

}  // namespace

gated_helper::gated_helper(const std::function<void()>& body)
    : gated_helper(start_behind_gate(body)) {}

gated_helper::gated_helper(std::pair<child, unique_fd> started) noexcept
    : helper_(std::move(started.first)), go_(std::move(started.second)) {}

void gated_helper::open(std::string_view what) {
  char byte = 1;
  while (::write(go_.get(), &byte, 1) < 0) {
    if (errno != EINTR)
      throw_errno("write", what);
  }
  go_.reset();
  child_status status = helper_.wait();
  if (status != child_status{})
    throw_error(EIO, what, "",
                fmt::format("helper process ended with status {}", status.shell_code()));
}

gated_helper::~gated_helper() {
  if (!go_)
    return;
  go_.reset();
  try {
    helper_.wait();
  } catch (const std::exception&) {
    // Never opened: the helper did nothing, and how it ended is of no interest.
  }
}

}  // namespace nsutil
