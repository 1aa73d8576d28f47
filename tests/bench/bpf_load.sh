#!/bin/bash
# Benchmark: the load time of libnsutil's BPF iterators (the light skeleton of
# lib/src/discovery/bpf/tasks.bpf.c), apart from any listing: loads, attaches and opens both iterators RUNS
# times (default 50) and prints min, median and max, for every namespace type and for net alone.
# As root; needs a C compiler and libbpf-dev's headers (the skeleton includes <bpf/skel_internal.h>).
#
#   tests/bench/bpf_load.sh [RUNS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bpf=$here/../../lib/src/discovery/bpf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -I"$bpf" -o "$tmp/bpf_load" "$here/bpf_load.c" "$bpf/skeleton.c"
# Every namespace type (the default listing), then net alone (-t net: the skeleton of that type).
"$tmp/bpf_load" "${1:-50}" 0xff
"$tmp/bpf_load" "${1:-50}" 0x02
