/*
 * bench/pool.c (built and run by bench/pool.sh): a warm start from a pool through the library, no CLI
 * process, against a cold start, interleaved round by round. Each round:
 *   cold:  containerv_create(/bin/true) with autostart, then containerv_wait        (the whole start + run)
 *   take:  containerv_pool_take (a ready container claimed and opened)
 *   start: containerv_pool_start (returns once the command is executed)
 *   warm:  take + start + containerv_wait (the command has exited): what a warm run costs the caller
 * The pool's keeper runs in a child process (as `containerv pool create` forks one); between rounds, off
 * the clock, the taken container is removed and the pool refilled. No network, /dev/null stdio.
 */
#define _GNU_SOURCE
#include <chef/containerv.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "pool bench: %s: %s\n", what, containerv_last_error());
	exit(1);
}

static struct containerv_options *template(const char *rootfs)
{
	const char *argv[] = {"/bin/true", NULL};
	struct containerv_options *o = NULL;

	if (containerv_options_new(&o) < 0 || containerv_options_set_rootfs(o, rootfs) < 0 ||
	    containerv_options_set_command(o, argv) < 0 ||
	    containerv_options_set_network_mode(o, CV_NETWORK_NONE, NULL) < 0 ||
	    containerv_options_set_stdio(o, CONTAINERV_STDIO_NULL, CONTAINERV_STDIO_NULL, CONTAINERV_STDIO_NULL) < 0)
		die("options");
	return o;
}

static void wait_ready(unsigned int ready)
{
	struct containerv_pool_info info;

	for (int i = 0; i < 1200; i++) {
		if (containerv_pool_inspect("bench", &info) < 0)
			die("inspect");
		if (info.ready >= ready)
			return;
		usleep(10 * 1000);
	}
	fprintf(stderr, "pool bench: the pool does not refill\n");
	exit(1);
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void report(const char *name, double *samples, int n)
{
	qsort(samples, (size_t)n, sizeof *samples, compare);
	printf("%-34s %5d %10.3f %10.3f %10.3f\n", name, n, samples[n / 2], samples[(n * 9 + 9) / 10 - 1], samples[0]);
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 50;
	const char *rootfs = argv[1];
	const char *true_argv[] = {"/bin/true", NULL};
	struct containerv_pool_config config = CONTAINERV_POOL_CONFIG_INIT;
	double *cold = calloc((size_t)n, sizeof *cold), *take = calloc((size_t)n, sizeof *take);
	double *start = calloc((size_t)n, sizeof *start), *warm = calloc((size_t)n, sizeof *warm);
	struct containerv_options *o;
	struct containerv_exit e;
	pid_t keeper;

	if (argc < 2 || n <= 0 || !cold || !take || !start || !warm) {
		fprintf(stderr, "usage: pool ROOTFS [ROUNDS]\n");
		return 2;
	}
	o = template(rootfs);
	config.min = 2;
	config.concurrency = 1;
	if (containerv_pool_create("bench", o, &config) < 0)
		die("pool create");
	keeper = fork();
	if (keeper == 0)
		_exit(containerv_pool_keeper_run("bench") == 0 ? 0 : 1);
	for (int round = -3; round < n; round++) {
		struct containerv_workload workload = CONTAINERV_WORKLOAD_INIT;
		struct containerv_container *c = NULL;

		double t0 = now_ms();
		if (containerv_create(o, &c) < 0 || containerv_wait(c, &e) < 0)
			die("cold run");
		double t1 = now_ms();
		containerv_destroy(c);
		wait_ready(2);
		workload.argv = true_argv;
		double t2 = now_ms();
		if (containerv_pool_take("bench", 0, &c) < 0)
			die("take");
		double t3 = now_ms();
		if (containerv_pool_start(c, &workload) < 0)
			die("start");
		double t4 = now_ms();
		if (containerv_wait(c, &e) < 0 || e.code != 0)
			die("wait");
		double t5 = now_ms();
		containerv_destroy(c);
		if (round < 0)
			continue; /* warm-up */
		cold[round] = t1 - t0;
		take[round] = t3 - t2;
		start[round] = t4 - t3;
		warm[round] = t5 - t2;
	}
	kill(keeper, SIGTERM);
	waitpid(keeper, NULL, 0);
	if (containerv_pool_remove("bench") < 0)
		die("pool rm");
	containerv_options_delete(o);
	printf("%-34s %5s %10s %10s %10s\n", "what (ms)", "n", "median", "p90", "min");
	report("library: cold create+run+exit", cold, n);
	report("library: pool take", take, n);
	report("library: pool start (to exec)", start, n);
	report("library: warm take+start+exit", warm, n);
	qsort(cold, (size_t)n, sizeof *cold, compare);
	printf("warm/cold (medians) %.3f\n", warm[n / 2] / cold[n / 2]);
	return 0;
}
