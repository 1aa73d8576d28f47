# Container engines for the integration tests, sourced after lib.sh: Debian's docker.io, run by
# the test alone on state in a scratch directory (no other daemon or the host's storage is
# touched), and an image imported from a busybox-static root. Everything is removed on exit,
# even on failure: containers, images, the daemon (by its PID); lib.sh removes the directory
# with whatever an engine left mounted in it.

DOCKER=/usr/bin/docker  # Debian's client, which speaks to Debian's dockerd (not /usr/local/bin)
DOCKERD=/usr/sbin/dockerd
PODMAN=/usr/bin/podman
BUSYBOX=/bin/busybox

# engines_need PROGRAM...: skip the whole test when one is missing.
engines_need() {
  local p
  is_root || skip_all "needs root to run container engines"
  for p in "$@"; do
    [ -x "$p" ] || skip_all "$p is not installed (.ci/deps installs docker.io, podman, busybox-static)"
  done
}

# busybox_tar DIR: DIR/rootfs.tar, a root with busybox and the applets the tests call.
busybox_tar() {
  local c
  mkdir -p "$1/rootfs/bin"
  cp "$BUSYBOX" "$1/rootfs/bin/busybox"
  for c in sh sleep readlink hostname cat; do ln -s busybox "$1/rootfs/bin/$c"; done
  tar -C "$1/rootfs" -cf "$1/rootfs.tar" .
}

# start_dockerd DIR: a dockerd of the test's own with its state in DIR; `docker` then speaks to
# it. Returns non-zero (with the log's end as a diagnostic) when it does not come up.
start_dockerd() {
  local dir=$1
  echo '{}' >"$dir/daemon.json"
  "$DOCKERD" --config-file "$dir/daemon.json" --iptables=false --bridge=none \
    --data-root "$dir/docker" --exec-root "$dir/dexec" -H "unix://$dir/docker.sock" \
    --pidfile "$dir/docker.pid" >"$dir/dockerd.log" 2>&1 &
  dockerd_pid=$!
  _docker_sock=$dir/docker.sock
  on_exit stop_dockerd
  for _ in $(seq 100); do docker version >/dev/null 2>&1 && return 0; command sleep 0.2; done
  diag "$(tail -5 "$dir/dockerd.log")"
  return 1
}
docker() { "$DOCKER" -H "unix://$_docker_sock" "$@"; }
# Stopping dockerd stops the containerd it started; the tests remove their containers first.
stop_dockerd() {
  local n
  kill "$dockerd_pid" 2>/dev/null
  for n in $(seq 100); do kill -0 "$dockerd_pid" 2>/dev/null || return 0; command sleep 0.1; done
  kill -KILL "$dockerd_pid" 2>/dev/null
}

# docker_image DIR NAME: imports DIR/rootfs.tar as NAME, removed on exit.
docker_image() {
  on_exit "'$DOCKER' -H 'unix://$_docker_sock' rmi -f '$2' >/dev/null 2>&1"
  docker import "$1/rootfs.tar" "$2" >/dev/null
}

# docker_run NAME ARG...: docker run -d --name NAME --network none ARG..., removed on exit.
docker_run() {
  local name=$1; shift
  on_exit "'$DOCKER' -H 'unix://$_docker_sock' rm -f '$name' >/dev/null 2>&1"
  docker run -d --name "$name" --network none "$@" >/dev/null
}
