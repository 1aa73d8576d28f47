#!/bin/bash
# What the link costs per call (lib/README.md). Runs, interleaved call by call (the order
# rotates every round, so no command always gets the warmer cache):
#  - four floors compiled here: an empty C program that execs its arguments, the same in C++
#    linked with libstdc++, with libboost_program_options too, and with libfmt too;
#  - util-linux unshare and nsenter, the default (shared) build's xunshare and xnsenter, and the
#    self-contained build's, on the cases of tests/bench/xunshare.sh and xnsenter.sh.
# Not a test; needs root (namespaces, and nsenter into a target it starts).
#
#   tests/bench/linking.sh SHARED_BUILD SELF_CONTAINED_BUILD [CALLS]
#
# Prints, per call, the median wall time and the median CPU time (user + system) in microseconds,
# each command's ratios to util-linux's, the cost of loading libstdc++ (C++ floor - C floor), and
# the shared build's overhead above the C++ floor (`xunshare true`).
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

python3 - "$calls" "${names[@]}" -- "${cmds[@]}" <<'PY2'
# Each call is one posix_spawn and one wait4: wall time around both, and the child's own CPU time
# (user + system, from wait4's rusage, which the kernel accounts in nanoseconds). CPU time is what
# loading and relocating libraries costs; unlike wall time it does not grow when other work on the
# machine delays the program, so it is the figure to compare on a shared machine.
import os, statistics, sys, time
calls = int(sys.argv[1])
sep = sys.argv.index("--")
names, cmds = sys.argv[2:sep], [c.split() for c in sys.argv[sep + 1:]]
wall = {n: [] for n in names}
cpu = {n: [] for n in names}
null = os.open(os.devnull, os.O_WRONLY)
fa = [(os.POSIX_SPAWN_DUP2, null, 1)]
for i in range(-5, calls):  # 5 warm-up rounds, not counted
    for k in range(len(cmds)):
        j = (k + i + 5) % len(cmds)
        t = time.perf_counter_ns()
        pid = os.posix_spawnp(cmds[j][0], cmds[j], os.environ, file_actions=fa)
        _, status, ru = os.wait4(pid, 0)
        e = time.perf_counter_ns()
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{' '.join(cmds[j])}: exit {os.waitstatus_to_exitcode(status)}")
        if i >= 0:
            wall[names[j]].append((e - t) / 1000)
            cpu[names[j]].append((ru.ru_utime + ru.ru_stime) * 1e6)
w = {n: statistics.median(v) for n, v in wall.items()}
c = {n: statistics.median(v) for n, v in cpu.items()}
print(f"{calls} rounds, interleaved; medians in microseconds; ratio: to util-linux's same command")
print(f"{'command':48} {'wall':>7} {'ratio':>6} {'cpu':>7} {'ratio':>6}")
ul = None
for n in names:
    if n.startswith("util-linux:"):
        ul = n
    r = ""
    if ul and (n.startswith("shared:") or n.startswith("self-contained:")) and "true" in n and " -" in n:
        r = (f"{w[n] / w[ul]:6.3f}", f"{c[n] / c[ul]:6.3f}")
    print(f"{n:48} {w[n]:7.0f} {r[0] if r else '':>6} {c[n]:7.0f} {r[1] if r else '':>6}")
def d(a, b):
    return f"wall {w[a] - w[b]:5.0f}, cpu {c[a] - c[b]:5.0f}"
print()
print(f"loading libstdc++ (C++ floor - C floor):                       {d('C++ floor (libstdc++)', 'C floor: exec true')}")
print(f"loading Boost.PO too (its floor - C++ floor):                  {d('C++ floor (+Boost.PO)', 'C++ floor (libstdc++)')}")
print(f"loading fmt too (its floor - Boost.PO floor):                  {d('C++ floor (+Boost.PO, fmt)', 'C++ floor (+Boost.PO)')}")
print(f"shared xunshare true - C++ floor (above an empty C++ program): {d('shared: xunshare true', 'C++ floor (libstdc++)')}")
print(f"self-contained xunshare true - C floor:                        {d('self-contained: xunshare true', 'C floor: exec true')}")
PY2
