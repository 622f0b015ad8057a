/*
 * What docker's IMAGE means: a directory path, an image of the store, the
 * built-in busybox, a rootfs directory of that name (as before images
 * existed), or an image to pull, as --pull says. One function decides, so
 * that every front end resolves a name the same way, before create.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <chef/containerv.h>

#include "common/error.h"
#include "common/util.h"
#include "image/reference.h"
#include "spec/spec-internal.h"

/* The built-in image's name; "busybox", "docker.io/busybox:latest" ... are spellings of it. */
#define BUILTIN_IMAGE "docker.io/library/busybox:latest"

static const char *const default_command[] = {"/bin/sh", NULL};

int containerv_spec_parse_pull_policy(const char *text, enum containerv_pull_policy *policy)
{
	cv_error_clear();
	if (policy == NULL)
		return cv_error_errno(EINVAL, "--pull: missing argument");
	if (text == NULL || strcmp(text, "missing") == 0)
		*policy = CONTAINERV_PULL_MISSING;
	else if (strcmp(text, "always") == 0)
		*policy = CONTAINERV_PULL_ALWAYS;
	else if (strcmp(text, "never") == 0)
		*policy = CONTAINERV_PULL_NEVER;
	else
		return cv_error_errno(EINVAL, "invalid --pull %s: use missing, always or never", text);
	return 0;
}

int containerv_spec_image_is_path(const char *image)
{
	return image != NULL && (image[0] == '/' || strncmp(image, "./", 2) == 0 || strncmp(image, "../", 3) == 0 ||
	                         strcmp(image, ".") == 0);
}

bool cv_spec_is_builtin_image(const char *image)
{
	struct cv_reference reference;
	cleanup_free char *normalized = NULL;

	/* Normalized as docker does, so that every spelling of the name counts and nothing else does. */
	if (cv_reference_parse(image, &reference) < 0)
		return false;
	int formatted = cv_reference_format(&reference, &normalized);
	cv_reference_clear(&reference);
	return formatted == 0 && strcmp(normalized, BUILTIN_IMAGE) == 0;
}

static int set_rootfs(struct containerv_options *options, const char *directory, int has_command, const char *context)
{
	if (containerv_options_set_rootfs(options, directory) < 0)
		return cv_error_prefix("%s", context);
	if (!has_command && containerv_options_set_command(options, default_command) < 0)
		return cv_error_prefix("command");
	return 0;
}

int containerv_spec_set_rootfs(struct containerv_options *options, const char *directory, int has_command)
{
	char resolved[PATH_MAX];
	struct stat info;

	cv_error_clear();
	if (options == NULL || directory == NULL)
		return cv_error_errno(EINVAL, "rootfs: missing argument");
	if (realpath(directory, resolved) == NULL || stat(resolved, &info) < 0)
		return cv_error_sys("rootfs %s", directory);
	if (!S_ISDIR(info.st_mode))
		return cv_error_errno(ENOTDIR, "rootfs %s: not a directory", directory);
	return set_rootfs(options, resolved, has_command, "--rootfs");
}

/* An image name is not a path: "..", or a leading "/", would escape the search path. */
static bool name_is_safe(const char *name)
{
	size_t length = strlen(name);

	return length > 0 && name[0] != '/' && strcmp(name, "..") != 0 && strncmp(name, "../", 3) != 0 &&
	       strstr(name, "/../") == NULL && !(length >= 3 && strcmp(name + length - 3, "/..") == 0);
}

/* Looks for the directory name in each entry of the colon-separated search path. */
static bool search_directory(const char *search, const char *name, char *out, size_t size)
{
	cleanup_free char *copy = search != NULL ? cv_strdup(search) : NULL;
	char *saveptr = NULL;

	for (char *entry = copy ? strtok_r(copy, ":", &saveptr) : NULL; entry != NULL;
	     entry = strtok_r(NULL, ":", &saveptr)) {
		struct stat info;
		int length = snprintf(out, size, "%s/%s", entry, name);

		if (length > 0 && (size_t)length < size && stat(out, &info) == 0 && S_ISDIR(info.st_mode))
			return true;
	}
	return false;
}

