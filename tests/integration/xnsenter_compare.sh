#!/bin/bash
# xnsenter against util-linux nsenter on the same real targets: a process made by
# `unshare -mfpuinC --mount-proc`, `ip netns add` names and files persisted by `unshare --uts=FILE`.
# Every check runs both and compares output and exit status, unless it tests an addition.
. "$(dirname "$0")/lib.sh"
is_root || skip_all "needs root (the unprivileged side is xnsenter_unpriv.sh)"
command -v nsenter >/dev/null || skip_all "util-linux nsenter is not installed"
plan 71

T=10
matches() { [[ $1 == $2 ]]; }
ns_links='readlink /proc/self/ns/mnt /proc/self/ns/uts /proc/self/ns/ipc /proc/self/ns/net
  /proc/self/ns/pid /proc/self/ns/cgroup /proc/self/ns/user /proc/self/ns/time'

d=$(scratch)
start_bg unshare -mfpuinC --kill-child --mount-proc sh -c "hostname nsutil-xnsenter-$$; echo ready > $d/ready; exec sleep 300" >/dev/null
U=$BG_PID
for _ in $(seq 100); do [ -s "$d/ready" ] && break; sleep 0.05; done
P=$(pgrep -P "$U" | head -1)
[ -n "$P" ] || { diag "no target process"; exit 1; }
check "the target differs from us" [ "$(readlink /proc/$P/ns/net)" != "$(readlink /proc/self/ns/net)" ]

# Each namespace option on its own, then combined, then -a.
for o in -m -u -i -n -p -C; do
  same "-t PID $o" -t "$P" "$o" $ns_links
done
same "-t PID -n -u hostname" -t "$P" -n -u hostname
same "-t PID -a" -t "$P" -a $ns_links
same "--target=PID --all (long options)" --target="$P" --all $ns_links
same "-a: the program is in the target's PID namespace" -t "$P" -a sh -c 'test $$ -lt 100 && ps -e -o pid= | wc -l'
same "-a resets the working directory to the namespace root" -t "$P" -a pwd
same "-F: no fork, the program stays outside the PID namespace" -t "$P" -p -F sh -c 'test $$ -gt 1 && echo outside'

# No namespace chosen: refused as by util-linux 2.41 and later, and nothing runs (the 2.38
# installed here still runs the program in our own namespaces).
for args in "" "-t $P" "-t $P -r" "-t $P -w" "-t $P -W/" "-t $P -e" "-t $P -S 0 -G 0"; do
  rm -f "$d/ran"
  # shellcheck disable=SC2086
  out=$(timeout $T "$XNSENTER" $args touch "$d/ran" 2>&1); rc=$?
  check_eq "xnsenter ${args:-(no option)} PROGRAM: no namespace specified, nothing run" \
    "1:xnsenter: no namespace specified:no" "$rc:$out:$([ -e "$d/ran" ] && echo ran || echo no)"
done
# As in util-linux, an error about what the options open comes first.
out=$(timeout $T "$XNSENTER" -r pwd 2>&1); rc=$?
check_eq "-r without -t: the missing target is the error" \
  "1:xnsenter: --root: needs a target PID (-t PID)" "$rc:$out"

# Namespace files instead of a PID.
same "--net=/proc/PID/ns/net" --net=/proc/$P/ns/net readlink /proc/self/ns/net
same "-n/proc/PID/ns/net (attached short form)" -n/proc/$P/ns/net readlink /proc/self/ns/net
same "--uts=FILE --mount=FILE" --uts=/proc/$P/ns/uts --mount=/proc/$P/ns/mnt sh -c 'hostname; readlink /proc/self/ns/mnt'
same "-t PID with a file override" -t "$P" -a --net=/proc/self/ns/net readlink /proc/self/ns/net /proc/self/ns/uts

# Root, working directory, credentials.
same "-r -w" -t "$P" -m -r -w pwd
same "-r/ -w/tmp" -t "$P" -m -r/ -w/tmp pwd
same "-W/tmp (looked up inside)" -t "$P" -m -W/tmp pwd
same "-S -G" -t "$P" -u -S 65534 -G 65534 id
same "-G only drops supplementary groups" -t "$P" -u -G 100 id

