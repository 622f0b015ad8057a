/*
 * cp: files between the host and a container, through
 * containerv_upload() and containerv_download().
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

struct cp_endpoint {
	char *container; /* NULL for a host path */
	char *path;
};

/*
 * docker's rule: an absolute path, or one whose part before the first ':'
 * starts with '.', or one without ':', is a host path; otherwise it is
 * CONTAINER:PATH. "./a:b" is then a host file named "a:b".
 */
static int parse_endpoint(const char *text, struct cp_endpoint *endpoint)
{
	const char *colon = strchr(text, ':');

	endpoint->container = NULL;
	if (text[0] == '/' || text[0] == '.' || colon == NULL) {
		endpoint->path = xstrdup(text);
		return 0;
	}
	if (colon == text)
		return cli_fail(-1, "invalid path \"%s\": the container name is empty", text);
	endpoint->container = strndup(text, (size_t)(colon - text));
	if (endpoint->container == NULL)
		return cli_fail(-1, "out of memory");
	/* A relative path in the container is taken from its root ("c:etc" is "/etc"). */
	if (colon[1] == '/') {
		endpoint->path = xstrdup(colon + 1);
	} else if (asprintf(&endpoint->path, "/%s", colon + 1) < 0) {
		return cli_fail(-1, "out of memory");
	}
	return 0;
}

static void free_endpoint(struct cp_endpoint *endpoint)
{
	free(endpoint->container);
	free(endpoint->path);
}

static int copy(const struct cp_endpoint *source, const struct cp_endpoint *destination, unsigned int flags)
{
	const struct cp_endpoint *inside = source->container != NULL ? source : destination;
	_cleanup_container_ struct containerv_container *container = NULL;
	const char *from[] = {source->path};
	const char *to[] = {destination->path};
	int result;

	if (flags != 0 && (strcmp(source->path, "-") == 0 || strcmp(destination->path, "-") == 0))
		return cli_fail(EXIT_CLI_ERROR, "cp: -a and -L are not supported with a tar stream (-)");
	if (cli_open(inside->container, &container) < 0)
		return EXIT_CONTAINER_FAILURE;
	/* "-" on our side: a tar stream on stdout or from stdin, as docker cp does. */
	if (source->container != NULL && strcmp(destination->path, "-") == 0)
		result = containerv_download_tar(container, source->path, STDOUT_FILENO);
	else if (source->container != NULL)
		result = containerv_download_flags(container, from, to, 1, flags);
	else if (strcmp(source->path, "-") == 0)
		result = containerv_upload_tar(container, STDIN_FILENO, destination->path);
	else
		result = containerv_upload_flags(container, from, to, 1, flags);
	/* The library's message names both paths already. */
	if (result < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	return 0;
}

int cmd_cp(int argc, char **argv)
{
	static int archive, follow_link;
	static const struct flag table[] = {
	        {"archive", 'a', FLAG_BOOL, &archive, NULL, "Archive mode (copy all uid/gid information)"},
	        {"follow-link", 'L', FLAG_BOOL, &follow_link, NULL, "Always follow symbol link in SRC_PATH"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "cp",
	        "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH | SRC_PATH CONTAINER:DEST_PATH",
	        "Copy files/folders between a container and the local filesystem",
	        table,
	        false,
	        2,
	        2,
	        "Directories are copied recursively, modes and symlinks kept. Files copied in belong to the\n"
	        "container's root, files copied out to you (setuid/setgid bits dropped). Device nodes are\n"
	        "refused; a node or link the container put at the destination is replaced, never written\n"
	        "through. '-' as the host side is a tar stream: read from stdin (extracted into the container\n"
	        "directory) or written to stdout, where device nodes appear as entries without content.\n"
	        "-a keeps the source's uid/gid (as the container numbers them); -L copies what a symlinked\n"
	        "SRC_PATH leads to, under the link's name (followed inside the container's root).",
	};
	_cleanup_free_ char **words = NULL;
	struct cp_endpoint source = {0}, destination = {0};
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	code = EXIT_CLI_ERROR;
	if (parse_endpoint(positional.items[0], &source) < 0 || parse_endpoint(positional.items[1], &destination) < 0)
		goto out;
	if (source.container != NULL && destination.container != NULL)
		cli_fail(code, "copying between containers is not supported");
	else if (source.container == NULL && destination.container == NULL)
		cli_fail(code, "must specify at least one container source (CONTAINER:PATH)");
	else
		code = copy(&source, &destination,
		            (archive ? CV_COPY_ARCHIVE : 0u) | (follow_link ? CV_COPY_FOLLOW_LINK : 0u));
out:
	free_endpoint(&source);
	free_endpoint(&destination);
	return code;
}
