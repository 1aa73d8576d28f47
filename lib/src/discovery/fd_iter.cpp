#include "discovery/fd_iter.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <nsutil/unique_fd.hpp>

#include "discovery/bpf/records.h"
#include "discovery/bpf/skeleton.h"

namespace nsutil::detail {
namespace {

// Reads every fixed-size record an iterator writes; false on a read error.
template <class Record, class Add>
bool read_records(const unique_fd& iter, Add&& add) {
  Record buf[512];
  for (;;) {
    ssize_t n = ::read(iter.get(), buf, sizeof buf);
    if (n < 0)
      return false;
    if (n == 0)
      return true;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof(Record); ++i)
      add(buf[i]);
  }
}

}  // namespace

std::optional<task_listing> iterate_tasks(bool descriptors, int* error, unsigned types) noexcept {
  int ignored = 0;
  int& err = error ? *error : ignored;
  try {
    // Global PIDs are what the iterators report: use them only where they are ours.
    struct stat pidns {};
    if (::stat("/proc/self/ns/pid", &pidns) < 0 || pidns.st_ino != 0xEFFFFFFCU) {
      err = EXDEV;
      return std::nullopt;
    }
    int tasks_fd = -1;
    int files_fd = -1;
    if (int rc = nsutil_bpf_start(descriptors ? 1 : 0, types, &tasks_fd, &files_fd); rc < 0) {
      err = -rc;
      return std::nullopt;
    }
    unique_fd tasks(tasks_fd);
    unique_fd files(files_fd);
    task_listing out;
    bool ok = !descriptors || read_records<nsutil_file_record>(files, [&](const auto& r) {
      out.descriptors.push_back({static_cast<pid_t>(r.tgid), static_cast<int>(r.fd),
                                 r.kind == NSUTIL_FILE_SOCKET, r.ino});
    });
    ok = ok && read_records<nsutil_task_record>(tasks, [&](const auto& r) {
           task_namespaces t{static_cast<pid_t>(r.tgid),
                             static_cast<pid_t>(r.tid),
                             static_cast<pid_t>(r.ppid),
                             {},
                             {}};
           std::copy(std::begin(r.ino), std::end(r.ino), t.ino.begin());
           std::copy(std::begin(r.id), std::end(r.id), t.id.begin());
           out.tasks.push_back(t);
         });
    if (!ok) {
      err = errno;
      return std::nullopt;
    }
    return out;
  } catch (...) {
    err = ENOMEM;
    return std::nullopt;
  }
}

}  // namespace nsutil::detail
