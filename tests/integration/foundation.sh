#!/bin/bash
# The foundation as a user meets it: lib/examples/nsrun, built on the public API, joining the
# namespaces of a real target (a root-mapped user namespace made by util-linux unshare).
. "$(dirname "$0")/lib.sh"
plan 6

start_bg unshare -r -u -p -f --kill-child sleep 60
# -f: the sandbox's program is unshare's child, which writes the ID maps (util-linux 2.38) and
# arms --kill-child before it execs sleep: joined earlier, the namespace maps no one.
sandbox_runs() {
  child=$(awk '{print $1}' "/proc/$BG_PID/task/$BG_PID/children" 2>/dev/null)
  [ -n "$child" ] && comm_is "$child" sleep
}
wait_until sandbox_runs || diag "the sandbox did not start"

out=$("$NSRUN" /proc/$child/ns/user id -u 2>&1); rc=$?
check_eq "nsrun joins a user namespace and runs the command as its root" "0:0" "$rc:$out"

out=$("$NSRUN" /etc/passwd true 2>&1); rc=$?
check_eq "nsrun refuses a file that is no namespace" "1:nsrun: open '/etc/passwd': not a namespace file" "$rc:$out"

out=$("$NSRUN" /proc/$child/ns/user nsutil-no-such-program 2>&1); rc=$?
check_eq "nsrun reports a missing program with 127" \
  "127:nsrun: failed to execute 'nsutil-no-such-program': No such file or directory" "$rc:$out"

out=$("$NSRUN" /proc/999999999/ns/net true 2>&1); rc=$?
check_eq "nsrun names a file that does not exist" \
  "1:nsrun: open '/proc/999999999/ns/net': No such file or directory" "$rc:$out"

if is_root; then
  # LeakSanitizer's exit-time check (sanitizer builds) starts a tracer in the joined PID
  # namespace, where it cannot see nsrun and never ends: leave it out of this one call.
  out=$(ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$NSRUN" /proc/$child/ns/pid sh -c 'echo $$' 2>&1); rc=$?
  check_eq "nsrun forks for a pid namespace: the command is PID 2" "0:2" "$rc:$out"
  out=$("$NSRUN" /proc/$child/ns/uts hostname 2>&1); rc=$?
  check_eq "nsrun joins the sandbox's uts namespace" "0:$(hostname)" "$rc:$out"
else
  out=$("$NSRUN" /proc/$child/ns/pid true 2>&1); rc=$?
  check_eq "without privilege, joining a pid namespace is refused in one line" \
    "1:nsrun: setns '/proc/$child/ns/pid': Operation not permitted" "$rc:$out"
  out=$("$NSRUN" /proc/$child/ns/uts true 2>&1); rc=$?
  check_eq "without privilege, joining a uts namespace is refused in one line" \
    "1:nsrun: setns '/proc/$child/ns/uts': Operation not permitted" "$rc:$out"
fi
done_testing
