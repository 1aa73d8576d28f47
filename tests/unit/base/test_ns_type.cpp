#include <sched.h>

#include <catch2/catch.hpp>
#include <nsutil/ns_type.hpp>

using nsutil::ns_set;
using nsutil::ns_type;

TEST_CASE("every type round-trips through its name and its CLONE flag", "[ns_type]") {
  for (const auto& row : nsutil::ns_types) {
    CHECK(nsutil::info(row.type).name == row.name);
    CHECK(nsutil::parse_ns_type(row.name) == row.type);
    CHECK(nsutil::parse_ns_type(row.option) == row.type);
    CHECK(nsutil::ns_type_from_clone_flag(row.clone_flag) == row.type);
  }
}

TEST_CASE("the table's flags are the kernel's", "[ns_type]") {
  CHECK(nsutil::info(ns_type::mnt).clone_flag == CLONE_NEWNS);
  CHECK(nsutil::info(ns_type::net).clone_flag == CLONE_NEWNET);
  CHECK(nsutil::info(ns_type::pid).clone_flag == CLONE_NEWPID);
  CHECK(nsutil::info(ns_type::uts).clone_flag == CLONE_NEWUTS);
  CHECK(nsutil::info(ns_type::ipc).clone_flag == CLONE_NEWIPC);
  CHECK(nsutil::info(ns_type::user).clone_flag == CLONE_NEWUSER);
  CHECK(nsutil::info(ns_type::cgroup).clone_flag == CLONE_NEWCGROUP);
  CHECK(nsutil::info(ns_type::time).clone_flag == 0x80);
}

TEST_CASE("only pid and time have a for-children entry", "[ns_type]") {
  for (const auto& row : nsutil::ns_types) {
    bool expected = row.type == ns_type::pid || row.type == ns_type::time;
    CHECK(row.for_children_entry.empty() != expected);
  }
}

TEST_CASE("unknown names and flags are rejected", "[ns_type]") {
  CHECK_FALSE(nsutil::parse_ns_type(""));
  CHECK_FALSE(nsutil::parse_ns_type("network"));
  CHECK_FALSE(nsutil::parse_ns_type("NET"));
  CHECK_FALSE(nsutil::ns_type_from_clone_flag(0));
  CHECK_FALSE(nsutil::ns_type_from_clone_flag(CLONE_NEWNET | CLONE_NEWUTS));
}

TEST_CASE("ns_set holds types and converts to clone flags", "[ns_type]") {
  ns_set s{ns_type::net, ns_type::uts};
  CHECK(s.contains(ns_type::net));
  CHECK_FALSE(s.contains(ns_type::pid));
  CHECK(s.clone_flags() == (CLONE_NEWNET | CLONE_NEWUTS));
  CHECK(ns_set::from_clone_flags(s.clone_flags()) == s);
  CHECK(nsutil::to_string(s) == "net,uts");
  s.remove(ns_type::net);
  CHECK(nsutil::to_string(s) == "uts");
  s.remove(ns_type::uts);
  CHECK(s.empty());
  CHECK(nsutil::to_string(ns_set::all()) == "mnt,net,pid,uts,ipc,user,cgroup,time");
  CHECK(ns_set::from_clone_flags(CLONE_NEWNS | 0x1) == ns_set{ns_type::mnt});
}
