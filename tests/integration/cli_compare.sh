#!/bin/bash
# The command-line rules against util-linux's unshare, nsenter and lsns: the same command lines,
# with options util-linux has, through both, and what each accepted or refused compared. Every
# line is harmless: it runs `true` in a new UTS namespace or in the UTS namespace of a sleep
# started here, or lists namespaces, or fails before anything is made.
#
# A case is "TOOL KIND ARGS...": KIND "usage" compares the exit status and whether a
# "Try 'TOOL --help'" line follows (getopt's refusals: unknown, ambiguous, missing value);
# "status" compares the exit status alone (a bad value is a usage error in xunshare, util-linux
# words it as another error: both end with status 1). @S is the sleep's PID, @NS the inode of
# this shell's UTS namespace. Left out: what util-linux 2.38.1 does otherwise than the newer
# releases the tools follow (nsenter -u=FILE, -W DIR; see the man pages).
. "$(dirname "$0")/lib.sh"
is_root || skip_all "needs root (new UTS namespaces)"
for t in unshare nsenter lsns; do
  command -v "$t" >/dev/null || skip_all "util-linux $t is not installed"
done

start_bg /bin/sleep 300  # not lib.sh's sleep(), a function: its PID would be a subshell's
S=$BG_PID
NS=$(stat -L -c %i /proc/self/ns/uts)

cases=$(
  cat <<'EOF'
unshare status -u true
unshare status --ut true
unshare status -mu true
unshare status --prop=private -m true
unshare status --prop private -m true
unshare status --propagation=privat -m true
unshare status --map-root true
unshare status --map-r true
unshare status -f --kill true
unshare status -S 0 -S 0 -u true
unshare status -S abc -S 0 -u true
unshare status -u -- true
unshare status -- -u
unshare status -u -- --bogus
unshare status -u true --bogus
unshare status --wd=/ -u true
unshare status --wd / -u true
unshare status -w/ -u true
unshare status --net= true
unshare usage --bogus true
unshare usage -x true
unshare usage --mou true
unshare usage --map-root-user=1 true
unshare usage --fork=yes true
unshare usage -R
unshare usage --root
unshare usage --map-u
nsenter status -t @S -u true
nsenter status --targ @S -u true
nsenter status --targ=@S --ut true
nsenter status -t @S --mo true
nsenter status -t @S -u --pres true
nsenter status -t @S -u/proc/@S/ns/uts true
nsenter status -t @S --uts=/proc/@S/ns/uts true
nsenter status -t @S --ut=/proc/@S/ns/uts true
nsenter status -t @S -u -- true
nsenter status -t @S -u true --bogus
nsenter status -t @S -t @S -u true
nsenter status -t abc -u true
nsenter status -t abc -t @S -u true
nsenter status -t @S -u -w/ true
nsenter status -t @S -u --wd=/ true
nsenter status -t @S -u --root=/ true
nsenter status -t @S -u -S 0 -G 0 true
nsenter usage -t
nsenter usage --targ
nsenter usage --bogus -u true
nsenter usage --t @S -u true
nsenter usage --n -t @S true
nsenter usage -t @S --all=1 true
lsns status -n -o NS
lsns status -Tparent -n
lsns status -T=parent -n
lsns status --tree=parent -n
lsns status --tree==parent -n
lsns status --tr=parent -n
lsns status -T -n
lsns status -lT -n
lsns status --tree -n
lsns status -T= -n
lsns status -T==parent -n
lsns status -Tbogus -n
lsns status -T bogus
lsns status --js -n
lsns status -o NS -o TYPE -n
lsns status -p @S -p @S -n
lsns status -n -o PID -- @NS
lsns status -n -o PID @NS
lsns status @NS -n -o PID
lsns status -- -l
lsns status -J -r
lsns usage --t
lsns usage --no
lsns usage --out=NS
lsns usage --outp=NS
lsns usage --bogus
lsns usage -o
lsns usage --json=1
EOF
)

# outcome KIND CMD...: "status N", and " try" when a "Try '... --help'" line follows.
outcome() {
  local kind=$1 err rc
  shift
  err=$(timeout 20 "$@" 2>&1 >/dev/null)
  rc=$?
  printf 'status %s' "$rc"
  if [ "$kind" = usage ] && printf '%s\n' "$err" | grep -q "^Try '.* --help' for more information\.$"; then
    printf ' try'
  fi
}

while read -r tool kind line; do
  line=${line//@S/$S}
  line=${line//@NS/$NS}
  read -r -a args <<<"$line"
  case $tool in
    unshare) ours=$XUNSHARE ;;
    nsenter) ours=$XNSENTER ;;
    lsns) ours=$XLSNS ;;
  esac
  # A listing races with namespaces that others make and end meanwhile (lsns 2.38 fails when
  # one goes away under it): the outcomes must agree in one of three tries.
  for try in 1 2 3; do
    ul=$(outcome "$kind" "$tool" "${args[@]}")
    x=$(outcome "$kind" "$ours" "${args[@]}")
    [ "$ul" = "$x" ] && break
    diag "try $try of $tool $line: util-linux $ul, ours $x"
  done
  check_eq "$tool $line: as util-linux" "$ul" "$x"
done <<<"$cases"

plan $_tap_n
done_testing
