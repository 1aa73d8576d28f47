#!/bin/bash
# xlsns's CONTAINER, CONTAINERID and ENGINE columns against real engines: Debian's docker.io and
# podman, each run by this script alone, on state kept in a temporary directory (no other
# daemon or the host's storage is touched), with an image imported from a busybox-static root
# and containers without a network. Each container's name, ID and main PID as `docker inspect`
# and `podman inspect` give them must be what xlsns shows for the namespaces of that PID.
# Everything is removed on exit, even on failure: containers, images, the daemon (by its PID),
# the directory; nothing stays mounted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engines.sh"

engines_need "$DOCKER" "$DOCKERD" "$PODMAN" "$BUSYBOX"
# Removed, with whatever an engine left mounted in it, after every other cleanup (lib.sh).
tmp=$(scratch)
busybox_tar "$tmp"

# The namespaces of PID, one "NS TYPE" line each, for the types a container gets of its own.
ns_of() {
  local t
  for t in mnt uts ipc pid net; do
    echo "$(readlink "/proc/$1/ns/$t" | tr -dc 0-9) $t"
  done
}
# xlsns's rows for those namespaces: "NS TYPE PID ENGINE CONTAINER CONTAINERID".
rows_of() {
  local want
  want=$(ns_of "$1" | awk '{print $1}' | paste -sd'|')
  "$XLSNS" -n -r -l -o NS,TYPE,PID,ENGINE,CONTAINER,CONTAINERID | awk -v w="^($want)\$" '$1 ~ w'
}
expected_rows() {  # PID ENGINE NAME ID
  ns_of "$1" | while read -r ns type; do echo "$ns $type $1 $2 $3 $4"; done
}
check_container() {  # LABEL ENGINE NAME ID PID
  # The PID column is the lowest PID in the namespace: a child of the container's main process
  # has a lower one when PIDs wrapped between the two.
  local lowest
  lowest=$( (echo "$5"; pgrep -P "$5") | sort -n | head -1)
  check_eq "$1: xlsns shows $3's namespaces with its name, ID and engine" \
    "$(expected_rows "$lowest" "$2" "$3" "$4" | sort)" "$(rows_of "$5" | sort)"
}
# CMD (or xlsns) in a mount namespace of its own (private, as unshare makes it: the tmpfs goes
# with it) where an empty tmpfs covers DIR, so that an engine's state there cannot be read; the
# engines' sockets are kept outside the directories covered.
hiding() {  # DIR CMD...: CMD there
  local dir=$1; shift
  timeout 60 unshare -m sh -c 'mount -t tmpfs nsutil-hidden "$0" && exec "$@"' "$dir" "$@"
}
xlsns_without() {  # DIR XLSNS-ARG...
  local dir=$1; shift
  hiding "$dir" "$XLSNS" "$@"
}

# ---- Docker ---------------------------------------------------------------------------------
if ! start_dockerd "$tmp"; then
  skip 20 "dockerd did not start"
