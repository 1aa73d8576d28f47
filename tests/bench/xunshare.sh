#!/bin/bash
# Start-up benchmark: xunshare against util-linux unshare, interleaved call by call so that
# both see the same machine load. Not a test; run as root (namespaces other than user need it):
#
#   tests/bench/xunshare.sh [BUILD_DIR] [CALLS]
#
# Prints the median wall time of each command, the ratio xunshare/unshare (at most 1.0 is the
# goal) and each tool's start-up cost: its time minus that of "minimal", a 30-line C program
# that makes the same system calls (unshare, fork, mount proc, exec, wait) and nothing else.
# Times come from bash's $EPOCHREALTIME, so no extra process is started per sample.
set -eu
build=${1:-build}
calls=${2:-200}
xunshare=$build/tools/xunshare/xunshare
[ -x "$xunshare" ] || { echo "no $xunshare; build first" >&2; exit 1; }
true_bin=$(type -P true)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/minimal.c" <<'C'
#define _GNU_SOURCE
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>
/* minimal u|n|p PROGRAM: unshare uts, net, or pid+mount (fork, private /, proc), then exec. */
int main(int argc, char *argv[]) {
  (void)argc;
  if (argv[1][0] == 'u') unshare(CLONE_NEWUTS);
  if (argv[1][0] == 'n') unshare(CLONE_NEWNET);
  if (argv[1][0] == 'p') {
    unshare(CLONE_NEWPID | CLONE_NEWNS);
    pid_t pid = fork();
    if (pid == 0) {
      mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL);
      mount("proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
      execvp(argv[2], argv + 2);
      _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    return WEXITSTATUS(st);
  }
  execvp(argv[2], argv + 2);
  return 127;
}
C
cc -O2 -o "$tmp/minimal" "$tmp/minimal.c"


median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

cases=("-u true" "-n true" "-fp --mount-proc true")
declare -A minimal=(["-u true"]="u true" ["-n true"]="n true" ["-fp --mount-proc true"]="p true")
declare -A samples
for ((i = 0; i < calls; i++)); do
  s=$EPOCHREALTIME; "$true_bin"; e=$EPOCHREALTIME
  samples[bare]+="$(( ${e/./} - ${s/./} )) "
  for c in "${cases[@]}"; do
    # shellcheck disable=SC2206
    margs=(${minimal[$c]})
    s=$EPOCHREALTIME; "$tmp/minimal" "${margs[@]}"; e=$EPOCHREALTIME
    samples[min $c]+="$(( ${e/./} - ${s/./} )) "
    # Alternate which tool goes first, so neither always gets the warmer cache.
    if ((i % 2)); then order=(ul x); else order=(x ul); fi
    for who in "${order[@]}"; do
      if [ "$who" = x ]; then cmd=("$xunshare"); else cmd=(unshare); fi
      # shellcheck disable=SC2206
      args=($c)
      s=$EPOCHREALTIME; "${cmd[@]}" "${args[@]}"; e=$EPOCHREALTIME
      samples[$who $c]+="$(( ${e/./} - ${s/./} )) "
    done
  done
done

med() { tr ' ' '\n' <<<"${samples[$1]}" | grep . | median; }
printf 'calls per command: %d, interleaved; medians in microseconds\n' "$calls"
printf 'bare fork+exec of true: %s\n\n' "$(med bare)"
printf '%-24s %8s %8s %8s %7s %15s %15s\n' command minimal unshare xunshare ratio \
  "unshare-minimal" "xunshare-minimal"
for c in "${cases[@]}"; do
  awk -v c="$c" -v m="$(med "min $c")" -v ul="$(med "ul $c")" -v x="$(med "x $c")" \
    'BEGIN { printf "%-24s %8.0f %8.0f %8.0f %7.3f %15.0f %15.0f\n", c, m, ul, x, x / ul, ul - m, x - m }'
done
