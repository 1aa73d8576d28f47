#!/bin/bash
# Benchmark: what the CONTAINER column costs (the bar: `xlsns -o NS,TYPE,CONTAINER` at
# most 1.5 times `xlsns -o NS,TYPE`). Not a meson test; run as root:
#
#   tests/bench/xlsns_containers.sh [RUNS] [CONTAINERS] [SLEEPS]
#
# Builds the scene itself: a dockerd of its own (Debian's, state in a scratch directory, no
# network setup), CONTAINERS (20) containers of a busybox-static image with --network none, and
# SLEEPS (1700) host sleeps. Alternates the two listings RUNS (21) times and prints the medians
# and their ratio, then the same for the default columns against -o +CONTAINER. Everything it
# starts is removed on exit: the containers, the image, dockerd (by its PID), the sleeps, the
# directory.
set -u
XLSNS=${XLSNS:-$(dirname "$0")/../../build/tools/xlsns/xlsns}
RUNS=${1:-21}
NCONT=${2:-20}
NSLEEP=${3:-1700}
DOCKER=/usr/bin/docker
DOCKERD=/usr/sbin/dockerd
sleeps=()
dockerd_pid=
tmp=$(mktemp -d /tmp/nsutil-bench.XXXXXX)
. "$(dirname "$0")/timing.sh"

docker() { "$DOCKER" -H "unix://$tmp/docker.sock" "$@"; }
cleanup() {
  if [ -n "$dockerd_pid" ]; then
    docker ps -aq | xargs -r "$DOCKER" -H "unix://$tmp/docker.sock" rm -f >/dev/null 2>&1
    docker rmi -f nsutil-bench:latest >/dev/null 2>&1
    kill "$dockerd_pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$dockerd_pid" 2>/dev/null
  fi
  [ ${#sleeps[@]} -eq 0 ] || kill -KILL "${sleeps[@]}" 2>/dev/null
  wait 2>/dev/null
  findmnt -rn -o TARGET | grep -F "$tmp/" | sort -r | xargs -r -n1 umount -l
  rm -rf "$tmp"
  timing_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$tmp/rootfs/bin"
cp /bin/busybox "$tmp/rootfs/bin/busybox"
ln -s busybox "$tmp/rootfs/bin/sleep"
tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" .
echo '{}' >"$tmp/daemon.json"
"$DOCKERD" --config-file "$tmp/daemon.json" --iptables=false --bridge=none \
  --data-root "$tmp/docker" --exec-root "$tmp/dexec" -H "unix://$tmp/docker.sock" \
  --pidfile "$tmp/docker.pid" >"$tmp/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 100); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
docker import "$tmp/rootfs.tar" nsutil-bench:latest >/dev/null || exit 1
for ((i = 0; i < NCONT; i++)); do
  docker run -d --network none nsutil-bench:latest /bin/sleep 100000 >/dev/null || exit 1
done
for ((i = 0; i < NSLEEP; i++)); do
  sleep 100000 &
  sleeps+=($!)
done
sleep 2

# compare LABEL "ARGS A" "ARGS B": alternates xlsns A and xlsns B, RUNS times each.
compare() {
  local a=() b=() i ma mb
  for ((i = 0; i < RUNS; i++)); do
    # shellcheck disable=SC2086
    a+=("$(time_one "$XLSNS" $2)")
    # shellcheck disable=SC2086
    b+=("$(time_one "$XLSNS" $3)")
  done
  ma=$(printf '%s\n' "${a[@]}" | median)
  mb=$(printf '%s\n' "${b[@]}" | median)
  awk -v l="$1" -v a="$ma" -v b="$mb" -v A="$2" -v B="$3" \
    'BEGIN {printf "%-14s %-26s %7.1f ms   %-26s %7.1f ms   ratio %.2f\n", l, A, a / 1000, B, b / 1000, b / a}'
}

echo "scene: $(ls /proc | grep -c '^[0-9]') processes, $(docker ps -q | wc -l) containers," \
  "$("$XLSNS" -n -l -o NS | wc -l) namespaces ($(id -u) = uid)"
echo "named: $("$XLSNS" -n -r -l -o CONTAINER -t net | grep -c .) net namespaces with a container"
echo "medians of $RUNS alternating runs:"
compare "the bar" "-o NS,TYPE" "-o NS,TYPE,CONTAINER"
compare "all three" "-o NS,TYPE" "-o NS,TYPE,CONTAINER,CONTAINERID,ENGINE"
compare "default+" "" "-o +CONTAINER"
# Paired ratios where the machine has farm-bench (A/B pair by pair: drift in speed cancels).
if command -v farm-bench >/dev/null; then
  echo "farm-bench, -o NS,TYPE,CONTAINER (A) against -o NS,TYPE (B):"
  farm-bench -n "$RUNS" --vs "$XLSNS -o NS,TYPE" -- "$XLSNS" -o NS,TYPE,CONTAINER
fi
