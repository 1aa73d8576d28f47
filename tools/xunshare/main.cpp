#include "xunshare.hpp"

int main(int argc, char* argv[]) {
  return nsutil::cli::main<nsutil::xunshare::options>(
      "xunshare", argc, argv, nsutil::xunshare::parse_args, nsutil::xunshare::run);
}
