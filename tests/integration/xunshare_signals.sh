#!/bin/bash
# Ctrl+C and kill(1) against a PID namespace: util-linux's -fp ignores both (the program is
# PID 1 and has no handler); xunshare ends it. Signals passed on with and without
# --forward-signals. Also --kill-child and --init.
. "$(dirname "$0")/lib.sh"

U=()
if ! is_root; then
  can_userns || skip_all "unprivileged user namespaces are disabled"
  U=(-r)
fi
command -v script >/dev/null || skip_all "script(1) is missing"
d=$(scratch)

# Ctrl+C is typed once the program runs (ON_TTY_READY): a loaded machine can take longer than
# half a second to start it, and a Ctrl+C before that reaches only the shell around it.
ready_sleep=(sh -c 'echo ready >"$0"; exec sleep "$1"')
ON_TTY_READY="$d/ours-ready" on_tty 2 "$d/ours" "$XUNSHARE" "${U[@]}" -fp --mount-proc \
  "${ready_sleep[@]}" "$d/ours-ready" "$(scaled 5)"
check_eq "Ctrl+C ends xunshare -fp --mount-proc sleep (as death by SIGINT)" 130 "$(rc_of "$d/ours")"
check "... within a second of the Ctrl+C" [ "$(after_ctrlc_of "$d/ours")" -lt "$(scaled 1000)" ]
ON_TTY_READY="$d/theirs-ready" on_tty 2.5 "$d/theirs" unshare "${U[@]}" -fp --mount-proc \
  "${ready_sleep[@]}" "$d/theirs-ready" "$(scaled 2)"
check "util-linux unshare -fp ignores Ctrl+C (runs the full 2 s)" \
  [ "$(ms_of "$d/theirs")" -ge "$(scaled 1900)" ]

# A program with a handler gets a Ctrl+C once, not once from the terminal and once forwarded.
# Ctrl+C is typed once the handler is in place (ON_TTY_READY), which a loaded machine delays.
ON_TTY_READY="$d/once-ready" on_tty 2 "$d/once" "$XUNSHARE" "${U[@]}" -fp bash -c \
  'n=0; trap "n=\$((n+1))" INT; echo ready >"$1"; sleep "$0" & wait; wait; exit $((40+n))' \
  "$(scaled 1)" "$d/once-ready"
check_eq "a handled Ctrl+C arrives exactly once" 41 "$(rc_of "$d/once")"

ON_TTY_READY="$d/init-ready" on_tty 2 "$d/init" "$XUNSHARE" "${U[@]}" --init --mount-proc \
  "${ready_sleep[@]}" "$d/init-ready" "$(scaled 5)"
check_eq "Ctrl+C ends --init sleep" 130 "$(rc_of "$d/init")"
check "... within a second of the Ctrl+C" [ "$(after_ctrlc_of "$d/init")" -lt "$(scaled 1000)" ]

# Signals sent to xunshare. Background jobs of a script start with SIGINT and SIGQUIT ignored;
# env --default-signal undoes that, as an interactive shell would have it.
for sig in TERM INT HUP QUIT; do
  num=$(kill -l "$sig")
  env --default-signal=INT,QUIT "$XUNSHARE" "${U[@]}" -fp sleep "$(scaled 5)" &
  pid=$!
  wait_until pgrep -P "$pid" >/dev/null
  kid=$(pgrep -P "$pid") || diag "xunshare (PID $pid) had not started its program when signalled"
  kill -s "$sig" "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  wait "$pid"; rc=$?
  check_eq "SIG$sig to xunshare -fp ends it as death by SIG$sig" $((128 + num)) "$rc"
  check "... and the program with it" [ ! -e "/proc/$kid" ] || grep -q '^State:.Z' "/proc/$kid/status"
done

# util-linux -fp: SIGTERM to unshare does nothing.
unshare "${U[@]}" -fp sleep "$(scaled 30)" 2>/dev/null &
pid=$!
sleep 0.3
kill -TERM "$pid"
sleep 0.5
check "util-linux unshare -fp ignores SIGTERM" kill -0 "$pid"
wait_until pgrep -P "$pid" >/dev/null
kill -KILL "$(pgrep -P "$pid")"  # the namespace's init: SIGKILL from outside ends it
wait "$pid"

# A program that handles SIGTERM gets it once and decides itself.
"$XUNSHARE" "${U[@]}" -fp bash -c \
  'n=0; trap "n=\$((n+1))" TERM; sleep "$0" & wait; wait; exit $((50+n))' "$(scaled 1)" &
pid=$!
sleep 0.5
kill -TERM "$pid"
wait "$pid"
check_eq "a handled SIGTERM is passed on exactly once" 51 "$?"

