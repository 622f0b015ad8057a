/*
 * bench: the benchmark suite (bench/suite.sh, docs/performance.md) run against this very binary. Thin on
 * purpose: the suite is a script that drives the CLI as a user would, next to crun and runc. It is
 * found next to the binary (<bindir>/../share/containerv/bench when installed, the source tree's bench/
 * for the build tree's binary), or in $CONTAINERV_BENCH_DIR; the rootfs is the CLI's built-in busybox.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "rootfs-path.h"

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The suite's directory into out: $CONTAINERV_BENCH_DIR, else the one that belongs to this binary. */
static int find_suite(const char *self, char *out, size_t size)
{
	const char *env = getenv("CONTAINERV_BENCH_DIR");
	char directory[PATH_MAX], *slash;

	if (env != NULL && env[0] != '\0') {
		snprintf(out, size, "%s", env);
	} else {
		snprintf(directory, sizeof directory, "%s", self);
		slash = strrchr(directory, '/');
		if (slash != NULL)
			*slash = '\0';
		if (strcmp(directory, CONTAINERV_BUILD_BINARY_DIR) == 0)
			snprintf(out, size, "%s", CONTAINERV_SOURCE_BENCH_DIR);
		else
			snprintf(out, size, "%s/%s", directory, CONTAINERV_BIN_TO_BENCH);
	}
	char script[PATH_MAX + 16];
	snprintf(script, sizeof script, "%s/suite.sh", out);
	if (!is_file(script))
		return cli_fail(-1, "bench: no benchmark suite at %s (set CONTAINERV_BENCH_DIR)", script);
	return 0;
}

/* The first <dir>/busybox of the rootfs search path that has /bin/true. */
static int find_rootfs(char *out, size_t size)
{
	char *path = strdup(cli_rootfs_search_path()), *rest = NULL;

	if (path == NULL)
		return cli_fail(-1, "bench: out of memory");
	for (char *dir = strtok_r(path, ":", &rest); dir != NULL; dir = strtok_r(NULL, ":", &rest)) {
		char true_path[PATH_MAX + 32];
		snprintf(out, size, "%s/busybox", dir);
		snprintf(true_path, sizeof true_path, "%s/bin/true", out);
		if (is_dir(out) && access(true_path, X_OK) == 0) {
			free(path);
			return 0;
		}
	}
	free(path);
	return cli_fail(-1, "bench: no busybox rootfs in %s (set CV_ROOTFS)", cli_rootfs_search_path());
}

int cmd_bench(int argc, char **argv)
{
	char self[PATH_MAX], suite[PATH_MAX], rootfs[PATH_MAX], script[PATH_MAX + 16];
	ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);

	if (length <= 0 || (size_t)length >= sizeof self - 1)
		return cli_fail(EXIT_CLI_ERROR, "bench: cannot find this binary (/proc/self/exe)");
	self[length] = '\0';
	if (find_suite(self, suite, sizeof suite) < 0)
		return EXIT_CLI_ERROR;
	if (getenv("CV_ROOTFS") == NULL) {
		if (find_rootfs(rootfs, sizeof rootfs) < 0)
			return EXIT_CLI_ERROR;
		setenv("CV_ROOTFS", rootfs, 1);
	}
	setenv("CONTAINERV", self, 1);
	snprintf(script, sizeof script, "%s/suite.sh", suite);
	/* bash suite.sh ARGS...: our argv[0] is "bench", which the script does not want. */
	char **args = calloc((size_t)argc + 2, sizeof *args);
	if (args == NULL)
		return cli_fail(EXIT_CLI_ERROR, "bench: out of memory");
	args[0] = "bash";
	args[1] = script;
	for (int i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	fflush(NULL);
	execvp("bash", args);
	int saved = errno;
	free(args);
	return cli_fail(EXIT_CLI_ERROR, "bench: run bash: %s", strerror(saved));
}
