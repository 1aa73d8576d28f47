#!/bin/bash
# Benchmark: xlsns against util-linux lsns on a busy machine (not a meson test; run as root).
#
#   tests/bench/xlsns.sh [RUNS]
#
# First on the machine as it is ("idle"), then on a scene it builds itself (200 `unshare -n -u`
# shells with 5 sleeps each, plus 500 sleeps: about 1,700 processes in 400 more namespaces), it
# alternates lsns and xlsns runs, and xlsns's /proc and BPF sources, prints the medians, the
# ratios and the peak RSS, then a scaling run with 2,000 and 20,000 sleeps. Everything it
# starts is killed by PID on exit.
set -u
XLSNS=${XLSNS:-$(dirname "$0")/../../build/tools/xlsns/xlsns}
LSNS=${LSNS:-lsns}
RUNS=${1:-15}
shells=()
sleeps=()
. "$(dirname "$0")/timing.sh"

cleanup() {
  local p
  for p in "${shells[@]}"; do pkill -KILL -P "$p" 2>/dev/null; done
  kill -KILL "${shells[@]}" "${sleeps[@]}" 2>/dev/null
  wait 2>/dev/null
}
trap 'cleanup; timing_cleanup' EXIT
trap 'exit 130' INT TERM

add_sleeps() {
  local i
  for ((i = 0; i < $1; i++)); do
    sleep 100000 &
    sleeps+=($!)
  done
}
add_shells() {
  local i
  for ((i = 0; i < $1; i++)); do
    unshare -n -u sh -c 'for i in 1 2 3 4 5; do sleep 100000 & done; wait' &
    shells+=($!)
  done
}
drop_sleeps() {
  kill -KILL "${sleeps[@]}" 2>/dev/null
  wait "${sleeps[@]}" 2>/dev/null
  sleeps=()
}

ms() { awk -v us="$1" 'BEGIN {printf "%.1f ms", us / 1000}'; }

# compare_two LABEL NAME_A CMD_A NAME_B CMD_B: alternates the two commands (each a string split
# into words), RUNS times each, and prints both medians and B / A.
compare_two() {
  local label=$1 name_a=$2 cmd_a=$3 name_b=$4 cmd_b=$5 i
  local a=() b=()
  for ((i = 0; i < RUNS; i++)); do
    a+=("$(time_one $cmd_a)")
    b+=("$(time_one $cmd_b)")
  done
  local ma mb
  ma=$(printf '%s\n' "${a[@]}" | median)
  mb=$(printf '%s\n' "${b[@]}" | median)
  printf '%-22s %s %10s   %s %10s   ratio %.2f\n' "$label" "$name_a" "$(ms "$ma")" "$name_b" \
    "$(ms "$mb")" "$(awk -v a="$ma" -v b="$mb" 'BEGIN {print b / a}')"
}
# compare LABEL ARGS...: lsns ARGS against xlsns ARGS.
compare() {
  local label=$1; shift
  compare_two "$label" lsns "$LSNS $*" xlsns "$XLSNS $*"
}
# sources LABEL: xlsns's /proc source against its BPF iterators, default columns.
sources() {
  compare_two "$1" "--source=proc" "$XLSNS --source=proc" "--source=bpf" "$XLSNS --source=bpf"
}
rows() { "$@" -n -l -o NS 2>/dev/null | wc -l; }
# peak_rss CMD...: the median of 5 runs' peak resident memory in KiB.
peak_rss() {
  local i
  for ((i = 0; i < 5; i++)); do peak_kib "$@"; done | median
}

[ "$(id -u)" = 0 ] || echo "# not root: both tools see only this user's processes"
echo "idle: $(ls /proc | grep -c '^[0-9]') processes, $(cut -d' ' -f4 /proc/loadavg | cut -d/ -f2) threads"
compare "idle, default columns"
sources "idle, sources"
add_shells 200
add_sleeps 500
# 1,700 new processes take a few seconds to settle (a first run measured two seconds after
# started lsns's default listing at 496 ms and its -J, right after, at 368 ms).
sleep 8
echo "scene: $(ls /proc | grep -c '^[0-9]') processes"
echo "namespaces found: lsns $(rows "$LSNS"), xlsns $(rows "$XLSNS")"
echo "medians of $RUNS alternating runs:"
compare "default columns"
compare "-J" -J
compare "-t net" -t net
sources "sources"
echo "peak RSS (KiB, medians of 5): lsns $(peak_rss "$LSNS"), xlsns $(peak_rss "$XLSNS");" \
  "-J: lsns $(peak_rss "$LSNS" -J), xlsns $(peak_rss "$XLSNS" -J);" \
  "-t net: lsns $(peak_rss "$LSNS" -t net), xlsns $(peak_rss "$XLSNS" -t net)"

cleanup
shells=()
[ "${SCALE:-1}" = 1 ] || exit 0
echo "scaling (sleeps only, medians of 5):"
RUNS=5
for n in 2000 20000; do
  add_sleeps "$n"
  sleep 2
  compare "$(ls /proc | grep -c '^[0-9]') processes"
  drop_sleeps
done
