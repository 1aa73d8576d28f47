#!/bin/bash
# xnsenter -Z/--follow-context. Where SELinux is on (the kernel matrix's SELinux guest,
# `tests/vm/run --selinux`, which sets NSUTIL_TESTS_SELINUX=1): the program runs in the target's
# context, not the caller's, as with util-linux nsenter. Where it is off: -Z does nothing, with
# nsenter's status and output. Everywhere: libselinux is mapped only by a run that passes -Z.
. "$(dirname "$0")/lib.sh"
is_root || skip_all "needs root (entering another process's namespaces)"
command -v nsenter >/dev/null || skip_all "util-linux nsenter is not installed"
plan 10

T=10
# says TEXT DESCRIPTION ARGS...: xnsenter ARGS fails (status 1) with TEXT in its one line.
says() {
  local text=$1 what=$2 out rc; shift 2
  out=$(timeout $T "$XNSENTER" "$@" 2>&1 >/dev/null); rc=$?
  if [ "$rc" = 1 ] && [[ $out == "xnsenter: "*"$text"* ]]; then ok "$what"; else
    not_ok "$what"; diag "status $rc, output: $out"; fi
}
# libselinux's own rule (is_selinux_enabled): selinuxfs mounted and /etc/selinux/config present.
selinux_on() { grep -q ' /sys/fs/selinux selinuxfs ' /proc/mounts && [ -e /etc/selinux/config ]; }
# The SELinux context of process $1 (the file ends with a NUL).
context_of() { tr -d '\0' <"/proc/$1/attr/current"; }
# maps_selinux ARGS...: whether a running `xnsenter ARGS... sleep` (which forks and waits, so
# that xnsenter itself stays) has libselinux mapped.
maps_selinux() {
  local pid rc
  "$XNSENTER" "$@" sleep "$(scaled 30)" &
  pid=$!
  wait_until pgrep -P "$pid" >/dev/null || { kill -KILL "$pid"; wait "$pid"; return 2; }
  grep -q 'libselinux\.so' "/proc/$pid/maps"
  rc=$?
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null
  return $rc
}

if selinux_on; then
  # The target runs in another domain than ours: initrc_t, which the reference policy has.
  start_bg runcon -t initrc_t sleep "$(scaled 300)"
  P=$BG_PID
  wait_until comm_is "$P" sleep || { diag "the target did not start"; exit 1; }
  ours=$(context_of self)
  theirs=$(context_of "$P")
  diag "SELinux $(cat /sys/fs/selinux/enforce 2>/dev/null | sed 's/1/enforcing/; s/0/permissive/'); our context $ours; the target's $theirs"
  check "the target runs in another context than ours" [ -n "$theirs" ] && [ "$theirs" != "$ours" ]
  check_eq "-Z -t PID -u: the program runs in the target's context" \
    "$theirs" "$(timeout $T "$XNSENTER" -Z -t "$P" -u sh -c 'tr -d "\0" </proc/self/attr/current')"
  check_eq "-Z -t PID -p (a forked child): the program runs in the target's context" \
    "$theirs" "$(timeout $T "$XNSENTER" -Z -t "$P" -p sh -c 'tr -d "\0" </proc/self/attr/current')"
  check_eq "without -Z: the program runs in ours" \
    "$ours" "$(timeout $T "$XNSENTER" -t "$P" -u sh -c 'tr -d "\0" </proc/self/attr/current')"
  same "-Z -t PID -u" -Z -t "$P" -u sh -c 'tr -d "\0" </proc/self/attr/current'
  same "-Z --follow-context -t PID -p" --follow-context -t "$P" -p sh -c 'tr -d "\0" </proc/self/attr/current'
  # Without a target there is no context to follow: refused, as nsenter refuses.
  same "-Z with a namespace file and no target" -Z --uts=/proc/self/ns/uts true
  says "--follow-context: needs a target PID" "-Z with no target names the option" \
    -Z --uts=/proc/self/ns/uts true
else
  if [ "${NSUTIL_TESTS_SELINUX:-0}" = 1 ]; then
    diag "NSUTIL_TESTS_SELINUX=1, but SELinux is off here (selinuxfs: $(grep -c selinuxfs /proc/mounts) mounts, /etc/selinux/config: $([ -e /etc/selinux/config ] && echo present || echo absent))"
    for i in $(seq 8); do not_ok "SELinux must be on here"; done
  else
    start_bg unshare -u sh -c "hostname nsutil-z-$$; exec sleep $(scaled 300)"
    P=$BG_PID
    wait_until comm_is "$P" sleep || { diag "the target did not start"; exit 1; }
    same "SELinux off: -Z -t PID -u hostname" -Z -t "$P" -u hostname
    same "SELinux off: --follow-context -t PID -p" --follow-context -t "$P" -p hostname
    same "SELinux off: -Z with a namespace file and no target" -Z --uts="/proc/$P/ns/uts" hostname
    same "SELinux off: -Z and a namespace without its source" -Z -u true
    same "SELinux off: -Z -t PID -F -u (no fork)" -Z -t "$P" -F -u hostname
    check_eq "SELinux off: -Z -t PID -u hostname runs the program" "nsutil-z-$$" \
      "$("$XNSENTER" -Z -t "$P" -u hostname)"
    same "SELinux off: -Z -t PID -a" -Z -t "$P" -a hostname
    says "no namespace specified" \
      "SELinux off: -Z alone is refused for choosing no namespace (util-linux 2.41)" -Z true
  fi
fi

# libselinux is loaded on first use: a run without -Z never maps it, one with -Z does.
maps_selinux -t $$ -p
check "a run without -Z does not map libselinux" [ $? = 1 ]
maps_selinux -Z -t $$ -p
rc=$?
if ldconfig -p | grep -q 'libselinux\.so\.1 '; then
  check "a run with -Z maps libselinux" [ $rc = 0 ]
else
  check "a run with -Z, where libselinux is not installed, maps none" [ $rc = 1 ]
fi
done_testing
