# Timing helpers of the benchmark scripts (sourced; they need a C compiler).

# spawn_time.c, built once per script; the script's exit trap calls timing_cleanup.
timing_dir=$(mktemp -d)
timing_cleanup() { rm -rf "$timing_dir"; }
cc -O2 -o "$timing_dir/spawn_time" "$(dirname "${BASH_SOURCE[0]}")/spawn_time.c" ||
  { echo "timing.sh: cannot build spawn_time.c" >&2; exit 1; }

# time_one CMD...: prints the wall time of one run in microseconds, from the spawn to the reaping
# of CMD (spawn_time.c). An earlier version read `date +%s%N` around the command in the shell:
# the shell's fork and date's fork and exec, 3 to 4 ms on these virtual CPUs, were counted in
# every run and pulled every ratio towards 1.
time_one() {
  local out
  out=$("$timing_dir/spawn_time" "$@")
  echo "${out% *}"
}
# peak_kib CMD...: the peak resident memory of one run of CMD in KiB.
peak_kib() {
  local out
  out=$("$timing_dir/spawn_time" "$@")
  echo "${out#* }"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
