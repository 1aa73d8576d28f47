#include "xnsenter.hpp"

int main(int argc, char* argv[]) {
  return nsutil::cli::main<nsutil::xnsenter::options>(
      "xnsenter", argc, argv, nsutil::xnsenter::parse_args, nsutil::xnsenter::run);
}
