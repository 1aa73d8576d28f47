#include "base/mountinfo.hpp"

#include <libmount.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <nsutil/error.hpp>
#include <optional>

#include "base/dl.hpp"

namespace nsutil::detail {
namespace {

// The soname is libmount's ABI, which util-linux keeps stable; the same pattern as systemd's
// optional libraries.
struct libmount_api {
  decltype(&mnt_new_table) new_table;
  decltype(&mnt_unref_table) unref_table;
  decltype(&mnt_table_parse_stream) table_parse_stream;
  decltype(&mnt_new_iter) new_iter;
  decltype(&mnt_free_iter) free_iter;
  decltype(&mnt_table_next_fs) table_next_fs;
  decltype(&mnt_fs_get_devno) fs_get_devno;
  decltype(&mnt_fs_get_root) fs_get_root;
  decltype(&mnt_fs_get_target) fs_get_target;
  decltype(&mnt_fs_get_fstype) fs_get_fstype;
  decltype(&mnt_fs_get_fs_options) fs_get_fs_options;
};

const libmount_api& libmount() {
  static const auto api = load_library<libmount_api>("libmount.so.1", [](auto& a, auto bind) {
    return bind(a.new_table, "mnt_new_table") && bind(a.unref_table, "mnt_unref_table") &&
           bind(a.table_parse_stream, "mnt_table_parse_stream") &&
           bind(a.new_iter, "mnt_new_iter") && bind(a.free_iter, "mnt_free_iter") &&
           bind(a.table_next_fs, "mnt_table_next_fs") && bind(a.fs_get_devno, "mnt_fs_get_devno") &&
           bind(a.fs_get_root, "mnt_fs_get_root") && bind(a.fs_get_target, "mnt_fs_get_target") &&
           bind(a.fs_get_fstype, "mnt_fs_get_fstype") &&
           bind(a.fs_get_fs_options, "mnt_fs_get_fs_options");
  });
  if (!api)
    throw_error(ELIBACC, "dlopen", "libmount.so.1", "util-linux's libmount is not installed");
  return *api;
}

std::string text_of(const char* field) {
  return field != nullptr ? field : "";
}

}  // namespace

std::vector<mount_entry> parse_mountinfo(std::string_view text, const std::string& name) {
  std::vector<mount_entry> out;
  if (text.empty())
    return out;
  const auto& mnt = libmount();
  std::unique_ptr<libmnt_table, void (*)(libmnt_table*)> table(mnt.new_table(), mnt.unref_table);
  if (!table)
    throw_error(ENOMEM, "read", name);
  // A stream over the text the caller read, not the file again: a second read could see another
  // table. "r" never writes to the buffer.
  std::unique_ptr<FILE, int (*)(FILE*)> stream(
      ::fmemopen(const_cast<char*>(text.data()), text.size(), "r"), ::fclose);
  if (!stream)
    throw_error(errno, "read", name);
  int rc = mnt.table_parse_stream(table.get(), stream.get(), name.c_str());
  if (rc != 0)
    throw_error(rc < 0 ? -rc : EINVAL, "read", name);
  std::unique_ptr<libmnt_iter, void (*)(libmnt_iter*)> iter(mnt.new_iter(MNT_ITER_FORWARD),
                                                            mnt.free_iter);
  if (!iter)
    throw_error(ENOMEM, "read", name);
  libmnt_fs* fs = nullptr;
  while (mnt.table_next_fs(table.get(), iter.get(), &fs) == 0)
    out.push_back({mnt.fs_get_devno(fs), text_of(mnt.fs_get_root(fs)),
                   text_of(mnt.fs_get_target(fs)), text_of(mnt.fs_get_fstype(fs)),
                   text_of(mnt.fs_get_fs_options(fs))});
  return out;
}

}  // namespace nsutil::detail