else
  docker_image "$tmp" nsutil-busybox:test
  docker_run nsutil-web nsutil-busybox:test /bin/sleep 300
  docker_run nsutil-db nsutil-busybox:test /bin/sh -c 'sleep 300 & sleep 300'
  for name in nsutil-web nsutil-db; do
    read -r id pid <<<"$(docker inspect -f '{{.Id}} {{.State.Pid}}' "$name")"
    check_container docker docker "$name" "$id" "$pid"
  done
  read -r web_id web_pid <<<"$(docker inspect -f '{{.Id}} {{.State.Pid}}' nsutil-web)"
  check_eq "docker: -Q 'CONTAINER == \"nsutil-web\"' gives its five namespaces" \
    "$(ns_of "$web_pid" | sort)" \
    "$("$XLSNS" -n -r -o NS,TYPE -Q 'CONTAINER == "nsutil-web"' | sort)"
  check_eq "docker: JSON carries the container's name, ID and engine" \
    "nsutil-web ${web_id} docker" \
    "$("$XLSNS" -J -o NS,TYPE,CONTAINER,CONTAINERID,ENGINE -t net -Q 'CONTAINER == "nsutil-web"' |
      python3 -c 'import json,sys; r=json.load(sys.stdin)["namespaces"]; print(len(r) == 1 and " ".join([r[0]["container"], r[0]["containerid"], r[0]["engine"]]))')"
  check "docker: the process tree shows the container name" \
    sh -c "'$XLSNS' --tree=process -o NS,TYPE,PID,CONTAINER -t net | grep -q ' $web_pid  *nsutil-web\$'"
  check "docker: the owner tree shows it too" \
    sh -c "'$XLSNS' --tree=owner -o NS,TYPE,PID,CONTAINER | grep -q ' $web_pid  *nsutil-web\$'"
  # Damaged state: the name goes, the short ID stays, the listing completes.
  cp "$tmp/docker/containers/$web_id/config.v2.json" "$tmp/config.saved"
  head -c 100 "$tmp/config.saved" >"$tmp/docker/containers/$web_id/config.v2.json"
  check_eq "docker: truncated config.v2.json: CONTAINER is the short ID" \
    "${web_id:0:12} ${web_id} docker" \
    "$("$XLSNS" -n -r -o CONTAINER,CONTAINERID,ENGINE -t net -Q "PID == $web_pid")"
  cp "$tmp/config.saved" "$tmp/docker/containers/$web_id/config.v2.json"
  # The data root comes from the container's /etc/hostname mount, not from reading every
  # process's name to find dockerd.
  check_eq "docker: the data root is found without a scan of every process" "0" \
    "$(strace -f -e trace=openat -o /dev/stdout "$XLSNS" -o NS,TYPE,CONTAINER 2>/dev/null |
      grep -c '/comm"')"
  check_eq "docker: no container column, no engine state read" "" \
    "$(strace -f -e trace=openat -o /dev/stdout "$XLSNS" -o NS,TYPE,PID 2>/dev/null |
      grep -F "$tmp/" | head -1)"

  # dockerd's socket, for a name that is not on disk: xlsns with the data root covered and
  # DOCKER_HOST naming SOCKET (dockerd's own is beside the data root, not in it).
  hidden_xlsns() {  # SOCKET XLSNS-ARG...
    local sock=$1; shift
    DOCKER_HOST="unix://$sock" xlsns_without "$tmp/docker" "$@"
  }
  web_name=$(docker inspect -f '{{.Name}}' nsutil-web)
  check_eq "docker: data root hidden, no socket there: CONTAINER is the short ID" \
    "${web_id:0:12} ${web_id} docker" \
    "$(hidden_xlsns "$tmp/none.sock" -n -r -o CONTAINER,CONTAINERID,ENGINE -t net -Q "PID == $web_pid")"
  check_eq "docker: data root hidden: the name comes from dockerd's socket (DOCKER_HOST)" \
    "${web_name#/} ${web_id} docker" \
    "$(hidden_xlsns "$tmp/docker.sock" -n -r -o CONTAINER,CONTAINERID,ENGINE -t net -Q "PID == $web_pid")"
  db_id=$(docker inspect -f '{{.Id}}' nsutil-db)
  check_eq "docker: data root hidden: both containers named by the socket" \
    "$(printf '%s nsutil-db\n%s nsutil-web' "$db_id" "$web_id" | sort)" \
    "$(hidden_xlsns "$tmp/docker.sock" -n -r -o CONTAINERID,CONTAINER -Q 'ENGINE == "docker"' |
      grep -E "^($db_id|$web_id) " | sort -u)"
  # libcurl is loaded only when a socket is asked: not when every name is on disk.
  check_eq "docker: names on disk: libcurl is not loaded" "0" \
    "$(DOCKER_HOST="unix://$tmp/docker.sock" strace -f -e trace=openat -o /dev/stdout \
      "$XLSNS" -o NS,TYPE,CONTAINER 2>/dev/null | grep -c 'libcurl')"
  check_eq "docker: data root hidden: libcurl is loaded to ask the socket" "loaded" \
    "$(DOCKER_HOST="unix://$tmp/docker.sock" hiding "$tmp/docker" \
      strace -f -e trace=openat -o /dev/stdout "$XLSNS" -o NS,TYPE,CONTAINER 2>/dev/null |
      grep -q 'libcurl\.so\.4' && echo loaded)"

  # A socket that accepts and never answers: each listing waits for it once (one connection,
  # one timeout of 250 ms), not once per container, and shows the short IDs.
  engine_socket() {  # MODE: a stand-in engine on $tmp/MODE.sock, its connections in MODE.log
    start_bg python3 "$(dirname "$0")/engine_socket.py" "$1" "$tmp/$1.sock" "$tmp/$1.log"
    : >"$tmp/$1.log"
    wait_until test -S "$tmp/$1.sock"
  }
  # "NS TYPE CONTAINER" of the test containers' network namespaces.
  net_rows() {  # FILE
    local name id pid
    for name in nsutil-db nsutil-web; do
      read -r id pid <<<"$(docker inspect -f '{{.Id}} {{.State.Pid}}' "$name")"
      grep "^$(readlink "/proc/$pid/ns/net" | tr -dc 0-9) net " "$1"
    done
  }
  expected_net() {  # CONTAINER-OF-WEB CONTAINER-OF-DB
    local name id pid
    for name in nsutil-db nsutil-web; do
      read -r id pid <<<"$(docker inspect -f '{{.Id}} {{.State.Pid}}' "$name")"
      echo "$(readlink "/proc/$pid/ns/net" | tr -dc 0-9) net ${id:0:12}"
    done
  }
  engine_socket hang
  hang_pid=$BG_PID
  t0=$(date +%s%N)
  hidden_xlsns "$tmp/none.sock" -n -r -o NS,TYPE,CONTAINER >/dev/null 2>&1
  t1=$(date +%s%N)
  hidden_xlsns "$tmp/hang.sock" -n -r -o NS,TYPE,CONTAINER >"$tmp/hang.out" 2>"$tmp/hang.err"
  rc=$?
  t2=$(date +%s%N)
  ms=$(((t2 - t1) / 1000000))
  diag "xlsns -o NS,TYPE,CONTAINER, data root hidden: $(((t1 - t0) / 1000000)) ms with no socket, $ms ms with one that never answers"
  # Only the note that a process could not be read may be on stderr: with few threads on the
  # host the listing reads /proc, where some hosts hide PID 1 even from root.
  check_eq "docker: a socket that never answers: the listing completes (exit 0)" "0 " \
    "$rc $(grep -v ' could not be read without privilege' "$tmp/hang.err")"
  check_eq "docker: a socket that never answers: CONTAINER is the short ID" \
    "$(expected_net)" "$(net_rows "$tmp/hang.out")"
  check_eq "docker: a socket that never answers is asked once for both containers" "1" \
    "$(wc -l <"$tmp/hang.log")"
  check "docker: a socket that never answers delays the listing by one timeout ($ms ms < $(scaled 3000))" \
    test "$ms" -lt "$(scaled 3000)"
  kill "$hang_pid"
  for mode in garbage 404 notjson; do
    engine_socket "$mode"
    out=$(hidden_xlsns "$tmp/$mode.sock" -n -r -o CONTAINER -t net -Q "PID == $web_pid" \
      2>"$tmp/$mode.err")
    rc=$?
    check_eq "docker: a socket answering $mode: CONTAINER is the short ID, the listing completes" \
      "${web_id:0:12} 0 asked" \
      "$out $rc $(test -s "$tmp/$mode.log" && echo asked)$(grep -v ' could not be read without privilege' "$tmp/$mode.err")"
    kill "$BG_PID"
  done