# Exit statuses, signals, exec failures, the shell.
same "exit status passes through (fork)" -t "$P" -p sh -c 'exit 7'
same "exit status passes through (no fork)" -t "$P" -u sh -c 'exit 9'
same "death by a signal (fork)" -t "$P" -p sh -c 'kill -TERM $$'
same "death by a signal (no fork)" -t "$P" -u sh -c 'kill -HUP $$'
same "127 for a missing program" -t "$P" -a nsutil-no-such-program
same "126 for a program that cannot run" -t "$P" -u /etc/passwd
same "126 after fork" -t "$P" -p /etc/passwd
# Exec failures after a root or namespaces are entered, where /proc may be missing or another
# one: the sanitizer build's exit-time leak check aborted (status 1), or never ended in the
# entered PID namespace; and with -p, a root without /proc stopped the release build too.
mkdir "$d/empty"
cd "$d/empty"
ends_like nsenter "$XNSENTER" "--root=. from a directory without the program" \
  --uts=/proc/self/ns/uts --root=. true
ends_like nsenter "$XNSENTER" "-t PID -p --root=DIR without /proc or the program" \
  -t "$P" -p --root="$d/empty" true
ends_like nsenter "$XNSENTER" "-t PID -a: a program that does not exist" -t "$P" -a /nonexistent/cmd
ends_like nsenter "$XNSENTER" "-t PID -m: a program that does not exist" -t "$P" -m /nonexistent/cmd
cd - >/dev/null
UL="$(echo 'echo $0; hostname' | SHELL=/bin/sh timeout $T nsenter -t "$P" -u; echo ":$?")"
OURS="$(echo 'echo $0; hostname' | SHELL=/bin/sh timeout $T "$XNSENTER" -t "$P" -u; echo ":$?")"
check_eq "no program: the login shell" "$UL" "$OURS"

# Persisted namespaces: util-linux unshare --uts=FILE, and ip netns.
touch "$d/uts"
unshare --uts="$d/uts" hostname nsutil-persisted
same "--uts=FILE persisted by unshare" --uts="$d/uts" hostname
name=nsutil-xnsenter-$$-a
if ip netns add "$name" 2>/dev/null; then
  on_exit "ip netns del $name"
  UL="$(timeout $T nsenter --net=/run/netns/$name readlink /proc/self/ns/net; echo ":$?")"
  OURS="$(timeout $T "$XNSENTER" --netns "$name" readlink /proc/self/ns/net; echo ":$?")"
  check_eq "--netns NAME = nsenter --net=/run/netns/NAME" "$UL" "$OURS"
  out=$(timeout $T "$XNSENTER" --netns "nsutil-xnsenter-$$-none" true 2>&1); rc=$?
  check "an unknown --netns name lists the names there are" \
    matches "$rc:$out" "1:xnsenter: --netns 'nsutil-xnsenter-$$-none': no such network namespace; there are: *$name*"
  out=$(timeout $T "$XNSENTER" -t /run/netns/$name true 2>&1); rc=$?
  check_eq "-t PATH says which option to use" \
    "1:xnsenter: --target '/run/netns/$name': a namespace file, not a PID; to enter the net namespace in it, use --net=/run/netns/$name" "$rc:$out"
  # Addition: -N FD enters the network namespace of a socket the target holds. The holder makes
  # it in NAME, then goes back to ours with it, so its own namespace is another one.
  if command -v python3 >/dev/null; then
    start_bg ip netns exec "$name" "${WITH_SOCKET9[@]}" nsenter --net=/proc/$$/ns/net sleep 300 >/dev/null
    S=$BG_PID
    wait_until comm_is "$S" sleep
    want=$(nsenter --net=/run/netns/$name readlink /proc/self/ns/net)
    check_eq "the socket holder is back in our network namespace" \
      "$(readlink /proc/self/ns/net)" "$(readlink /proc/$S/ns/net)"
    out=$(timeout $T "$XNSENTER" -t "$S" -N 9 readlink /proc/self/ns/net 2>&1)
    check_eq "-N FD enters the namespace of the socket, not of the target" "0:$want" "$?:$out"
  else
    skip 2 "python3 is missing"
  fi
else
  skip 5 "ip netns add failed"
fi

# Addition: --user-parent enters the parent of the target's user namespace (no process is in it).
start_userns_chain "$d/middle"
N=$BG_PID
middle=$(cat "$d/middle")
check "the nested target is not in the middle user namespace" \
  [ -n "$middle" -a "$(readlink /proc/$N/ns/user)" != "$middle" ]
out=$(timeout $T "$XNSENTER" -t "$N" -U --user-parent readlink /proc/self/ns/user 2>&1)
check_eq "-t PID -U --user-parent" "0:$middle" "$?:$out"
out=$(timeout $T "$XNSENTER" --user=/proc/$N/ns/user --user-parent readlink /proc/self/ns/user 2>&1)
check_eq "--user=FILE --user-parent" "0:$middle" "$?:$out"

