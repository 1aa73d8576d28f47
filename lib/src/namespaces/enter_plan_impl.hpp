// What an enter_plan holds (enter_plan.hpp): its files and how far enter() got. Private to the
// library: enter_plan.cpp and selinux.cpp.
#pragma once

#include <array>
#include <nsutil/enter_plan.hpp>
#include <nsutil/export.hpp>
#include <optional>
#include <string>

namespace nsutil {

struct NSUTIL_LOCAL enter_plan::impl {
  void open_target(const enter_request& req);
  void open_namespaces(const enter_request& req);
  void open_extras(const enter_request& req);
  bool enter_pass(bool include_user, bool report);
  void enter();
  void setup();
  std::optional<std::string> follow_context();

  std::optional<process> target_;
  ns_set types_;
  // Per type: an open file to setns() with, or empty to use the pidfd mask.
  std::array<std::optional<ns_handle>, 8> files_;
  ns_set done_;
  bool by_pidfd_ = false;
  unique_fd root_;
  unique_fd wd_;
  std::optional<std::string> wdns_;
  unique_fd environ_;
  unique_fd cgroup_procs_;
  credentials creds_;
};

}  // namespace nsutil
