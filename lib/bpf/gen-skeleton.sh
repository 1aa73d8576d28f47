#!/bin/sh
# Regenerates the light skeletons of tasks.bpf.c (`ninja bpf-skeleton`), or with an argument writes
# them there instead (.ci/test compares the two). Needs clang, bpftool and libbpf-dev's headers; a
# normal build needs only the headers (the skeletons include <bpf/skel_internal.h>), as the
# skeletons are checked in. One file holds nine: `tasks`
# reads every namespace type, `tasks_mnt` ... `tasks_time` one type each (NSUTIL_TYPES, in
# records.h's order), for listings of one type (skeleton.c picks). The compile runs in this
# directory, its debug paths relative to the tree (the BTF line info carries them), so the
# output does not depend on where the tree is.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/tasks.lskel.h}
case $out in /*) ;; *) out=$PWD/$out ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here"
skeleton() { # NAME TYPES
  clang -target bpf -g -O2 -Wall -Werror -fdebug-prefix-map="$here"=lib/bpf -DNSUTIL_TYPES="$2" \
    -c tasks.bpf.c -o "$tmp/$1.bpf.o"
  bpftool gen skeleton -L "$tmp/$1.bpf.o" name "$1" >>"$tmp/tasks.lskel.h"
}
skeleton tasks 0xff
bit=0
for type in mnt net pid uts ipc user cgroup time; do
  skeleton "tasks_$type" $((1 << bit))
  bit=$((bit + 1))
done
mv "$tmp/tasks.lskel.h" "$out"