# --X=:NSID (util-linux 2.42; the installed nsenter takes ":N" for a file name): the namespace
# with that NS_GET_ID, opened by an nsfs file handle.
start_bg unshare -un sh -c "hostname nsid-test-$$; echo ready > $d/nsid-ready; exec sleep 300" >/dev/null
I=$BG_PID
wait_until test -s "$d/nsid-ready"
uts_id=$(ns_id /proc/$I/ns/uts)
net_id=$(ns_id /proc/$I/ns/net)
if [ -n "$uts_id" ] && [ -n "$net_id" ]; then
  net_link=$(readlink /proc/$I/ns/net)
  out=$(timeout $T "$XNSENTER" --uts=:$uts_id hostname 2>&1)
  check_eq "--uts=:NSID enters the uts namespace with that ID" "0:nsid-test-$$" "$?:$out"
  out=$(timeout $T "$XNSENTER" --net=:$net_id readlink /proc/self/ns/net 2>&1)
  check_eq "--net=:NSID enters the network namespace with that ID" "0:$net_link" "$?:$out"
  out=$(timeout $T "$XNSENTER" -u:$uts_id -n=:$net_id sh -c 'hostname; readlink /proc/self/ns/net' 2>&1)
  check_eq "-u:NSID -n=:NSID (attached short forms)" "0:nsid-test-$$
$net_link" "$?:$out"
  out=$(timeout $T "$XNSENTER" -t "$P" -a --net=:$net_id readlink /proc/self/ns/net /proc/self/ns/uts 2>&1)
  check_eq "-t PID -a --net=:NSID: the ID overrides the target's namespace" \
    "0:$net_link
$(readlink /proc/$P/ns/uts)" "$?:$out"
  out=$(timeout $T "$XNSENTER" --net=:$uts_id true 2>&1)
  check_eq "an ID of another type is refused in one line" \
    "1:xnsenter: open ':$uts_id': namespace $uts_id is a uts namespace, not net" "$?:$out"
  out=$(timeout $T "$XNSENTER" --net=:18446744073709551615 true 2>&1)
  check_eq "an ID that names no namespace is refused in one line" \
    "1:xnsenter: open ':18446744073709551615': no namespace with ID 18446744073709551615" "$?:$out"
  start_bg unshare -u sleep 300
  wait_until comm_is "$BG_PID" sleep
  gone=$(ns_id /proc/$BG_PID/ns/uts)
  kill -KILL "$BG_PID"; wait "$BG_PID" 2>/dev/null
  out=$(timeout $T "$XNSENTER" --uts=:$gone true 2>&1)
  check_eq "the ID of a namespace that has ended is not reused" \
    "1:xnsenter: open ':$gone': no namespace with ID $gone" "$?:$out"
  for bad in : :abc :-1; do
    out=$(timeout $T "$XNSENTER" --net=$bad true 2>&1)
    check_eq "--net=$bad is one line" \
      "1:xnsenter: failed to parse namespace ID: '$bad' (--net=:ID takes a number, as xlsns -o NSID prints; a file named so is ./$bad)" "$?:$out"
  done
  # The file is named after the uts ID: taken for an ID, it would be refused as the wrong type.
  touch "$d/:$uts_id"
  mount --bind /proc/$I/ns/net "$d/:$uts_id"
  out=$(cd "$d" && timeout $T "$XNSENTER" --net=./:$uts_id readlink /proc/self/ns/net 2>&1)
  check_eq "--net=./:NAME is a file" "0:$net_link" "$?:$out"
  # A namespace owned by the initial user namespace, which an unprivileged user is not in:
  # the kernel refuses it by ID even to a process of that user inside it.
  start_bg unshare -n setpriv --reuid=65534 --regid=65534 --clear-groups sleep 300 >/dev/null
  wait_until comm_is "$BG_PID" sleep
  id=$(ns_id /proc/$BG_PID/ns/net)
  out=$(timeout $T setpriv --reuid=65534 --regid=65534 --clear-groups "$XNSENTER" --net=:$id true 2>&1)
  rc=$?
  check_eq "unprivileged, a namespace it has no rights over: EPERM in words" \
    "1:xnsenter: $(by_id_refusal "$id")" "$rc:$out"
else
  # Before Linux 6.18 there are no IDs: every form is refused in words, nothing is entered.
  msg="opening a namespace by ID needs Linux 6.18 (namespace IDs and nsfs file handles)"
  for opt in --uts=:2 --net=:7 -n:7 -u=:2; do
    out=$(timeout $T "$XNSENTER" "$opt" hostname 2>&1)
    check_eq "without NS_GET_ID, $opt is refused in words" "1:xnsenter: open ':${opt##*:}': $msg" "$?:$out"
  done
  skip_kernel 8 ns_get_id "no NS_GET_ID (Linux 6.18)"
