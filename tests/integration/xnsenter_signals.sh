#!/bin/bash
# Signals while xnsenter waits for the program it forked into a PID namespace: one sent to
# xnsenter alone is passed on once, one the terminal sends to the whole process group is not
# passed on again, and xnsenter exits with the program's status. util-linux nsenter passes
# nothing on (it dies of the signal), so there is nothing to compare with.
. "$(dirname "$0")/lib.sh"

if is_root; then
  U=()
  E=(-p)
else
  can_userns || skip_all "unprivileged user namespaces are disabled"
  U=(-r)
  E=(-U -p --preserve-credentials)
fi
command -v script >/dev/null || skip_all "script(1) is missing"
plan 3
d=$(scratch)

start_bg unshare "${U[@]}" -fp --kill-child sleep 300 >/dev/null
wait_until pgrep -P "$BG_PID" >/dev/null
P=$(pgrep -P "$BG_PID")

# The program counts SIGINT and SIGTERM in a handler and exits with 40 + the count once its
# sleep ends; the sleep runs under setsid(), outside our process group, so a signal to our group
# does not end it early.
# It writes $1 when its handler is in place.
prog='n=0; trap "n=\$((n+1))" INT TERM; setsid sleep '$(scaled 1.5)' & echo ready >"$1"
until wait; do :; done; exit $((40 + n))'

# Background jobs of a script start with SIGINT ignored, which the program would inherit and
# could not trap; env --default-signal undoes that, as an interactive shell would have it.
for sig in INT TERM; do
  rm -f "$d/ready"
  env --default-signal=INT "$XNSENTER" -t "$P" "${E[@]}" bash -c "$prog" prog "$d/ready" &
  x=$!
  wait_until [ -s "$d/ready" ]
  kill -s "$sig" "$x"
  wait "$x"
  check_eq "SIG$sig to xnsenter alone: the handler runs once, xnsenter exits with its status" \
    41 "$?"
done

# Ctrl+C on a terminal goes to the whole foreground group, xnsenter and the program alike (the
# kernel sends it, SI_KERNEL); passing it on as well would run the handler twice. Whether a
# second one is merged with the first while pending is a race, hence three rounds.
rcs=
for i in 1 2 3; do
  ON_TTY_READY="$d/ready-tty$i" on_tty 3 "$d/tty$i" "$XNSENTER" -t "$P" "${E[@]}" \
    bash -c "$prog" prog "$d/ready-tty$i"
  rcs+="$(rc_of "$d/tty$i") "
done
check_eq "Ctrl+C, three times: the handler runs once, xnsenter exits with its status" \
  "41 41 41 " "$rcs"
# Not covered: `kill -INT -- -PGID` from another process also reaches the whole group, but as
# SI_USER, which xnsenter cannot tell from a signal sent to it alone; it passes it on, and the
# handler then runs once or twice depending on whether the two were merged while pending.
done_testing
