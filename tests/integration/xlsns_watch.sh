# xlsns --watch against real namespaces: root's event path (BPF) sees each namespace that
# `unshare -n true` makes appear and vanish, with its creator; `ip netns add`/`del`, a uts
# namespace kept only by a bind mount and a user namespace nobody makes all show; signals and a
# closed stdout end it with status 0 and no BPF program left; nobody's rescan path sees a
# namespace that lives longer than two intervals; bad input is one line and status 1.
# NSUTIL_WATCH_RUNS sets the number of `unshare -n true` runs (default 1000).
. "$(dirname "$0")/lib.sh"

is_root || skip_all "needs root (kernel events)"
command -v ip >/dev/null || skip_all "ip(8) is missing"
RUNS=${NSUTIL_WATCH_RUNS:-1000}
plan 20
# A kernel that refuses the light skeleton's loader (before Linux 5.17; tests/vm/kernels:
# bpf_lskel) has only the rescan path, which nobody's checks below test.
event_path=1
"$XLSNS" --source=bpf -t net 2>&1 >/dev/null | grep -q "needs Linux 5.17" && event_path=0
dir=$(scratch)

# watch OUT ARGS...: starts `xlsns --watch ARGS` writing to OUT (stderr to OUT.err), sets W_PID,
# and returns once its first events are out (the watch is then in place).
watch() {
  local out=$1; shift
  "$XLSNS" --watch "$@" >"$out" 2>"$out.err" &
  W_PID=$!
  on_exit "kill -KILL $W_PID"
  wait_until test -s "$out" || sleep 5
}
# stop SIGNAL: ends the watch with SIGNAL; sets STOPPED to its status.
stop() {
  kill -"$1" "$W_PID"
  wait "$W_PID"
  STOPPED=$?
}
# count FILE JQ-CONDITION: how many JSON lines of FILE satisfy the condition (python).
count() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if eval(sys.argv[2], {}, {"e": e}):
        n += 1
print(n)
EOF
}
# Whether this kernel lets the watcher see every release (xlsns notes it when not).
all_releases() { ! grep -q 'refuses BPF trampolines' "$1.err"; }
# The tracepoint programs see a network namespace go when the kernel frees it, which Linux 6.18
# defers to the next network namespace's cleanup: make one more and wait.
flush_net() { unshare -n true; sleep 1; }
# check_vanished FILE INODE DESCRIPTION: a vanished event of INODE comes within 5 s (where the
# kernel lets the watcher see every release; the tracepoint programs miss those freed after RCU).
check_vanished() {
  if ! all_releases "$1"; then
    skip_kernel 1 bpf_trampolines "the tracepoint programs do not see this namespace vanish"
    return
  fi
  for _ in 1 2 3 4 5; do
    sleep 1
    [ "$(count "$1" "e['event'] == 'vanished' and e['ns'] == $2")" = 1 ] && break
  done
  check_eq "$3" 1 "$(count "$1" "e['event'] == 'vanished' and e['ns'] == $2")"
}

