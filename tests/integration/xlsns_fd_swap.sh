# xlsns as root against a user who swaps a descriptor under it. The user (nobody) holds a network
# namespace of its own by descriptors only, and flips its descriptors 3 and 4 between that
# namespace and a FIFO that has no writer, in a tight loop. A scan that reads what descriptor 3 is
# and later opens /proc/PID/fd/3 to learn the namespace's type, or its owner and NETNSID, would
# open the FIFO and wait for a writer forever. Every run of `xlsns -t net` (which asks for USER
# and NETNSID) must end in its usual time, from the BPF iterators, from /proc and from the
# automatic choice; and the namespace must be listed while the user does not flip, so that the
# runs are not vacuous. The build before the descriptors were taken with pidfd_getfd hung in 9 to
# 18 of each 100 runs here (XLSNS=that binary; NSUTIL_FD_SWAP_RUNS sets the number of runs).
. "$(dirname "$0")/lib.sh"

against_nobody "the scan of another user's processes" -Urn
RUNS=${NSUTIL_FD_SWAP_RUNS:-100}
sources=(bpf proc auto)
plan $((4 + 2 * ${#sources[@]}))
# A kernel that refuses the BPF source's loader (before Linux 5.17; tests/vm/kernels: bpf_lskel)
# has only the /proc walk, which xlsns_sources tests it falls back to: the iterators' two checks
# are skipped there.
if "$XLSNS" --source=bpf -t net 2>&1 >/dev/null | grep -q 'needs Linux 5.17'; then
  sources=(proc auto)
  skip_kernel 2 bpf_lskel "the kernel refuses the BPF source's loader"
fi

dir=$(mktemp -d /tmp/nsutil-fd-swap-$$.XXXXXX)
on_exit "rm -rf '$dir'"
mkfifo -m 644 "$dir/fifo"
chown 65534 "$dir"  # for the attacker's report of its namespace

# The attacker, as nobody: a network namespace of its own (made by a child, which then exits, so
# that only the descriptors hold it), the FIFO opened without waiting for a writer (O_NONBLOCK),
# the namespace on descriptor 3 and the FIFO on 4 and 5. SIGUSR1 starts the flips, SIGUSR2 stops
# them with 3 back on the namespace; one of 3 and 4 holds the namespace at every moment.
start_bg "${AS_NOBODY[@]}" /usr/bin/python3 -c '
import ctypes, os, signal, sys, time
fifo_path, ino_file = sys.argv[1:3]
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: gone with the test
r, w = os.pipe()
child = os.fork()
if child == 0:
    libc.prctl(1, signal.SIGKILL)
    if libc.unshare(0x10000000 | 0x40000000) != 0:  # CLONE_NEWUSER | CLONE_NEWNET
        os._exit(1)
    os.write(w, b"x")
    time.sleep(1000)
    os._exit(0)
os.close(w)
if os.read(r, 1) != b"x":
    sys.exit(1)
ns = os.open("/proc/%d/ns/net" % child, os.O_RDONLY)
os.kill(child, signal.SIGKILL)
os.waitpid(child, 0)
fifo = os.open(fifo_path, os.O_RDONLY | os.O_NONBLOCK)
os.dup2(fifo, 5)
os.dup2(ns, 3)
os.dup2(fifo, 4)
for fd in {ns, fifo, r} - {3, 4, 5}:
    os.close(fd)
flipping = False
def flip(sig, frame):
    global flipping
    flipping = sig == signal.SIGUSR1
signal.signal(signal.SIGUSR1, flip)
signal.signal(signal.SIGUSR2, flip)
with open(ino_file + ".tmp", "w") as f:
    f.write("%d\n" % os.fstat(3).st_ino)
os.rename(ino_file + ".tmp", ino_file)
dup2 = os.dup2
while True:
    while flipping:
        dup2(3, 4)  # 3 and 4 the namespace
        dup2(5, 3)  # 3 the FIFO
        dup2(4, 3)  # both the namespace
        dup2(5, 4)  # 4 the FIFO
    time.sleep(0.02)
' "$dir/fifo" "$dir/ino"
attacker=$BG_PID
wait_until test -s "$dir/ino" || { diag "the attacker did not start"; }
ino=$(cat "$dir/ino" 2>/dev/null)
ino=${ino:-0}

# A run ends within `limit` seconds: ten times the slowest of a few runs without flips, and at
# least 10 seconds (stretched under the kernel matrix's TCG, where the baseline is measured slow
# already): a hang never ends, while a loaded machine can stretch one run past 2 seconds. lsns's
# columns for -t net include USER and NETNSID, which open a namespace that no
# process is in.
slowest=0
for s in "${sources[@]}"; do
  for _ in 1 2 3; do
    t0=$(date +%s%N)
    "$XLSNS" --source="$s" -t net >/dev/null 2>&1
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ "$ms" -le "$slowest" ] || slowest=$ms
  done
done
limit=$(awk -v ms="$slowest" -v floor="$(scaled 10)" 'BEGIN {l = ms * 10 / 1000; print (l > floor ? l : floor)}')
diag "slowest run without flips: $slowest ms; limit per run: $limit s"

row() { "$XLSNS" --source="$1" -t net -n -r -o NS,NPROCS,USER,HOLDERS,PATH -Q "NS == $ino" 2>/dev/null; }
for s in "${sources[@]}"; do
  check_eq "--source=$s lists the attacker's namespace, held by its descriptor 3" \
    "$ino 0 nobody fd /proc/$attacker/fd/3" "$(row "$s")"
done

kill -USR1 "$attacker"
links() {
  local i
  for i in $(seq 200); do readlink "/proc/$attacker/fd/3"; done | sort -u | tr '\n' ' '
}
check_eq "the attacker flips its descriptor 3 between the namespace and the FIFO" \
  "$dir/fifo net:[$ino] " "$(links)"

# hung_runs SOURCE: how many of RUNS runs of xlsns -t net did not end within the limit, and how
# many others failed.
hung_runs() {
  local i rc hung=0 failed=0
  for ((i = 0; i < RUNS; i++)); do
    command timeout -k 2 "$limit" "$XLSNS" --source="$1" -t net >/dev/null 2>&1
    rc=$?
    case $rc in
      0) ;;
      124 | 137) hung=$((hung + 1)) ;;
      *) failed=$((failed + 1)) ;;
    esac
  done
  echo "hung $hung, failed $failed"
}
for s in "${sources[@]}"; do
  check_eq "--source=$s: none of $RUNS runs of xlsns -t net hangs on the swapped descriptor" \
    "hung 0, failed 0" "$(hung_runs "$s")"
done

kill -USR2 "$attacker"
sleep 0.2
check_eq "after the flips, descriptor 3 is the namespace again" "net:[$ino]" \
  "$(readlink "/proc/$attacker/fd/3")"
check_eq "...and xlsns lists it again" "$ino 0 nobody fd /proc/$attacker/fd/3" "$(row proc)"
check "the attacker ran to the end (it was not what failed)" kill -0 "$attacker"

done_testing
