#!/bin/bash
# How the programs are linked (lib/README.md). The default build: each program loads the shared
# libnsutil by its soname, read from the built library (from the build tree through meson's rpath;
# once installed, from the system's library path, with no rpath at all), and nothing it does not
# use; -Dself_contained=true: only libc (and libsmartcols for xlsns). Either way none of nsutil's
# code runs at static-initialisation time and libnsutil exports nsutil's symbols only.
. "$(dirname "$0")/lib.sh"
plan 8

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' '; }
programs=("$XUNSHARE" "$XNSENTER" "$XLSNS")
lib=$NSUTIL_BUILD_ROOT/lib/libnsutil.so
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')  # libnsutil.so.N

bad=""
for p in "${programs[@]}"; do
  n=$(needed "$p")
  base=$(basename "$p")
  if [ "${NSUTIL_SELF_CONTAINED:-0}" = 1 ]; then
    want="libc.so.6 "
    [ "$base" = xlsns ] && want="libc.so.6 libsmartcols.so.1 "
    # A static libstdc++ may add the loader itself as a dependency.
    n=${n/ld-linux-x86-64.so.2 /}
    [ "$n" = "$want" ] || bad="$bad $base:[$n]"
  else
    case " $n" in *" $soname "*) ;; *) bad="$bad $base:no-$soname" ;; esac
    # Each is needed by name only where the program calls it: libsmartcols by xlsns alone,
    # libdl, libpthread, libm (glibc 2.34 put dlopen and threads in libc) by none, nor libmount
    # and libcurl, which libnsutil loads with dlopen() when it needs them. Clang links its
    # sanitizers' runtime into the program (GCC's is a library of its own), and that needs libm.
    unwanted=(libdl.so.2 libpthread.so.0 libm.so.6 libmount.so.1 libcurl.so.4)
    nm -D --defined-only "$p" | grep -q ' __asan_init$' && unwanted=("${unwanted[@]/libm.so.6/}")
    for x in "${unwanted[@]}"; do
      [ -n "$x" ] || continue
      case " $n" in *" $x "*) bad="$bad $base:$x" ;; esac
    done
    if [ "$base" != xlsns ]; then
      case " $n" in *" libsmartcols.so.1 "*) bad="$bad $base:libsmartcols" ;; esac
    fi
  fi
done
for x in libmount.so.1 libcurl.so.4; do
  case " $(needed "$lib")" in *" $x "*) bad="$bad libnsutil:$x" ;; esac
done
check_eq "each program needs the libraries its build calls for, and no others" "" "$bad"

if [ "${NSUTIL_SELF_CONTAINED:-0}" = 1 ]; then
  loaded=$(LD_TRACE_LOADED_OBJECTS=1 "$XUNSHARE" | grep -c 'libnsutil\|libstdc++\|libboost\|libfmt' || true)
  check_eq "the self-contained xunshare loads no C++ library" 0 "$loaded"
else
  where=$(env -u LD_LIBRARY_PATH LD_TRACE_LOADED_OBJECTS=1 "$XUNSHARE" |
    awk -v so="$soname" '$1 == so && $2 == "=>" {print $3}')
  check_eq "in the build tree, xunshare loads the build tree's libnsutil" \
    "$(realpath "$lib")" "$(realpath "$where" 2>/dev/null)"
fi

# init_entries FILE: the functions FILE's .init_array holds (run before main, on every call), from
# the relative relocations that fill it.
init_entries() {
  local f=$1 addr size off addend
  read -r addr size < <(readelf -SW "$f" | awk '$2 == ".init_array" {print $4, $6}')
  [ -n "$addr" ] || return 0
  readelf -rW "$f" | awk '$3 == "R_X86_64_RELATIVE" {print $1, $4}' |
    while read -r off addend; do
      if ((16#$off >= 16#$addr && 16#$off < 16#$addr + 16#$size)); then
        nm "$f" | awk -v a="$(printf '%016x' $((16#$addend)))" '$1 == a {print $3; exit}'
      fi
    done
}
# Allowed: the C runtime's frame_dummy, the sanitizers' constructors (GCC gives them the reserved
# priority 99: _sub_I_00099_*; clang names them asan.module_ctor and sancov.module_ctor*, and
# links in its runtime's own), and (self-contained) those of the Boost and libstdc++ objects
# linked in. Anything else is a global of ours with a constructor.
inits=""
for f in "${programs[@]}" "$lib"; do
  for e in $(init_entries "$f"); do
    case "$e" in
      frame_dummy | *_sub_I_00099_* | asan.module_ctor | sancov.module_ctor* | \
        _GLOBAL__sub_I_sanitizer_* | *boost* | *.cc) ;;
      *) inits="$inits $(basename "$f"):$e" ;;
    esac
  done
done
check_eq "no static initialisers of nsutil's own in the programs or libnsutil" "" "$inits"

stray=$(nm -D --defined-only "$lib" | awk '{print $3}' |
  grep -vE '^_ZN?K?6nsutil|^_ZT[ISV]N6nsutil' | c++filt | head -3 || true)
check_eq "libnsutil exports nsutil's symbols only (lib/libnsutil.map)" "" "$stray"

d=$(scratch)
meson install -C "$NSUTIL_BUILD_ROOT" --destdir "$d" --no-rebuild --quiet >/dev/null 2>&1
check "meson install into a DESTDIR succeeds" [ $? = 0 ]
bin=$(dirname "$(find "$d" -path '*/bin/xunshare')")
so=$(find "$d" -name "$soname")
rpaths=""
for f in "$bin"/x* "$so"; do
  readelf -d "$f" | grep -qE '\((RPATH|RUNPATH)\)' && rpaths="$rpaths $(basename "$f")"
done
check_eq "no rpath in the installed programs or library" "" "$rpaths"
# Against the installed library, found through the library path as ld.so would find it in /usr/lib.
out=$(LD_LIBRARY_PATH=$(dirname "$so") "$bin/xunshare" --version 2>&1)
check "the installed xunshare runs" [ $? = 0 ]
[ -n "$out" ] || diag "no output"
if [ "${NSUTIL_SELF_CONTAINED:-0}" = 1 ]; then
  check "(self-contained: libnsutil is not loaded)" true
else
  where=$(LD_LIBRARY_PATH=$(dirname "$so") LD_TRACE_LOADED_OBJECTS=1 "$bin/xunshare" |
    awk -v so="$soname" '$1 == so && $2 == "=>" {print $3}')
  check_eq "the installed xunshare loads the installed libnsutil" "$(realpath "$so")" \
    "$(realpath "$where" 2>/dev/null)"
fi
done_testing
