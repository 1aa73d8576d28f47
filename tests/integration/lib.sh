# Shared helpers for the integration scripts (TAP output, bash).
#
# Every script: `. "$(dirname "$0")/lib.sh"`, then `plan N`, then checks. Programs come from the
# environment (XUNSHARE, XNSENTER, XLSNS, NSRUN), set by meson to the built binaries.
# Resources are registered with `on_exit CMD...` and released in reverse order on any exit.
# NSUTIL_TESTS_MUST_WORK=1 turns every skip into a failure.

set -u
_tap_n=0
_tap_failed=0
_cleanup=()

plan() { echo "1..$1"; }

on_exit() { _cleanup+=("$*"); }
_run_cleanup() {
  local i
  for ((i = ${#_cleanup[@]} - 1; i >= 0; i--)); do eval "${_cleanup[i]}" >/dev/null 2>&1 || true; done
}
trap '_run_cleanup' EXIT
trap 'exit 130' INT TERM

ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() {
  _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
  echo "not ok $_tap_n - $*"
}
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds.
check() {
  local what=$1; shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else
    not_ok "$1"; diag "expected: $(printf %q "$2")"; diag "actual:   $(printf %q "$3")"
  fi
}
diag() { echo "# $*"; }

# Durations in the scripts are stretched by NSUTIL_TEST_TIME_SCALE (tests/vm sets it: programs
# start many times slower under qemu's TCG, and a delay meant to let one get ready, or a limit
# meant to catch a hang, must not be outrun by a slow start). `scaled N` prints N stretched, for
# durations inside the commands a test runs; `sleep` and `timeout` stretch their own.
scaled() { awk -v d="$1" -v s="${NSUTIL_TEST_TIME_SCALE:-1}" 'BEGIN {print d * s}'; }
sleep() { command sleep "$(scaled "$1")"; }
timeout() {
  local limit=$1; shift
  command timeout "$(scaled "$limit")" "$@"
}

must_work() { [ "${NSUTIL_TESTS_MUST_WORK:-0}" = 1 ]; }
# skip N REASON: skip the next N checks (a failure under NSUTIL_TESTS_MUST_WORK=1).
skip() {
  local n=$1 i; shift
  for ((i = 0; i < n; i++)); do
    _tap_n=$((_tap_n + 1))
    if must_work; then _tap_failed=$((_tap_failed + 1)); echo "not ok $_tap_n - skipped, but must work: $*"
    else echo "ok $_tap_n # SKIP $*"; fi
  done
}
# skip_kernel N FEATURE REASON: skip the next N checks because the kernel lacks FEATURE (a name
# from tests/vm/kernels), as the caller probed. A failure under NSUTIL_TESTS_MUST_WORK=1 unless
# NSUTIL_TESTS_KERNEL_SKIPS (set by tests/vm/run) allows this kernel to lack it.
skip_kernel() {
  local n=$1 feature=$2 i; shift 2
  case ",${NSUTIL_TESTS_KERNEL_SKIPS:-}," in
    *",$feature,"*)
      for ((i = 0; i < n; i++)); do
        _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $feature: $* (allowed on this kernel)"
      done ;;
    *) skip "$n" "$feature: $*" ;;
  esac
}
# skip_all REASON: the whole script cannot run here.
skip_all() {
  if must_work; then echo "1..1"; echo "not ok 1 - skipped, but must work: $*"; exit 1; fi
  echo "1..0 # SKIP $*"; exit 0
}

is_root() { [ "$(id -u)" = 0 ]; }
can_userns() { unshare -U true 2>/dev/null; }

# "${AS_NOBODY[@]}" CMD...: runs CMD as nobody, the other user of the scripts root runs.
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
# against_nobody WHY UNSHARE-FLAGS: a script of root's (WHY: what for) against nobody, who runs
# Debian's python3 (by its path: nobody may not run a python3 found earlier in root's PATH) and
# makes the namespaces of `unshare UNSHARE-FLAGS`: skips the whole script when one cannot.
against_nobody() {
  is_root || skip_all "needs root ($1)"
  [ -x /usr/bin/python3 ] || skip_all "python3 is not installed"
  "${AS_NOBODY[@]}" unshare "$2" true 2>/dev/null || skip_all "nobody cannot run unshare $2 here"
}

# scratch: a fresh directory removed on exit (with whatever is mounted below it). Used as
# d=$(scratch), which runs in a subshell, so the cleanup is not registered there: every directory
# with this script's prefix is removed by the main shell's exit trap, after all other cleanups.
_scratch_prefix=/tmp/nsutil-it.$$.
scratch() { mktemp -d "${_scratch_prefix}XXXXXX"; }
_cleanup_scratch() {
  local d
  for d in "$_scratch_prefix"*; do
    [ -d "$d" ] || continue
    findmnt -rn -o TARGET | grep -F "$d" | sort -r | xargs -r -n1 umount -l
    rm -rf "$d"
  done
}
_cleanup+=(_cleanup_scratch)

# status CMD...: runs CMD and prints its exit status (stdout and stderr discarded).
status() { "$@" >/dev/null 2>&1; echo $?; }

# ends_like ORACLE PROGRAM DESCRIPTION ARGS...: PROGRAM with ARGS ends within 20 s, with the exit
# status of ORACLE (util-linux's program) with the same ARGS, one line on stderr starting with
# "PROGRAM's name: ", and no process of its run left (each carries a mark in its environment). A
# hang fails (timeout's 124 or 137) rather than blocks.
ends_like() {
  local oracle=$1 prog=$2 what=$3 mark want out rc left; shift 3
  mark="NSUTIL_ENDS_LIKE=$$.$_tap_n"
  want=$(status timeout 20 "$oracle" "$@")
  out=$(command timeout -k 5 "$(scaled 20)" env "$mark" "$prog" "$@" 2>&1 >/dev/null); rc=$?
  left=$(grep -lzxF "$mark" /proc/[0-9]*/environ 2>/dev/null)
  if [ "$rc" = "$want" ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
     [[ $out == "${prog##*/}: "* ]] && [ -z "$left" ]; then
    ok "$what"
  else
    not_ok "$what"
    diag "status $rc (util-linux: $want), left: ${left:-nothing}, output: $(head -c 400 <<<"$out")"
  fi
}

# both ARGS...: runs util-linux nsenter and xnsenter with ARGS, each within $T s (default 10);
# sets UL and OURS to "output:status". same DESCRIPTION ARGS...: a check that the two are equal.
both() {
  UL="$(timeout "${T:-10}" nsenter "$@" 2>/dev/null; echo ":$?")"
  OURS="$(timeout "${T:-10}" "$XNSENTER" "$@" 2>/dev/null; echo ":$?")"
}
same() { local what=$1; shift; both "$@"; check_eq "$what: same as nsenter" "$UL" "$OURS"; }

# like_unshare DESC ARGS...: the same stdout and exit status from "${X[@]}" ARGS (xunshare) and
# "${UL[@]}" ARGS (util-linux unshare), arrays the script sets; when util-linux complains,
# xunshare does too (in its own words: one line, "xunshare: ").
like_unshare() {
  local what=$1 ours theirs ours_err theirs_err e; shift
  e=$(mktemp); on_exit "rm -f '$e'"
  ours=$(timeout 20 "${X[@]}" "$@" 2>"$e" </dev/null; echo "rc=$?"); ours_err=$(head -c 300 "$e")
  theirs=$(timeout 20 "${UL[@]}" "$@" 2>"$e" </dev/null; echo "rc=$?"); theirs_err=$(head -c 300 "$e")
  if [ -n "$theirs_err" ] && [[ $theirs_err == unshare:* ]] && [[ $ours_err != xunshare:* ]]; then
    not_ok "$what"; diag "util-linux said: $theirs_err"; diag "xunshare said: $ours_err"; return
  fi
  check_eq "$what" "$theirs" "$ours"
}

# start_bg CMD...: starts CMD in the background, sets BG_PID, and kills it on exit.
start_bg() {
  "$@" &
  BG_PID=$!
  on_exit "kill -KILL $BG_PID; wait $BG_PID"
}

# wait_until CMD...: retries CMD until it succeeds, for up to 10 s (scaled); when it never does,
# says so on stderr and fails. A deadline, not a count of tries: under qemu each try is a
# program started, which a loaded machine can make seconds long.
wait_until() {
  local limit now deadline
  limit=$(scaled 10)
  now=${EPOCHREALTIME/./}
  deadline=$((now + $(awk -v t="$limit" 'BEGIN {printf "%d", t * 1e6}')))
  until "$@" 2>/dev/null; do
    now=${EPOCHREALTIME/./}
    if ((now >= deadline)); then
      echo "# gave up waiting, after $limit s, for: $*" >&2
      return 1
    fi
    sleep 0.05
  done
}
# comm_is PID NAME: process PID runs NAME (after its exec).
comm_is() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }

# start_userns_chain FILE [PREFIX...]: starts `PREFIX unshare -U -r ... unshare -U -r sleep`,
# a process two user namespaces below ours; sets BG_PID once it runs, and writes the middle user
# namespace, its parent, to FILE (as readlink shows it). No process stays in the middle one.
start_userns_chain() {
  local file=$1; shift
  start_bg "$@" unshare -U -r sh -c "readlink /proc/self/ns/user >$file; exec unshare -U -r sleep 300"
  wait_until comm_is "$BG_PID" sleep
}

# ns_id FILE: the 64-bit ID of the namespace FILE names (ioctl NS_GET_ID = _IOR(0xb7, 13, u64),
# Linux 6.18), read by python3 without the tools under test; fails on older kernels.
ns_id() {
  python3 -c '
import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print(struct.unpack("Q", fcntl.ioctl(fd, 0x8008b70d, bytes(8)))[0])' "$1" 2>/dev/null
}

# "${OPENS_BY_ID[@]}" FILE: succeeds if the kernel lets the caller open the namespace FILE names
# through its nsfs file handle (ID, type and inode, as Linux 6.18 wants them), asked with
# python3's ctypes, not the tools under test. Later 6.18 releases (6.18.44 for one) want
# CAP_SYS_ADMIN in the initial user namespace for a namespace the caller is not in; the first
# 6.18 releases took it over the namespace's owner. Debian's python3: the caller may be nobody.
OPENS_BY_ID=(/usr/bin/python3 -c '
import ctypes, fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
ns_id = struct.unpack("Q", fcntl.ioctl(fd, 0x8008b70d, bytes(8)))[0]
ns_type = fcntl.ioctl(fd, 0xb703)  # NS_GET_NSTYPE: its CLONE_NEW* flag
handle = struct.pack("IiQII", 16, 0xF1, ns_id, ns_type, os.fstat(fd).st_ino)  # FILEID_NSFS
libc = ctypes.CDLL(None, use_errno=True)
sys.exit(0 if libc.open_by_handle_at(-10003, handle, os.O_RDONLY | os.O_CLOEXEC) >= 0 else 1)')

# by_id_refusal ID: the library's words when the kernel refuses to open namespace ID by its ID.
by_id_refusal() {
  echo "open ':$1': not permitted to open namespace $1 by its ID (the kernel opens one by ID for a process in it, or with CAP_SYS_ADMIN in the initial user namespace)"
}

# "${WITH_SOCKET9[@]}" CMD...: runs CMD with a TCP socket made here, in the current network
# namespace, as descriptor 9 (for -N); CMD may then move to another one.
WITH_SOCKET9=(python3 -c 'import os, socket, sys
s = socket.socket()
os.dup2(s.fileno(), 9)
os.execvp(sys.argv[1], sys.argv[1:])')

# on_tty HOLD OUT CMD...: runs CMD on a new terminal (script(1)), types Ctrl+C after half a
# second, and writes "rc=STATUS ms=DURATION end=NANOSECONDS" of CMD to OUT (and the moment of
# the Ctrl+C to OUT.ctrlc); the terminal's input stays open until CMD ends, for at most HOLD
# seconds after the Ctrl+C. The shell around CMD has a handler for SIGINT (not SIG_IGN, which
# CMD would inherit), so it survives to write the line.
on_tty() {
  local hold=$1 out=$2; shift 2
  local cmd
  printf -v cmd '%q ' "$@"
  rm -f "$out" "$out.ctrlc"
  # With ON_TTY_READY=FILE, Ctrl+C waits until the program has written FILE (it runs, and its
  # handler is in place), however slow a loaded machine or a sanitizer build makes its start: a
  # Ctrl+C typed before it runs would reach only the shell around it.
  (if [ -n "${ON_TTY_READY:-}" ]; then wait_until [ -s "$ON_TTY_READY" ]; else sleep 0.5; fi
    date +%s%N >"$out.ctrlc"
    printf '\003'
    for _ in $(seq "$(awk -v h="$hold" 'BEGIN { print int(h * 20) }')"); do
      [ -s "$out" ] && break
      sleep 0.05
    done) |
    SHELL=/bin/bash timeout 20 script -qec \
      "s=\$(date +%s%N); trap : INT; $cmd; r=\$?; e=\$(date +%s%N); echo rc=\$r ms=\$(( (e - s) / 1000000 )) end=\$e >$out" \
      /dev/null >/dev/null 2>&1
}
# ms_of FILE, rc_of FILE: the duration and the status on_tty wrote; after_ctrlc_of FILE: how
# long CMD ran on after the Ctrl+C, in milliseconds.
ms_of() { sed -n 's/.*ms=\([0-9]*\).*/\1/p' "$1"; }
rc_of() { sed -n 's/^rc=\([0-9]*\).*/\1/p' "$1"; }
after_ctrlc_of() {
  local end typed
  end=$(sed -n 's/.*end=\([0-9]*\).*/\1/p' "$1")
  typed=$(cat "$1.ctrlc" 2>/dev/null)
  [ -n "$end" ] && [ -n "$typed" ] && echo $(((end - typed) / 1000000))
}

done_testing() { exit $((_tap_failed > 0 ? 1 : 0)); }
