# xlsns discovery sources that need root, each on its own: a netns made by `ip netns add` with
# no process, a uts namespace persisted to a file, a netns held only by an open descriptor of
# another process, NSFS and NETNSID against lsns and ip, and -P. Then, on that scene plus
# processes and threads in namespaces of their own, --source=bpf and --source=proc print the same,
# and the BPF iterators leave no program, link or map behind.
. "$(dirname "$0")/lib.sh"

is_root || skip_all "needs root (ip netns, bind mounts)"
command -v ip >/dev/null || skip_all "iproute2 is not installed"
plan 42

# lib.sh's scratch registers its cleanup inside $(...), where it is lost: make the directories here.
new_scratch() {
  local d
  d=$(mktemp -d /tmp/nsutil-xlsns-$$.XXXXXX)
  on_exit "findmnt -rn -o TARGET | grep -F '$d' | sort -r | xargs -r -n1 umount -l; rm -rf '$d'"
  printf -v "$1" %s "$d"
}

name=nsutil-xlsns-$$-a
ip netns add "$name" || skip_all "ip netns add failed"
on_exit "ip netns del '$name'"
ino=$(stat -L -c %i "/run/netns/$name")
row() { "$XLSNS" -n -r -W "$@"; }

check_eq "ip netns add: found with no process, held by its mount" \
  "$ino net 0 mount /run/netns/$name" \
  "$(row -o NS,TYPE,NPROCS,HOLDERS,NSFS -Q "NS == $ino")"
check_eq "-P lists it" "$ino" "$(row -P -o NS -t net | grep -x "$ino")"
check_eq "-P leaves out namespaces with processes" "" \
  "$(row -P -o NPROCS | grep -vx 0)"

new_scratch dir
touch "$dir/uts"
unshare --uts="$dir/uts" true
uts=$(stat -L -c %i "$dir/uts")
check_eq "a uts namespace persisted to a file" "uts 0 mount $dir/uts" \
  "$(row -o TYPE,NPROCS,HOLDERS,NSFS -Q "NS == $uts")"
check_eq "PATH of a process-less namespace is its bind mount" "$dir/uts" \
  "$(row -o PATH -Q "NS == $uts")"

# A netns held only by a descriptor of another process: open it, then drop its mount.
name2=nsutil-xlsns-$$-b
ip netns add "$name2"
on_exit "ip netns del '$name2'"
fdns=$(stat -L -c %i "/run/netns/$name2")
start_bg bash -c "exec 7</run/netns/$name2; exec sleep 1000"
holder=$BG_PID
sleep 0.3
ip netns del "$name2"
check_eq "a netns held only by a descriptor" "net 0 fd" \
  "$(row -o TYPE,NPROCS,HOLDERS -Q "NS == $fdns")"
check_eq "...and it is opened through that descriptor" "/proc/$holder/fd/7" \
  "$(row -o PATH -Q "NS == $fdns")"

# UID and USER of a namespace without a process are the creator of its owning user namespace,
# whichever other columns are asked for (lsns's tests lsns/filedesc and lsns/netns-from-sock).
check_eq "USER and UID of a netns held by its mount" "$ino root 0" \
  "$(row -o NS,USER,UID -Q "NS == $ino")"
check_eq "...the same with PNS asked for" "$ino root 0 0" \
  "$(row -o NS,USER,UID,PNS -Q "NS == $ino")"
check_eq "USER of a netns held by a descriptor (lsns/filedesc)" "net 0 root" \
  "$(row -o TYPE,NPROCS,USER -Q "NS == $fdns")"
