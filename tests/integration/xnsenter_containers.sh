#!/bin/bash
# xnsenter --container against a real engine (Debian's docker.io, engines.sh): what it enters is
# what `docker inspect` says the container's main process is in; names, whole and short IDs;
# only the namespaces named; the program's exit status; unknown names, ambiguous ID prefixes,
# stopped containers and one that stops while it is entered are one line with status 1 and leave
# nothing running.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engines.sh"

engines_need "$DOCKER" "$DOCKERD" "$BUSYBOX"
tmp=$(scratch)
busybox_tar "$tmp"
start_dockerd "$tmp" || skip_all "dockerd did not start"
docker_image "$tmp" nsutil-busybox:test
docker_run nsutil-web nsutil-busybox:test /bin/sleep 300
docker_run nsutil-db nsutil-busybox:test /bin/sleep 300
read -r web_id web_pid <<<"$(docker inspect -f '{{.Id}} {{.State.Pid}}' nsutil-web)"

types=(mnt uts ipc net pid)
links_of() {  # the namespaces of PID, as seen from here
  local t
  for t in "${types[@]}"; do readlink "/proc/$1/ns/$t"; done
}
# Inside the container, busybox reads its own /proc (the container's) after entering.
inside() { "$XNSENTER" "$@" /bin/busybox sh -c 'for t in mnt uts ipc net pid; do readlink /proc/self/ns/$t; done'; }

check_eq "by name, no namespace option: every namespace of docker inspect's State.Pid" \
  "$(links_of "$web_pid")" "$(inside --container nsutil-web)"
check_eq "by whole ID" "$(links_of "$web_pid")" "$(inside --container "$web_id")"
check_eq "by a short ID (12 hex digits, as docker ps shows)" \
  "$(links_of "$web_pid")" "$(inside --container "${web_id:0:12}")"
check_eq "-n only: the container's network namespace and no other" \
  "$(readlink "/proc/$web_pid/ns/net") $(readlink /proc/self/ns/uts)" \
  "$("$XNSENTER" --container nsutil-web -n sh -c 'echo $(readlink /proc/self/ns/net) $(readlink /proc/self/ns/uts)')"
check_eq "the container's host name (uts), as docker gives it" \
  "$(docker inspect -f '{{.Config.Hostname}}' nsutil-web)" \
  "$("$XNSENTER" --container nsutil-web -u hostname)"
check_eq "the program's exit status is xnsenter's" 7 \
  "$(status "$XNSENTER" --container nsutil-db /bin/busybox sh -c 'exit 7')"

# Bad input: one line, status 1 (as -t with a PID that does not exist), nothing left running.
out=$("$XNSENTER" --container nsutil-nosuch true 2>&1); rc=$?
check_eq "an unknown name: status 1" 1 "$rc"
check "an unknown name: one line that lists the running containers" \
  sh -c "[ \$(printf '%s\n' \"\$1\" | wc -l) = 1 ] &&
         printf '%s' \"\$1\" | grep -q \"^xnsenter: --container 'nsutil-nosuch': no such running container (running: .*nsutil-db\" &&
         printf '%s' \"\$1\" | grep -q 'nsutil-web'" _ "$out"

# An ambiguous prefix: start containers until two IDs share their first hex digit (at most 17).
first=() n=0 prefix=
for i in $(seq 17); do
  docker_run "nsutil-amb$i" nsutil-busybox:test /bin/sleep 300
  c=$(docker inspect -f '{{.Id}}' "nsutil-amb$i" | cut -c1)
  if [[ " ${first[*]} " == *" $c "* ]]; then prefix=$c; break; fi
  first+=("$c"); n=$i
done
ids=$(docker ps -q --no-trunc | grep "^$prefix" | cut -c1-12 | sort)
out=$("$XNSENTER" --container "$prefix" true 2>&1); rc=$?
check_eq "an ID prefix of several: status 1" 1 "$rc"
# Other engines' containers on the host may match too (they are running containers as well).
named=$(printf '%s\n' "$out" | grep "^xnsenter: --container '$prefix': matches several containers: " |
  grep -oE '[0-9a-f]{12} \((docker|podman|containerd|crio|cri) [^)]*\)' | cut -c1-12 | sort)
check_eq "an ID prefix of several: one line naming each of ours" "" \
  "$(comm -23 <(printf '%s\n' "$ids") <(printf '%s\n' "$named"))"
check_eq "an ID prefix of several: only IDs with that prefix" "" \
  "$(printf '%s\n' "$named" | grep -v "^$prefix")"
check_eq "an ID prefix of several: one line" 1 "$(printf '%s\n' "$out" | wc -l)"
for i in $(seq 17); do docker rm -f "nsutil-amb$i" >/dev/null 2>&1; done

docker stop -t 0 nsutil-db >/dev/null
check_eq "a stopped container is not running: status 1" 1 \
  "$(status "$XNSENTER" --container nsutil-db true)"
check "a stopped container: not listed as running" \
  sh -c "! '$XNSENTER' --container nsutil-db true 2>&1 | grep -q 'running: .*nsutil-db'"
check_eq "--container with -t: a usage error (status 1)" 1 \
  "$(status "$XNSENTER" --container nsutil-web -t 1 true)"

# A container that stops between being resolved and being entered: xnsenter holds its main
# process by a pidfd from before it checks the process is in the container, so this is an
# error, never whatever process gets the PID next. strace holds xnsenter's first setns back 3 s
# once it has the pidfd, and the container is killed meanwhile; `touch` would run on the host
# (only -n is entered), so its file says whether anything ran.
docker_run nsutil-race nsutil-busybox:test /bin/sleep 300
race_pid=$(docker inspect -f '{{.State.Pid}}' nsutil-race)
# LeakSanitizer cannot run under ptrace: in the sanitizer build it would fail xnsenter's exit.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
  strace -f -o "$tmp/race.strace" -e trace=pidfd_open,setns \
  -e inject=setns:delay_enter=3000000:when=1 \
  "$XNSENTER" --container nsutil-race -n touch "$tmp/race.ran" 2>"$tmp/race.err" &
race=$!
on_exit "kill -KILL $race 2>/dev/null"
wait_until grep -q "pidfd_open($race_pid, " "$tmp/race.strace"
held=$?
docker kill nsutil-race >/dev/null
wait "$race"
rc=$?
check_eq "a container stopped while xnsenter enters it: status 1, one line, nothing run" \
  "0 1 1 nothing ran" \
  "$held $rc $(wc -l <"$tmp/race.err") $(test -e "$tmp/race.ran" && echo ran || echo nothing ran)"
check_eq "a container stopped while xnsenter enters it: the error names its process" \
  "xnsenter: process '$race_pid': exited" "$(cat "$tmp/race.err")"

docker rm -f nsutil-web nsutil-db nsutil-race >/dev/null 2>&1
stop_dockerd
check "dockerd stopped" sh -c "! kill -0 $dockerd_pid 2>/dev/null"
check_eq "nothing left mounted under the test directory" "" \
  "$(findmnt -rn -o TARGET | grep -F "$tmp/")"
plan $_tap_n
done_testing
