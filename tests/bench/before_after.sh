#!/bin/bash
# A change's cost per call: util-linux, an older build and a newer build side by side, on the
# same scene, interleaved call by call (the order rotates every round, so no command always gets
# the warmer cache). Not a test; needs root (namespaces, a cgroup2 mount for the container case).
#
#   tests/bench/before_after.sh OLD_BUILD NEW_BUILD [CALLS]
#
# Cases: xunshare -u and -n; a namespace persisted on a file and unmounted again (sh -c around
# both tools, so compare the difference rather than the ratio there); xnsenter -t PID -n -u and
# -a; xnsenter --container NAME -u against a container of its own (a root-owned
# lxc.payload.NAME cgroup on cgroup2 with a process in its own UTS namespace; util-linux has no
# --container, so nsenter -t PID -u stands beside it); an idle xlsns. Prints each command's
# median wall time in microseconds (spawn to reaping, tests/bench/spawn_time.c), and the ratios
# old/util-linux, new/util-linux and new/old. Everything it starts is killed by PID on exit, and
# its cgroup and files are removed.
set -eu
old=${1:?older build directory}
new=${2:?newer build directory}
calls=${3:-200}
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
for b in "$old" "$new"; do
  [ -x "$b/tools/xunshare/xunshare" ] || { echo "build $b first" >&2; exit 1; }
done
. "$(dirname "$0")/timing.sh"

cg2=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
[ -n "$cg2" ] || { echo "no cgroup2 mount" >&2; exit 1; }
tmp=$(mktemp -d)
name=nsbench$$
cgroup=$cg2/lxc.payload.$name
target='' box=''
cleanup() {
  [ -n "$target" ] && kill -KILL "$target" 2>/dev/null
  [ -n "$box" ] && kill -KILL "$box" 2>/dev/null
  wait 2>/dev/null
  umount "$tmp/uts" 2>/dev/null || true
  rmdir "$cgroup" 2>/dev/null || true
  rm -rf "$tmp"
  timing_cleanup
}
trap cleanup EXIT

unshare -mfpuinC --kill-child --mount-proc sleep 600 >/dev/null &
target=$!
mkdir "$cgroup"
unshare -u sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 600' sh "$cgroup" &
box=$!
for _ in $(seq 100); do pid=$(pgrep -P "$target" || true); [ -n "$pid" ] && break; sleep 0.05; done
for _ in $(seq 100); do grep -q "$name" "/proc/$box/cgroup" 2>/dev/null && break; sleep 0.05; done
touch "$tmp/uts"

names=() cmds=()
add() { names+=("$1"); cmds+=("$2"); }
for who in util-linux old new; do
  case $who in
    util-linux) u=unshare n=nsenter l=lsns ;;
    *) b=${!who}; u=$b/tools/xunshare/xunshare n=$b/tools/xnsenter/xnsenter l=$b/tools/xlsns/xlsns ;;
  esac
  add "$who: unshare -u true" "$u -u true"
  add "$who: unshare -n true" "$u -n true"
  add "$who: sh -c 'unshare --uts=FILE true; umount FILE'" \
    "sh -c \"$u --uts=$tmp/uts true && umount $tmp/uts\""
  add "$who: nsenter -t PID -n -u true" "$n -t $pid -n -u true"
  add "$who: nsenter -t PID -a true" "$n -t $pid -a true"
  if [ "$who" = util-linux ]; then
    add "$who: nsenter -t PID -u true (no --container)" "$n -t $box -u true"
  else
    add "$who: nsenter --container NAME -u true" "$n --container $name -u true"
  fi
  add "$who: lsns (idle)" "$l"
done

declare -A samples
count=${#cmds[@]}
for ((round = 0; round < calls; round++)); do
  for ((k = 0; k < count; k++)); do
    i=$(((k + round) % count))
    # shellcheck disable=SC2086  # each command is a string of words; sh -c ones are eval'd
    if [[ ${cmds[i]} == sh\ -c* ]]; then
      t=$(eval time_one ${cmds[i]})
    else
      t=$(time_one ${cmds[i]})
    fi
    samples[$i]+="$t "
  done
done

declare -A med
for ((i = 0; i < count; i++)); do
  med[$i]=$(tr ' ' '\n' <<<"${samples[$i]}" | grep . | median)
done
per=$((count / 3))
echo "$calls calls each, interleaved; median wall time in microseconds (spawn to reaping)"
printf '%-44s %10s %10s %10s %9s %9s %8s\n' case util-linux old new old/ul new/ul new/old
for ((k = 0; k < per; k++)); do
  ul=${med[$k]} o=${med[$((k + per))]} n=${med[$((k + 2 * per))]}
  label=${names[$((k + 2 * per))]#new: }
  awk -v l="$label" -v ul="$ul" -v o="$o" -v n="$n" \
    'BEGIN {printf "%-44s %10d %10d %10d %9.2f %9.2f %8.2f\n", l, ul, o, n, o / ul, n / ul, n / o}'
done