/*
 * The built-in default: the busybox rootfs made by the build (found in the
 * search path) becomes the image docker.io/library/busybox:latest the first
 * time it is asked for and the store has no such name, so that `run
 * busybox` works with no network. Cmd ["sh"] as docker's.
 */
static int import_builtin(const char *search)
{
	static const char *const cmd[] = {"sh", NULL};
	struct containerv_import_options options = CONTAINERV_IMPORT_OPTIONS_INIT;
	char directory[PATH_MAX];

	if (!search_directory(search, "busybox", directory, sizeof directory))
		return -1;
	options.cmd = cmd;
	return containerv_image_import(directory, BUILTIN_IMAGE, &options, NULL);
}

/* "NAME" or "NAME:latest" as a rootfs directory NAME of the search path; false when there is none. */
static bool find_rootfs_directory(const char *search, const char *image, char *out, size_t size)
{
	cleanup_free char *untagged = cv_strdup(image);
	size_t length;

	if (untagged == NULL)
		return false;
	length = strlen(untagged);
	if (length > 7 && strcmp(untagged + length - 7, ":latest") == 0)
		untagged[length - 7] = '\0';
	return name_is_safe(untagged) && strchr(untagged, ':') == NULL && search_directory(search, untagged, out, size);
}

/* docker refuses an image without Entrypoint and Cmd when no command is given. */
static int check_runnable(const char *image)
{
	struct containerv_image_info info = {.version = CONTAINERV_IMAGE_INFO_VERSION};
	bool runnable = containerv_image_inspect(image, &info) == 0 && (info.cmd != NULL || info.entrypoint != NULL);

	containerv_image_info_clear(&info);
	if (!runnable)
		return cv_error_errno(
		        EINVAL, "image %s has no command (Entrypoint or Cmd): give one after the image name", image);
	return 0;
}

/* Not in the store: the built-in image, a rootfs directory, or (--pull missing) a pull. */
static int resolve_missing(struct containerv_options *options, const char *image,
                           const struct containerv_spec_image_options *spec)
{
	char reason[1024], directory[PATH_MAX];

	snprintf(reason, sizeof reason, "%s", containerv_last_error());
	if (cv_spec_is_builtin_image(image) && import_builtin(spec->rootfs_search_path) == 0 &&
	    containerv_options_set_image(options, image) == 0)
		return 1;
	if (find_rootfs_directory(spec->rootfs_search_path, image, directory, sizeof directory))
		return set_rootfs(options, directory, spec->has_command, "rootfs");
	if (spec->pull != CONTAINERV_PULL_MISSING)
		return cv_error_errno(ENOENT, "%s", reason);
	if (containerv_image_pull(image, spec->registry, NULL) < 0) {
		int err = errno;
		char pull_reason[1024];

		snprintf(pull_reason, sizeof pull_reason, "%s", containerv_last_error());
		return cv_error_errno(err, "%s (pull: %s)", reason, pull_reason);
	}
	if (containerv_options_set_image(options, image) < 0)
		return -1;
	return 1;
}

int containerv_spec_set_image(struct containerv_options *options, const char *image,
                              const struct containerv_spec_image_options *spec)
{
	int found;

	cv_error_clear();
	if (options == NULL || image == NULL || spec == NULL)
		return cv_error_errno(EINVAL, "image: missing argument");
	if (spec->version != CONTAINERV_SPEC_IMAGE_OPTIONS_VERSION)
		return cv_error_errno(EINVAL, "image %s: unsupported options version %u", image, spec->version);
	if (spec->pull > CONTAINERV_PULL_NEVER)
		return cv_error_errno(EINVAL, "image %s: unknown pull policy %d", image, (int)spec->pull);
	if (containerv_spec_image_is_path(image))
		return containerv_spec_set_rootfs(options, image, spec->has_command);
	if (spec->pull == CONTAINERV_PULL_ALWAYS && containerv_image_pull(image, spec->registry, NULL) < 0)
		return -1;
	if (containerv_options_set_image(options, image) == 0)
		found = 1;
	else if (errno != ENOENT)
		return -1;
	else if ((found = resolve_missing(options, image, spec)) < 0)
		return -1;
	if (found == 0)
		return 0; /* a rootfs directory: its command is set */
	return spec->has_command ? 0 : check_runnable(image);
}
