/*
 * bench/held.c (built and run by bench/held.sh): what releasing a held container costs against a whole
 * start, through the library, interleaved round by round. Each round:
 *   run:     containerv_create(/bin/true) with autostart, then containerv_wait   (the whole start + run)
 *   release: containerv_create() with containerv_options_set_hold (not timed), then
 *            containerv_start (returns once the command is executed: its first instruction is next)
 *            and containerv_wait (the command has exited)
 *   cli:     `containerv start ID` of a held container as a process (CLI start-up included), against
 *            `containerv run --rm ... /bin/true`
 * Every container has no network (as bench/startup.sh) and /dev/null stdio (no log monitor).
 */
#define _GNU_SOURCE
#include <chef/containerv.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "held bench: %s: %s\n", what, containerv_last_error());
	exit(1);
}

static struct containerv_container *create(const char *rootfs, int hold)
{
	const char *argv[] = {"/bin/true", NULL};
	struct containerv_options *o = NULL;
	struct containerv_container *c = NULL;

	if (containerv_options_new(&o) < 0 || containerv_options_set_rootfs(o, rootfs) < 0 ||
	    containerv_options_set_command(o, argv) < 0 ||
	    containerv_options_set_network_mode(o, CV_NETWORK_NONE, NULL) < 0 ||
	    containerv_options_set_stdio(o, CONTAINERV_STDIO_NULL, CONTAINERV_STDIO_NULL, CONTAINERV_STDIO_NULL) < 0 ||
	    containerv_options_set_hold(o, hold) < 0 || containerv_create(o, &c) < 0)
		die("create");
	containerv_options_delete(o);
	return c;
}

static double run_process(char *const argv[])
{
	double start = now_ms();
	pid_t pid;
	int status;

	posix_spawn_file_actions_t actions;

	/* start prints the id: not on our table. */
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, argv[0], &actions, NULL, argv, environ) != 0 || waitpid(pid, &status, 0) != pid ||
	    status != 0) {
		fprintf(stderr, "held bench: %s %s failed\n", argv[0], argv[1]);
		exit(1);
	}
	posix_spawn_file_actions_destroy(&actions);
	return now_ms() - start;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void report(const char *name, double *samples, int n)
{
	qsort(samples, (size_t)n, sizeof *samples, compare);
	printf("%-28s %5d %10.3f %10.3f %10.3f\n", name, n, samples[n / 2], samples[(n * 9 + 9) / 10 - 1], samples[0]);
}

int main(int argc, char **argv)
{
	int n = argc > 3 ? atoi(argv[3]) : 50;
	const char *rootfs = argv[1], *cli = argv[2];
	double *run = calloc((size_t)n, sizeof *run), *exec = calloc((size_t)n, sizeof *exec);
	double *exited = calloc((size_t)n, sizeof *exited), *cli_run = calloc((size_t)n, sizeof *cli_run);
	double *cli_start = calloc((size_t)n, sizeof *cli_start);
	struct containerv_exit e;

	if (argc < 3 || n <= 0 || !run || !exec || !exited || !cli_run || !cli_start) {
		fprintf(stderr, "usage: held ROOTFS CONTAINERV_CLI [ROUNDS]\n");
		return 2;
	}
	for (int round = -3; round < n; round++) {
		/* The whole start, through the library. */
		double t0 = now_ms();
		struct containerv_container *c = create(rootfs, 0);
		if (containerv_wait(c, &e) < 0)
			die("wait");
		double t1 = now_ms();
		containerv_destroy(c);
		/* The release of a held one. */
		c = create(rootfs, 1);
		double t2 = now_ms();
		if (containerv_start(c) < 0)
			die("release");
		double t3 = now_ms();
		if (containerv_wait(c, &e) < 0)
			die("wait");
		double t4 = now_ms();
		/* The CLI: run --rm against start of a held one. */
		char *run_argv[] = {(char *)cli, "run",          "--rm",      "--network", "none",
		                    "--rootfs",  (char *)rootfs, "/bin/true", NULL};
		double cli_run_ms = run_process(run_argv);
		containerv_destroy(c);
		c = create(rootfs, 1);
		char id[65];
		snprintf(id, sizeof id, "%s", containerv_id(c));
		char *start_argv[] = {(char *)cli, "start", id, NULL};
		double cli_start_ms = run_process(start_argv);
		containerv_wait(c, &e);
		containerv_destroy(c);
		if (round < 0)
			continue; /* warm-up */
		run[round] = t1 - t0;
		exec[round] = t3 - t2;
		exited[round] = t4 - t2;
		cli_run[round] = cli_run_ms;
		cli_start[round] = cli_start_ms;
	}
	printf("%-28s %5s %10s %10s %10s\n", "what (ms)", "n", "median", "p90", "min");
	report("library: create+run+exit", run, n);
	report("library: release to exec", exec, n);
	report("library: release to exit", exited, n);
	report("cli: run --rm /bin/true", cli_run, n);
	report("cli: start (release) held", cli_start, n);
	return 0;
}