# A netns held only by a socket: made in a new netns, which the process then leaves.
sockns_file=$(mktemp /tmp/nsutil-xlsns-$$.XXXXXX)
on_exit "rm -f '$sockns_file'"
start_bg python3 -c 'import ctypes, os, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
home = os.open("/proc/self/ns/net", os.O_RDONLY)
if libc.unshare(0x40000000) != 0: sys.exit(1)
s = socket.socket()
ino = os.stat("/proc/self/ns/net").st_ino
if libc.setns(home, 0x40000000) != 0: sys.exit(1)
open(sys.argv[1], "w").write("%d\n" % ino)
time.sleep(1000)' "$sockns_file"
wait_until test -s "$sockns_file"
sockns=$(cat "$sockns_file")
check_eq "a netns held by a socket, as lsns/netns-from-sock" "$sockns net 0 root 0  " \
  "$(row -o NS,TYPE,NPROCS,USER,UID,COMMAND,PID -Q "NS == ${sockns:-0}")"
# NETNSID through the socket's netns descriptor, as lsns 2.42 gives it for a netns without a
# process: none is assigned to a new one.
check_eq "NETNSID of a netns held by a socket" "unassigned" \
  "$(row -o NETNSID -Q "NS == ${sockns:-0}")"

# NSFS and NETNSID of a netns with a process in it, against lsns (lsns/nsfs, lsns/netnsid).
ip netns exec "$name" sleep 1000 &
inside=$!
on_exit "kill -KILL $inside"
mount --bind "/run/netns/$name" "$dir/also" 2>/dev/null || { touch "$dir/also"; mount --bind "/run/netns/$name" "$dir/also"; }
on_exit "umount '$dir/also'"
sleep 0.3
check_eq "NSFS, multi-line, as lsns" "$(lsns -n -o NSFS -t net -p $inside)" \
  "$("$XLSNS" -n -o NSFS -t net -p $inside)"
check_eq "NSFS with --nowrap, as lsns" "$(lsns -n -W -o NSFS -t net -p $inside)" \
  "$("$XLSNS" -n -W -o NSFS -t net -p $inside)"
check_eq "NSFS lists both mounts" "/run/netns/$name,$dir/also" "$(row -o NSFS -t net -p $inside)"
# An ID the kernel picks: a fixed one may be taken on this host already (IDs last until reboot).
ip netns set "$name" auto 2>/dev/null
check_eq "NETNSID as ip netns list gives it" \
  "$(ip netns list | sed -n "s/^$name (id: \([0-9]*\))$/\1/p")" "$(row -o NETNSID -Q "NS == $ino")"
check_eq "NETNSID as lsns" "$(lsns -n -o NETNSID -t net -p $inside)" \
  "$("$XLSNS" -n -o NETNSID -t net -p $inside)"
check_eq "HOLDERS of a netns with a process and two mounts" "process,mount" \
  "$(row -o HOLDERS -Q "NS == $ino")"

# NETNSID of many network namespaces, each with an ID of its own: the requests go to the kernel
# in batches of 64, and each answer must land on its own namespace.
many=()
for i in $(seq 70); do
  start_bg unshare -n sleep 1000
  many+=("$BG_PID")
done
want=
for i in $(seq 70); do
  pid=${many[i - 1]}
  # After the exec of sleep, unshare -n is done: attach names the new namespace, not ours.
  wait_until comm_is "$pid" sleep
  ip netns attach "$name-m$i" "$pid" && ip netns set "$name-m$i" auto
  on_exit "ip netns delete '$name-m$i'"
  # "NAME (id: N)": the ID the kernel chose (fixed ones could be taken on this host already).
  want+="$pid $(ip netns list | sed -n "s/^$name-m$i (id: \([0-9]*\))$/\1/p")"$'\n'
done
pid_rows() { "$@" -n -r -o PID,NETNSID -t net | awk -v pids=" ${many[*]} " 'index(pids, " " $1 " ")' | sort -n; }
check_eq "NETNSID of 70 network namespaces, as ip netns list gives them" "$(echo -n "$want" | sort -n)" \
  "$(pid_rows "$XLSNS")"
check_eq "... and as lsns gives them" "$(pid_rows lsns)" "$(pid_rows "$XLSNS")"