fi

# ---- Podman ---------------------------------------------------------------------------------
# All its state under $tmp: graph root, run root, libpod's tmp dir; vfs works on any /tmp.
podman() {
  "$PODMAN" --root "$tmp/proot" --runroot "$tmp/prun" --tmpdir "$tmp/ptmp" \
    --storage-driver vfs --cgroup-manager cgroupfs --events-backend file "$@"
}
on_exit "'$PODMAN' --root '$tmp/proot' --runroot '$tmp/prun' --tmpdir '$tmp/ptmp' --storage-driver vfs --cgroup-manager cgroupfs --events-backend file rmi -f nsutil-busybox:test"
on_exit "'$PODMAN' --root '$tmp/proot' --runroot '$tmp/prun' --tmpdir '$tmp/ptmp' --storage-driver vfs --cgroup-manager cgroupfs --events-backend file rm -f -t 0 nsutil-api nsutil-worker"
podman import "$tmp/rootfs.tar" nsutil-busybox:test >/dev/null 2>"$tmp/podman.log"
# podman's default rlimits (nofile and nproc of 1048576 and more) exceed what a container
# manager may set here; small ones are allowed everywhere.
ok_run=1
for name in nsutil-api nsutil-worker; do
  podman run -d --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --name "$name" \
    --network none nsutil-busybox:test /bin/sleep 300 >/dev/null 2>>"$tmp/podman.log" || ok_run=0
