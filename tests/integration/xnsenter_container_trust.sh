#!/bin/bash
# Whose container a name names, against a user with a delegated cgroup subtree. Root makes a
# cgroup for the test in cgroup2 with a part of its own and a subtree delegated to nobody, as
# systemd delegates user@UID.service (the directory and its cgroup.procs, cgroup.subtree_control
# and cgroup.threads chowned to the user, and the user's first process placed in it by root).
# Everything the attacker does, it does as nobody: it names cgroups of its subtree after root's
# containers (lxc.payload.NAME; docker-ID.scope with the ID of root's), starting before root's so
# that its PIDs are the lower ones, and it runs processes named dockerd whose --config-file and
# --data-root lead to FIFOs that have no writer. Checked:
#   - root's --container NAME (or ID prefix) enters root's container, never the attacker's; the
#     attacker's is nobody/NAME or 65534/NAME, entered with its user namespace (uid 0 there),
#     unless --keep-userns; xlsns's CONTAINER says NAME and nobody/NAME, and keeps the two
#     docker-ID.scope cgroups of one ID apart;
#   - a name that only the attacker's container answers to, an unknown owner, and two of root's
#     containers of one name are refused: status 1, one line;
#   - the fake dockerds' FIFOs hang neither xnsenter --container nor xlsns -o CONTAINER.
# The build before containers had owners entered the attacker's container for root's NAME and
# hung on the FIFO. Everything made here is removed on exit: processes by the PIDs started,
# then the cgroups, deepest first.
. "$(dirname "$0")/lib.sh"

against_nobody "makes cgroups and delegates one to nobody" -Urun

# The cgroup2 hierarchy where this reader (and so xnsenter and xlsns) has its root mounted; with
# none, one mounted in a private mount namespace of this script's own.
cg2=$(findmnt -rn -t cgroup2 -o TARGET,FSROOT | awk '$2 == "/" {print $1; exit}')
if [ -z "$cg2" ]; then
  [ -n "${NSUTIL_TRUST_OWN_MNTNS:-}" ] ||
    exec env NSUTIL_TRUST_OWN_MNTNS=1 unshare -m --propagation private bash "$0" "$@"
  cg2=$(scratch)  # unmounted on exit, after the cgroups are removed
  mount -t cgroup2 cgroup2 "$cg2" || skip_all "no cgroup2 mount, and none could be made"
  diag "cgroup2 mounted at $cg2 in a mount namespace of this script's own"
fi
plan 19

# cg_remove DIR: removes cgroup DIR and those below it, deepest first, once the processes the
# script started there are killed (their cleanups run before this one); retried while they exit.
cg_remove() {
  local _
  for _ in $(seq 50); do
    find "$1" -depth -type d -exec rmdir {} + 2>/dev/null
    [ -d "$1" ] || return 0
    command sleep 0.1
  done
  return 1
}
top=$cg2/nsutil-trust.$$
mine=$top/root       # root's part
theirs=$top/delegate # nobody's subtree
mkdir "$top" || skip_all "cannot make a cgroup in $cg2"
on_exit cg_remove "$top"
mkdir "$mine" "$theirs"
chown 65534:65534 "$theirs" "$theirs"/cgroup.{procs,subtree_control,threads}

# "${INTO[@]}" DIR CMD...: joins cgroup DIR (made when missing), then runs CMD in the same process.
INTO=(sh -c 'mkdir -p "$1" && echo $$ >"$1/cgroup.procs" && shift && exec "$@"' -)
# "${NAMED[@]}" HOST CMD...: sets the host name of its UTS namespace to HOST, then runs CMD.
NAMED=(sh -c 'hostname "$1" && shift && exec "$@"' -)
# ready DESCRIPTION: after start_bg of a process that ends in `sleep`; says so when it did not.
ready() {
  wait_until comm_is "$BG_PID" sleep || diag "$1 (PID $BG_PID) did not start"
}
# root_container CGROUP HOST: root's container, in its own UTS namespace; sets BG_PID.
root_container() {
  start_bg "${INTO[@]}" "$mine/$1" unshare -u "${NAMED[@]}" "$2" sleep 3600
  ready "root's $1"
}
# user_container CGROUP HOST: root places a shell in the delegated subtree, which becomes nobody,
# makes CGROUP there and moves itself in, and sleeps in user, UTS and network namespaces of its
# own; sets BG_PID.
user_container() {
  start_bg "${INTO[@]}" "$theirs" "${AS_NOBODY[@]}" \
    "${INTO[@]}" "$theirs/$1" unshare -Urun "${NAMED[@]}" "$2" sleep 3600
  ready "nobody's $1"
}