# A mount namespace that no process is in (kept by a bind mount), holding the only bind mount
# of a uts namespace: found through NS_MNT_GET_NEXT and listmount/statmount.
new_scratch priv
mount --bind "$priv" "$priv" && mount --make-private "$priv"
touch "$priv/mnt" "$priv/uts"
# xunshare, not util-linux: from a mount namespace other than the first, util-linux's
# --mount=FILE fails at random on Linux 6.18 (mount-namespace IDs out of order across CPUs).
"$XUNSHARE" --mount="$priv/mnt" sh -c "umount '$priv/mnt' 2>/dev/null; unshare --uts='$priv/uts' true"
on_exit "umount '$priv/mnt'"
mntns=$(stat -L -c %i "$priv/mnt")
# The uts bind mount exists only inside that mount namespace: read it from there.
utsino=$(nsenter --mount="$priv/mnt" stat -L -c %i "$priv/uts" 2>/dev/null)
check_eq "a process-less mount namespace kept by a bind mount" "mnt 0 mount" \
  "$(row -o TYPE,NPROCS,HOLDERS -Q "NS == $mntns")"
check_eq "a uts bind mount that exists only inside it" "uts 0 mount" \
  "$(row -o TYPE,NPROCS,HOLDERS -Q "NS == ${utsino:-0}")"
check_eq "...which has no NSFS entry here" "" "$(row -o NSFS -Q "NS == ${utsino:-0}")"

# --- --source=bpf against --source=proc, on all of the above and more -----------------------
# A process in fresh namespaces of every type it can have, and a process one of whose threads
# is in namespaces of its own (only the task records, or /proc/PID/task, show them).
start_bg unshare --mount --uts --ipc --net --pid --cgroup --time --fork --kill-child sleep 1000
fresh=$BG_PID
threads_file=$(mktemp /tmp/nsutil-xlsns-$$.XXXXXX)
on_exit "rm -f '$threads_file'"
start_bg python3 -c 'import ctypes, os, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
def own():
    if libc.unshare(0x04000000 | 0x08000000) != 0: sys.exit(1)  # uts, ipc
    open(sys.argv[1], "w").write("%d\n" % threading.get_native_id())
    time.sleep(1000)
threading.Thread(target=own, daemon=True).start()
time.sleep(1000)' "$threads_file"
wait_until test -s "$threads_file"
tid=$(cat "$threads_file")
wait_until test -n "$(cat "/proc/$fresh/task/$fresh/children" 2>/dev/null)"
fresh_child=$(cat "/proc/$fresh/task/$fresh/children")
fresh_child=${fresh_child% }

bpf_err=$("$XLSNS" --source=bpf -o NS 2>&1 >/dev/null)
bpf_rc=$?
all=$("$XLSNS" -H -r -n | awk '{print $1}' | paste -sd,)
# The scene's namespaces only: the rest of the system (other processes starting and exiting)
# may change between two runs, and so may the note about processes that went away mid-scan.
scene=""
for f in /proc/$fresh/ns/{mnt,uts,ipc,net,cgroup} /proc/$fresh_child/ns/{pid,time} \
  /proc/$BG_PID/task/$tid/ns/{uts,ipc} "/proc/$holder/fd/7" "/run/netns/$name" "$dir/uts"; do
  scene="$scene${scene:+ || }NS == $(stat -L -c %i "$f")"
done
scene="$scene || NS == ${sockns:-0} || NS == $mntns"

# A kernel before Linux 5.17 refuses the BPF source's loader (E2BIG; tests/vm/kernels:
# bpf_lskel): --source=bpf fails in one line that says which Linux it needs, with a note, and
# the default source, which takes the iterators from bpf_min_threads threads up, falls back to
# /proc without a word. Only such a kernel takes that fallback, so it is tested there; the
# comparisons below then cannot run.
if [[ $bpf_err == *"needs Linux 5.17"* ]]; then
  check_eq "--source=bpf where the kernel refuses the loader: status 1, the reason, a note" \
    "rc=1 lines=2 reason=yes note=yes" \
    "rc=$bpf_rc lines=$(printf '%s\n' "$bpf_err" | wc -l)$(
      [[ $bpf_err == "xlsns: --source=bpf: "*"E2BIG"$'\n'* ]] && echo " reason=yes" || echo " reason=no")$(
      [[ $bpf_err == *$'\n'"xlsns: note: "*"--source=proc" ]] && echo " note=yes" || echo " note=no")"
  # Enough threads on the system for the default source to try the iterators first.
  start_bg python3 -c 'import threading, time
