/* The watcher's light skeletons, behind watch_loader.h: `watch` (fentry/fexit), else `watch_tp`
 * (raw tracepoints), both from watch.bpf.c. */
#include "watch_loader.h"

#include <errno.h>
#include <sys/syscall.h>

#include "records.h"
#include "watch.lskel.h"

struct nsutil_watch_bpf {
  struct watch* skel;       /* or */
  struct watch_tp* skel_tp; /* where trampolines are refused */
};

static int start_fexit(unsigned types, struct nsutil_watch_bpf* w) {
  static int (*const attach[NSUTIL_NS_COUNT])(struct watch*) = {
      [NSUTIL_NS_MNT] = watch__nsutil_mnt__attach,
      [NSUTIL_NS_NET] = watch__nsutil_net__attach,
      [NSUTIL_NS_PID] = watch__nsutil_pid__attach,
      [NSUTIL_NS_UTS] = watch__nsutil_uts__attach,
      [NSUTIL_NS_IPC] = watch__nsutil_ipc__attach,
      [NSUTIL_NS_USER] = watch__nsutil_user__attach,
      [NSUTIL_NS_CGROUP] = watch__nsutil_cgroup__attach,
      [NSUTIL_NS_TIME] = watch__nsutil_time__attach,
  };
  w->skel = watch__open();
  if (!w->skel)
    return -ENOMEM;
  int err = watch__load(w->skel);
  /* The unshare pair first, so that no namespace is made before it tells unshare from clone. */
  static int (*const first[])(struct watch*) = {
      watch__nsutil_unshare_enter__attach,
      watch__nsutil_unshare_exit__attach,
      watch__nsutil_free__attach,
  };
  for (size_t i = 0; err == 0 && i < sizeof first / sizeof first[0]; ++i)
    if (first[i](w->skel) < 0)
      err = -errno;
  for (int type = 0; err == 0 && type < NSUTIL_NS_COUNT; ++type)
    if ((types & (1u << type)) && attach[type](w->skel) < 0)
      err = -errno;
  if (err < 0) {
    watch__destroy(w->skel);
    w->skel = NULL;
  }
  return err;
}

static int start_tracepoints(struct nsutil_watch_bpf* w) {
  w->skel_tp = watch_tp__open();
  if (!w->skel_tp)
    return -ENOMEM;
  int err = watch_tp__load(w->skel_tp);
  if (err == 0)
    w->skel_tp->bss->nsutil_unshare_nr = SYS_unshare;
  /* Releases first, so that no namespace reported made is freed unseen. */
  static int (*const attach[])(struct watch_tp*) = {
      watch_tp__nsutil_kfree__attach,     watch_tp__nsutil_cache_free__attach,
      watch_tp__nsutil_sys_enter__attach, watch_tp__nsutil_sys_exit__attach,
      watch_tp__nsutil_newtask__attach,
  };
  for (size_t i = 0; err == 0 && i < sizeof attach / sizeof attach[0]; ++i)
    if (attach[i](w->skel_tp) < 0)
      err = -errno;
  if (err < 0) {
    watch_tp__destroy(w->skel_tp);
    w->skel_tp = NULL;
  }
  return err;
}

int nsutil_watch_bpf_start(unsigned types, struct nsutil_watch_bpf** out) {
  *out = NULL;
  struct nsutil_watch_bpf* w = calloc(1, sizeof *w);
  if (!w)
    return -ENOMEM;
  int err = start_fexit(types, w);
  if (err < 0 && err != -ENOMEM)
    err = start_tracepoints(w);
  if (err < 0) {
    free(w);
    return err;
  }
  *out = w;
  return 0;
}

int nsutil_watch_bpf_events_fd(const struct nsutil_watch_bpf* w) {
  return w->skel ? w->skel->maps.events.map_fd : w->skel_tp->maps.events.map_fd;
}

int nsutil_watch_bpf_tracks_found(const struct nsutil_watch_bpf* w) {
  return w->skel != NULL;
}

int nsutil_watch_bpf_track(struct nsutil_watch_bpf* w, unsigned ino, unsigned type) {
  if (!w->skel)
    return -EOPNOTSUPP;
  __u32 key = ino;
  __u32 value = type;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_fd = (__u32)w->skel->maps.live.map_fd;
  attr.key = (__u64)(unsigned long)&key;
  attr.value = (__u64)(unsigned long)&value;
  attr.flags = BPF_ANY;
  return skel_sys_bpf(BPF_MAP_UPDATE_ELEM, &attr, sizeof attr) < 0 ? -errno : 0;
}

unsigned long long nsutil_watch_bpf_lost(const struct nsutil_watch_bpf* w) {
  const __u64* n = w->skel ? &w->skel->bss->nsutil_lost : &w->skel_tp->bss->nsutil_lost;
  return __atomic_load_n(n, __ATOMIC_RELAXED);
}

unsigned long long nsutil_watch_bpf_untracked(const struct nsutil_watch_bpf* w) {
  const __u64* n = w->skel ? &w->skel->bss->nsutil_untracked : &w->skel_tp->bss->nsutil_untracked;
  return __atomic_load_n(n, __ATOMIC_RELAXED);
}

void nsutil_watch_bpf_stop(struct nsutil_watch_bpf* w) {
  if (!w)
    return;
  if (w->skel)
    watch__destroy(w->skel);
  if (w->skel_tp)
    watch_tp__destroy(w->skel_tp);
  free(w);
}
