#!/bin/bash
# Benchmark: what `xlsns --watch` costs. Its own CPU time (user + system, from /proc/PID/stat)
# as a share of one core, over SECONDS (default 30) each:
#   - idle: the event path on a machine that makes no namespace;
#   - busy: the event path while the machine makes 100 network namespaces a second (one process
#     that unshares a new one every 10 ms, each released by the next);
#   - rescan: the rescan path (as nobody) on an idle machine, at the default interval;
# and its resident size after 10,000 and after 100,000 events (network namespaces made and
# released as fast as one process can), which must stay flat. As root.
#
#   tests/bench/watch.sh [XLSNS [SECONDS]]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
xlsns=${1:-$here/../../build/tools/xlsns/xlsns}
seconds=${2:-30}
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
trap 'for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
ticks=$(getconf CLK_TCK)

# cpu_ticks PID: its user + system time in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# share PID SECONDS: its CPU time over the next SECONDS, in percent of one core.
share() {
  local a b
  a=$(cpu_ticks "$1")
  sleep "$2"
  b=$(cpu_ticks "$1")
  awk -v d=$((b - a)) -v t="$ticks" -v s="$2" 'BEGIN { printf "%.3f %%\n", 100 * d / t / s }'
}
# maker PERIOD COUNT: one process that unshares COUNT network namespaces, one every PERIOD
# seconds (0: as fast as it can); each new one releases the one before.
maker() {
  python3 -c '
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
period, count = float(sys.argv[1]), int(sys.argv[2])
for i in range(count):
    if libc.unshare(0x40000000) != 0:
        sys.exit("unshare: errno %d" % ctypes.get_errno())
    if period:
        time.sleep(period)
' "$@"
}
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

"$xlsns" --watch -t net >/dev/null 2>"$tmp/err" &
watch=$!
pids+=("$watch")
sleep 2
echo "xlsns --watch -t net: $(head -n 1 "$tmp/err" | cut -c1-100)"
echo "event path, idle, $seconds s: $(share "$watch" "$seconds")"
maker 0.01 $((seconds * 100 + 500)) &
pids+=($!)
sleep 1
echo "event path, 100 namespaces a second, $seconds s: $(share "$watch" "$seconds")"
kill "${pids[-1]}"
kill "$watch"
wait "$watch" || true

setpriv --reuid=65534 --regid=65534 --clear-groups "$xlsns" --watch >/dev/null 2>&1 &
pids+=($!)
sleep 3
echo "rescan path (as nobody, every namespace type), idle, 1 s interval, $seconds s: $(share "${pids[-1]}" "$seconds")"
kill "${pids[-1]}"

"$xlsns" --watch -J -t net >"$tmp/events" 2>/dev/null &
watch=$!
pids+=("$watch")
sleep 2
# Each namespace is two events (appeared and vanished).
maker 0 5000
sleep 2
echo "resident size after $(wc -l <"$tmp/events") events: $(rss_kib "$watch") KiB"
maker 0 45000
sleep 5
echo "resident size after $(wc -l <"$tmp/events") events: $(rss_kib "$watch") KiB"
echo "lost events reported: $(grep -c '"event":"lost"' "$tmp/events" || true)"
kill "$watch"
