#include "btf.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nsutil/unique_fd.hpp>

namespace nsutil::detail {

template <class Visit>
bool kernel_btf::walk_types(Visit&& visit) const {
  const char* p = base_ + hdr_.hdr_len + hdr_.type_off;
  const char* end = p + hdr_.type_len;
  for (std::uint32_t id = 1; p < end; ++id) {
    if (static_cast<std::size_t>(end - p) < sizeof(btf_type))
      return false;
    btf_type t{};
    std::memcpy(&t, p, sizeof t);
    std::size_t vlen = BTF_INFO_VLEN(t.info);
    std::size_t extra = 0;
    switch (BTF_INFO_KIND(t.info)) {
      case BTF_KIND_INT:
      case BTF_KIND_VAR:
      case BTF_KIND_DECL_TAG:
        extra = 4;
        break;
      case BTF_KIND_ARRAY:
        extra = sizeof(btf_array);
        break;
      case BTF_KIND_STRUCT:
      case BTF_KIND_UNION:
        extra = vlen * sizeof(btf_member);
        break;
      case BTF_KIND_ENUM:
      case BTF_KIND_FUNC_PROTO:
        extra = vlen * 8;
        break;
      case BTF_KIND_DATASEC:
      case 19:  // BTF_KIND_ENUM64
        extra = vlen * 12;
        break;
      default:
        break;
    }
    if (static_cast<std::size_t>(end - p) < sizeof t + extra)
      return false;
    if (!visit(id, t, p + sizeof t))
      return true;
    p += sizeof t + extra;
  }
  return true;
}

kernel_btf::~kernel_btf() {
  if (base_ != nullptr)
    ::munmap(const_cast<char*>(base_), size_);
}

bool kernel_btf::map() {
  unique_fd fd(::open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) < 0 || st.st_size < static_cast<off_t>(sizeof(btf_header)))
    return false;
  void* p =
      ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (p == MAP_FAILED)
    return false;
  base_ = static_cast<const char*>(p);
  size_ = static_cast<std::size_t>(st.st_size);
  std::memcpy(&hdr_, base_, sizeof hdr_);
  return hdr_.magic == BTF_MAGIC && hdr_.hdr_len + hdr_.str_off + hdr_.str_len <= size_ &&
         hdr_.hdr_len + hdr_.type_off + hdr_.type_len <= size_;
}

bool kernel_btf::resolve(std::vector<func_query>& funcs, std::vector<member_query>& q) {
  // A member not found by name may be inside an anonymous struct or union member: that type
  // is looked into when the walk reaches it. BTF usually lists such types after the struct
  // that holds them, so one walk finds them; one listed before needs another pass.
  struct pending {
    std::size_t query;
    std::uint32_t type;
    long base;
    bool seen = false;
  };
  std::vector<pending> wanted, added;
  // What is still missing: the walk stops as soon as nothing is.
  std::size_t left = funcs.size() + q.size();
  auto scan_members = [&](std::size_t i, const btf_type& t, const char* extra, long base) {
    std::size_t first_anonymous = added.size();
    for (std::size_t m = 0; m < BTF_INFO_VLEN(t.info) && q[i].offset < 0; ++m) {
      btf_member mem{};
      std::memcpy(&mem, extra + m * sizeof mem, sizeof mem);
      long bits = BTF_INFO_KFLAG(t.info) ? BTF_MEMBER_BIT_OFFSET(mem.offset) : mem.offset;
      if (mem.name_off == 0) {
        added.push_back({i, mem.type, base + bits / 8});
      } else if (name_is(mem.name_off, q[i].member)) {
        q[i].offset = base + bits / 8;
        --left;
      }
    }
    if (q[i].offset >= 0)
      added.resize(first_anonymous);
  };
  for (int pass = 0; pass < 4 && left > 0; ++pass) {
    // Names are compared only for FUNCs and named structs: the section holds over a hundred
    // thousand types.
    bool ok = walk_types([&](std::uint32_t id, const btf_type& t, const char* extra) {
      unsigned kind = BTF_INFO_KIND(t.info);
      if (pass == 0 && kind == BTF_KIND_FUNC) {
        for (auto& f : funcs) {
          if (f.id == 0 && name_is(t.name_off, f.name)) {
            f.id = id;
            --left;
          }
        }
        return left > 0;
      }
      if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION)
        return true;
      if (pass == 0 && kind == BTF_KIND_STRUCT && t.name_off != 0)
        for (std::size_t i = 0; i < q.size(); ++i)
          if (q[i].offset < 0 && name_is(t.name_off, q[i].type)) {
            q[i].type_id = id;
            scan_members(i, t, extra, 0);
          }
      for (auto& w : wanted) {
        if (!w.seen && w.type == id) {
          w.seen = true;
          if (q[w.query].offset < 0)
            scan_members(w.query, t, extra, w.base);
        }
      }
      wanted.insert(wanted.end(), added.begin(), added.end());
      added.clear();
      return left > 0;
    });
    if (!ok)
      return false;
    std::erase_if(wanted, [&](const pending& w) { return w.seen || q[w.query].offset >= 0; });
    if (wanted.empty())
      break;
  }
  return true;
}

bool kernel_btf::name_is(std::uint32_t off, std::string_view want) const {
  if (off >= hdr_.str_len || hdr_.str_len - off <= want.size())
    return false;
  const char* s = base_ + hdr_.hdr_len + hdr_.str_off + off;
  return s[want.size()] == '\0' && std::memcmp(s, want.data(), want.size()) == 0;
}

}  // namespace nsutil::detail
