/*
 * docker's -e and --env-file into the options' environment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chef/containerv.h>

#include "common/error.h"
#include "common/util.h"
#include "config/options.h"
#include "spec/spec-internal.h"

/* "KEY=VALUE", or for a bare "KEY" our own value of KEY (skipped when unset), as docker does. */
static int add_entry(struct containerv_options *options, const char *entry, const char *origin)
{
	cleanup_free char *combined = NULL;
	const char *value;

	if (entry[0] == '\0' || entry[0] == '=')
		return cv_error_errno(EINVAL, "invalid environment variable \"%s\"%s%s", entry,
		                      origin != NULL ? " in " : "", origin != NULL ? origin : "");
	if (strchr(entry, '=') == NULL) {
		value = getenv(entry);
		if (value == NULL)
			return 0;
		if (asprintf(&combined, "%s=%s", entry, value) < 0) {
			combined = NULL;
			return cv_error_errno(ENOMEM, "out of memory");
		}
		entry = combined;
	}
	if (containerv_options_add_env(options, entry) < 0)
		return cv_error_prefix("--env");
	return 0;
}

int containerv_spec_add_env(struct containerv_options *options, const char *entry)
{
	cv_error_clear();
	if (options == NULL || entry == NULL)
		return cv_error_errno(EINVAL, "--env: missing argument");
	return add_entry(options, entry, NULL);
}

/* One line of an env file, its end of line removed; blank and "#" lines are skipped. */
static int add_line(struct containerv_options *options, char *line, size_t length, const char *origin)
{
	char *start = line;

	while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
		line[--length] = '\0';
	while (*start == ' ' || *start == '\t')
		start++;
	if (*start == '\0' || *start == '#')
		return 0;
	return add_entry(options, start, origin);
}

int cv_spec_env_read(struct containerv_options *options, FILE *file, const char *origin)
{
	cleanup_free char *line = NULL;
	size_t capacity = 0;
	ssize_t length;

	while ((length = getline(&line, &capacity, file)) >= 0) {
		if (add_line(options, line, (size_t)length, origin) < 0)
			return -1;
	}
	if (ferror(file))
		return cv_error_sys("read env file %s", origin);
	return 0;
}

int containerv_spec_read_env_file(const char *path, char ***entries)
{
	struct containerv_options scratch;

	cv_error_clear();
	if (path == NULL || entries == NULL)
		return cv_error_errno(EINVAL, "--env-file: missing argument");
	cv_options_init(&scratch);
	if (containerv_spec_add_env_file(&scratch, path) < 0) {
		cv_options_clear(&scratch);
		return -1;
	}
	*entries = scratch.env != NULL ? scratch.env : cv_malloc0(sizeof **entries);
	scratch.env = NULL;
	cv_options_clear(&scratch);
	return *entries != NULL ? 0 : -1;
}

int containerv_spec_add_env_file(struct containerv_options *options, const char *path)
{
	cleanup_fclose FILE *file = NULL;

	cv_error_clear();
	if (options == NULL || path == NULL)
		return cv_error_errno(EINVAL, "--env-file: missing argument");
	file = fopen(path, "re");
	if (file == NULL)
		return cv_error_sys("open env file %s", path);
	return cv_spec_env_read(options, file, path);
}
