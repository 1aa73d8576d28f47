// nsrun: join the namespace in a file, then run a command in it.
//
//   nsrun /proc/PID/ns/mnt /bin/bash
//   nsrun /run/netns/blue ip addr
//
// The libnsutil version of the classic setns(2) example: open the file (checked to be a
// namespace), join it, and exec the command. A pid or time namespace applies to children only,
// so for those the command runs in a forked child.
#include <cstdio>
#include <nsutil/enter.hpp>
#include <nsutil/error.hpp>
#include <nsutil/ns_handle.hpp>
#include <nsutil/process.hpp>
#include <string>
#include <vector>

int main(int argc, char* argv[]) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s NAMESPACE-FILE COMMAND [ARG]...\n", argv[0]);
    return 1;
  }
  std::vector<std::string> command(argv + 2, argv + argc);
  try {
    nsutil::ns_handle ns = nsutil::ns_handle::open(argv[1]);
    nsutil::enter(ns);
    if (ns.type() != nsutil::ns_type::pid && ns.type() != nsutil::ns_type::time)
      nsutil::exec_program(command[0], command);
    nsutil::child child = nsutil::fork_child([&] { nsutil::exec_program(command[0], command); });
    return child.wait().shell_code();
  } catch (const nsutil::error& e) {
    std::fprintf(stderr, "nsrun: %s\n", e.what());
    return e.op() == nsutil::exec_op ? 127 : 1;
  }
}
