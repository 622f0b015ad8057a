/*
 * Images in and out: import (a rootfs directory or tarball, --change),
 * commit (a container's changes), load and save (OCI and docker archives).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "flags.h"
#include "image-cli.h"
#include "output.h"

/* --change lines: CMD/ENTRYPOINT as a JSON array or a shell string, ENV K=V, WORKDIR, USER, EXPOSE, LABEL K=V. */
struct changes {
	char **cmd, **entrypoint;
	struct string_list env;
	const char *working_dir, *user;
	struct string_list exposed, labels;
};

static void strv_free(char **strv)
{
	for (size_t i = 0; strv != NULL && strv[i] != NULL; i++)
		free(strv[i]);
	free(strv);
}

static char **parse_command_form(const char *text)
{
	json_t *array = json_loads(text, 0, NULL);
	char **strv = NULL;
	size_t count = 0;

	if (json_is_array(array)) {
		size_t i;
		json_t *item;
		strv = xmalloc((json_array_size(array) + 1) * sizeof *strv);
		json_array_foreach(array, i, item)
		{
			if (!json_is_string(item)) {
				strv[count] = NULL;
				strv_free(strv);
				json_decref(array);
				return NULL;
			}
			strv[count++] = xstrdup(json_string_value(item));
		}
		strv[count] = NULL;
		json_decref(array);
		return strv;
	}
	json_decref(array);
	/* Shell form, as docker runs it. */
	strv = xmalloc(4 * sizeof *strv);
	strv[0] = xstrdup("/bin/sh");
	strv[1] = xstrdup("-c");
	strv[2] = xstrdup(text);
	strv[3] = NULL;
	return strv;
}

static int parse_change(const char *change, struct changes *out)
{
	const char *space = strchr(change, ' ');
	size_t length = space != NULL ? (size_t)(space - change) : strlen(change);
	const char *value = space != NULL ? space + 1 : "";

	while (*value == ' ')
		value++;
	if (length == 3 && strncasecmp(change, "CMD", 3) == 0 && (out->cmd = parse_command_form(value)) != NULL)
		return 0;
	if (length == 10 && strncasecmp(change, "ENTRYPOINT", 10) == 0 &&
	    (out->entrypoint = parse_command_form(value)) != NULL)
		return 0;
	if (length == 3 && strncasecmp(change, "ENV", 3) == 0 && strchr(value, '=') != NULL) {
		string_list_add(&out->env, value);
		return 0;
	}
	if (length == 7 && strncasecmp(change, "WORKDIR", 7) == 0 && value[0] == '/') {
		out->working_dir = value;
		return 0;
	}
	if (length == 4 && strncasecmp(change, "USER", 4) == 0 && value[0] != '\0') {
		out->user = value;
		return 0;
	}
	if (length == 6 && strncasecmp(change, "EXPOSE", 6) == 0 && value[0] != '\0') {
		string_list_add(&out->exposed, value);
		return 0;
	}
	/* One KEY=VALUE per LABEL line: the value is the rest of the line, spaces and all. */
	if (length == 5 && strncasecmp(change, "LABEL", 5) == 0 && strchr(value, '=') != NULL && value[0] != '=') {
		string_list_add(&out->labels, value);
		return 0;
	}
	return cli_fail(-1,
	                "invalid --change \"%s\": use CMD, ENTRYPOINT, ENV K=V, WORKDIR /dir, USER, EXPOSE PORT or "
	                "LABEL K=V",
	                change);
}

/* The --change flags parsed into changes, and options pointing at them; -1 after printing the error. */
static int apply_changes(const struct string_list *flags, struct changes *changes,
                         struct containerv_import_options *options)
{
	for (size_t i = 0; i < flags->count; i++)
		if (parse_change(flags->items[i], changes) < 0)
			return -1;
	options->cmd = (const char *const *)changes->cmd;
	options->entrypoint = (const char *const *)changes->entrypoint;
	options->env = changes->env.count > 0 ? changes->env.items : NULL;
	options->working_dir = changes->working_dir;
	options->user = changes->user;
	options->exposed_ports = changes->exposed.count > 0 ? changes->exposed.items : NULL;
	options->labels = changes->labels.count > 0 ? changes->labels.items : NULL;
	return 0;
}

/*
 * import and commit print the image id as docker does: the config digest, the id `images` and
 * `inspect` show (the library reports the manifest digest, which names the image in the store).
 */
static int print_image_id(const char *manifest_digest)
{
	struct containerv_image_info info = {.version = CONTAINERV_IMAGE_INFO_VERSION};

	if (containerv_image_inspect(manifest_digest, &info) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, "image %s", manifest_digest);
	printf("%s\n", info.id);
	containerv_image_info_clear(&info);
	return 0;
}

