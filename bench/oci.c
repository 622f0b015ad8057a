/*
 * bench/oci.c: one OCI lifecycle as an engine drives it, timed: `RUNTIME create --bundle B --pid-file P ID`,
 * `RUNTIME start ID`, the container's process waited for (this driver is a child subreaper, so the
 * runtime's orphaned init becomes its child, as it becomes the shim's), `RUNTIME delete ID`.
 *
 *   oci ROOT BUNDLE ID RUNTIME...   prints the nanoseconds the whole cycle took; exit 1 on a failed step
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char **runtime_argv;
static int runtime_argc;

/* Runs the runtime with --root ROOT and the given arguments; 0 when it exited 0. */
static int run(const char *root, const char *const *args)
{
	char *argv[32];
	int argc = 0;

	for (int i = 0; i < runtime_argc; i++)
		argv[argc++] = runtime_argv[i];
	argv[argc++] = "--root";
	argv[argc++] = (char *)root;
	for (int i = 0; args[i] != NULL && argc < 31; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "oci: %s %s failed (status %d)\n", argv[0], args[0], status);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char pid_file[4096];
	struct timespec start, end;

	if (argc < 5) {
		fprintf(stderr, "usage: oci ROOT BUNDLE ID RUNTIME [ARGS...]\n");
		return 2;
	}
	const char *root = argv[1], *bundle = argv[2], *id = argv[3];
	runtime_argv = argv + 4;
	runtime_argc = argc - 4;
	snprintf(pid_file, sizeof pid_file, "%s/pid", bundle);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("oci: PR_SET_CHILD_SUBREAPER");
		return 1;
	}
	unlink(pid_file);
	clock_gettime(CLOCK_MONOTONIC, &start);
	const char *create[] = {"create", "--bundle", bundle, "--pid-file", pid_file, id, NULL};
	const char *begin[] = {"start", id, NULL};
	const char *delete[] = {"delete", id, NULL};
	if (run(root, create) < 0)
		return 1;
	FILE *file = fopen(pid_file, "r");
	long pid = 0;
	if (file == NULL || fscanf(file, "%ld", &pid) != 1 || pid <= 0) {
		fprintf(stderr, "oci: no pid in %s\n", pid_file);
		return 1;
	}
	fclose(file);
	if (run(root, begin) < 0)
		return 1;
	/* The init, orphaned by create, is ours now: wait for it (and reap any other orphan on the way). */
	for (;;) {
		int status;
		pid_t reaped = waitpid(-1, &status, 0);
		if (reaped == (pid_t)pid)
			break;
		if (reaped < 0 && errno != EINTR) {
			fprintf(stderr, "oci: the container's process %ld is not ours to wait for\n", pid);
			return 1;
		}
	}
	if (run(root, delete) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &end);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	printf("%lld\n", (long long)(end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec));
	return 0;
}
