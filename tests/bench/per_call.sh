#!/bin/bash
# Per call against util-linux, in one run (README.md, "Per call against util-linux", has the figures):
#  - the self-contained build <= 1.0x util-linux for `xunshare -fp true`, `xnsenter -t P -n true`
#    and `xlsns`;
#  - the shared build <= util-linux + what loading libstdc++, Boost.ProgramOptions and fmt costs
#    (an empty C++ program linked with them, against an empty C program);
#  - optionally a base revision's two builds against these, command by command.
# Each comparison is paired: A and B run in turn, A B A B ..., and the ratio and the difference
# are taken pair by pair, so that a machine whose speed drifts (other work on it) moves both
# sides of a pair alike. Each run is one posix_spawn and one wait4 (output to /dev/null): its wall
# time around both, and its CPU time (user + system, from wait4's rusage), which does not grow
# while the program waits for a processor, so it is the figure to trust on a loaded machine. Not
# a test; needs root (namespaces, and nsenter into a target it starts).
#
#   tests/bench/per_call.sh SHARED_BUILD SELF_CONTAINED_BUILD [BASE_SHARED BASE_SELF_CONTAINED] [PAIRS]
#
# A build given as "-" is left out. Prints, per comparison, the medians of A and B and of the
# pairwise ratios A/B, of wall and of CPU time, with the quartiles of the wall ratios (how noisy
# the run was), and the median pairwise difference A - B in CPU microseconds.
set -eu
shared=${1:?shared build directory}
sc=${2:?self-contained build directory}
base_shared='' base_sc=''
if [ $# -ge 4 ]; then base_shared=$3 base_sc=$4; shift 4; else shift 2; fi
pairs=${1:-100}
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
for b in "$shared" "$sc" $base_shared $base_sc; do
  [ "$b" = - ] && continue
  for t in xunshare xnsenter xlsns; do
    [ -x "$b/tools/$t/$t" ] || { echo "build $b/tools/$t/$t first" >&2; exit 1; }
  done
done
tmp=$(mktemp -d)
unshare -n sleep 3600 &
target=$!
trap 'kill -KILL $target 2>/dev/null; wait $target 2>/dev/null || true; rm -rf "$tmp"' EXIT
printf '#include <unistd.h>\nint main(int c, char **v) { (void)c; execvp(v[1], v + 1); return 127; }\n' >"$tmp/floor.c"
cp "$tmp/floor.c" "$tmp/floor.cpp"
cc -O2 -o "$tmp/c-floor" "$tmp/floor.c"
c++ -O2 -o "$tmp/cxx-floor" "$tmp/floor.cpp" -Wl,--no-as-needed -lstdc++ -lboost_program_options -lfmt
while [ "$(readlink /proc/$target/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.05; done

# Each line: a name, then command A and command B, separated by '|'.
cases=()
add() { cases+=("$1|$2|$3"); }
for kind in sc shared; do
  b=${!kind}
  [ "$b" = - ] && continue
  add "$kind: xunshare -fp true" "$b/tools/xunshare/xunshare -fp true" "unshare -fp true"
  add "$kind: xnsenter -t P -n true" "$b/tools/xnsenter/xnsenter -t $target -n true" \
    "nsenter -t $target -n true"
  add "$kind: xlsns" "$b/tools/xlsns/xlsns" "lsns"
done
add "floor: C++ with libstdc++, Boost.PO, fmt vs C" "$tmp/cxx-floor true" "$tmp/c-floor true"
if [ -n "$base_shared" ]; then
  for kind in sc shared; do
    b=${!kind} base=base_$kind
    [ "$b" = - ] || [ "${!base}" = - ] && continue
    add "$kind vs base: xunshare -fp true" "$b/tools/xunshare/xunshare -fp true" \
      "${!base}/tools/xunshare/xunshare -fp true"
    add "$kind vs base: xnsenter -t P -n true" "$b/tools/xnsenter/xnsenter -t $target -n true" \
      "${!base}/tools/xnsenter/xnsenter -t $target -n true"
  done
fi

python3 - "$pairs" "${cases[@]}" <<'PY'
import os, statistics, sys, time
pairs = int(sys.argv[1])
null = os.open(os.devnull, os.O_WRONLY)
fa = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]

def run(cmd):
    t = time.perf_counter_ns()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=fa)
    _, status, ru = os.wait4(pid, 0)
    e = time.perf_counter_ns()
    if os.waitstatus_to_exitcode(status) != 0:
        # lsns exits 1 now and then on a busy machine (a process it reads ends meanwhile)
        failed[cmd[0]] = failed.get(cmd[0], 0) + 1
    return (e - t) / 1000, (ru.ru_utime + ru.ru_stime) * 1e6

failed = {}


def q(v, p):
    return statistics.quantiles(v, n=4)[p]

print(f"{pairs} pairs a comparison (A, B in turn); microseconds and ratios, medians")
print(f"{'A vs B':46} {'wall A':>7} {'B':>7} {'A/B':>6} {'(q1-q3)':>13} "
      f"{'cpu A':>7} {'B':>7} {'A/B':>6} {'A-B':>6}")
for case in sys.argv[2:]:
    name, a, b = case.split("|")
    a, b = a.split(), b.split()
    for _ in range(5):  # warm-up pairs, not counted
        run(a), run(b)
    ra, rb = [], []
    for _ in range(pairs):
        ra.append(run(a))
        rb.append(run(b))
    m = statistics.median
    wa, wb = [x[0] for x in ra], [x[0] for x in rb]
    ca, cb = [x[1] for x in ra], [x[1] for x in rb]
    wr = [x / y for x, y in zip(wa, wb)]
    cr = [x / y for x, y in zip(ca, cb)]
    cd = [x - y for x, y in zip(ca, cb)]
    print(f"{name:46} {m(wa):7.0f} {m(wb):7.0f} {m(wr):6.3f} ({q(wr, 0):5.3f}-{q(wr, 2):5.3f}) "
          f"{m(ca):7.0f} {m(cb):7.0f} {m(cr):6.3f} {m(cd):6.0f}")
for cmd, n in failed.items():
    print(f"{cmd}: {n} runs exited non-zero (counted all the same)")
PY