int cmd_import(int argc, char **argv)
{
	static struct string_list change_flags;
	static const struct flag table[] = {
	        {"change", 'c', FLAG_LIST, &change_flags, "list",
	         "Apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, "
	         "WORKDIR, USER)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "import",
	        "[OPTIONS] FILE|DIR|- REPOSITORY[:TAG]",
	        "Import a root filesystem (a directory or a tarball) as a one-layer image",
	        table,
	        false,
	        2,
	        2,
	        NULL,
	};
	struct containerv_import_options options = CONTAINERV_IMPORT_OPTIONS_INIT;
	struct changes changes = {0};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	char digest[72], temporary[] = "/tmp/containerv-import-XXXXXX";
	const char *source;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (apply_changes(&change_flags, &changes, &options) < 0) {
		code = EXIT_CLI_ERROR;
		goto out;
	}
	source = positional.items[0];
	if (strcmp(source, "-") == 0) {
		/* A tarball on stdin: spooled to a file, the library reads it twice (store, then unpack). */
		_cleanup_close_ int fd = mkstemp(temporary);
		char buffer[65536];
		ssize_t n;
		if (fd < 0) {
			code = cli_fail(EXIT_CLI_ERROR, "import: temporary file: %s", strerror(errno));
			goto out;
		}
		while ((n = read(STDIN_FILENO, buffer, sizeof buffer)) > 0) {
			if (write(fd, buffer, (size_t)n) != n) {
				code = cli_fail(EXIT_CLI_ERROR, "import: temporary file: %s", strerror(errno));
				unlink(temporary);
				goto out;
			}
		}
		source = temporary;
	}
	code = containerv_image_import(source, positional.items[1], &options, digest);
	if (source == temporary)
		unlink(temporary);
	if (code < 0) {
		code = cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
		goto out;
	}
	code = print_image_id(digest);
out:
	strv_free(changes.cmd);
	strv_free(changes.entrypoint);
	string_list_free(&changes.env);
	string_list_free(&changes.exposed);
	string_list_free(&changes.labels);
	return code;
}

int cmd_commit(int argc, char **argv)
{
	static struct string_list change_flags;
	static const struct flag table[] = {
	        {"change", 'c', FLAG_LIST, &change_flags, "list",
	         "Apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "commit",
	        "[OPTIONS] CONTAINER REPOSITORY[:TAG]",
	        "Create a new image from a container's changes (the container is not paused)",
	        table,
	        false,
	        2,
	        2,
	        NULL,
	};
	struct containerv_import_options options = CONTAINERV_IMPORT_OPTIONS_INIT;
	_cleanup_container_ struct containerv_container *container = NULL;
	struct changes changes = {0};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	char digest[72];
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (apply_changes(&change_flags, &changes, &options) < 0) {
		code = EXIT_CLI_ERROR;
		goto out;
	}
	if (cli_open(positional.items[0], &container) < 0) {
		code = EXIT_CONTAINER_FAILURE;
		goto out;
	}
	if (containerv_image_commit(container, positional.items[1], &options, digest) < 0) {
		code = cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
		goto out;
	}
	code = print_image_id(digest);
out:
	strv_free(changes.cmd);
	strv_free(changes.entrypoint);
	string_list_free(&changes.env);
	string_list_free(&changes.exposed);
	string_list_free(&changes.labels);
	return code;
}

static int print_loaded(const char *name, void *user)
{
	if (!*(int *)user)
		printf("Loaded image: %s\n", image_familiar(name));
	return 0;
}

int cmd_load(int argc, char **argv)
{
	static const char *input;
	static int quiet;
	static const struct flag table[] = {
	        {"input", 'i', FLAG_STRING, &input, "string", "Read from tar archive file, instead of STDIN"},
	        {"quiet", 'q', FLAG_BOOL, &quiet, NULL, "Suppress the load output"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "load", "[OPTIONS]", "Load images from a tar archive (OCI or docker archive) or STDIN", table, false, 0,
	        0,      NULL,
	};
	_cleanup_free_ char **words = NULL;
	_cleanup_close_ int fd = -1;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (input != NULL) {
		fd = open(input, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cli_fail(EXIT_CLI_ERROR, "load %s: %s", input, strerror(errno));
	}
	if (containerv_image_load(fd >= 0 ? fd : STDIN_FILENO, print_loaded, &quiet) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	return 0;
}

int cmd_save(int argc, char **argv)
{
	static const char *output, *format;
	static const struct flag table[] = {
	        {"output", 'o', FLAG_STRING, &output, "string", "Write to a file, instead of STDOUT"},
	        {"format", 0, FLAG_STRING, &format, "string", "oci (default) or docker"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "save", "[OPTIONS] IMAGE [IMAGE...]", "Save one or more images to a tar archive", table, false, 1, 0,
	        NULL,
	};
	_cleanup_free_ char **words = NULL;
	_cleanup_close_ int fd = -1;
	struct arguments positional;
	enum containerv_archive_format archive = CV_ARCHIVE_OCI;
	char temporary[4096];
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (format != NULL && strcmp(format, "docker") == 0)
		archive = CV_ARCHIVE_DOCKER;
	else if (format != NULL && strcmp(format, "oci") != 0)
		return cli_fail(EXIT_CLI_ERROR, "invalid --format \"%s\": use oci or docker", format);
	if (output == NULL && isatty(STDOUT_FILENO))
		return cli_fail(EXIT_CLI_ERROR, "cowardly refusing to save to a terminal. Use the -o flag or redirect");
	if (output != NULL) {
		/* A temporary renamed over the target: a failed save leaves no half archive. */
		snprintf(temporary, sizeof temporary, "%s.tmp-%d", output, (int)getpid());
		fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return cli_fail(EXIT_CLI_ERROR, "save %s: %s", output, strerror(errno));
	}
	if (containerv_image_save((const char *const *)positional.items, archive, fd >= 0 ? fd : STDOUT_FILENO) < 0) {
		if (output != NULL)
			unlink(temporary);
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	}
	if (output != NULL && rename(temporary, output) < 0) {
		unlink(temporary);
		return cli_fail(EXIT_CONTAINER_FAILURE, "save %s: %s", output, strerror(errno));
	}
	return 0;
}