# --init: the program runs as PID 2 and gets signals passed on by PID 1.
check_eq "--init runs the program as PID 2" 2 "$(timeout 10 "$XUNSHARE" "${U[@]}" --init sh -c 'echo $$')"
check_eq "--init exits with the program's status" 7 "$(timeout 10 "$XUNSHARE" "${U[@]}" --init sh -c 'exit 7' >/dev/null; echo $?)"
check_eq "--init passes death by a signal on" 143 "$(timeout 10 "$XUNSHARE" "${U[@]}" --init sh -c 'kill -TERM $$' >/dev/null; echo $?)"
out=$(timeout 10 "$XUNSHARE" "${U[@]}" --init --mount-proc \
  sh -c 'sh -c "sleep 0.2 &"; sleep "$0"; ps -o stat= | grep -c Z' "$(scaled 0.5)")
check_eq "--init reaps orphans (no zombies)" 0 "$out"
"$XUNSHARE" "${U[@]}" --init sleep "$(scaled 5)" &
pid=$!
sleep 0.3
kill -TERM "$pid"
wait "$pid"
check_eq "SIGTERM to xunshare --init ends the program" 143 "$?"

# --forward-signals (util-linux 2.42): there, unshare --fork passes SIGTERM and SIGINT on only
# with the option, and without it blocks them and passes nothing. xunshare passes SIGINT,
# SIGTERM, SIGHUP and SIGQUIT on with or without it (man page, --forward-signals). As in
# util-linux's own test (unshare/forward-signals), the program exits with the number of the
# signal it caught: 15 for SIGTERM, also with --kill-child.
# caught SIG OPTION...: runs xunshare OPTION... with such a program, sends SIG to xunshare once
# the program's traps are set, and prints xunshare's exit status.
caught() {
  local sig=$1 flag pid; shift
  flag=$(mktemp -u "$d/ready.XXXXXX")
  # A script's background job starts with SIGINT and SIGQUIT ignored, which a shell cannot trap.
  env --default-signal=INT,QUIT "$XUNSHARE" "$@" sh -c '
    for s in 1:HUP 2:INT 3:QUIT 15:TERM; do trap "kill \$p; exit ${s%:*}" "${s#*:}"; done
    sleep 5 & p=$!; : >"$1"; wait' _ "$flag" &
  pid=$!
  for _ in $(seq 50); do [ -e "$flag" ] && break; sleep 0.1; done
  kill -s "$sig" "$pid"
  wait "$pid"
  echo $?
}
for opt in "" --forward-signals; do
  for mode in -f "-fp --mount-proc"; do
    for sig in TERM INT HUP QUIT; do
      # shellcheck disable=SC2086
      check_eq "SIG$sig to xunshare $mode${opt:+ $opt} reaches the program, which handles it" \
        "$(kill -l "$sig")" "$(caught "$sig" "${U[@]}" $mode $opt)"
    done
  done
done
check_eq "SIGTERM with --forward-signals --kill-child (util-linux's second test)" 15 \
  "$(caught TERM "${U[@]}" -p --mount-proc --forward-signals --kill-child)"
ON_TTY_READY="$d/fwd-ready" on_tty 2 "$d/fwd" "$XUNSHARE" "${U[@]}" --forward-signals bash -c \
  'n=0; trap "n=\$((n+1))" INT; echo ready >"$1"; sleep "$0" & wait; wait; exit $((40+n))' \
  "$(scaled 1)" "$d/fwd-ready"
check_eq "with --forward-signals a handled Ctrl+C still arrives once (util-linux: twice)" 41 \
  "$(rc_of "$d/fwd")"
if unshare --forward-signals -f true 2>/dev/null; then
  diag "util-linux unshare has --forward-signals: compare it here"
else
  diag "util-linux $(unshare --version | awk '{print $NF}') has no --forward-signals (2.42)"
fi

# --kill-child: the program dies with xunshare, even when xunshare is SIGKILLed.
for opt in --kill-child --kill-child=TERM; do
  "$XUNSHARE" "${U[@]}" $opt sleep 30 &
  pid=$!
  wait_until pgrep -P "$pid" >/dev/null
  kid=$(pgrep -P "$pid") || diag "xunshare (PID $pid) had not started its program when signalled"
  kill -KILL "$pid"; wait "$pid" 2>/dev/null
  sleep 0.3
  check "$opt: the program dies when xunshare is killed" \
    sh -c "[ ! -e /proc/$kid ] || grep -q '^State:.Z' /proc/$kid/status"
done
"$XUNSHARE" "${U[@]}" -f sleep "$(scaled 3)" &
pid=$!
wait_until pgrep -P "$pid" >/dev/null
kid=$(pgrep -P "$pid")
kill -KILL "$pid"; wait "$pid" 2>/dev/null
check "without --kill-child the program lives on" kill -0 "$kid"
kill "$kid" 2>/dev/null

plan $_tap_n
done_testing