done
if [ "$ok_run" != 1 ]; then
  diag "$(tail -5 "$tmp/podman.log")"
  skip 8 "podman run failed"
else
  for name in nsutil-api nsutil-worker; do
    read -r id pid <<<"$(podman inspect -f '{{.Id}} {{.State.Pid}}' "$name")"
    check_container podman podman "$name" "$id" "$pid"
  done
  read -r api_id api_pid <<<"$(podman inspect -f '{{.Id}} {{.State.Pid}}' nsutil-api)"
  check_eq "podman: the container's cgroup is what the resolver reads (cgroupfs manager)" \
    "/libpod_parent/libpod-$api_id" "$(sed -n 's/^0:://p' "/proc/$api_pid/cgroup")"
  # The graph root is found through conmon's -b: nothing else names $tmp/proot.
  check_eq "podman: the graph root given by --root is found (conmon's bundle)" \
    "nsutil-api" "$("$XLSNS" -n -r -o CONTAINER -t uts -Q "PID == $api_pid")"
  check_eq "podman: ENGINE filter" "2" \
    "$("$XLSNS" -n -r -o NS -t pid -Q 'ENGINE == "podman"' | wc -l)"
  check "podman: conmon is in no container" \
    sh -c "test -z \"\$('$XLSNS' -n -r -o CONTAINER -Q \"PID == $(cut -d' ' -f4 /proc/$api_pid/stat)\")\""
  # Podman's socket (its Docker-compatible API) for a name not on disk: a `podman system
  # service` of the test's own, the graph root covered, CONTAINER_HOST naming the socket.
  start_bg "$PODMAN" --root "$tmp/proot" --runroot "$tmp/prun" --tmpdir "$tmp/ptmp" \
    --storage-driver vfs --cgroup-manager cgroupfs --events-backend file \
    system service --time=0 "unix://$tmp/podman.sock" 2>>"$tmp/podman.log"
  podman_service=$BG_PID
  for _ in $(seq 200); do [ -S "$tmp/podman.sock" ] && break; sleep 0.1; done
  check_eq "podman: graph root hidden, no socket there: CONTAINER is the short ID" \
    "${api_id:0:12} podman" \
    "$(CONTAINER_HOST="unix://$tmp/none.sock" xlsns_without "$tmp/proot" -n -r -o CONTAINER,ENGINE -t uts -Q "PID == $api_pid")"
  check_eq "podman: graph root hidden: the name comes from podman's socket (CONTAINER_HOST)" \
    "nsutil-api podman" \
    "$(CONTAINER_HOST="unix://$tmp/podman.sock" xlsns_without "$tmp/proot" -n -r -o CONTAINER,ENGINE -t uts -Q "PID == $api_pid")"
  kill "$podman_service"
fi

# ---- Both -----------------------------------------------------------------------------------
check_eq "the host's own namespaces are in no container" "" \
  "$("$XLSNS" -n -r -o CONTAINER -t net -Q 'PID == 1')"
check_eq "-o NS,TYPE,CONTAINER lists every namespace that -o NS,TYPE lists" \
  "$("$XLSNS" -n -r -l -o NS,TYPE)" "$("$XLSNS" -n -r -l -o NS,TYPE,CONTAINER | cut -d' ' -f1,2)"

# Clean up now, to check that it worked (on_exit repeats it, harmlessly).
docker rm -f nsutil-web nsutil-db >/dev/null 2>&1
podman rm -f -t 0 nsutil-api nsutil-worker >/dev/null 2>&1
stop_dockerd
check "dockerd stopped" sh -c "! kill -0 $dockerd_pid 2>/dev/null"
check_eq "no containers left: no process in a test container" "" \
  "$("$XLSNS" -n -r -o CONTAINER | grep -E '^nsutil-' | sort -u)"
check_eq "nothing left mounted under the test directory" "" \
  "$(findmnt -rn -o TARGET | grep -F "$tmp/")"

plan $_tap_n
done_testing