# xnsenter_refuses DESCRIPTION REGEX ARGS...: $XNSENTER ARGS ends within 20 s with status 1 and
# one line on stderr, "xnsenter: " and then what REGEX (grep -E) matches.
xnsenter_refuses() {
  local what=$1 regex=$2 out rc; shift 2
  out=$(command timeout -k 5 "$(scaled 20)" "$XNSENTER" "$@" 2>&1 >/dev/null); rc=$?
  if [ "$rc" = 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
     printf '%s\n' "$out" | grep -qE "^xnsenter: $regex"; then
    ok "$what"
  else
    not_ok "$what"
    diag "status $rc (124 or 137: it hung), output: $(head -c 600 <<<"$out")"
  fi
}
# rows_of PID... < xlsns's raw rows: the rows whose first column is one of PIDs, by PID.
rows_of() { awk -v pids=" $* " 'index(pids, " " $1 " ")' | sort -n; }
# inside ARGS...: xnsenter ARGS, then the host name, user namespace and UID seen inside; what
# went wrong otherwise.
inside() {
  local out rc
  out=$(command timeout -k 5 "$(scaled 20)" "$XNSENTER" "$@" \
    sh -c 'echo $(hostname) $(readlink /proc/self/ns/user) $(id -u)' 2>&1); rc=$?
  [ "$rc" = 0 ] || out+=" [status $rc; 124 or 137: it hung]"
  printf '%s\n' "$out"
}
own_userns=$(readlink /proc/self/ns/user)

# 1. lxc.payload.NAME: nobody's first, then root's.
name=web-$$
user_container "lxc.payload.$name" user-web
user_web=$BG_PID
root_container "lxc.payload.$name" root-web
root_web=$BG_PID
[ "$user_web" -lt "$root_web" ] ||
  diag "the attacker's PID $user_web is not below root's $root_web (PIDs wrapped?)"
user_web_ns=$(readlink "/proc/$user_web/ns/user")
diag "lxc.payload.$name: the attacker's PID $user_web, root's $root_web"

check_eq "root's --container NAME: root's container (root-web), root's user namespace" \
  "root-web $own_userns 0" "$(inside --container "$name" -u)"
check_eq "--container nobody/NAME: the attacker's container (user-web), its user namespace, uid 0" \
  "user-web $user_web_ns 0" "$(inside --container "nobody/$name" -u)"
check_eq "--container 65534/NAME: the same" \
  "user-web $user_web_ns 0" "$(inside --container "65534/$name" -u)"
check_eq "--container nobody/NAME --keep-userns: root's user namespace, uid 0" \
  "user-web $own_userns 0" "$(inside --container "nobody/$name" --keep-userns -u)"
check_eq "xlsns -t uts: CONTAINER is NAME for root's, nobody/NAME for the attacker's" \
  "$(printf '%s\n' "$user_web nobody/$name" "$root_web $name" | sort -n)" \
  "$("$XLSNS" -n -r -o PID,CONTAINER -t uts | rows_of "$user_web" "$root_web")"
kill -KILL "$root_web"; wait "$root_web" 2>/dev/null
xnsenter_refuses "--container NAME, only the attacker's running: refused, naming nobody/NAME" \
  "--container '$name': none of your running containers .*nobody/$name of another user" \
  --container "$name" true
xnsenter_refuses "--container with an owner that is no user: refused" \
  "--container 'nsutil-no-such-user/$name': no user 'nsutil-no-such-user'" \
  --container "nsutil-no-such-user/$name" true

# 2. docker-ID.scope of one made-up ID in both parts: two containers, not one.
id=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
short=${id:0:12}
user_container "docker-$id.scope" user-ctr
user_ctr=$BG_PID
root_container "docker-$id.scope" root-ctr
root_ctr=$BG_PID
check_eq "xlsns: the two cgroups of one ID are two containers, the attacker's nobody/ID" \
  "$(printf '%s\n' "$user_ctr $id nobody/$short" "$root_ctr $id $short" | sort -n)" \
  "$("$XLSNS" -n -r -o PID,CONTAINERID,CONTAINER -t uts | rows_of "$user_ctr" "$root_ctr")"
check_eq "--container ID-prefix: root's container" \
  "root-ctr $own_userns 0" "$(inside --container "$short" -u)"
check_eq "--container nobody/ID-prefix: the attacker's" \
  "user-ctr $(readlink "/proc/$user_ctr/ns/user") 0" "$(inside --container "nobody/$short" -u)"

# 3. Two of root's containers answering to one name: refused, both listed.
twin=twin-$$
root_container "a/lxc.payload.$twin" twin-a
root_container "b/lxc.payload.$twin" twin-b
xnsenter_refuses "two lxc.payload.NAME cgroups of root's in different directories: refused" \
  "--container '$twin': matches several containers: $twin \(lxc $twin, PID [0-9]+\), $twin \(lxc $twin, PID [0-9]+\)$" \
  --container "$twin" true
pair=pair-$$
root_container "lxc.payload.$pair" pair-lxc
root_container "machine.slice/machine-$pair.scope" pair-machine
xnsenter_refuses "an LXC container and a machined machine of one name: refused, both listed" \
  "--container '$pair': matches several containers: $pair \(lxc $pair, PID [0-9]+\), $pair \(machined $pair, PID [0-9]+\)$" \
  --container "$pair" true
xnsenter_refuses "root/NAME: the same two" "--container 'root/$pair': matches several containers: " \
  --container "root/$pair" true

# 4. The attacker's dockerds name FIFOs: one as --config-file, one under --data-root as the
# config.v2.json of its docker-ID.scope container (a symbolic link to that FIFO). The resolver
# looks for nobody's dockerds to name that container (nobody's home, /nonexistent, has no
# daemon.json to put a FIFO in).
trap_dir=$(scratch)
chown 65534:65534 "$trap_dir"
"${AS_NOBODY[@]}" sh -c 'mkfifo "$1/daemon.json" && mkdir -p "$1/root/containers/$2" &&
  ln -s "$1/daemon.json" "$1/root/containers/$2/config.v2.json"' - "$trap_dir" "$id"
FAKE_DOCKERD=("${AS_NOBODY[@]}" /usr/bin/python3 -c '
import ctypes, time
ctypes.CDLL(None).prctl(15, b"dockerd")  # PR_SET_NAME
time.sleep(3600)')
start_bg "${FAKE_DOCKERD[@]}" --config-file "$trap_dir/daemon.json"
wait_until comm_is "$BG_PID" dockerd || diag "the first fake dockerd did not start"
start_bg "${FAKE_DOCKERD[@]}" --data-root "$trap_dir/root"
wait_until comm_is "$BG_PID" dockerd || diag "the second fake dockerd did not start"
check_eq "the trap: opening the fake dockerd's configuration blocks (no writer)" 124 \
  "$(status command timeout 1 cat "$trap_dir/root/containers/$id/config.v2.json")"
xnsenter_refuses "--container of no container, with the fake dockerds: ends, refused" \
  "--container 'nsutil-none-$$': no such running container" --container "nsutil-none-$$" true
check_eq "--container nobody/ID-prefix with the fake dockerds: ends, the attacker's" \
  "user-ctr $(readlink "/proc/$user_ctr/ns/user") 0" "$(inside --container "nobody/$short" -u)"
out=$(command timeout -k 5 "$(scaled 20)" "$XLSNS" -n -r -o PID,CONTAINER 2>&1); rc=$?
check_eq "xlsns -o CONTAINER with the fake dockerds: ends with status 0" 0 "$rc"
check_eq "...and lists the attacker's container as nobody/ID" "$user_ctr nobody/$short" \
  "$(rows_of "$user_ctr" <<<"$out" | sort -u)"

check "the attacker's containers ran to the end (they were not what failed)" \
  kill -0 "$user_web" "$user_ctr"

done_testing
