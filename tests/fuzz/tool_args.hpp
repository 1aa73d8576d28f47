// What the harnesses of the tools' command lines share: the input as argv, parsed by a tool's
// parse_args(), with the one refusal every tool documents (cli::parse_error) let through.
#pragma once

#include <optional>
#include <variant>

#include "common/cli.hpp"
#include "fuzz.hpp"

namespace nsutil::fuzz {

/// The options parse_args() gave for the input, or nullopt when it refused them or asked for an
/// early exit (--help, --version). Any other exception goes through to libFuzzer.
template <class Options>
std::optional<Options> parsed_options(cli::parse_result<Options> (*parse)(std::span<char* const>),
                                      const std::uint8_t* data, std::size_t size) {
  argv_of argv(data, size);
  try {
    auto parsed = parse(argv.args());
    if (auto* options = std::get_if<Options>(&parsed))
      return std::move(*options);
  } catch (const cli::parse_error&) {
  }
  return std::nullopt;
}

}  // namespace nsutil::fuzz
