#!/bin/bash
# `meson install` into a DESTDIR: the layout, the exported symbols, and a program built against
# the *installed* library with nothing but pkg-config (lib/examples/nsrun.cpp).
. "$(dirname "$0")/lib.sh"
plan 9

d=$(scratch)
meson install -C "$NSUTIL_BUILD_ROOT" --destdir "$d" --no-rebuild --quiet >/dev/null 2>&1
check "meson install into a DESTDIR succeeds" [ $? = 0 ]

pc=$(find "$d" -name libnsutil.pc)
# The library under its soname (libnsutil.so.N), as the build made it.
soname=$(readelf -d "$NSUTIL_BUILD_ROOT/lib/libnsutil.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
so=$(find "$d" -name "$soname")
check "libnsutil.pc is installed" [ -n "$pc" ]
check "the library is installed under its soname ($soname)" [ -n "$so" ]
check "public headers are installed under include/nsutil" \
  [ -n "$(find "$d" -path '*/include/nsutil/ns_handle.hpp')" ]

# Only nsutil's API is exported (hidden visibility by default); weak template instances of the
# standard library (W, V, u) are the toolchain's business.
stray=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBR]$/ {print $3}' | c++filt |
  grep -vE '^(nsutil::|(typeinfo|typeinfo name|vtable) for nsutil::|_init$|_fini$)' || true)
check_eq "only nsutil:: symbols are exported" "" "$stray"

flags=$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$d pkg-config --cflags --libs libnsutil)
# A sanitizer build's library needs its runtime loaded first: build the example the same way.
san=""
nm -D "$so" | grep -q ' U __asan_init' && san="-fsanitize=address,undefined"
g++ -std=c++20 $san -o "$d/nsrun" "$NSUTIL_SOURCE_ROOT/lib/examples/nsrun.cpp" $flags 2>"$d/cc.log"
check "the example builds against the installed library with pkg-config alone" [ -x "$d/nsrun" ]
[ -x "$d/nsrun" ] || diag "$(head -5 "$d/cc.log")"
out=$(LD_LIBRARY_PATH=$(dirname "$so") "$d/nsrun" /etc/passwd true 2>&1)
check_eq "the installed example runs" "nsrun: open '/etc/passwd': not a namespace file" "$out"

# Every built tool is installed with its man page and its three completions.
missing=""
for tool in xunshare xnsenter xlsns; do
  var=${tool^^}
  [ -n "${!var:-}" ] || continue
  [ -x "$(find "$d" -path "*/bin/$tool")" ] || missing="$missing bin/$tool"
  [ -n "$(find "$d" -path "*/share/man/man*/$tool.[18]")" ] || missing="$missing man:$tool"
  [ -n "$(find "$d" -path "*/share/bash-completion/completions/$tool")" ] || missing="$missing bash:$tool"
  [ -n "$(find "$d" -path "*/share/zsh/site-functions/_$tool")" ] || missing="$missing zsh:$tool"
  [ -n "$(find "$d" -path "*/share/fish/vendor_completions.d/$tool.fish")" ] || missing="$missing fish:$tool"
done
check_eq "every tool comes with its man page and completions" "" "$missing"
check "completions follow the prefix (nothing outside DESTDIR/usr/local)" \
  [ -z "$(find "$d" -path "$d/usr/share*" -print -quit)" ]
done_testing
