#!/bin/bash
# Persist files (--TYPE=FILE) that another user controls. nobody makes a directory under /tmp and
# in it symbolic links to a file of root's; root's xunshare --TYPE=LINK must refuse in one line
# and bind nothing, where util-linux unshare binds the namespace over root's file. Runs in a
# mount namespace of its own (private), so that the mount table it compares is changed by nothing
# but the programs it runs, and all they mount goes away with it.
if [ "${1:-}" != --inside ] && [ "$(id -u)" = 0 ]; then
  exec unshare -m --propagation private bash "$0" --inside
fi
. "$(dirname "$0")/lib.sh"

is_root || skip_all "the attack is on root's xunshare"
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
"${nobody[@]}" true || skip_all "cannot run a command as nobody (setpriv)"

# Root's victim, in a directory of root's (only root may write there).
v=$(mktemp -d /var/tmp/nsutil-it.victim.XXXXXX) || exit 1
on_exit "rm -rf '$v'"
chmod 755 "$v"
echo "root's file" >"$v/victim"

# The attacker's part, all as nobody.
a=$("${nobody[@]}" mktemp -d /tmp/nsutil-it.attacker.XXXXXX) || exit 1
on_exit "rm -rf '$a'"
"${nobody[@]}" ln -s "$v/victim" "$a/link"
"${nobody[@]}" ln -s "$v" "$a/sub"
check_eq "nobody owns the attacker's directory and links" "65534 65534 65534" \
  "$(stat -c %u "$a" "$a/link" "$a/sub" | xargs)"
# Whatever the tools leave mounted is undone before the directories are removed.
on_exit "findmnt -rn -o TARGET | grep -F -e '$v' -e '$a' | sort -r | xargs -r -n1 umount -l"

table() { findmnt -rn -o TARGET,SOURCE,FSTYPE | sort; }
before=$(table)
refusal="is a symbolic link; a namespace is bound onto the file itself, not through a link"
# refused OPTION TARGET WHY: xunshare OPTION=TARGET ends with status 1 and one line on stderr,
# "xunshare: persist 'TARGET': WHY", and the mount table is as before (what changed is shown).
refused() {
  local out rc
  out=$(timeout 10 "$XUNSHARE" "$1=$2" true 2>&1 >/dev/null); rc=$?
  check_eq "xunshare $1=${2#"$a"/} is refused in one line" \
    "1 xunshare: persist '$2': $3" "$rc $out"
  check_eq "... and mounts nothing" "" "$(diff <(echo "$before") <(table) | grep '^[<>]')"
}

for option in --uts --net --mount --user --ipc --cgroup; do
  refused "$option" "$a/link" "$refusal"
done
refused --uts "$a/sub/victim" \
  "'$a/sub' is a symbolic link owned by uid 65534; only links owned by root are followed"
refused --net "$a/sub/new" \
  "'$a/sub' is a symbolic link owned by uid 65534; only links owned by root are followed"
check_eq "root's file is not a mount, and unchanged" "no root's file" \
  "$(findmnt "$v/victim" >/dev/null && echo yes || echo no) $(cat "$v/victim")"
check_eq "the link is still nobody's link to it" "$v/victim 65534" \
  "$(readlink "$a/link") $(stat -c %u "$a/link")"
check_eq "nothing was created in root's directory" "victim" "$(cd "$v" && echo *)"

# A link of root's at the end is refused as well: the file itself is bound, never a link's target.
ln -s "$v/victim" "$a/roots"
refused --uts "$a/roots" "$refusal"
# Root's links on the way are followed, and root may bind into nobody's directory.
ln -s "$v" "$v/here"
"$XUNSHARE" --uts="$v/here/bound" --net="$a/plain" true
check_eq "a namespace is bound through root's own link, and into nobody's directory" "nsfs nsfs" \
  "$(findmnt -n -o FSTYPE "$v/bound") $(findmnt -n -o FSTYPE "$a/plain")"
umount "$v/bound" "$a/plain"

# util-linux 2.38 follows the link: the namespace is bound over root's file.
unshare --uts="$a/link" true 2>/dev/null
check_eq "util-linux unshare --uts=LINK binds over the link's target (xunshare refuses)" nsfs \
  "$(findmnt -n -o FSTYPE "$v/victim")"
umount "$v/victim"
check_eq "... which is root's file again once unmounted" "root's file" "$(cat "$v/victim")"

plan $_tap_n
done_testing
