#!/bin/bash
# The foundation as a user meets it: the example program built on the public API.
. "$(dirname "$0")/lib.sh"
plan 4

out=$("$NSRUN" /proc/self/ns/uts true 2>&1); rc=$?
check_eq "nsrun joins a namespace and runs the command" "0:" "$rc:$out"

out=$("$NSRUN" /etc/passwd true 2>&1); rc=$?
check_eq "nsrun refuses a file that is no namespace" "1:nsrun: open '/etc/passwd': not a namespace file" "$rc:$out"

out=$("$NSRUN" /proc/self/ns/net nsutil-no-such-program 2>&1); rc=$?
check_eq "nsrun reports a missing program with 127" \
  "127:nsrun: failed to execute 'nsutil-no-such-program': No such file or directory" "$rc:$out"

out=$("$NSRUN" /proc/$$/ns/pid sh -c 'echo $$' 2>&1); rc=$?
check "nsrun forks for a pid namespace" [ "$rc" = 0 -a -n "$out" ]
done_testing
