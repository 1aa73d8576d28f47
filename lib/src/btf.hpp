// The kernel's BTF (/sys/kernel/btf/vmlinux), mapped: the few facts about its structures that
// libnsutil's BPF programs need (offsets differ between builds, so they are never hard-coded).
// Private to libnsutil.
#pragma once

#include <linux/btf.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace nsutil::detail {

// The BTF is mapped, not read (Linux 6.16 maps the kernel's own copy): reading its megabytes
// through a buffer and scanning them took about 15 ms a run, more than the rest of a scan, and a
// copy would have cost megabytes of memory. The mapping does not count towards the process's
// resident memory. Kernels that cannot map it use the /proc walk instead.
class kernel_btf {
 public:
  struct member_query {
    std::string_view type, member;
    long offset = -1;
    std::uint32_t type_id = 0;  // the struct's BTF ID, once found
  };

  struct func_query {
    std::string_view name;
    std::uint32_t id = 0;
  };

  kernel_btf() = default;
  kernel_btf(const kernel_btf&) = delete;
  kernel_btf& operator=(const kernel_btf&) = delete;
  ~kernel_btf();

  // Maps the kernel's BTF; false where the kernel has none or cannot map it.
  bool map();

  // Finds the ID of every FUNC in `funcs`, and the byte offset and struct ID of every member
  // query (members of anonymous structs and unions included); what is missing stays 0 or -1.
  // False when the BTF is malformed.
  bool resolve(std::vector<func_query>& funcs, std::vector<member_query>& q);

 private:
  // Whether the string at `off` is `want`, without measuring it first.
  [[nodiscard]] bool name_is(std::uint32_t off, std::string_view want) const;
  // Calls visit(id, type, extra) for every type until it returns false; false when the section
  // is malformed.
  template <class Visit>
  bool walk_types(Visit&& visit) const;

  const char* base_ = nullptr;
  std::size_t size_ = 0;
  btf_header hdr_{};
};

}  // namespace nsutil::detail
