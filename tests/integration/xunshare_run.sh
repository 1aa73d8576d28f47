#!/bin/bash
# xunshare against util-linux unshare: namespaces, exit statuses, signals of the program, the
# default shell, descriptors. As an unprivileged user every call adds -r (both tools).
. "$(dirname "$0")/lib.sh"

U=()
if ! is_root; then
  can_userns || skip_all "unprivileged user namespaces are disabled"
  U=(-r)
fi
X=("$XUNSHARE" "${U[@]}")
UL=(unshare "${U[@]}")

for t in mnt uts ipc net pid cgroup time user; do
  flag=$(case $t in mnt) echo -m;; uts) echo -u;; ipc) echo -i;; net) echo -n;; pid) echo -fp;;
         cgroup) echo -C;; time) echo -T;; user) echo -U;; esac)
  host=$(readlink /proc/self/ns/$t)
  inner=$(timeout 10 "${X[@]}" $flag readlink /proc/self/ns/$t)
  check "$flag makes a new $t namespace" [ -n "$inner" ] && [ "$inner" != "$host" ]
done

like_unshare "hostname in a UTS namespace" -u sh -c 'hostname nsutil-xunshare-h; hostname'
check_eq "the hostname did not leak" "$(hostname)" "$(hostname)"
like_unshare "the program's options are its own" -u ls -d -l /
like_unshare "-- ends the options" -u -- sh -c 'echo "$0"' -x
like_unshare "exit status passes through" -u sh -c 'exit 7'
like_unshare "exit status with --fork" -f sh -c 'exit 9'
like_unshare "death by a signal is passed on" -f sh -c 'kill -TERM $$'
like_unshare "SIGSEGV is passed on" -f sh -c 'ulimit -c 0; kill -SEGV $$'
# A PATH that only searchable directories make up: with one the caller cannot search (one under /root
# for nobody), util-linux's execvp says EACCES and 126; xunshare still says "not found", 127.
PATH=/usr/sbin:/usr/bin:/sbin:/bin like_unshare "a program that is not found gives 127" -u nsutil-xunshare-no-such-program
out=$(PATH="/root/nsutil-unsearchable:$PATH" timeout 20 "${X[@]}" -u nsutil-xunshare-no-such-program 2>&1; echo "rc=$?")
check_eq "not found is 127 even past an unsearchable PATH directory" \
  "xunshare: failed to execute 'nsutil-xunshare-no-such-program': No such file or directory
rc=127" "$out"
like_unshare "a program that cannot run gives 126" -u /etc/passwd
like_unshare "a directory cannot run either" -u /
# With -f and nothing to do before the exec, xunshare spawns the program; the same failures.
like_unshare "a program that cannot run gives 126 (-fp)" -fp /etc/passwd
PATH=/usr/sbin:/usr/bin:/sbin:/bin like_unshare "a program that is not found gives 127 (-fp)" -fp nsutil-xunshare-no-such-program
# A file without "#!" is run by /bin/sh, as execvp(3) does; in a new PID namespace too, where
# the shell must be the namespace's first process.
noshebang=$(scratch)/no-shebang
printf 'echo "$# $1"; [ $$ != 1 ] || echo "PID 1"\nexit 5\n' >"$noshebang"
chmod 755 "$noshebang"
like_unshare "a script without #! runs under sh (-fp)" -fp "$noshebang" one
check_eq "... as the PID namespace's first process" "1 one
PID 1" "$(timeout 10 "${X[@]}" -fp "$noshebang" one)"
like_unshare "a script without #! runs under sh (-f)" -f "$noshebang" one
check_eq "the default shell is a login shell" "$(SHELL=/bin/sh timeout 10 "${UL[@]}" -u <<<'echo "$0"')" \
  "$(SHELL=/bin/sh timeout 10 "${X[@]}" -u <<<'echo "$0"')"
