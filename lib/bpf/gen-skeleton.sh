#!/bin/sh
# Regenerates the light skeleton of tasks.bpf.c (`ninja bpf-skeleton`), or with an argument writes
# it there instead (.ci/test compares the two). Needs clang, bpftool and libbpf-dev's headers; a
# normal build needs none of them, as the skeleton is checked in. The compile runs in this
# directory, its debug paths relative to the tree (the BTF line info carries them), so the
# output does not depend on where the tree is.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/tasks.lskel.h}
case $out in /*) ;; *) out=$PWD/$out ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here"
clang -target bpf -g -O2 -Wall -Werror -fdebug-prefix-map="$here"=lib/bpf -c tasks.bpf.c \
  -o "$tmp/tasks.bpf.o"
bpftool gen skeleton -L "$tmp/tasks.bpf.o" name tasks >"$tmp/tasks.lskel.h"
mv "$tmp/tasks.lskel.h" "$out"
