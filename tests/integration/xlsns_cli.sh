# xlsns: bad input, valid JSON whatever command lines hold, -H, and what an unprivileged user
# gets. Runs as root and as an unprivileged user.
. "$(dirname "$0")/lib.sh"

# one_error ARGS...: "rc=1 lines=1 prefix=yes" when xlsns fails with one line "xlsns: ...".
one_error() {
  local err rc
  err=$("$XLSNS" "$@" 2>&1 >/dev/null)
  rc=$?
  local first=${err%%$'\n'*}
  echo "rc=$rc lines=$(printf '%s\n' "$err" | grep -vc '^Try ') prefix=$([ "${first#xlsns: }" != "$first" ] && echo yes || echo no)"
}
want="rc=1 lines=1 prefix=yes"
check_eq "unknown column" "$want" "$(one_error -o NS,BOGUS)"
check_eq "unknown type" "$want" "$(one_error -t bogus)"
check_eq "non-numeric PID" "$want" "$(one_error -p 12x)"
check_eq "-T bogus" "$want" "$(one_error -T bogus)"
check_eq "-Tbogus" "$want" "$(one_error -Tbogus)"
check_eq "unknown namespace" "$want" "$(one_error 12345)"
check_eq "--json with --raw" "$want" "$(one_error -J -r)"
check_eq "bad filter" "$want" "$(one_error -Q 'NS ==')"
long=$(printf 'NS,%.0s' $(seq 20000))NS
check_eq "a very long -o list" "$want" "$(one_error -o "$long")"
# A value with a newline and an ESC: still one line, no raw control byte (escaped as \n, \x1b).
raw_control() { printf '%s' "$1" | tr -d '\n' | LC_ALL=C grep -q '[[:cntrl:]]' && echo yes || echo no; }
nasty=$'A\n\x1b[31mB'
for args in "-o NS,$nasty" "-Q COMMAND=~'($nasty'" "-Q $nasty" "-t $nasty" "-p $nasty"; do
  opt=${args%% *}
  err=$("$XLSNS" "$opt" "${args#* }" 2>&1 >/dev/null)
  check_eq "$opt with a newline and ESC: one line, escaped" "$want raw=no" \
    "$(one_error "$opt" "${args#* }") raw=$(raw_control "$err")"
done
# Deep nesting is one error, not a crashed stack; long || chains work (as long as argv allows).
deep=$(printf '%*s' 30000 '' | tr ' ' '(')NS$(printf '%*s' 30000 '' | tr ' ' ')')
check_eq "30000 nested '(': one error, the status of lsns's bad -Q" \
  "$want $(status lsns -Q NS)" "$(one_error -Q "$deep") $(status "$XLSNS" -Q "$deep")"
check "... which says it is nested too deeply" sh -c "'$XLSNS' -Q '$deep' 2>&1 | grep -q 'nested too deeply'"
chain=$(printf 'NS==1||%.0s' $(seq 18000))NS\>0
check_eq "an 18000-term || chain filters" "rc=0 rows=yes" \
  "$(out=$("$XLSNS" -n -l -o NS -Q "$chain"); echo "rc=$? rows=$([ -n "$out" ] && echo yes || echo no)")"
# A PID that does not exist (lsns prints nothing and succeeds; xlsns says so).
gone=$(sh -c 'echo $$')
check_eq "-p with a PID that does not exist" "$want" "$(one_error -p "$gone")"
check_eq "unknown option: usage error with a Try line" \
  "rc=1 Try=1" "$("$XLSNS" --bogus >/dev/null 2>/tmp/nsutil-xlsns-$$; echo "rc=$? Try=$(grep -c "^Try 'xlsns --help'" /tmp/nsutil-xlsns-$$)"; rm -f /tmp/nsutil-xlsns-$$)"

# -H: the column list, also as JSON.
check "-H lists NSID, NTHREADS and HOLDERS" sh -c "'$XLSNS' -H | grep -q '^NSID ' && '$XLSNS' -H | grep -q '^HOLDERS' && '$XLSNS' -H | grep -q '^NTHREADS'"
check "-H -J is valid JSON" sh -c "'$XLSNS' -H -J | python3 -c 'import json,sys; json.load(sys.stdin)'"

# JSON stays valid with quotes, backslashes, control characters and invalid UTF-8 in a command
# line (the process is the first of its own uts namespace, so its command is printed).
if is_root; then box=(unshare --uts); else box=(unshare --user --map-root-user --uts); fi
start_bg "${box[@]}" bash -c $'exec -a \'we"ird\\\\ \x01\t\xff\xfe\xc3 name\' sleep 1000'
pid=$BG_PID
for _ in $(seq 50); do
  [ "$(readlink /proc/$pid/ns/uts)" != "$(readlink /proc/self/ns/uts)" ] &&
    grep -q '^we' /proc/$pid/cmdline && break
  sleep 0.1
done
parse='import json,sys
d = json.loads(sys.stdin.buffer.read().decode("utf-8"))
def walk(rows):
    for n in rows:
        yield n.get("command") or ""
        yield from walk(n.get("children", []))
cmds = list(walk(d["namespaces"]))
print("ok" if any(c.startswith("we\"ird\\\\ \x01\t") for c in cmds) else "missing: %r" % cmds)'
check_eq "JSON with a strange command line parses" ok "$("$XLSNS" -J -p "$pid" | python3 -c "$parse" 2>&1)"
check_eq "JSON of the whole list parses" ok "$("$XLSNS" -J --output-all | python3 -c 'import json,sys; json.loads(sys.stdin.buffer.read().decode("utf-8")); print("ok")' 2>&1)"
check_eq "tree JSON parses" ok "$("$XLSNS" -J -Tparent | python3 -c 'import json,sys; json.loads(sys.stdin.buffer.read().decode("utf-8")); print("ok")' 2>&1)"
check_eq "numbers are JSON numbers" ok "$("$XLSNS" -J -o NS,NPROCS,PID,NSID,NTHREADS -p "$pid" | python3 -c '
import json,sys
d = json.load(sys.stdin)["namespaces"]
print("ok" if all(isinstance(n["ns"], int) and isinstance(n["nprocs"], int) and isinstance(n["nthreads"], int) for n in d) else d)')"

# The unprivileged view: exit 0, a one-line note when something could not be read.
if is_root; then as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups); else as_user=(); fi
out=$("${as_user[@]}" "$XLSNS" 2>/tmp/nsutil-xlsns-err-$$ >/dev/null; echo "rc=$?")
note=$(cat /tmp/nsutil-xlsns-err-$$); rm -f /tmp/nsutil-xlsns-err-$$
check_eq "unprivileged: exit 0" "rc=0" "$out"
check_eq "unprivileged: one note on stderr" "1" "$(printf '%s\n' "$note" | grep -c '^xlsns: note: .*incomplete')"
# The note follows what could not be read, not the UID: root in a user namespace reads no
# process outside it (a note), but every process of a PID namespace (and /proc) of its own.
# notes CMD...: the exit status of CMD and the number of notes it printed.
notes() {
  local err rc
  err=$("$@" 2>&1 >/dev/null); rc=$?
  echo "rc=$rc notes=$(printf '%s\n' "$err" | grep -c '^xlsns: note: .*incomplete')"
}
if is_root || can_userns; then
  check_eq "root in a user namespace, processes outside unreadable: one note" "rc=0 notes=1" \
    "$(notes unshare -U -r "$XLSNS")"
  check_eq "root in a user namespace, all of its own PID namespace readable: no note" \
    "rc=0 notes=0" "$(notes unshare -U -r -fp --mount-proc "$XLSNS")"
else
  skip 2 "cannot create a user namespace"
fi
if is_root; then
  check_eq "real root in a PID namespace of its own: no note" "rc=0 notes=0" \
    "$(notes unshare -fp --mount-proc "$XLSNS")"
fi
check "unprivileged: sees its own processes" sh -c "${as_user[*]} '$XLSNS' -n -l -o PID 2>/dev/null | grep -q ."
check_eq "-p of a process the user may not read is still fine" "rc=0" \
  "$("${as_user[@]}" "$XLSNS" -p 1 >/dev/null 2>&1; echo "rc=$?")"
check_eq "-n -r -o NS -t uts -p PID prints the sandbox's uts namespace" \
  "$(stat -L -c %i /proc/"$pid"/ns/uts)" "$("$XLSNS" -n -r -o NS -t uts -p "$pid")"
check_eq "options given twice: the last one wins, as with lsns" \
  "uts" "$("$XLSNS" -n -r -o NS -o TYPE -t uts -p 1 -p "$pid" 2>/dev/null)"

# NSID is the kernel's NS_GET_ID (_IOR(0xb7, 13, u64)).
# Before Linux 6.18 there is no such ID, and the column stays empty.
nsid=$(ns_id "/proc/$pid/ns/uts")
check_eq "NSID is NS_GET_ID, or empty without it" "$nsid" \
  "$("$XLSNS" -n -r -o NSID -t uts -p "$pid")"

# A kernel without the relation ioctls (before 4.9): as lsns 2.42, one line and status 2, no
# table; without relations nothing asks for them. Faked with a seccomp filter.
enotty() { python3 "$(dirname "$0")/ioctl_enotty.py" "$@"; }
if [ "$(uname -m)" = x86_64 ]; then
  out=$(enotty 0xb702 "$XLSNS" -Tparent 2>&1; echo "rc=$?")
  check_eq "no NS_GET_PARENT: status 2" "xlsns: unsupported ioctl NS_GET_PARENT: the kernel is \
too old for the parent and owner relations
rc=2" "$out"
  check_eq "no NS_GET_USERNS: status 2 for -o ONS" "2" "$(status enotty 0xb701 "$XLSNS" -o NS,ONS)"
  check_eq "without relations the ioctls are not needed" "0" "$(status enotty 0xb702 "$XLSNS")"
else
  skip 3 "the ENOTTY filter is written for x86-64"
fi

# (That the man page and the completions name every option of xlsns's option table is the unit
# test tests/unit/test_docs.cpp.)
src=${NSUTIL_SOURCE_ROOT:-$(dirname "$0")/../..}
# Every column of -H is in the man page and in the three completions' column lists.
missing=""
for col in $("$XLSNS" -H -n -r | cut -d' ' -f1); do
  for f in man/xlsns.8.scd completions/bash/xlsns completions/zsh/_xlsns completions/fish/xlsns.fish; do
    case $f in
      *.scd) pat="*$col*" ;;
      *) pat=" $col" ;;
    esac
    grep -qF -- "$pat" "$src/$f" || missing="$missing $f:$col"
  done
done
check_eq "every column is documented and completed" "" "$missing"
plan $_tap_n
done_testing
