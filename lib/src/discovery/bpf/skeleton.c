/* The light skeletons' loader, behind skeleton.h. */
#include "skeleton.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "records.h"
#include "tasks.lskel.h"

static int create_iterator(int link) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.iter_create.link_fd = (__u32)link;
  int fd = skel_sys_bpf(BPF_ITER_CREATE, &attr, sizeof attr);
  /* Linux 6.1 already returns it close-on-exec; older kernels may not. */
  if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* start_NAME(): load skeleton NAME (gen-skeleton.sh), attach its programs, create the iterators.
 * Each skeleton has functions of its own name, hence the macro. The iterators hold their links,
 * and the links their programs: everything else is closed by NAME__destroy(). */
#define NSUTIL_START(name)                                                                     \
  static int start_##name(int want_files, int* tasks, int* files) {                            \
    struct name* skel = name##__open();                                                        \
    if (!skel)                                                                                 \
      return -ENOMEM;                                                                          \
    int err = name##__load(skel);                                                              \
    if (err == 0 && name##__nsutil_tasks__attach(skel) < 0)                                    \
      err = -errno;                                                                            \
    if (err == 0 && want_files && name##__nsutil_files__attach(skel) < 0)                      \
      err = -errno;                                                                            \
    if (err == 0 && (*tasks = create_iterator(skel->links.nsutil_tasks_fd)) < 0)               \
      err = -errno;                                                                            \
    if (err == 0 && want_files && (*files = create_iterator(skel->links.nsutil_files_fd)) < 0) \
      err = -errno;                                                                            \
    name##__destroy(skel);                                                                     \
    return err;                                                                                \
  }
NSUTIL_START(tasks)
NSUTIL_START(tasks_mnt)
NSUTIL_START(tasks_net)
NSUTIL_START(tasks_pid)
NSUTIL_START(tasks_uts)
NSUTIL_START(tasks_ipc)
NSUTIL_START(tasks_user)
NSUTIL_START(tasks_cgroup)
NSUTIL_START(tasks_time)

/* One type alone: its own skeleton (records.h's order); any other mask: the one of every type. */
static const struct {
  unsigned types;
  int (*start)(int want_files, int* tasks, int* files);
} by_types[] = {
    {1u << NSUTIL_NS_MNT, start_tasks_mnt},       {1u << NSUTIL_NS_NET, start_tasks_net},
    {1u << NSUTIL_NS_PID, start_tasks_pid},       {1u << NSUTIL_NS_UTS, start_tasks_uts},
    {1u << NSUTIL_NS_IPC, start_tasks_ipc},       {1u << NSUTIL_NS_USER, start_tasks_user},
    {1u << NSUTIL_NS_CGROUP, start_tasks_cgroup}, {1u << NSUTIL_NS_TIME, start_tasks_time},
};

int nsutil_bpf_start(int want_files, unsigned types, int* tasks, int* files) {
  *tasks = -1;
  *files = -1;
  int (*start)(int, int*, int*) = start_tasks;
  for (size_t i = 0; i < sizeof by_types / sizeof by_types[0]; ++i)
    if (by_types[i].types == types)
      start = by_types[i].start;
  int err = start(want_files, tasks, files);
  if (err < 0) {
    if (*tasks >= 0)
      close(*tasks);
    if (*files >= 0)
      close(*files);
    *tasks = -1;
    *files = -1;
  }
  return err;
}
