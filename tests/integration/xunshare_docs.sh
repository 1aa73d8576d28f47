#!/bin/bash
# xunshare's man page is valid scdoc that man renders, and its completions parse. (That they
# name every option of xunshare's option table is the unit test tests/unit/test_docs.cpp.)
. "$(dirname "$0")/lib.sh"

src=${NSUTIL_SOURCE_ROOT:-$(dirname "$0")/../..}
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