fi

# Additions: PID:INODE, -e, no descriptors leaked, signals passed on, no orphans.
# Before pidfs (Linux 6.9) every pidfd is the same anon inode, whose number would pass for any
# process: PID:INODE is refused there instead.
read -r fs_type pidfd_ino < <(python3 -c '
import ctypes, os, struct, sys
fd = os.pidfd_open(int(sys.argv[1]))
buf = ctypes.create_string_buffer(128)
ctypes.CDLL(None).fstatfs(fd, buf)
print(hex(struct.unpack_from("l", buf.raw)[0]), os.fstat(fd).st_ino)' "$P")
if [ "$fs_type" = 0x50494446 ]; then
  out=$(timeout $T "$XNSENTER" -t "$P:1" -n true 2>&1); rc=$?
  check "-t PID:WRONG-INODE is refused" matches "$rc:$out" "1:xnsenter: open process '$P:1': PID $P is now another process*"
else
  out=$(timeout $T "$XNSENTER" -t "$P:$pidfd_ino" -n true 2>&1); rc=$?
  check_eq "without pidfs, -t PID:INODE is refused, even with the inode every pidfd has" \
    "1:xnsenter: pidfd_open '$P': PID:INODE needs pidfds (Linux 5.3) with pidfs (Linux 6.9)" \
    "$rc:$out"
fi
out=$(timeout $T "$XNSENTER" -t "$P" -i -e sh -c 'hostname; echo ${NSUTIL_MARK:-unset}' 2>&1)
check_eq "-e takes the target's environment" "$(hostname)
unset" "$out"
UL="$(timeout $T nsenter -t "$P" -a -r -w ls /proc/self/fd | sort -n | tr '\n' ' ')"
OURS="$(timeout $T "$XNSENTER" -t "$P" -a -r -w ls /proc/self/fd | sort -n | tr '\n' ' ')"
check_eq "no descriptor of xnsenter's reaches the program" "$UL" "$OURS"

# run_killed SIG: starts xnsenter -a sleep, sends SIG to xnsenter, reports "status child-state".
run_killed() {
  local sig=$1 x c rc st
  "$XNSENTER" -t "$P" -a sleep 60 & x=$!
  for _ in $(seq 100); do c=$(pgrep -P $x); [ -n "$c" ] && [ "$(cat /proc/$c/comm 2>/dev/null)" = sleep ] && break; sleep 0.05; done
  kill -"$sig" $x; wait $x; rc=$?
  for _ in $(seq 100); do st=$(awk '{print $3}' /proc/$c/stat 2>/dev/null); [ -z "$st" ] || [ "$st" = Z ] && break; sleep 0.05; done
  echo "$rc ${st:-gone}"
  kill -KILL "$c" 2>/dev/null
}
check_eq "SIGTERM to xnsenter ends its child, same status" "143 gone" "$(run_killed TERM | sed 's/ Z$/ gone/')"
check_eq "SIGHUP to xnsenter ends its child" "129 gone" "$(run_killed HUP | sed 's/ Z$/ gone/')"
check_eq "SIGKILL to xnsenter kills its child (death signal)" "137 gone" "$(run_killed KILL | sed 's/ Z$/ gone/')"
# Stop mirroring: a stopped child stops xnsenter; continuing xnsenter continues the child.
state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }
"$XNSENTER" -t "$P" -p sleep "$(scaled 2)" & x=$!
for _ in $(seq 100); do c=$(pgrep -P $x); [ -n "$c" ] && [ "$(cat /proc/$c/comm 2>/dev/null)" = sleep ] && break; sleep 0.05; done
kill -STOP "$c"
for _ in $(seq 100); do [ "$(state $x)" = T ] && break; sleep 0.05; done
stopped="$(state $x) $(state $c)"
kill -CONT $x
for _ in $(seq 100); do [ "$(state $c)" = S ] && break; sleep 0.05; done
resumed="$(state $c)"
wait $x; rc=$?
check_eq "a stopped child stops xnsenter, continuing xnsenter continues it" "T T S 0" "$stopped $resumed $rc"

out=$(timeout $T "$XNSENTER" -t "$P" -i -c true 2>&1); rc=$?
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
  check_eq "-c joins the target's cgroup" "0:" "$rc:$out"
else
  check_eq "-c on cgroup v1 is a clear error" \
    "1:xnsenter: --join-cgroup '/sys/fs/cgroup': needs cgroup v2 (the unified hierarchy) mounted here; this system uses cgroup v1" "$rc:$out"
fi
done_testing
