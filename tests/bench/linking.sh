#!/bin/bash
# What the link costs per call (README: Linking). Runs, interleaved call by call (the order
# rotates every round, so no command always gets the warmer cache):
#  - four floors compiled here: an empty C program that execs its arguments, the same in C++
#    linked with libstdc++, with libboost_program_options too, and with libfmt too;
#  - util-linux unshare and nsenter, the default (shared) build's xunshare and xnsenter, and the
#    self-contained build's, on the cases of tests/bench/xunshare.sh and xnsenter.sh.
# Not a test; needs root (namespaces, and nsenter into a target it starts).
#
#   tests/bench/linking.sh SHARED_BUILD SELF_CONTAINED_BUILD [CALLS]
#
# Prints the median wall time per call in microseconds ($EPOCHREALTIME around each call, so no
# extra process per sample), each command's ratio to util-linux, the cost of loading libstdc++
# (C++ floor - C floor), and the shared build's overhead above the C++ floor (`xunshare true`).
set -eu
shared=${1:?shared build directory}
sc=${2:?self-contained build directory}
calls=${3:-200}
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
for b in "$shared" "$sc"; do
  [ -x "$b/tools/xunshare/xunshare" ] && [ -x "$b/tools/xnsenter/xnsenter" ] ||
    { echo "build $b first" >&2; exit 1; }
done
tmp=$(mktemp -d)
unshare -mfpuinC --kill-child --mount-proc sleep 600 >/dev/null &
target=$!
trap 'kill -KILL $target 2>/dev/null; wait $target 2>/dev/null; rm -rf "$tmp"' EXIT
printf '#include <unistd.h>\nint main(int c, char **v) { (void)c; execvp(v[1], v + 1); return 127; }\n' >"$tmp/exec.c"
cp "$tmp/exec.c" "$tmp/exec.cpp"
cc -O2 -o "$tmp/c-floor" "$tmp/exec.c"
c++ -O2 -o "$tmp/cxx-floor" "$tmp/exec.cpp" -Wl,--no-as-needed -lstdc++
c++ -O2 -o "$tmp/cxx-po-floor" "$tmp/exec.cpp" -Wl,--no-as-needed -lboost_program_options -lstdc++
c++ -O2 -o "$tmp/cxx-libs-floor" "$tmp/exec.cpp" -Wl,--no-as-needed -lboost_program_options -lfmt -lstdc++
for _ in $(seq 100); do pid=$(pgrep -P $target || true); [ -n "$pid" ] && break; sleep 0.05; done

names=() cmds=()
add() { names+=("$1"); cmds+=("$2"); }
add "C floor: exec true" "$tmp/c-floor true"
add "C++ floor (libstdc++)" "$tmp/cxx-floor true"
add "C++ floor (+Boost.PO)" "$tmp/cxx-po-floor true"
add "C++ floor (+Boost.PO, fmt)" "$tmp/cxx-libs-floor true"
add "shared: xunshare true" "$shared/tools/xunshare/xunshare true"
add "self-contained: xunshare true" "$sc/tools/xunshare/xunshare true"
for c in "-u true" "-n true" "-fp --mount-proc true"; do
  add "util-linux: unshare $c" "unshare $c"
  add "shared: xunshare $c" "$shared/tools/xunshare/xunshare $c"
  add "self-contained: xunshare $c" "$sc/tools/xunshare/xunshare $c"
done
for c in "-n -u true" "-a true"; do
  add "util-linux: nsenter -t P $c" "nsenter -t $pid $c"
  add "shared: xnsenter -t P $c" "$shared/tools/xnsenter/xnsenter -t $pid $c"
  add "self-contained: xnsenter -t P $c" "$sc/tools/xnsenter/xnsenter -t $pid $c"
done

n=${#cmds[@]}
declare -A samples
for ((i = -5; i < calls; i++)); do  # 5 warm-up rounds, not counted
  for ((k = 0; k < n; k++)); do
    j=$(((k + i + 5) % n))
    read -ra argv <<<"${cmds[j]}"
    s=$EPOCHREALTIME; "${argv[@]}" >/dev/null; e=$EPOCHREALTIME
    ((i < 0)) || samples[$j]+="$((${e/./} - ${s/./})) "
  done
done
med() { tr ' ' '\n' <<<"${samples[$1]}" | grep . | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
declare -A m
for ((j = 0; j < n; j++)); do m[${names[j]}]=$(med "$j"); done

printf '%d rounds, interleaved; medians in microseconds\n\n' "$calls"
printf '%-48s %8s %8s\n' command median ratio
ul=""
for ((j = 0; j < n; j++)); do
  name=${names[j]}
  case "$name" in util-linux:*) ul=${m[$name]} ;; esac
  ratio=""
  case "$name" in shared:*-* | self-contained:*-*) ratio=$(awk -v a="${m[$name]}" -v b="$ul" 'BEGIN {printf "%.3f", a / b}') ;; esac
  printf '%-48s %8s %8s\n' "$name" "${m[$name]}" "$ratio"
done
stdcxx=$((${m["C++ floor (libstdc++)"]} - ${m["C floor: exec true"]}))
printf '\nloading libstdc++ (C++ floor - C floor): %d\n' "$stdcxx"
printf 'loading Boost.PO too (its floor - C++ floor): %d\n' \
  $((${m["C++ floor (+Boost.PO)"]} - ${m["C++ floor (libstdc++)"]}))
printf 'loading fmt too (its floor - Boost.PO floor): %d\n' \
  $((${m["C++ floor (+Boost.PO, fmt)"]} - ${m["C++ floor (+Boost.PO)"]}))
printf 'shared xunshare true - C++ floor (overhead above an empty C++ program): %d\n' \
  $((${m["shared: xunshare true"]} - ${m["C++ floor (libstdc++)"]}))
printf 'self-contained xunshare true - C floor: %d\n' \
  $((${m["self-contained: xunshare true"]} - ${m["C floor: exec true"]}))
