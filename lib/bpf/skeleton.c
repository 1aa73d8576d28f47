/* The light skeleton's loader, behind skeleton.h. */
#include "skeleton.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

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

int nsutil_bpf_start(int want_files, int *tasks, int *files) {
  *tasks = -1;
  *files = -1;
  struct tasks *skel = tasks__open();
  if (!skel)
    return -ENOMEM;
  int err = tasks__load(skel);
  if (err == 0 && tasks__nsutil_tasks__attach(skel) < 0)
    err = -errno;
  if (err == 0 && want_files && tasks__nsutil_files__attach(skel) < 0)
    err = -errno;
  if (err == 0 && (*tasks = create_iterator(skel->links.nsutil_tasks_fd)) < 0)
    err = -errno;
  if (err == 0 && want_files && (*files = create_iterator(skel->links.nsutil_files_fd)) < 0)
    err = -errno;
  /* The iterators hold their links, and the links their programs. */
  tasks__destroy(skel);
  if (err < 0) {
    if (*tasks >= 0)
      close(*tasks);
    *tasks = -1;
    return err;
  }
  return 0;
}
