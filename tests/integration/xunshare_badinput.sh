#!/bin/bash
# Every kind of bad input: one line on stderr starting "xunshare: " (usage errors add the
# "Try 'xunshare --help'" line), exit status 1, no crash, nothing mounted.
. "$(dirname "$0")/lib.sh"

d=$(scratch)
long=$(head -c 100000 /dev/zero | tr '\0' a)

# bad KIND DESC ARGS...: KIND is "usage" (a Try line follows) or "error" (one line only).
bad() {
  local kind=$1 what=$2 out rc first lines; shift 2
  out=$(timeout 10 "$XUNSHARE" "$@" 2>&1 >/dev/null); rc=$?
  first=$(head -n1 <<<"$out")
  lines=$(printf '%s\n' "$out" | wc -l)
  local want_lines=1
  [ "$kind" = usage ] && want_lines=2
  if [ "$rc" = 1 ] && [[ $first == "xunshare: "* ]] && [ "$lines" = "$want_lines" ] &&
     [ "${#first}" -lt 600 ] && ! printf '%s' "$out" | tr -d '\n' | LC_ALL=C grep -q '[[:cntrl:]]' &&
     { [ "$kind" != usage ] ||
       [ "$(tail -n1 <<<"$out")" = "Try 'xunshare --help' for more information." ]; }; then
    ok "$what"
  else
    not_ok "$what"; diag "status $rc, output: $(head -c 400 <<<"$out")"
  fi
}

bad usage "unknown long option" --bogus true
bad usage "unknown short option" -x true
bad usage "a prefix of several long options" --mou true
bad usage "a prefix of --fork and --forward-signals" --fo true
for opt in --root -R --wd -w --setuid -S --setgid -G --propagation --setgroups --map-user \
           --map-group --map-users --map-groups --owner --monotonic --boottime --load-interp -l; do
  bad usage "missing value for $opt" $opt
done
bad usage "unknown signal" --kill-child=BOGUS true
bad usage "signal 0" --kill-child=0 true
bad usage "signal out of range" --kill-child=65 true
bad usage "non-numeric uid" -S abc true
bad usage "negative uid" -S -1 true
bad usage "uid -1 spelled out" -S 4294967295 true
bad usage "uid out of range" -S 99999999999999 true
bad usage "non-numeric gid" -G 1x true
bad usage "map-user out of range" --map-user=99999999999 true
bad usage "empty map-user" --map-user= true
bad usage "map spec with two fields" --map-users=0:1000 true
bad usage "map spec with count 0" --map-users=0:1000:0 true
bad usage "map spec with letters" --map-groups=a:b:c true
bad usage "map spec that wraps" --map-users=4294967295:0:2 true
bad usage "unknown map keyword" --map-users=everything true
bad usage "owner without gid" --owner=1000 true
bad usage "owner with names" --owner=a:b true
bad usage "--monotonic without -T" --monotonic 5 true
bad usage "--boottime without -T" -u --boottime=5 true
bad usage "non-numeric offset" -T --monotonic=five true
bad usage "unknown propagation" --propagation bogus true
bad usage "unknown setgroups value" --setgroups maybe true
bad usage "setgroups allow with a gid map" --setgroups allow -r true

# A newline and an ESC in an echoed value: one line (and the Try line), escaped as \n and \x1b.
nasty=$'x\n\x1b[31my'
bad usage "--map-users with a newline and ESC" "--map-users=$nasty" true
bad usage "--propagation with a newline and ESC" --propagation "$nasty" true
bad usage "--setgroups with a newline and ESC" --setgroups "$nasty" true
bad usage "--monotonic with a newline and ESC" -T --monotonic "$nasty" true
bad usage "--owner with a newline and ESC" "--owner=$nasty" true
bad usage "--owner uid with a newline and ESC" "--owner=$nasty:0" true
bad usage "-S with a newline and ESC" -S "$nasty" true
bad usage "--kill-child with a newline and ESC" "--kill-child=$nasty" true
bad usage "100 kB --propagation" --propagation "$long" true
bad usage "100 kB --owner" "--owner=$long" true

# Without privilege, -r: a bare EPERM would give its own note line, not the error under test.
U=()
is_root || U=(-r)
if is_root || can_userns; then
  bad error "missing --wd directory" "${U[@]}" -w "$d/missing" true
  bad error "missing --root directory" "${U[@]}" -R "$d/missing" true
  bad error "missing --mount-proc directory" "${U[@]}" --mount-proc="$d/missing" true
  bad error "missing persistence directory" "${U[@]}" --uts="$d/missing/uts" true
  bad error "persistence onto a directory" "${U[@]}" --uts="$d" true
  bad error "100 kB persistence file" "${U[@]}" --uts="$d/$long" true
  bad error "100 kB --wd" "${U[@]}" -w "/$long" true
  bad error "100 kB --root" "${U[@]}" -R "/$long" true
  bad error "100 kB --mount-proc" "${U[@]}" --mount-proc="/$long" true
  bad error "unknown user name" --map-user=nsutil-no-such-user true
  bad error "unknown group name" --map-group=nsutil-no-such-group true
  bad error "a library error on a path with a newline and ESC" "${U[@]}" -w "$d/$nasty" true
else
  skip 12 "no way to create namespaces here"
fi

# Errors after the new PID namespace or the root is made: the sanitizer build's exit-time leak
# check cannot run there (it hung, or aborted with status 1), so nothing may run at exit.
if is_root || can_userns; then
  mkdir "$d/empty"
  ends_like unshare "$XUNSHARE" "-fp: a program that does not exist" "${U[@]}" -fp /nonexistent/cmd
  ends_like unshare "$XUNSHARE" "-fp: a time offset out of range" \
    "${U[@]}" -T --monotonic -2147483649 -fp true
  ends_like unshare "$XUNSHARE" "-R without -f: no program in the new root" "${U[@]}" -R "$d/empty" true
  ends_like unshare "$XUNSHARE" "-fp -R: no program in the new root" "${U[@]}" -fp -R "$d/empty" true
  # Only outside a user namespace is setgroups refused: a check for root alone.
  if is_root; then
    ends_like unshare "$XUNSHARE" "-p: setgroups refused outside a user namespace" \
      --setgroups deny -p true
  fi
else
  skip 4 "no way to create namespaces here"
fi

out=$(timeout 10 "$XUNSHARE" "${U[@]}" -u "$long" 2>&1); rc=$?
check_eq "a 100 kB program name: the status of util-linux" \
  "$(timeout 10 unshare "${U[@]}" -u "$long" >/dev/null 2>&1; echo $?)" "$rc"
check "... with a shortened one-line message" [ "$(wc -l <<<"$out")" = 1 ] && [ "${#out}" -lt 600 ]
check_eq "nothing was left mounted" 0 "$(findmnt -rn -o TARGET | grep -cF "$d")"

plan $_tap_n
done_testing
