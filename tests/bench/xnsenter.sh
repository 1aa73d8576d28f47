#!/bin/bash
# Times `xnsenter -t PID -n -u true` and `xnsenter -t PID -a true` against util-linux nsenter,
# interleaved call by call so that both see the same machine load. Prints medians and the ratio
# ours/util-linux (at most 1.0 is the goal). Needs root. Not a meson test.
#   tests/bench/xnsenter.sh [XNSENTER] [CALLS]
set -eu
XNSENTER=${1:-${XNSENTER:-build/tools/xnsenter/xnsenter}}
CALLS=${2:-200}
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }

unshare -mfpuinC --kill-child --mount-proc sleep 600 >/dev/null &
U=$!
trap 'kill -KILL $U 2>/dev/null; wait $U 2>/dev/null' EXIT  # unshare blocks SIGTERM
for _ in $(seq 100); do P=$(pgrep -P $U || true); [ -n "$P" ] && break; sleep 0.05; done

python3 - "$XNSENTER" "$P" "$CALLS" <<'PY'
import statistics, subprocess, sys, time
ours, pid, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
cases = {"-t PID -n -u true": ["-t", pid, "-n", "-u", "true"],
         "-t PID -a true": ["-t", pid, "-a", "true"]}
def once(cmd):
    t = time.perf_counter_ns()
    subprocess.run(cmd, check=True)
    return time.perf_counter_ns() - t
print(f"{calls} calls each, interleaved; medians in microseconds")
print(f"{'case':22} {'nsenter':>9} {'xnsenter':>9} {'ratio':>6}")
for name, args in cases.items():
    ul, us = [], []
    for _ in range(10):  # warm up the page cache for both
        once(["nsenter"] + args); once([ours] + args)
    for i in range(calls):
        pair = [("ul", ["nsenter"] + args), ("us", [ours] + args)]
        if i % 2:
            pair.reverse()
        for who, cmd in pair:
            (ul if who == "ul" else us).append(once(cmd))
    m_ul, m_us = statistics.median(ul) / 1000, statistics.median(us) / 1000
    print(f"{name:22} {m_ul:9.0f} {m_us:9.0f} {m_us / m_ul:6.2f}")
PY
