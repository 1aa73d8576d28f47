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
#
# XLSNS_BASE=BINARY also runs an older xlsns in the same alternation, on the same scene, for a
# before and after. HOLDERS=N adds N processes to the scene that each hold a descriptor of a
# network namespace no process is in (the namespaces the scan takes from another process).
set -u
XLSNS=${XLSNS:-$(dirname "$0")/../../build/tools/xlsns/xlsns}
XLSNS_BASE=${XLSNS_BASE:-}
LSNS=${LSNS:-lsns}
RUNS=${1:-15}
HOLDERS=${HOLDERS:-0}
shells=()
sleeps=()
holders=()
. "$(dirname "$0")/timing.sh"

cleanup() {
  local p
  for p in "${shells[@]}"; do pkill -KILL -P "$p" 2>/dev/null; done
  kill -KILL "${shells[@]}" "${sleeps[@]}" "${holders[@]}" 2>/dev/null
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
# A holder: unshare, bash, nsenter and sleep are one process, which keeps descriptor 3 on the
# network namespace it made and goes back to this shell's.
add_holders() {
  local i
  for ((i = 0; i < $1; i++)); do
    unshare -n bash -c "exec 3</proc/self/ns/net; exec nsenter --net=/proc/$$/ns/net sleep 100000" &
    holders+=($!)
  done
}
drop_sleeps() {
  kill -KILL "${sleeps[@]}" 2>/dev/null
  wait "${sleeps[@]}" 2>/dev/null
  sleeps=()
}

ms() { awk -v us="$1" 'BEGIN {printf "%.1f ms", us / 1000}'; }

# compare_all LABEL NAME CMD NAME CMD...: alternates the commands (each a string split into
# words), RUNS times each, and prints every median and each one's ratio to the first.
compare_all() {
  local label=$1 i j n; shift
  local names=() cmds=() times=() medians=()
  while [ $# -ge 2 ]; do names+=("$1"); cmds+=("$2"); shift 2; done
  n=${#cmds[@]}
  for ((i = 0; i < RUNS; i++)); do
    for ((j = 0; j < n; j++)); do times[j]+="$(time_one ${cmds[j]}) "; done
  done
  printf '%-22s' "$label"
  for ((j = 0; j < n; j++)); do
    medians[j]=$(printf '%s\n' ${times[j]} | median)
    printf ' %s %10s  ' "${names[j]}" "$(ms "${medians[j]}")"
  done
  printf ' ratio'
  for ((j = 1; j < n; j++)); do
    printf ' %.2f' "$(awk -v a="${medians[0]}" -v b="${medians[j]}" 'BEGIN {print b / a}')"
  done
  printf '\n'
}
# compare LABEL ARGS...: lsns ARGS against xlsns ARGS (and the older xlsns, if given).
compare() {
  local label=$1; shift
  if [ -n "$XLSNS_BASE" ]; then
    compare_all "$label" lsns "$LSNS $*" old "$XLSNS_BASE $*" xlsns "$XLSNS $*"
  else
    compare_all "$label" lsns "$LSNS $*" xlsns "$XLSNS $*"
  fi
}
# sources LABEL: xlsns's /proc source against its BPF iterators, default columns (the older
# xlsns's first, if given).
sources() {
  if [ -n "$XLSNS_BASE" ]; then
    compare_all "$1" "old proc" "$XLSNS_BASE --source=proc" "proc" "$XLSNS --source=proc" \
      "old bpf" "$XLSNS_BASE --source=bpf" "bpf" "$XLSNS --source=bpf"
  else
    compare_all "$1" "--source=proc" "$XLSNS --source=proc" "--source=bpf" "$XLSNS --source=bpf"
  fi
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
add_holders "$HOLDERS"
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