# The event path's 15 checks: sections 1 to 5.
event_path_checks() {
# --- 1. RUNS network namespaces from `unshare -n true`, each appearing and vanishing
watch "$dir/net.json" -J -t net
: >"$dir/pids"
for ((i = 0; i < RUNS; i++)); do
  unshare -n true &
  echo $! >>"$dir/pids"
  wait $!
done
for _ in 1 2 3 4 5 6 7 8 9 10; do
  sleep 1
  all_releases "$dir/net.json" || flush_net
  [ "$(count "$dir/net.json" 'e["event"] == "vanished" and e["lifetime"] is not None')" -ge "$RUNS" ] && break
done
stop INT
check_eq "status 0 after SIGINT" 0 "$STOPPED"
python3 - "$dir/net.json" "$dir/pids" "$RUNS" >"$dir/net.result" <<'EOF'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
pids = set(int(p) for p in open(sys.argv[2]))
runs = int(sys.argv[3])
made, alive, gone, wrong = {}, {}, set(), 0
for e in events:
    key = e["nsid"] if e["nsid"] is not None else e["ns"]
    if e["event"] == "appeared" and e["pid"] in pids:
        made[e["pid"]] = e
        alive[key] = e["pid"]
        if (e["type"], e["command"], e["how"], e["user"]) != ("net", "unshare", "unshare", "root"):
            wrong += 1
    elif e["event"] == "vanished" and key in alive:
        gone.add(alive.pop(key))
print(len(made), len(gone), wrong, sum(1 for e in events if e["event"] == "lost"))
EOF
read -r made gone wrong lost <"$dir/net.result"
check_eq "$RUNS appeared events, one for each creator's PID" "$RUNS" "$made"
check_eq "$RUNS vanished events, matched by NSID or inode" "$RUNS" "$gone"
check_eq "each appeared event: type net, command unshare, how unshare, user root" 0 "$wrong"
check_eq "no lost events" 0 "$lost"

# --- 2. ip netns add and del
watch "$dir/ipns.json" -J -t net
name=nsutil-watch-$$
ip netns add "$name"
on_exit "ip netns del $name"
ino=$(stat -L -c %i "/run/netns/$name")
ip netns del "$name"
for _ in 1 2 3 4 5; do
  sleep 1
  all_releases "$dir/ipns.json" || flush_net
  [ "$(count "$dir/ipns.json" "e['event'] == 'vanished' and e['ns'] == $ino")" = 1 ] && break
done
stop TERM
check_eq "status 0 after SIGTERM" 0 "$STOPPED"
check_eq "ip netns add: appeared, made by ip" 1 \
  "$(count "$dir/ipns.json" "e['event'] == 'appeared' and e['ns'] == $ino and e['command'] == 'ip'")"
check_eq "ip netns del: vanished" 1 "$(count "$dir/ipns.json" "e['event'] == 'vanished' and e['ns'] == $ino")"

# --- 3. a uts namespace kept only by a bind mount, until it is unmounted
watch "$dir/uts.json" -J -t uts
touch "$dir/uts"
"$XUNSHARE" --uts="$dir/uts" true
on_exit "umount $dir/uts"
ino=$(stat -L -c %i "$dir/uts")
check_eq "a bind-mounted uts namespace: appeared, made by xunshare with unshare" 1 \
  "$(count "$dir/uts.json" "e['event'] == 'appeared' and e['ns'] == $ino and e['command'] == 'xunshare' and e['how'] == 'unshare'")"
umount "$dir/uts"
check_vanished "$dir/uts.json" "$ino" "unmounted: vanished"
stop HUP
check_eq "status 0 after SIGHUP" 0 "$STOPPED"

# --- 4. a user namespace that nobody makes (its holder reports its inode, then exits)
watch "$dir/user.json" -J -t user -o NS,TYPE,UID,USER,COMMAND
"${AS_NOBODY[@]}" unshare -U sh -c 'stat -L -c %i /proc/self/ns/user' >"$dir/user.ino"
ino=$(cat "$dir/user.ino")
check_eq "a user namespace made by nobody: appeared with uid 65534" 1 \
  "$(count "$dir/user.json" "e['event'] == 'appeared' and e['ns'] == $ino and e['uid'] == 65534")"
check_vanished "$dir/user.json" "$ino" "its holder gone: vanished"
stop INT

# --- 5. a closed stdout ends it, and nothing of BPF is left: the programs the watch held (by
# their IDs, from its descriptors) no longer exist once it ended (the kernel frees a closed
# program a little later: that is awaited)
"$XLSNS" --watch -t net 2>/dev/null | head -n 1 >/dev/null
check_eq "| head -n 1: status 0" 0 "${PIPESTATUS[0]}"
watch "$dir/progs" -t net
ids=$(cat /proc/"$W_PID"/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -u)
stop TERM
none_left() {
  local id
  for id in $ids; do bpftool prog show id "$id" >/dev/null 2>&1 && return 1; done
  return 0
}
if [ -n "$ids" ] && wait_until none_left; then
  ok "the watch's BPF programs are gone after it ends ($(echo $ids | wc -w) while it ran)"
else
  not_ok "the watch's BPF programs are gone after it ends"
  diag "held while it ran: ${ids:-none}"
fi
}
if [ "$event_path" = 1 ]; then
  event_path_checks
else
  skip_kernel 15 bpf_lskel "the kernel refuses the BPF loader: no event path"
fi

# --- 6. nobody rescans: a namespace that lives longer than two intervals appears and vanishes
: >"$dir/nobody.json"
chmod 666 "$dir/nobody.json"
"${AS_NOBODY[@]}" "$XLSNS" --watch --interval 0.2 -J -t uts >"$dir/nobody.json" 2>"$dir/nobody.err" &
W_PID=$!
on_exit "kill -KILL $W_PID"
wait_until test -s "$dir/nobody.json"
"${AS_NOBODY[@]}" unshare -Ur --uts sh -c "stat -L -c %i /proc/self/ns/uts; sleep $(scaled 1)" >"$dir/nobody.ino"
ino=$(cat "$dir/nobody.ino")
sleep 1
stop INT
check_eq "as nobody: status 0 after SIGINT" 0 "$STOPPED"
check_eq "as nobody: appeared, by rescanning" 1 \
  "$(count "$dir/nobody.json" "e['event'] == 'appeared' and e['ns'] == $ino")"
check_eq "as nobody: vanished" 1 "$(count "$dir/nobody.json" "e['event'] == 'vanished' and e['ns'] == $ino")"
check "as nobody: one note that short namespaces can be missed" grep -q 'can be missed' "$dir/nobody.err"

# --- 7. bad input: one line, status 1
out=$("$XLSNS" --watch --interval 0 2>&1); rc=$?
check_eq "--interval 0: status 1, one line" "1:xlsns: invalid interval: '0' (seconds, from 0.001 to 86400)" "$rc:$out"
done_testing
