#include <fcntl.h>
#include <fmt/format.h>
#include <libmount.h>
#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <memory>
#include <nsutil/error.hpp>
#include <nsutil/mounts.hpp>
#include <optional>

#include "base/compat.hpp"
#include "base/dl.hpp"

namespace nsutil {
namespace {

std::optional<mount_ns> describe_mount_ns(int fd, bool own) noexcept {
  compat::mnt_ns_info info{};
  info.size = sizeof info;
  if (::ioctl(fd, compat::ns_mnt_get_info, &info) < 0)
    return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) < 0)
    return std::nullopt;
  mount_ns ns;
  ns.id = info.mnt_ns_id;
  ns.inode = {st.st_dev, st.st_ino};
  std::uint64_t nsid = 0;
  if (::ioctl(fd, NS_GET_ID, &nsid) == 0)
    ns.nsid = nsid;
  ns.own = own;
  return ns;
}

// NS_MNT_GET_NEXT/PREV hand back a new descriptor for the neighbour in ID order and fail with
// ENOENT at either end; walking both ways from our own namespace covers the whole list.
void walk(int start, unsigned long request, std::vector<mount_ns>& out) noexcept {
  unique_fd cur;
  int from = start;
  for (;;) {
    compat::mnt_ns_info info{};
    info.size = sizeof info;
    int fd = ::ioctl(from, request, &info);
    if (fd < 0)
      return;
    cur.reset(fd);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (auto ns = describe_mount_ns(fd, false))
      out.push_back(*ns);
    from = cur.get();
  }
}

}  // namespace

