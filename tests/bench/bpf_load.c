/* Benchmark (not a test): how long libnsutil's BPF iterators take to load, attach and open,
 * nsutil_bpf_start() alone, without the listing around it: bpf_load [RUNS [TYPES]]. Built and run
 * by bpf_load.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "skeleton.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int by_value(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 50;
  /* The namespace types (skeleton.h): every type by default, 0x2 for net alone. */
  unsigned types = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 0xffu;
  if (runs < 1 || runs > 10000)
    runs = 50;
  double* ms = calloc((size_t)runs, sizeof *ms);
  if (!ms)
    return 1;
  for (int i = 0; i < runs; ++i) {
    int tasks, files;
    double start = now_ms();
    int rc = nsutil_bpf_start(1, types, &tasks, &files);
    ms[i] = now_ms() - start;
    if (rc < 0) {
      fprintf(stderr, "bpf_load: nsutil_bpf_start: error %d\n", -rc);
      return 1;
    }
    close(tasks);
    close(files);
  }
  qsort(ms, (size_t)runs, sizeof *ms, by_value);
  printf(
      "load, attach, open (both iterators; types 0x%02x), %d runs: min %.2f ms, median %.2f ms, "
      "max %.2f ms\n",
      types, runs, ms[0], ms[runs / 2], ms[runs - 1]);
  free(ms);
  return 0;
}
