# xlsns against util-linux lsns, byte for byte, on controlled targets: inside a fresh PID
# namespace (with its own /proc) that holds a net+uts sandbox, a PID sandbox and a chain of
# nested user namespaces. Namespaces only xlsns can see (bind mounts of the whole machine, fds)
# are left out with -Q 'NPROCS > 0', which keeps exactly the ones lsns 2.38 lists.
. "$(dirname "$0")/lib.sh"

if [ "${1:-}" != --inside ]; then
  command -v lsns >/dev/null || skip_all "util-linux lsns is not installed"
  if is_root; then
    exec unshare --pid --fork --mount-proc bash "$0" --inside root
  fi
  can_userns || skip_all "cannot create a user namespace"
  exec unshare --user --map-root-user --pid --fork --mount-proc bash "$0" --inside user
fi
real_root() { [ "$2" = root ]; }

# Both programs must show the same command line for themselves: run them by the same name.
bin=$(mktemp -d /tmp/nsutil-xlsns-$$.XXXXXX)
on_exit "rm -rf '$bin'"
mkdir "$bin/l" "$bin/x"
ln -s "$(command -v lsns)" "$bin/l/lsns"
ln -s "$XLSNS" "$bin/x/lsns"
L() { PATH="$bin/l:$PATH" lsns "$@" 2>&1; echo "rc=$?"; }
X() { PATH="$bin/x:$PATH" lsns "$@" 2>&1; echo "rc=$?"; }

# The targets. This is PID 1 of the sandbox: everything ends with it.
unshare --net --uts sh -c 'sleep 1000 & sleep 1000' &
NETUTS=$!
unshare --net --uts sleep 1000 &
unshare --pid --fork sleep 1000 &
PIDBOX=$!
if can_userns; then
  # A chain of three user namespaces, made by an unprivileged user when we are root.
  chain='unshare -r sh -c "unshare -r sh -c \"unshare -r sleep 1000\""'
  if real_root "$@"; then setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "$chain" &
  else sh -c "$chain" & fi
fi
# A PID namespace between nested user namespaces: user > user (+ pid) > user, for -p with trees.
NEST=
if can_userns; then
  nest='unshare -r sh -c "unshare -r --pid --fork sh -c \"unshare -r sleep 1000\""'
  if real_root "$@"; then setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "$nest" &
  else sh -c "$nest" & fi
  NEST=$!
fi
# A child with a lower PID than its parent, as once PIDs wrap: both tools must nest it under
# the parent in a namespace's process listing. Set through this PID namespace's ns_last_pid.
echo 500 >/proc/sys/kernel/ns_last_pid
unshare --uts sh -c 'echo 50 >/proc/sys/kernel/ns_last_pid; sleep 1000 & wait' &
WRAP=$!
sleep 1

# leaf PID: the last descendant of PID along first children.
leaf() {
  local p=$1 c
  while c=$(pgrep -P "$p" | head -1) && [ -n "$c" ]; do p=$c; done
  echo "$p"
}
netns=$(stat -L -c %i /proc/$NETUTS/ns/net)
wraputs=$(stat -L -c %i /proc/$WRAP/ns/uts)
wrapchild=$(pgrep -P "$WRAP")
cases=(
  "" "-J" "-l" "-r" "-n" "-u" "-W" "-n -r" "-t net" "-t uts -t pid" "-t user" "-J -t net"
  "-o NS,TYPE,PATH,NPROCS,PID,PPID,COMMAND,UID,USER,NETNSID,NSFS,PNS,ONS"
  "-J -o NS,TYPE,PATH,NPROCS,PID,PPID,COMMAND,UID,USER,NETNSID,NSFS,PNS,ONS"
  "-o +PATH,PPID" "-r -o NS,TYPE" "-T" "-Towner" "-Tparent" "-Tprocess" "-J -T" "-r -Tparent"
  "-l -T" "-T -t user" "-Tparent -t user" "-p $NETUTS" "-J -p $PIDBOX" "-p $NETUTS -o NS,PID -r"
  # -o applies after --output-all, wherever it stands, and keeps the tree off.
  "--output-all -o NS,TYPE,NPROCS,PID" "-o NS,TYPE,PID --output-all" "-J --output-all -o NS,PID"
  "--output-all -o +NS -o NS,TYPE"
)
# -p with every tree layout: lsns shows the ancestors of the process's namespaces too.
task_pids=("$(pgrep -P "$PIDBOX")")
if [ -n "$NEST" ]; then
  nestleaf=$(leaf "$NEST")
  task_pids+=("$nestleaf" "$(ps -o ppid= -p "$nestleaf" | tr -d ' ')")
fi
for p in "${task_pids[@]}"; do
  cases+=("-T -p $p" "-Tparent -p $p" "-Towner -p $p" "-Tprocess -p $p" "-J -Tparent -p $p"
    "-Tparent -t user -p $p")
done
ns_cases=("$netns" "-J $netns" "-l $netns" "-r -o PID,PPID,COMMAND,NS $netns" "$wraputs"
  "-J $wraputs" "--output-all -o PID,PPID,COMMAND $netns")
plan $((${#cases[@]} + ${#ns_cases[@]} + 1))
check "a child with a lower PID than its parent (${wrapchild:-none} < $WRAP)" \
  test "${wrapchild:-0}" -gt 0 -a "${wrapchild:-0}" -lt "$WRAP"

for c in "${cases[@]}"; do
  # shellcheck disable=SC2086
  check_eq "same output: lsns $c" "$(L $c)" "$(X $c -Q 'NPROCS > 0')"
done
for c in "${ns_cases[@]}"; do
  # shellcheck disable=SC2086
  check_eq "same output: lsns $c" "$(L $c)" "$(X $c)"
done
done_testing
