// Pieces of nsutil::error's text that other parts of libnsutil also write. Private.
#pragma once

#include <string>
#include <string_view>

namespace nsutil::detail {

// `path` as a message shows it: a path longer than a screen line keeps its start and its end
// and says how long it was, so a 100 kB path does not make a 100 kB message.
std::string shorten_path(std::string_view path);

}  // namespace nsutil::detail