# Without $SHELL, util-linux 2.38 falls back to /bin/sh; newer releases (and xunshare) take the
# passwd entry's shell first: the entry of the user the program runs as (root under -r).
passwd_shell=$(getent passwd "$(timeout 10 "${X[@]}" -u id -u)" | cut -d: -f7)
# HOME without dotfiles: a login shell reads the user's profile, which on some machines takes
# seconds (pyenv init in root's .bashrc here: 2 s, and a minute under qemu's TCG).
check_eq "without \$SHELL the passwd shell ($passwd_shell) runs, as a login shell" \
  "$(cd / && HOME=/nonexistent; (exec -a "-${passwd_shell##*/}" "$passwd_shell") <<<'echo "$0"' 2>&1)" \
  "$(cd / && env -u SHELL HOME=/nonexistent timeout 10 "${X[@]}" -u <<<'echo "$0"' 2>&1)"
out=$(HOME=/nonexistent SHELL=/bin/bash timeout 10 "${X[@]}" -u <<<'echo "$0 $-"' 2>&1)
check_eq "\$SHELL is the default shell" "-bash hBs" "$out"

# -p without -f: util-linux leaves the program outside the namespace (its first child is PID 1,
# the second fork fails); xunshare forks, so the program itself is PID 1.
check_eq "echo \$\$ inside -fp prints 1" "1" "$(timeout 10 "${X[@]}" -fp sh -c 'echo $$')"
check_eq "-p alone forks too" "1 2" "$(timeout 10 "${X[@]}" -p sh -c 'echo $$; sh -c "echo \$\$"' | xargs)"
out=$(timeout 10 "${UL[@]}" -p sh -c 'sh -c true; sh -c true' 2>&1)
check "util-linux -p alone breaks on the second fork (the trap xunshare avoids)" grep -q "Cannot fork" <<<"$out"
check_eq "-mfp --mount-proc ps sees only itself" "1 ps" \
  "$(timeout 10 "${X[@]}" -mfp --mount-proc ps -o pid=,comm= | xargs)"
like_unshare "ps output matches util-linux" -mfp --mount-proc ps -o pid,comm

# No descriptor of xunshare's reaches the program: its fd table is the same as under
# util-linux (both inherit only this script's).
like_unshare "no descriptor leaks (no fork)" -u ls /proc/self/fd
like_unshare "no descriptor leaks (fork, pid)" -fp --mount-proc ls /proc/self/fd
like_unshare "no descriptor leaks (spawned)" -fp ls /proc/self/fd
like_unshare "no descriptor leaks (--kill-child)" --kill-child ls /proc/self/fd
check_eq "no descriptor leaks (--init)" "$(ls /proc/self/fd | xargs)" \
  "$(timeout 10 "${X[@]}" --init ls /proc/self/fd | xargs)"

# --wd and --root
d=$(scratch)
mkdir -p "$d/sub"
like_unshare "--wd changes directory" -u -w "$d/sub" pwd
like_unshare "--wd with a relative path" -u --wd=/ pwd
if is_root; then
  mkdir -p "$d/root/bin" "$d/root/lib" "$d/root/lib64" "$d/root/usr"
  cp /bin/busybox "$d/root/bin/" 2>/dev/null || cp /bin/sh "$d/root/bin/"
  mount --bind /usr "$d/root/usr"; on_exit "umount -l '$d/root/usr'"
  for l in lib lib64 bin; do [ -L /$l ] && rm -rf "$d/root/$l" && ln -s usr/$l "$d/root/$l"; done
  like_unshare "--root runs in the new root with cwd /" -R "$d/root" sh -c 'pwd; ls -d /usr'
  like_unshare "--root with --wd" -R "$d/root" -w /usr sh -c pwd
else
  like_unshare "--root needs privilege in the user namespace too" -R / sh -c pwd
fi

# setuid/setgid, maps
like_unshare "-S and -G" -U --map-user=0 --map-group=0 -S 0 -G 0 id -u
if is_root; then
  like_unshare "-S/-G without a user namespace" -u -S 65534 -G 65534 id
  like_unshare "-r as root" -r id
  like_unshare "-c as root" -c id
  like_unshare "--map-user/--map-group by name" --map-user=nobody --map-group=nogroup id
else
  like_unshare "-r maps to root" id -u
fi
out=$(timeout 10 "$XUNSHARE" -c id -u)
check_eq "-c maps the caller to itself" "$(id -u)" "$out"
like_unshare "the uid map of -r" cat /proc/self/uid_map
like_unshare "setgroups after a single gid map" cat /proc/self/setgroups
if is_root; then
  like_unshare "--setgroups deny" -U --setgroups deny cat /proc/self/setgroups
else
  # util-linux writes "deny" a second time after the gid map of -r and fails with EPERM.
  check_eq "--setgroups deny with -r" deny "$(timeout 10 "${X[@]}" --setgroups deny cat /proc/self/setgroups)"
fi

# ranged maps: root writes them itself (util-linux 2.40+; 2.38 runs newuidmap even for root).
maps() { timeout 10 "$XUNSHARE" "$@" sh -c 'cat /proc/self/uid_map /proc/self/gid_map' | xargs; }
if is_root; then
  check_eq "--map-users/--map-groups as root" "0 100000 1000 0 100000 1000" \
    "$(maps --map-users=0:100000:1000 --map-groups=100000,0,1000)"
  check_eq "repeated --map-users" "0 100000 10 10 200000 5 0 0 1" \
    "$(maps --map-users=0:100000:10 --map-users=10:200000:5 --map-groups=0:0:1)"
  check_eq "-r with a range cuts a hole without skipping outer ids" "0 0 1 1 100000 999 0 0 1" \
    "$(maps -r --map-users=0:100000:1000)"
  check_eq "--map-users=all is the identity" "0 0 4294967295 0 0 4294967295" \
    "$(maps --map-users=all --map-groups=all)"
  check_eq "--owner: the namespace's ids map onto the owner" "0 65534 1 0 65534 1" \
    "$(maps --owner=65534:65534 -r)"
  # Subordinate IDs from a stand-in /etc/subuid, bound over the real one in a private mount
  # namespace (root writes the maps itself, so newuidmap does not read them).
  printf 'root:100000:65536\n' >"$d/subids"
  sub() {
    timeout 10 unshare -m sh -c 'mount --bind "$1" /etc/subuid && mount --bind "$1" /etc/subgid &&
      shift && "$@"' _ "$d/subids" "$XUNSHARE" "$@" sh -c 'cat /proc/self/uid_map /proc/self/gid_map' | xargs
  }
  check_eq "--map-auto maps the first subordinate block to 0" \
    "0 100000 65536 0 100000 65536" "$(sub --map-auto)"
  check_eq "-r --map-auto keeps every subordinate id but the top one" \
    "0 0 1 1 100000 65535 0 0 1 1 100000 65535" "$(sub -r --map-auto)"
  check_eq "--map-subids maps the block onto itself" \
    "100000 100000 65536 100000 100000 65536" "$(sub --map-subids)"
  check_eq "--map-users=auto with --map-groups=subids" \
    "0 100000 65536 100000 100000 65536" "$(sub --map-users=auto --map-groups=subids)"
  out=$(HOME=/ timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$XUNSHARE" \
    --map-users=0:4000000000:10 true 2>&1); rc=$?
else
  out=$(timeout 10 "$XUNSHARE" --map-users=0:4000000000:10 true 2>&1); rc=$?
fi
check_eq "an unprivileged range outside /etc/subuid fails with status 1" 1 "$rc"
check "... and names newuidmap" grep -q "^xunshare: newuidmap" <<<"$out"
if ! grep -q "^$(id -un):" /etc/subuid 2>/dev/null; then
  out=$(timeout 10 "$XUNSHARE" --map-auto true 2>&1); rc=$?
  check_eq "--map-auto without subordinate ids: one line, status 1" \
    "1 xunshare: map '/etc/subuid': no subordinate IDs for user $(id -un)" "$rc $out"
fi

# propagation
if is_root; then
  like_unshare "propagation private (default)" -m findmnt -n -o PROPAGATION /
  like_unshare "--propagation slave" -m --propagation slave findmnt -n -o PROPAGATION /
  like_unshare "--propagation unchanged" -m --propagation unchanged findmnt -n -o PROPAGATION /
fi

# time namespace
like_unshare "--monotonic offset" -T --monotonic 86400 sh -c 'cut -d" " -f1 /proc/uptime | cut -d. -f1 >/dev/null; cat /proc/self/timens_offsets'
like_unshare "--boottime offset" -fT --boottime=-5 cat /proc/self/timens_offsets

# --keep-caps
if is_root; then
  like_unshare "--keep-caps as a non-root uid" -U --map-user=1000 --keep-caps grep CapAmb /proc/self/status
else
  out=$(timeout 10 "$XUNSHARE" -U --map-user=1000 --keep-caps grep CapAmb /proc/self/status)
  check "--keep-caps raises ambient caps" [ "$out" != "CapAmb:	0000000000000000" ]
fi

# binfmt_misc: an interpreter registered in a namespace of one's own, the host untouched. A
# binfmt_misc of a user namespace's own came with Linux 6.7; before, mounting one there is EPERM.
if [ -n "$(timeout 10 unshare -rm sh -c 'mount -t binfmt_misc none /mnt 2>/dev/null && echo y')" ]; then
  out=$(timeout 10 "$XUNSHARE" -rp -l ':nsutil-xunshare:E::nsutilx::/bin/sh:' \
    sh -c 'head -2 /proc/sys/fs/binfmt_misc/nsutil-xunshare' | xargs)
  check_eq "-l registers an interpreter in a new binfmt_misc" "enabled interpreter /bin/sh" "$out"
  check "... not on the host" [ ! -e /proc/sys/fs/binfmt_misc/nsutil-xunshare ]
  check_eq "--mount-binfmt=DIR mounts binfmt_misc there" "register status" \
    "$(timeout 10 "$XUNSHARE" -r --mount-binfmt=/mnt sh -c 'ls /mnt' | xargs)"
else
  skip_kernel 3 binfmt_userns "no binfmt_misc in a user namespace (Linux 6.7)"
fi
check_eq "--forward-signals is accepted and forks: the program's parent is xunshare" xunshare \
  "$(timeout 10 "${X[@]}" --forward-signals sh -c 'cat /proc/$PPID/comm')"

# A real-time signal is what the program gets: SIGRTMIN+1 when xunshare is SIGKILLed.
out=$(timeout 10 "${X[@]}" --kill-child=RTMIN+1 bash -c \
  'trap "echo caught; exit 0" RTMIN+1; kill -KILL $PPID; sleep 5 & wait' 2>/dev/null)
check_eq "--kill-child=RTMIN+1 sends SIGRTMIN+1" caught "$out"

# --clear-env and --whitelist-env (util-linux after 2.42, its test unshare/env): the program gets
# no variable, or only the listed ones, in the order of ours; with and without a fork.
E=(env -i A=1 B=2 C=3 PATH=/usr/bin:/bin)
for f in "" -f -fp; do
  check_eq "--clear-env $f: an empty environment" "" \
    "$("${E[@]}" timeout 10 "${X[@]}" $f --clear-env env 2>&1)"
  check_eq "--whitelist-env C,A $f: A and C only" "A=1 C=3" \
    "$("${E[@]}" timeout 10 "${X[@]}" $f --whitelist-env C,A env 2>&1 | xargs)"
done
check_eq "--whitelist-env lists add up, --clear-env keeps them" "A=1 B=2 PATH=/usr/bin:/bin" \
  "$("${E[@]}" timeout 10 "${X[@]}" --whitelist-env=B --clear-env --whitelist-env A,PATH env 2>&1 | xargs)"
check_eq "as upstream's unshare/env: --clear-env" CLEARED \
  "$(UL_TEST_ENV=foo timeout 10 "${X[@]}" --clear-env bash -c 'echo ${UL_TEST_ENV:-CLEARED}' 2>&1)"
check_eq "as upstream's unshare/env: --whitelist-env" "foo CLEARED" \
  "$(UL_TEST_ENV1=foo UL_TEST_ENV2=bar timeout 10 "${X[@]}" --whitelist-env UL_TEST_ENV1 \
    bash -c 'echo ${UL_TEST_ENV1:-CLEARED} ${UL_TEST_ENV2:-CLEARED}' 2>&1)"
check_eq "--clear-env: without PATH the program is found in the default one" "rc=127" \
  "$(env -i PATH=/nonexistent timeout 10 "${X[@]}" env true >/dev/null 2>&1; echo "rc=$?")"
check_eq "... and with --clear-env it is" "rc=0" \
  "$(env -i PATH=/nonexistent /usr/bin/timeout 10 "${X[@]}" --clear-env env true 2>&1; echo "rc=$?")"
# (stderr is left out: with HOME cleared, a login bash may not read the passwd home's profile)
check_eq "--clear-env: the default shell is the passwd one ($passwd_shell), SHELL is gone" \
  "-${passwd_shell##*/}" "$(cd / && SHELL=/bin/sh timeout 10 "${X[@]}" -u --clear-env <<<'echo "$0"' 2>/dev/null)"
check_eq "--whitelist-env SHELL keeps \$SHELL as the default shell" "-sh" \
  "$(cd / && SHELL=/bin/sh timeout 10 "${X[@]}" -u --whitelist-env SHELL <<<'echo "$0"' 2>&1)"

# The unprivileged note.
if ! is_root; then
  out=$(timeout 10 "$XUNSHARE" -n true 2>&1); rc=$?
  check_eq "unprivileged -n fails with status 1" 1 "$rc"
  check "the error says EPERM" grep -q "^xunshare: unshare failed: Operation not permitted" <<<"$out"
  check "a note says -r would work" grep -q "^xunshare: note: .*-r (--map-root-user)" <<<"$out"
else
  out=$(timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$XUNSHARE" -n true 2>&1)
  check "as nobody, a note says -r would work" grep -q "^xunshare: note: .*-r (--map-root-user)" <<<"$out"
  check "as nobody, -r makes it work" timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$XUNSHARE" -rn true
fi

plan $_tap_n
done_testing
