#!/bin/bash
# Every long option xunshare --help lists is in the man page and in all three completions.
. "$(dirname "$0")/lib.sh"

src=${NSUTIL_SOURCE_ROOT:-$(dirname "$0")/../..}
opts=$("$XUNSHARE" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u)
[ -n "$opts" ] || skip_all "no options in --help"
for f in man/xunshare.1.scd completions/bash/xunshare completions/zsh/_xunshare \
         completions/fish/xunshare.fish; do
  missing=()
  for o in $opts; do
    grep -qE -- "(^|[^a-z-])$o([^a-z-]|$)" "$src/$f" || missing+=("$o")
  done
  check_eq "$f has every long option of --help" "" "${missing[*]}"
done
out=$(scdoc <"$src/man/xunshare.1.scd" 2>&1 >/dev/null)
check_eq "the man page is valid scdoc" "" "$out"
if command -v man >/dev/null; then
  t=$(scratch)
  scdoc <"$src/man/xunshare.1.scd" >"$t/xunshare.1"
  check_eq "the man page renders without warnings" "" "$(man --warnings -l "$t/xunshare.1" 2>&1 >/dev/null)"
else
  skip 1 "man is not installed"
fi
for shell in bash zsh fish; do
  case $shell in
    bash) f=completions/bash/xunshare; cmd=(bash -n) ;;
    zsh) f=completions/zsh/_xunshare; cmd=(zsh -n) ;;
    fish) f=completions/fish/xunshare.fish; cmd=(fish -n) ;;
  esac
  if command -v $shell >/dev/null; then
    check "the $shell completion parses" "${cmd[@]}" "$src/$f"
  else
    skip 1 "$shell is not installed"
  fi
done

plan $_tap_n
done_testing
