/* spawn_time CMD [ARG...]: runs CMD once (posix_spawnp, output to /dev/null) and prints its wall
 * time in microseconds and its peak resident memory in KiB, "WALL_US MAXRSS_KIB". The clock
 * starts just before the spawn and stops when the child is reaped, as farm-bench measures: a
 * shell's own fork (several ms on the development machine's virtual CPUs) is not in the figure.
 * Exit status: 0 if CMD exited 0, else 1. A helper of timing.sh; not a test. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char* argv[]) {
  if (argc < 2) {
    fprintf(stderr, "usage: spawn_time CMD [ARG...]\n");
    return 2;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid;
  if (posix_spawnp(&pid, argv[1], &fa, NULL, argv + 1, environ) != 0) {
    perror(argv[1]);
    return 1;
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) {
    perror("wait4");
    return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long long us = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
  printf("%lld %ld\n", us, ru.ru_maxrss);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
