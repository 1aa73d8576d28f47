#!/bin/bash
# Persistence (--TYPE=FILE) for all eight types in one call, entered afterwards by util-linux
# nsenter; refusing to stack; failures that leave nothing mounted.
. "$(dirname "$0")/lib.sh"

is_root || skip_all "binding namespace files onto host files needs root"
d=$(scratch)
# A mount namespace can only be bound onto a mount that is not shared.
mount --bind "$d" "$d" && mount --make-private "$d"
on_exit "umount -l '$d'"

mounts_below() { findmnt -rn -o TARGET | grep -cF "$1"; }

# All eight types at once; pid and time are bound from *_for_children after the first fork.
"$XUNSHARE" -mfp -r --kill-child --mount="$d/mnt" --uts="$d/uts" --ipc="$d/ipc" --net="$d/net" \
  --pid="$d/pid" --cgroup="$d/cgroup" --time="$d/time" --user="$d/user" \
  sh -c 'hostname nsutil-xunshare-p; sleep "$0"' "$(scaled 30)" &
pid=$!
on_exit "kill -KILL $pid"
for _ in $(seq 50); do [ "$(mounts_below "$d/")" -ge 8 ] && break; sleep 0.1; done
for t in mnt uts ipc net pid cgroup time user; do
  check_eq "--$t=FILE holds a $t namespace" "nsfs" "$(findmnt -n -o FSTYPE "$d/$t")"
done
opt() { case $1 in mnt) echo mount;; *) echo "$1";; esac; }
for t in mnt uts ipc net pid cgroup time user; do
  inner=$(timeout 10 nsenter --"$(opt $t)"="$d/$t" readlink /proc/self/ns/$t 2>&1)
  expected=$(stat -L -c %i "$d/$t")
  check_eq "util-linux nsenter enters the persisted $t namespace" "$t:[$expected]" "$inner"
done
check_eq "the persisted UTS namespace has the hostname" nsutil-xunshare-p \
  "$(timeout 10 nsenter --uts="$d/uts" hostname)"
kill -KILL $pid; wait $pid 2>/dev/null
check_eq "namespaces outlive the program" "nsfs" "$(findmnt -n -o FSTYPE "$d/net")"
for t in mnt uts ipc net pid cgroup time user; do umount "$d/$t"; done

# Without -m/-U the files are bound by xunshare itself; without -f too.
"$XUNSHARE" --uts="$d/u2" --net="$d/n2" true
check_eq "--uts/--net without fork persist" "nsfs nsfs" \
  "$( (findmnt -n -o FSTYPE "$d/u2"; findmnt -n -o FSTYPE "$d/n2") | xargs)"
umount "$d/u2" "$d/n2"; rm -f "$d/u2" "$d/n2"
"$XUNSHARE" -T --time="$d/t2" true
check_eq "--time without fork persists" nsfs "$(findmnt -n -o FSTYPE "$d/t2")"
umount "$d/t2"

# --user=FILE alone (util-linux before 2.42 always failed: it had lost the right to mount).
"$XUNSHARE" --user="$d/u9" true
check_eq "--user=FILE alone persists" "user:[$(stat -L -c %i "$d/u9" 2>/dev/null)]" \
  "$(timeout 10 nsenter --preserve-credentials --user="$d/u9" readlink /proc/self/ns/user 2>&1)"
umount "$d/u9"; rm -f "$d/u9"

# Refuse to stack: /run/netns/NAME made by ip netns add.
name=nsutil-xunshare-$$-stack
ip netns add "$name" && on_exit "ip netns del $name"
out=$("$XUNSHARE" --net=/run/netns/$name true 2>&1); rc=$?
check_eq "a file that holds a namespace is refused" 1 "$rc"
check_eq "... with a message that says how to enter it" \
  "xunshare: persist '/run/netns/$name': already holds a net namespace; enter it with xnsenter --net=/run/netns/$name, or unmount it first (umount /run/netns/$name)" "$out"
check_eq "... nothing stacked on it" 1 "$(findmnt -rn -o TARGET | grep -cx /run/netns/$name)"
check "ip netns del still works" ip netns del "$name"
ip netns add "$name"

# A mount namespace onto a shared mount: util-linux fails with a bare EINVAL.
s=$d/shared
mkdir "$s" && mount -t tmpfs nsutil-xunshare "$s" && mount --make-shared "$s"
on_exit "umount -l '$s'"
out=$("$XUNSHARE" --propagation unchanged --mount="$s/m" true 2>&1); rc=$?
check_eq "a mount namespace on a shared mount fails" 1 "$rc"
check "... and says what to do" grep -q "make its directory a private bind mount first (mount --bind $s $s && mount --make-private $s)" <<<"$out"
check_eq "... nothing left mounted, no file left" "0 no" \
  "$( (mounts_below "$s/"; [ -e "$s/m" ] && echo yes || echo no) | xargs)"
out=$(unshare --propagation unchanged --mount="$s/m2" true 2>&1)
check "util-linux gives no explanation there" sh -c '! printf "%s" "$1" | grep -q private' _ "$out"
umount "$s/m2" 2>/dev/null; rm -f "$s/m2"
"$XUNSHARE" --mount="$s/m" true
check_eq "with the default propagation xunshare binds it anyway (bound after private)" nsfs \
  "$(findmnt -n -o FSTYPE "$s/m")"
umount "$s/m"

# Failure paths: nothing mounted afterwards.
before=$(findmnt -rn | wc -l)
fail() {
  local what=$1; shift
  local out rc
  out=$(timeout 10 "$XUNSHARE" "$@" 2>&1); rc=$?
  check_eq "$what: status 1" 1 "$rc"
  check "$what: one line starting 'xunshare: '" \
    sh -c '[ "$(printf "%s\n" "$1" | wc -l)" = 1 ] && [ "${1#xunshare: }" != "$1" ]' _ "$out"
  check_eq "$what: nothing left mounted" "$before" "$(findmnt -rn | wc -l)"
}
fail "missing directory" -mfp --uts="$d/u" --net="$d/missing/n" true
check "missing directory: the good target was not created" [ ! -e "$d/u" ]
fail "target is a directory" --net="$d" true
fail "100 kB name" --uts="$d/$(head -c 100000 /dev/zero | tr '\0' n)" true
out=$(timeout 10 "$XUNSHARE" -f --uts="$d/u3" nsutil-xunshare-no-such-program 2>&1); rc=$?
check_eq "the program is not found: 127 and nothing mounted" "127 $before" "$rc $(findmnt -rn | wc -l)"
out=$(timeout 10 "$XUNSHARE" --uts="$d/u8" /etc/passwd 2>&1); rc=$?
check_eq "the program cannot run (no fork): 126 and nothing mounted" "126 $before" "$rc $(findmnt -rn | wc -l)"
fail "missing --wd" --uts="$d/u4" -w "$d/missing" true
fail "missing --root" --uts="$d/u5" -R "$d/missing" true
fail "missing --mount-proc directory" --uts="$d/u6" --mount-proc="$d/missing" true
fail "stacking with several files" --uts="$d/u7" --net="/run/netns/$name" true
left=$(cd "$d" && ls -d u? 2>/dev/null | xargs)
check_eq "no target files were left behind" "" "$left"

plan $_tap_n
done_testing
