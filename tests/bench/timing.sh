# Timing helpers of the benchmark scripts (sourced).

now_ns() { date +%s%N; }
# time_one CMD...: prints the wall time of one run in microseconds.
time_one() {
  local t0 t1
  t0=$(now_ns)
  "$@" >/dev/null 2>&1
  t1=$(now_ns)
  echo $(((t1 - t0) / 1000))
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
