#!/bin/bash
# Who the new user namespace maps and who owns it, beyond what root can do alone:
#  - ranged maps for an unprivileged user, which go through newuidmap/newgidmap and the user's
#    /etc/subuid and /etc/subgid entries (the user nobody, given subordinate IDs for the test);
#  - --owner, root making a user namespace that another user owns (util-linux 2.42).
# Compared with util-linux unshare where the installed release has the option, else with the
# expected lines.
. "$(dirname "$0")/lib.sh"

is_root || skip_all "giving nobody subordinate IDs and switching to other users needs root"
command -v newuidmap >/dev/null && command -v newgidmap >/dev/null ||
  skip_all "newuidmap and newgidmap (package uidmap) are missing"
[ -f /etc/subuid ] && [ -f /etc/subgid ] || skip_all "/etc/subuid or /etc/subgid is missing"
command -v python3 >/dev/null || skip_all "python3 (for the NS_GET_OWNER_UID ioctl) is missing"
d=$(scratch)
chmod 755 "$d"  # users 1000 and 1001 open a namespace file in it

# nobody's subordinate IDs: stand-in /etc/subuid and /etc/subgid, bound over the real ones in a
# private mount namespace that only the command below lives in. newuidmap (setuid root) reads
# them there; nothing outside changes, and nothing is left to restore if the test is killed.
printf 'nobody:300000:65536\n' >"$d/subuid"
printf 'nobody:400000:65536\n' >"$d/subgid"
chmod 644 "$d/subuid" "$d/subgid"
# as_nobody CMD...: CMD as nobody (no groups) where nobody has those subordinate IDs.
as_nobody() {
  timeout 10 unshare -m --propagation private sh -c '
    mount --bind "$1" /etc/subuid && mount --bind "$2" /etc/subgid && shift 2 &&
    exec setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/ "$@"' \
    _ "$d/subuid" "$d/subgid" "$@"
}
# maps TOOL OPTION...: "uid_map gid_map" inside, on one line.
maps() { as_nobody "$@" sh -c 'cat /proc/self/uid_map /proc/self/gid_map' 2>&1 | xargs; }

# The stand-ins are seen by nobody's newuidmap and by nothing else.
check_eq "nobody's subordinate uids, as its newuidmap sees them" "nobody:300000:65536" \
  "$(as_nobody cat /etc/subuid)"
check "... and not outside" sh -c '! grep -q "^nobody:300000:" /etc/subuid'

# util-linux 2.38 takes OUTER,INNER,COUNT; xunshare takes it too, and INNER:OUTER:COUNT (2.39).
whole="0 300000 65536 0 400000 65536"
check_eq "--map-users/--map-groups (outer,inner,count) as nobody" "$whole" \
  "$(maps "$XUNSHARE" --map-users=300000,0,65536 --map-groups=400000,0,65536)"
check_eq "... the same as util-linux unshare" \
  "$(maps unshare --map-users=300000,0,65536 --map-groups=400000,0,65536)" \
  "$(maps "$XUNSHARE" --map-users=300000,0,65536 --map-groups=400000,0,65536)"
check_eq "--map-users/--map-groups (inner:outer:count) as nobody" "$whole" \
  "$(maps "$XUNSHARE" --map-users=0:300000:65536 --map-groups=0:400000:65536)"
check_eq "part of the block, uids only: no gid map" "0 300000 1000" \
  "$(maps "$XUNSHARE" --map-users=0:300000:1000)"
check_eq "... the same as util-linux unshare" "$(maps unshare --map-users=300000,0,1000)" \
  "$(maps "$XUNSHARE" --map-users=0:300000:1000)"
check_eq "--map-auto maps nobody's first block to 0" "$whole" "$(maps "$XUNSHARE" --map-auto)"
check_eq "... the same as util-linux unshare" "$(maps unshare --map-auto)" \
  "$(maps "$XUNSHARE" --map-auto)"
# With -r the caller's own ID (newuidmap lets anyone map that one) goes first, and a hole for
# inner 0 is cut out of the block.
holed="0 65534 1 1 300000 65535 0 65534 1 1 400000 65535"
check_eq "-r --map-auto" "$holed" "$(maps "$XUNSHARE" -r --map-auto)"
check_eq "... the same as util-linux unshare" "$(maps unshare -r --map-auto)" \
  "$(maps "$XUNSHARE" -r --map-auto)"
