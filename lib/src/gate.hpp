// Helper processes forked before unshare() that wait at a "gate" until the caller has made its
// new namespaces, then act on it from outside them (persist_helper, id_map_helper).
#pragma once

#include <functional>
#include <nsutil/process.hpp>
#include <nsutil/unique_fd.hpp>
#include <string_view>
#include <utility>

namespace nsutil::gate {

// Forks a child that blocks until open() and then runs `body`; if the caller closes the gate
// without opening it (its unshare failed), the child exits without running `body`. The child
// gets SIGKILL if the caller dies first. Returns the child and the gate's write end.
std::pair<child, unique_fd> start(const std::function<void()>& body);

// Lets the child run its body and waits for it. Rethrows the body's error; any other
// non-zero ending becomes nsutil::error(EIO, "helper", what).
void open(child& helper, unique_fd& go, std::string_view what);

// For destructors: if the gate was never opened, closes it and reaps the child.
void close(child& helper, unique_fd& go) noexcept;

}  // namespace nsutil::gate
