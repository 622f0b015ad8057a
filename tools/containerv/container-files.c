/*
 * diff and export: a container's filesystem as changes (A/C/D lines, as
 * docker diff prints them) and as a tar archive (to stdout or -o FILE,
 * written to a temporary renamed into place so a failed export leaves no
 * half archive).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

static int print_change(enum containerv_change_kind kind, const char *path, void *user)
{
	(void)user;
	printf("%c %s\n", kind == CV_CHANGE_ADDED ? 'A' : kind == CV_CHANGE_DELETED ? 'D' : 'C', path);
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	static const struct command_spec spec = {
	        "diff", "CONTAINER", "Inspect changes to files or directories on a container's filesystem", NULL, false,
	        1,      1,           "A: added, C: changed, D: deleted, against the container's image.",
	};
	_cleanup_free_ char **words = NULL;
	_cleanup_container_ struct containerv_container *container = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (cli_open(positional.items[0], &container) < 0)
		return EXIT_CONTAINER_FAILURE;
	if (containerv_changes(container, print_change, NULL) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	return 0;
}

int cmd_export(int argc, char **argv)
{
	static const char *output;
	static const struct flag table[] = {
	        {"output", 'o', FLAG_STRING, &output, "string", "Write to a file, instead of STDOUT"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "export",
	        "[OPTIONS] CONTAINER",
	        "Export a container's filesystem as a tar archive",
	        table,
	        false,
	        1,
	        1,
	        "Volumes, binds and tmpfs are not part of the archive (their mount points are empty directories).",
	};
	_cleanup_free_ char **words = NULL;
	_cleanup_container_ struct containerv_container *container = NULL;
	_cleanup_close_ int fd = -1;
	struct arguments positional;
	char temporary[4096];
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (output == NULL && isatty(STDOUT_FILENO))
		return cli_fail(EXIT_CLI_ERROR,
		                "cowardly refusing to export to a terminal. Use the -o flag or redirect");
	if (cli_open(positional.items[0], &container) < 0)
		return EXIT_CONTAINER_FAILURE;
	if (output != NULL) {
		if (snprintf(temporary, sizeof temporary, "%s.tmp-%d", output, (int)getpid()) >= (int)sizeof temporary)
			return cli_fail(EXIT_CLI_ERROR, "export: output path too long");
		fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			return cli_fail(EXIT_CLI_ERROR, "export %s: %s", output, strerror(errno));
	}
	if (containerv_export(container, fd >= 0 ? fd : STDOUT_FILENO) < 0) {
		if (output != NULL)
			unlink(temporary);
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	}
	if (output != NULL && rename(temporary, output) < 0) {
		unlink(temporary);
		return cli_fail(EXIT_CONTAINER_FAILURE, "export %s: %s", output, strerror(errno));
	}
	return 0;
}
