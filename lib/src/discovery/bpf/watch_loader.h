/* A C interface to the light skeleton of watch.bpf.c (watch_loader.c), for watch.cpp: the
 * generated skeleton is C that C++ does not compile. Private to libnsutil. */
#ifndef NSUTIL_BPF_WATCH_LOADER_H
#define NSUTIL_BPF_WATCH_LOADER_H

#ifdef __cplusplus
extern "C" {
#endif

struct nsutil_watch_bpf;

/* Loads the watcher's fentry/fexit programs and attaches those of the namespace types in `types`
 * (a mask of 1 << NSUTIL_NS_*) and the release and unshare ones; where the kernel refuses them,
 * the raw tracepoint programs instead (every type). *out then owns every program, link and map
 * until nsutil_watch_bpf_stop(). 0, or the negative errno of the last failure with nothing left
 * open. */
int nsutil_watch_bpf_start(unsigned types, struct nsutil_watch_bpf** out);

/* The ring buffer's map descriptor (watch_records.h's events; poll() says when one waits). */
int nsutil_watch_bpf_events_fd(const struct nsutil_watch_bpf* w);

/* Whether the programs can report the release of namespaces made before they started (those
 * added by nsutil_watch_bpf_track): the fentry/fexit ones can, the tracepoint ones know a
 * namespace by its structure's address, which only its creation tells. */
int nsutil_watch_bpf_tracks_found(const struct nsutil_watch_bpf* w);

/* Adds a namespace found alive to the ones whose release is reported. 0 or a negative errno
 * (EOPNOTSUPP where nsutil_watch_bpf_tracks_found() is 0). */
int nsutil_watch_bpf_track(struct nsutil_watch_bpf* w, unsigned ino, unsigned type);

/* The events the ring buffer had no room for, and the namespaces made that could not be tracked
 * (their release goes unreported), since the start. */
unsigned long long nsutil_watch_bpf_lost(const struct nsutil_watch_bpf* w);
unsigned long long nsutil_watch_bpf_untracked(const struct nsutil_watch_bpf* w);

/* Detaches and closes everything nsutil_watch_bpf_start() made. Accepts NULL. */
void nsutil_watch_bpf_stop(struct nsutil_watch_bpf* w);

#ifdef __cplusplus
}
#endif

#endif
