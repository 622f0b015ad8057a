/*
 * bench/syscall-loop: N alternating getpid and stat calls, timed with
 * CLOCK_MONOTONIC inside the container; prints nanoseconds per call. Raw
 * syscall(2) so that libc caches nothing. Built static by bench/security.sh.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	struct timespec start, end;
	struct stat st;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long i = 0; i < n; i++) {
		if (i & 1)
			syscall(SYS_newfstatat, AT_FDCWD, "/", &st, 0);
		else
			syscall(SYS_getpid);
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	printf("%.1f\n", ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / (double)n);
	return 0;
}