# --map-subids and the subids keyword are 2.41: expected lines only.
identity="300000 300000 65536 400000 400000 65536"
check_eq "--map-subids maps the block onto itself" "$identity" "$(maps "$XUNSHARE" --map-subids)"
check_eq "--map-users=subids --map-groups=subids" "$identity" \
  "$(maps "$XUNSHARE" --map-users=subids --map-groups=subids)"
check_eq "a range beyond the block is refused by newuidmap (status 1)" 1 \
  "$(status as_nobody "$XUNSHARE" --map-users=0:300000:65537 true)"

# --owner UID:GID: xunshare switches to UID and GID (and no groups) before unshare(), so the new
# user namespace belongs to them: the kernel's NS_GET_OWNER_UID names UID, the owner holds every
# capability in it (and may setns into it), other users do not.
owner_uid() {
  python3 -c 'import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print(struct.unpack("I", fcntl.ioctl(fd, 0xb704, bytes(4)))[0])  # NS_GET_OWNER_UID' "$1"
}
touch "$d/user"
check_eq "--owner=1000:1000 -r: the namespace's 0 maps onto the owner" "0 1000 1 0 1000 1" \
  "$(timeout 10 "$XUNSHARE" --user="$d/user" --owner=1000:1000 -r \
    sh -c 'cat /proc/self/uid_map /proc/self/gid_map' | xargs)"
check_eq "... NS_GET_OWNER_UID of the persisted namespace is the owner" 1000 "$(owner_uid "$d/user")"
check_eq "... the owner may enter it (util-linux nsenter as uid 1000)" 0 \
  "$(status timeout 10 setpriv --reuid=1000 --regid=1000 --clear-groups \
    nsenter --preserve-credentials --user="$d/user" true)"
check_eq "... another user may not (uid 1001)" 1 \
  "$(status timeout 10 setpriv --reuid=1001 --regid=1001 --clear-groups \
    nsenter --preserve-credentials --user="$d/user" true)"
umount "$d/user"
timeout 10 "$XUNSHARE" --user="$d/user" true
check_eq "without --owner NS_GET_OWNER_UID is root's 0 (the check above can tell)" 0 \
  "$(owner_uid "$d/user")"
umount "$d/user"

# The program runs as the owner, seen from outside: /proc/PID belongs to 1000:1000, and the
# supplementary groups xunshare was started with (setpriv gives it 4 and 27) are dropped.
start_bg setpriv --groups=4,27 "$XUNSHARE" --owner=1000:1000 sleep "$(scaled 10)"
# By its name: `command -v sleep` may say /bin/sleep where /proc/PID/exe says /usr/bin/sleep.
wait_until comm_is "$BG_PID" sleep
check_eq "--owner: the program's process belongs to 1000:1000" "1000:1000" \
  "$(stat -c %u:%g "/proc/$BG_PID")"
check_eq "... with no supplementary groups" "" \
  "$(sed -n 's/^Groups:[[:space:]]*//p' "/proc/$BG_PID/status" | xargs)"
check_eq "... in a user namespace that maps nothing (no map option)" "" \
  "$(cat "/proc/$BG_PID/uid_map")"
check_eq "--owner with -c maps the owner onto itself" "1000 1000 1 1000 1000 1" \
  "$(timeout 10 "$XUNSHARE" --owner=1000:1000 -c sh -c 'cat /proc/self/uid_map /proc/self/gid_map' | xargs)"
if unshare --owner=1000:1000 -r true 2>/dev/null; then
  check_eq "--owner as util-linux unshare" \
    "$(timeout 10 unshare --owner=1000:1000 -r sh -c 'cat /proc/self/uid_map /proc/self/gid_map' | xargs)" \
    "$(timeout 10 "$XUNSHARE" --owner=1000:1000 -r sh -c 'cat /proc/self/uid_map /proc/self/gid_map' | xargs)"
else
  diag "util-linux $(unshare --version | awk '{print $NF}') has no --owner (2.42): expected values only"
fi

plan $_tap_n
done_testing