for _ in range(200): threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()
time.sleep(1000)'
  wait_until sh -c "[ \$(cut -d' ' -f4 /proc/loadavg | cut -d/ -f2) -ge 250 ]"
  trace=$(mktemp /tmp/nsutil-xlsns-trace.XXXXXX)
  on_exit "rm -f '$trace'"
  auto_err=$(strace -f -o "$trace" -e trace=bpf "$XLSNS" -Q "$scene" -r -o "$all" 2>&1 >"$trace.out")
  on_exit "rm -f '$trace.out'"
  check "the default source tried the loader, which the kernel refused (E2BIG)" \
    grep -q 'bpf(BPF_PROG_LOAD, .* = -1 E2BIG' "$trace"
  check_eq "... and fell back to /proc without a word" "" "$auto_err"
  check_eq "... which lists what --source=proc lists" \
    "$("$XLSNS" --source=proc -Q "$scene" -r -o "$all" 2>/dev/null)" "$(cat "$trace.out")"
  skip_kernel 15 bpf_lskel "the kernel refuses the BPF source's loader: no iterators to compare"
  done_testing
fi
# Whether the BPF iterators are used here at all: a silent fallback would make the comparisons
# below compare /proc with /proc.
check_eq "--source=bpf works here" "" "$bpf_err"
same() {
  local desc=$1
  shift
  check_eq "bpf and proc agree: $desc" "$("$XLSNS" --source=proc -Q "$scene" "$@" 2>/dev/null)" \
    "$("$XLSNS" --source=bpf -Q "$scene" "$@" 2>/dev/null)"
}
same "every column" -r -o "$all"
same "JSON of every column" -J -o "$all"
# Each type alone loads a program of its own (lib/src/discovery/bpf/gen-skeleton.sh).
for t in mnt net pid uts ipc user cgroup time; do
  same "-t $t" -r -o "$all" -t "$t"
done
same "the default process tree" -o NS,TYPE,NPROCS,PID,PPID,COMMAND
same "-Tparent" -Tparent -o NS,TYPE,NPROCS,PID,HOLDERS
same "-Towner" -Towner
same "-p of the thread's process" -r -o "$all" -p "$BG_PID"
check_eq "the thread's own uts namespace is listed" "thread" \
  "$("$XLSNS" --source=bpf -n -r -o HOLDERS -Q "NS == $(stat -L -c %i "/proc/$BG_PID/task/$tid/ns/uts")")"
check_eq "the fresh time namespace is listed, with its one process" "1" \
  "$("$XLSNS" --source=bpf -n -r -o NPROCS -Q "NS == $(stat -L -c %i "/proc/$fresh_child/ns/time")")"

# Nothing of the iterators outlives xlsns: none of its programs (nsutil_*), links or loader maps
# left, nothing pinned. The kernel frees a closed map after an RCU grace period, so a map of a run
# that just ended may still be listed for a moment: wait for that.
if command -v bpftool >/dev/null; then
  ours() { for o in prog link map; do bpftool "$o" list; done | grep -E 'nsutil_|__loader' || true; }
  pinned=$(find /sys/fs/bpf -mindepth 1 2>/dev/null)
  "$XLSNS" --source=bpf >/dev/null
  "$XLSNS" --source=bpf -t net -o NS >/dev/null
  left=$(ours)
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    [ -z "$left" ] && break
    sleep 0.2
    left=$(ours)
  done
  check_eq "no BPF program, link or map outlives the run" "" "$left"
  check_eq "nothing pinned in /sys/fs/bpf" "$pinned" "$(find /sys/fs/bpf -mindepth 1 2>/dev/null)"
else
  skip 2 "bpftool is not installed"
fi
done_testing