std::optional<std::vector<mount_ns>> list_mount_namespaces() noexcept {
  unique_fd self(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
  if (!self)
    return std::nullopt;
  auto own = describe_mount_ns(self.get(), true);
  if (!own)
    return std::nullopt;  // no NS_MNT_GET_INFO: the kernel predates 6.12
  std::vector<mount_ns> out{*own};
  walk(self.get(), compat::ns_mnt_get_prev, out);
  walk(self.get(), compat::ns_mnt_get_next, out);
  return out;
}

std::optional<std::vector<ns_mount>> read_ns_mounts(std::uint64_t mnt_ns_id) {
  std::vector<std::uint64_t> ids;
  compat::mnt_id_req req{};
  req.size = compat::mnt_id_req_size_ver1;
  req.mnt_id = compat::lsmt_root;
  req.mnt_ns_id = mnt_ns_id;
  std::uint64_t batch[256];
  for (;;) {
    long n = compat::listmount(&req, batch, std::size(batch), 0);
    if (n < 0) {
      if (errno == ENOSYS || errno == EINVAL || errno == E2BIG)
        return std::nullopt;
      throw_errno("listmount", fmt::format("mount namespace {}", mnt_ns_id));
    }
    ids.insert(ids.end(), batch, batch + n);
    if (static_cast<std::size_t>(n) < std::size(batch))
      break;
    req.param = batch[n - 1];
  }

  std::vector<ns_mount> out;
  constexpr std::size_t buf_size = 8192;
  std::unique_ptr<std::uint64_t[]> storage(new std::uint64_t[buf_size / 8]);
  auto* sm = reinterpret_cast<compat::statmount_buf*>(storage.get());
  const char* strings =
      reinterpret_cast<const char*>(storage.get()) + sizeof(compat::statmount_buf);
  for (std::uint64_t id : ids) {
    compat::mnt_id_req one{};
    one.size = compat::mnt_id_req_size_ver1;
    one.mnt_id = id;
    one.param = compat::statmount_sb_basic;
    one.mnt_ns_id = mnt_ns_id;
    // Ask for the cheap superblock part first: only nsfs mounts need their strings.
    if (compat::statmount(&one, sm, buf_size, 0) < 0 || sm->sb_magic != NSFS_MAGIC)
      continue;
    one.param = compat::statmount_mnt_root | compat::statmount_mnt_point;
    if (compat::statmount(&one, sm, buf_size, 0) < 0)
      continue;
    if ((sm->mask & (compat::statmount_mnt_root | compat::statmount_mnt_point)) !=
        (compat::statmount_mnt_root | compat::statmount_mnt_point))
      continue;
    auto link = parse_ns_link(strings + sm->mnt_root);
    if (!link)
      continue;
    out.push_back({link->first, link->second, strings + sm->mnt_point});
  }
  return out;
}

namespace {

// libmount, loaded on first use. Only this fallback needs it, and linking it would map it with
// libblkid, libselinux and libpcre2 into every xlsns run, where Linux 6.12's listmount and
// statmount already did the job. The same pattern
// as systemd's optional libraries: the soname is libmount's ABI, which util-linux keeps stable.
struct libmount_api {
  decltype(&mnt_new_table) new_table;
  decltype(&mnt_unref_table) unref_table;
  decltype(&mnt_table_parse_stream) table_parse_stream;
  decltype(&mnt_new_iter) new_iter;
  decltype(&mnt_free_iter) free_iter;
  decltype(&mnt_table_next_fs) table_next_fs;
  decltype(&mnt_fs_get_fstype) fs_get_fstype;
  decltype(&mnt_fs_get_root) fs_get_root;
  decltype(&mnt_fs_get_target) fs_get_target;
};

const libmount_api& libmount() {
  static const std::optional<libmount_api> api = []() -> std::optional<libmount_api> {
    void* lib = ::dlopen("libmount.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr)
      return std::nullopt;
    libmount_api a{};
    auto bind = [lib](auto& fn, const char* name) { return detail::bind_symbol(lib, fn, name); };
    if (!bind(a.new_table, "mnt_new_table") || !bind(a.unref_table, "mnt_unref_table") ||
        !bind(a.table_parse_stream, "mnt_table_parse_stream") ||
        !bind(a.new_iter, "mnt_new_iter") || !bind(a.free_iter, "mnt_free_iter") ||
        !bind(a.table_next_fs, "mnt_table_next_fs") ||
        !bind(a.fs_get_fstype, "mnt_fs_get_fstype") || !bind(a.fs_get_root, "mnt_fs_get_root") ||
        !bind(a.fs_get_target, "mnt_fs_get_target"))
      return std::nullopt;
    return a;
  }();
  if (!api)
    throw_error(ELIBACC, "dlopen", "libmount.so.1", "util-linux's libmount is not installed");
  return *api;
}

}  // namespace

std::vector<ns_mount> read_ns_mounts_from_mountinfo(const std::string& path) {
  return read_ns_mounts_from_mountinfo(open_fd(path, O_RDONLY), path);
}

std::vector<ns_mount> read_ns_mounts_from_mountinfo(const unique_fd& file,
                                                    const std::string& name) {
  // Most mount tables hold no nsfs mount (`ip netns add` and persisted namespaces make them),
  // and one without is answered without loading libmount and with it libblkid, libselinux and
  // libpcre2 (a million instructions and four libraries to map). The fields before " - " escape
  // their spaces (\040), so " - nsfs " can only be the separator and that file system type.
  std::string text = read_all(file, name);
  if (text.find(" - nsfs ") == std::string::npos)
    return {};
  const auto& mnt = libmount();
  std::unique_ptr<libmnt_table, void (*)(libmnt_table*)> table(mnt.new_table(), mnt.unref_table);
  if (!table)
    throw_error(ENOMEM, "read", name);
  // The text already read, not the file again: a second read could see another table.
  std::unique_ptr<FILE, int (*)(FILE*)> stream(::fmemopen(text.data(), text.size(), "r"), ::fclose);
  if (!stream)
    throw_error(errno, "read", name);
  int rc = mnt.table_parse_stream(table.get(), stream.get(), name.c_str());
  if (rc != 0)
    throw_error(rc < 0 ? -rc : EINVAL, "read", name);
  std::vector<ns_mount> out;
  std::unique_ptr<libmnt_iter, void (*)(libmnt_iter*)> iter(mnt.new_iter(MNT_ITER_FORWARD),
                                                            mnt.free_iter);
  libmnt_fs* fs = nullptr;
  while (mnt.table_next_fs(table.get(), iter.get(), &fs) == 0) {
    const char* fstype = mnt.fs_get_fstype(fs);
    const char* root = mnt.fs_get_root(fs);
    const char* target = mnt.fs_get_target(fs);
    if (fstype == nullptr || root == nullptr || target == nullptr ||
        std::string_view(fstype) != "nsfs")
      continue;
    if (auto link = parse_ns_link(root))
      out.push_back({link->first, link->second, target});
  }
  return out;
}

}  // namespace nsutil
