#include "xlsns.hpp"

int main(int argc, char* argv[]) {
  return nsutil::cli::main<nsutil::xlsns::options>("xlsns", argc, argv, nsutil::xlsns::parse_args,
                                                   nsutil::xlsns::run);
}
