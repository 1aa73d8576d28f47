#!/bin/bash
# --mount=FILE from inside a mount namespace that is not the machine's first. Since Linux 6.18
# mount-namespace IDs come from per-CPU batches, so a namespace made on one CPU can get a lower ID
# than the one it was made from, and the kernel refuses to bind it from there (EINVAL): util-linux
# unshare --mount=FILE then fails on that CPU. Find such an outer namespace and CPU, and require
# xunshare pinned to the same CPU to persist there every time. Kernels that number in creation
# order never show it: then the xunshare checks run all the same, and a comment says so.
. "$(dirname "$0")/lib.sh"

is_root || skip_all "binding a mount namespace onto a host file needs root"
command -v taskset >/dev/null || skip_all "needs taskset"
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
cpus=$(nproc --all)
d=$(scratch)
chmod 755 "$d"  # nobody mounts on it from a user namespace of its own
# The per-CPU batches came with NS_GET_ID (Linux 6.18): an older kernel numbers in creation order
# and no try can show the quirk, so one probe of each CPU there runs the xunshare checks.
tries=5
ns_id /proc/self/ns/mnt >/dev/null || tries=1

# In a new outer mount namespace (made on CPU $1, by "${outer[@]}"), with a private tmpfs on $d: for each CPU, the
# exit status of util-linux unshare (which needs the file to exist), then of xunshare twice, xunshare -f and xunshare -U, each
# pinned to that CPU. Everything it mounts goes away with the outer namespace.
probe() {
  taskset -c "$1" "${outer[@]}" bash -c '
    d=$1 cpus=$2
    mount -t tmpfs nsutil-mntns-id "$d" || exit 1
    try() { touch "$d/f"; taskset -c "$c" "$@" >/dev/null 2>&1; local rc=$?; umount "$d/f" 2>/dev/null; echo -n " $rc"; }
    for ((c = 0; c < cpus; c++)); do
      echo -n "$c"
      try unshare --mount="$d/f" true
      try "$XUNSHARE" --mount="$d/f" true
      try "$XUNSHARE" --mount="$d/f" true
      try "$XUNSHARE" -f --mount="$d/f" true
      try "$XUNSHARE" -U --mount="$d/f" true
      echo
    done
    umount "$d"' probe "$d" "$cpus"
}

# Finds an outer namespace and a CPU where util-linux fails (up to $tries per CPU), then checks
# xunshare there; $1 names the case.
search() {
  local quirk= results= line bad t
  for ((t = 0; t < tries * cpus; t++)); do
    results=$(probe $((t % cpus)))
    quirk=$(awk '$2 != 0 {print $1; exit}' <<<"$results")
    [ -n "$quirk" ] && break
  done
  diag "$1, per CPU: util-linux, xunshare x2, xunshare -f, xunshare -U:" $(tr "\n" ";" <<<"$results")
  if [ -n "$quirk" ]; then
    diag "util-linux unshare --mount=FILE failed on CPU $quirk (mount namespace IDs out of order)"
    line=$(awk -v c="$quirk" '$1 == c' <<<"$results")
  else
    diag "no outer namespace in $tries tries made util-linux unshare --mount=FILE fail on any CPU:" \
      "this kernel's mount-namespace IDs look ordered; the xunshare checks run all the same"
    line=$(head -n 1 <<<"$results")
  fi
  read -r _ _ x1 x2 x3 xu <<<"$line"
  check_eq "$1: xunshare --mount=FILE persists on that CPU, twice and with -f" "0 0 0" "$x1 $x2 $x3"
  check_eq "$1: xunshare -U --mount=FILE persists on that CPU" 0 "$xu"
  bad=$(awk '$3 != 0 || $4 != 0 || $5 != 0 || $6 != 0' <<<"$results")
  check_eq "$1: xunshare persists on every CPU of that outer namespace" "" "$bad"
}

outer=(unshare -m --propagation private)
search root
# Unprivileged: nobody in a user namespace of its own, which owns the outer mount namespace.
outer=("${nobody[@]}" unshare -Urm --propagation private)
search nobody
check_eq "nothing stays mounted" 0 "$(findmnt -rn -o TARGET | grep -cF "$d")"
plan $_tap_n
done_testing
