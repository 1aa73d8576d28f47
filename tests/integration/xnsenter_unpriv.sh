#!/bin/bash
# xnsenter as an unprivileged user, against util-linux nsenter: entering a rootless sandbox
# (`unshare -r -n -u`), the EPERM cases and their hints, and bad input. As root, the
# unprivileged side runs as nobody through setpriv; as nobody (CI), it runs directly.
. "$(dirname "$0")/lib.sh"
command -v nsenter >/dev/null || skip_all "util-linux nsenter is not installed"
AS=()
is_root && AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
"${AS[@]}" unshare -r true 2>/dev/null || skip_all "unprivileged user namespaces are disabled"
plan 42

T=10
d=$(scratch)
chmod 777 "$d"
start_bg "${AS[@]}" unshare -r -n -u sh -c "hostname nsutil-sandbox; echo ready > $d/ready; exec sleep 300" >/dev/null
P=$BG_PID
for _ in $(seq 100); do [ -s "$d/ready" ] && break; sleep 0.05; done
check "the sandbox is up" [ -s "$d/ready" ]

# as NAME ARGS...: runs `NAME ARGS` unprivileged; prints output, then ":status".
as() { local out; out=$(timeout $T "${AS[@]}" "$@" 2>&1); echo "$out:$?"; }
as_out() { local out; out=$(timeout $T "${AS[@]}" "$@" 2>/dev/null); echo "$out:$?"; }
same() {
  local what=$1; shift
  check_eq "$what: same as nsenter" "$(as_out nsenter "$@")" "$(as_out "$XNSENTER" "$@")"
}
# matches STRING PATTERN: a glob match, usable with check.
matches() { [[ $1 == $2 ]]; }
links='readlink /proc/self/ns/user /proc/self/ns/net /proc/self/ns/uts'

same "-U --preserve-credentials" -t "$P" -U --preserve-credentials id -u
same "-U -n -u --preserve-credentials" -t "$P" -U -n -u --preserve-credentials sh -c "hostname; $links"
same "--user=FILE --net=FILE --preserve-credentials" --user=/proc/$P/ns/user --net=/proc/$P/ns/net \
  --preserve-credentials $links
same "-U -S 0 --preserve-credentials" -t "$P" -U -S 0 --preserve-credentials id -u

out=$(as "$XNSENTER" -t "$P" -U id)
check "-U without --preserve-credentials: setgroups is denied, the hint says what to do" \
  matches "$out" "xnsenter: setgroups: not permitted in this user namespace*use --preserve-credentials*:1"
check_eq "... and nsenter fails there too" ":1" "$(as_out nsenter -t "$P" -U id)"
out=$(as "$XNSENTER" -t "$P" -n true)
check "-n without -U: EPERM in words" \
  matches "$out" "xnsenter: setns '/proc/$P/ns': Operation not permitted*with -U) ?net?:1"
check_eq "... and nsenter fails there too" ":1" "$(as_out nsenter -t "$P" -n true)"

# Addition: -a skips the namespaces the caller shares with the target, which nsenter tries to
# re-enter and fails on (EPERM on the host's cgroup namespace).
out=$(as_out "$XNSENTER" -t "$P" -a --preserve-credentials sh -c "hostname; $links")
check_eq "-a works on a rootless sandbox" "$(as_out nsenter -t "$P" -U -n -u --preserve-credentials sh -c "hostname; $links")" "$out"
out=$(as "$XNSENTER" -t "$P" --user-parent true)
check "--user-parent naming one's own user namespace is explained" \
  matches "$out" "xnsenter: --user-parent*its parent is your own user namespace*:1"
out=$(as "$XNSENTER" -t 1 -n true)
check "a target whose namespaces cannot be read" \
  matches "$out" "xnsenter: open '/proc/1/ns/net': cannot read the namespaces of process 1*:1"
check "--keep-caps keeps capabilities across exec in the user namespace" \
  [ "$(timeout $T "${AS[@]}" "$XNSENTER" -t "$P" -U --preserve-credentials -S 1 --keep-caps \
      sh -c 'grep CapAmb /proc/self/status' 2>&1 | awk '{print $2}')" != 0000000000000000 ]

# --X=:NSID: the sandbox's namespaces by ID. Whether the kernel opens them for their owner from
# outside depends on the 6.18 release (lib.sh, OPENS_BY_ID); inside, any release does.
user_id=$(ns_id /proc/$P/ns/user)
net_id=$(ns_id /proc/$P/ns/net)
uts_id=$(ns_id /proc/$P/ns/uts)
if [ -n "$user_id" ] && [ -n "$net_id" ] && [ -n "$uts_id" ]; then
  by_id=(--user=:$user_id --net=:$net_id --uts=:$uts_id --preserve-credentials sh -c "hostname; $links")
  if "${AS[@]}" "${OPENS_BY_ID[@]}" /proc/$P/ns/net; then
    check_eq "--user=:NSID --net=:NSID --uts=:NSID enter the sandbox" \
      "$(as_out nsenter -t "$P" -U -n -u --preserve-credentials sh -c "hostname; $links")" \
      "$(as_out "$XNSENTER" "${by_id[@]}")"
  else
    check_eq "--user=:NSID from outside: the kernel's refusal in words" \
      "xnsenter: $(by_id_refusal "$user_id"):1" \
      "$(as "$XNSENTER" "${by_id[@]}")"
  fi
  check_eq "inside the sandbox, --net=:NSID opens the namespace it is in" \
    "$(readlink /proc/$P/ns/net):0" \
    "$(as_out "$XNSENTER" -t "$P" -U -n --preserve-credentials "$XNSENTER" --net=:$net_id readlink /proc/self/ns/net)"
  out=$(as "$XNSENTER" --net=:18446744073709551615 true)
  check "an ID that names no namespace is said so" \
    matches "$out" "xnsenter: open ':18446744073709551615': no namespace with ID 18446744073709551615*:1"
