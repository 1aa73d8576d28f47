#include "gate.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <exception>
#include <nsutil/error.hpp>

namespace nsutil::gate {

std::pair<child, unique_fd> start(const std::function<void()>& body) {
  auto [go_read, go_write] = make_pipe();
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

void open(child& helper, unique_fd& go, std::string_view what) {
  char byte = 1;
  while (::write(go.get(), &byte, 1) < 0) {
    if (errno != EINTR)
      throw_errno("write", what);
  }
  go.reset();
  child_status status = helper.wait();
  if (status != child_status{})
    throw_error(EIO, what, "",
                fmt::format("helper process ended with status {}", status.shell_code()));
}

void close(child& helper, unique_fd& go) noexcept {
  if (!go)
    return;
  go.reset();
  try {
    helper.wait();
  } catch (const std::exception&) {
    // Never opened: the helper did nothing, and how it ended is of no interest.
  }
}

}  // namespace nsutil::gate
