/* A C interface to the light skeleton of tasks.bpf.c (skeleton.c), for fd_iter.cpp: the
 * generated skeleton is C that C++ does not compile. Private to libnsutil. */
#ifndef NSUTIL_BPF_SKELETON_H
#define NSUTIL_BPF_SKELETON_H

#ifdef __cplusplus
extern "C" {
#endif

/* Loads the iterator programs, attaches them and creates their iterators: *tasks is then the
 * descriptor to read task records from and, with want_files, *files the one to read file records
 * from (records.h), both O_CLOEXEC. Every other descriptor the load made (programs, links, the
 * loader's) is closed before returning: nothing outlives the iterators. 0, or a negative errno
 * with nothing open. */
int nsutil_bpf_start(int want_files, int *tasks, int *files);

#ifdef __cplusplus
}
#endif

#endif