else
  out=$(as "$XNSENTER" --net=:7 true)
  check_eq "without NS_GET_ID (Linux 6.18), an ID is refused in words" \
    "xnsenter: open ':7': opening a namespace by ID needs Linux 6.18 (namespace IDs and nsfs file handles):1" "$out"
  skip_kernel 2 ns_get_id "no NS_GET_ID (Linux 6.18)"
fi

# -N FD: the holder makes a socket in its sandbox's network namespace, then moves to a new one
# (of the same user namespace), so its own network namespace is not the socket's.
yama=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
if ! command -v python3 >/dev/null; then
  skip 4 "python3 is missing"
elif [ "$yama" -gt 0 ]; then
  skip 4 "Yama ptrace_scope is $yama: pidfd_getfd needs ptrace attach rights over the holder"
else
  start_bg "${AS[@]}" unshare -r -n "${WITH_SOCKET9[@]}" \
    sh -c "readlink /proc/self/ns/net >$d/socket-net; exec unshare -n sleep 300" >/dev/null
  S=$BG_PID
  wait_until comm_is "$S" sleep
  want=$(cat "$d/socket-net")
  check "the socket holder has left the socket's network namespace" \
    [ -n "$want" -a "$(readlink /proc/$S/ns/net)" != "$want" ]
  check_eq "-U -N FD enters the namespace of the socket, not of the target" "$want:0" \
    "$(as_out "$XNSENTER" -t "$S" -U -N 9 --preserve-credentials readlink /proc/self/ns/net)"
  check_eq "-N on a descriptor that is no socket" \
    "xnsenter: ioctl SIOCGSKNS 'socket 1 of process $S': not a socket:1" \
    "$(as "$XNSENTER" -t "$S" -U -N 1 --preserve-credentials true)"
  check_eq "-N on a descriptor the target does not have" \
    "xnsenter: pidfd_getfd 'socket 77 of process $S': the process has no such descriptor:1" \
    "$(as "$XNSENTER" -t "$S" -U -N 77 --preserve-credentials true)"
fi

# --user-parent: the parent of the target's user namespace, which no process is in.
start_userns_chain "$d/middle" "${AS[@]}"
N=$BG_PID
middle=$(cat "$d/middle")
check "the nested target is not in the middle user namespace" \
  [ -n "$middle" -a "$(readlink /proc/$N/ns/user)" != "$middle" ]
check_eq "-t PID -U --user-parent enters the middle one" "$middle:0" \
  "$(as_out "$XNSENTER" -t "$N" -U --user-parent --preserve-credentials readlink /proc/self/ns/user)"

# Bad input: one line on stderr starting "xnsenter: " (two with the "Try" line for usage errors),
# status 1, no crash.
long=$(head -c 100000 /dev/zero | tr '\0' a)
bad() {
  local what=$1 err rc lines; shift
  err=$(timeout $T "$XNSENTER" "$@" 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s\n' "$err" | wc -l)
  if [ "$rc" = 1 ] && [[ $err == "xnsenter: "* ]] && [ "$lines" -le 2 ] && [ ${#err} -lt 600 ]; then
    ok "bad input: $what"
  else
    not_ok "bad input: $what"; diag "status $rc, $lines lines: ${err:0:300}"
  fi
}
bad "unknown option" --bogus true
bad "unknown short option" -x true
bad "missing PID" -t
bad "non-numeric PID" -t abc -n true
bad "PID 0" -t 0 -n true
bad "negative PID" -t -5 -n true
bad "PID that does not exist" -t 4194304 -n true
bad "neither PID nor file" -n true
bad "namespace file that does not exist" --net=/nonexistent/nsutil true
bad "file that is not a namespace" --net=/etc/passwd true
bad "namespace of the wrong type" --net=/proc/self/ns/uts true
bad "missing directory for -w" -t $$ -w/nonexistent/nsutil true
bad "missing directory for -r" -t $$ -r/nonexistent/nsutil true
bad "bad -S" -S abc true
bad "bad -G" -G -1 true
bad "path of 100 kB" --net=/$long true
bad "PID of 100 kB" -t $long
bad "-w with -W" -t $$ -w -W true
bad "namespace ID that is no number" --net=:abc true
bad "empty namespace ID" -n: true
done_testing
