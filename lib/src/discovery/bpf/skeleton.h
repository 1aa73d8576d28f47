/* A C interface to the light skeleton of tasks.bpf.c (skeleton.c), for fd_iter.cpp: the
 * generated skeleton is C that C++ does not compile. Private to libnsutil. */
#ifndef NSUTIL_BPF_SKELETON_H
#define NSUTIL_BPF_SKELETON_H

#ifdef __cplusplus
extern "C" {
#endif

/* Loads the iterator programs, attaches them and creates their iterators: *tasks is then the
 * descriptor to read task records from and, with want_files, *files the one to read file records
 * from (records.h), both O_CLOEXEC. `types` (a mask of 1 << NSUTIL_NS_*) are the namespace types
 * the task records must carry: for one type alone a program that reads only that one is loaded,
 * faster (the others are then 0); for any other mask, every type. Every other descriptor the load
 * made (programs, links, the loader's) is closed before returning: nothing outlives the
 * iterators. 0, or a negative errno with nothing open: -E2BIG when the kernel refused the
 * loader program or a load it made (a bpf_attr field it does not know, fd_array or core_relos). */
int nsutil_bpf_start(int want_files, unsigned types, int* tasks, int* files);

#ifdef __cplusplus
}
#endif

#endif
