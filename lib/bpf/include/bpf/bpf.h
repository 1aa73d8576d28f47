/* Stands in for libbpf's bpf/bpf.h, which skel_internal.h includes: the light skeleton needs only
 * the kernel's UAPI and the C library below, not libbpf itself. */
#ifndef NSUTIL_BPF_BPF_H
#define NSUTIL_BPF_BPF_H

#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <string.h>

#endif
