/*
 * docker's mount flags into containerv_mount entries: -v SRC:DST[:OPTS] or
 * -v DST, --mount key=value,..., --tmpfs DST[:OPTS]. Only docker's syntax is
 * handled here; containerv_options_add_mount() validates each mount again
 * (absolute target without "..", a volume name, an existing bind source).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <chef/containerv.h>

#include "common/error.h"
#include "common/util.h"

/* A private copy of text to cut up, or -1 with "invalid FLAG: too long". */
static int copy_text(const char *flag, const char *text, char **copy)
{
	if (text == NULL)
		return cv_error_errno(EINVAL, "invalid %s: missing", flag);
	if (strnlen(text, CONTAINERV_SPEC_MOUNT_TEXT_MAX + 1) > CONTAINERV_SPEC_MOUNT_TEXT_MAX)
		return cv_error_errno(EINVAL, "invalid %s: too long", flag);
	*copy = cv_strdup(text);
	return *copy != NULL ? 0 : -1;
}

static int add(struct containerv_options *options, const struct containerv_mount *mount, const char *flag,
               const char *text)
{
	if (containerv_options_add_mount(options, mount) < 0)
		return cv_error_prefix("invalid %s \"%s\"", flag, text);
	return 0;
}

static bool parse_propagation(const char *word, enum containerv_mount_propagation *propagation)
{
	const char *plain = word[0] == 'r' ? word + 1 : word; /* rprivate and private mean the same here */

	if (strcmp(plain, "private") == 0)
		*propagation = CV_PROPAGATION_PRIVATE;
	else if (strcmp(plain, "slave") == 0)
		*propagation = CV_PROPAGATION_SLAVE;
	else if (strcmp(plain, "shared") == 0)
		*propagation = CV_PROPAGATION_SHARED;
	else
		return false;
	return true;
}

/* The OPTS of -v: ro, rw, a propagation, z/Z (SELinux relabel, nothing to do without SELinux). */
static int parse_volume_options(char *text, struct containerv_mount *mount, const char *whole)
{
	for (char *save = NULL, *word = strtok_r(text, ",", &save); word != NULL; word = strtok_r(NULL, ",", &save)) {
		if (strcmp(word, "ro") == 0)
			mount->flags |= CV_MOUNT_READONLY;
		else if (strcmp(word, "rw") == 0)
			mount->flags &= ~(unsigned int)CV_MOUNT_READONLY;
		else if (strcmp(word, "z") == 0 || strcmp(word, "Z") == 0 || strcmp(word, "nocopy") == 0)
			continue;
		else if (!parse_propagation(word, &mount->propagation))
			return cv_error_errno(EINVAL, "invalid -v \"%s\": unknown option \"%s\"", whole, word);
	}
	return 0;
}

int containerv_spec_add_volume(struct containerv_options *options, const char *text)
{
	struct containerv_mount mount = CONTAINERV_MOUNT_INIT;
	cleanup_free char *copy = NULL;
	char *parts[3] = {NULL, NULL, NULL};
	int count = 0;

	cv_error_clear();
	if (copy_text("-v", text, &copy) < 0)
		return -1;
	if (copy[0] == '\0')
		return cv_error_errno(EINVAL, "invalid -v \"%s\": expected [SOURCE:]TARGET[:OPTIONS]", text);
	/* As docker: ":/data" or "/h::/e" is an empty section, not a shorter spec. */
	for (char *part = copy, *colon; part != NULL; part = colon != NULL ? colon + 1 : NULL) {
		colon = strchr(part, ':');
		if (colon != NULL)
			*colon = '\0';
		if (count == 3)
			return cv_error_errno(EINVAL, "invalid -v \"%s\": expected [SOURCE:]TARGET[:OPTIONS]", text);
		if (part[0] == '\0')
			return cv_error_errno(EINVAL, "invalid -v \"%s\": empty section between colons", text);
		parts[count++] = part;
	}
	if (count == 1) {
		/* -v /data: an anonymous volume. */
		mount.type = CV_MOUNT_TYPE_VOLUME;
		mount.target = parts[0];
		return add(options, &mount, "-v", text);
	}
	mount.source = parts[0];
	mount.target = parts[1];
	if (parts[0][0] == '/') {
		/* docker's -v makes a missing host directory; --mount type=bind does not. */
		mount.type = CV_MOUNT_TYPE_BIND;
		mount.flags = CV_MOUNT_RECURSIVE | CV_MOUNT_CREATE;
	} else {
		mount.type = CV_MOUNT_TYPE_VOLUME;
	}
	if (count == 3 && parse_volume_options(parts[2], &mount, text) < 0)
		return -1;
	return add(options, &mount, "-v", text);
}

static bool parse_bool_value(const char *value, bool *result)
{
	if (value == NULL || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
		*result = true;
	else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
		*result = false;
	else
		return false;
	return true;
}

/* An octal mode up to 07777; "" and trailing garbage are refused. */
static int parse_mode(const char *value, unsigned int *mode)
{
	char *end;
	unsigned long parsed;

	if (*value < '0' || *value > '7')
		return -1; /* strtoul would take "-1" or " 7" */
	parsed = strtoul(value, &end, 8);
	if (*end != '\0' || parsed > 07777)
		return -1;
	*mode = (unsigned int)parsed;
	return 0;
}

static int parse_size_value(const char *value, uint64_t *bytes)
{
	int64_t parsed;

	if (containerv_parse_size(value, &parsed) < 0)
		return -1;
	*bytes = (uint64_t)parsed;
	return 0;
}

static int parse_mount_type(const char *value, struct containerv_mount *mount, const char *whole)
{
	if (strcmp(value, "bind") == 0)
		mount->type = CV_MOUNT_TYPE_BIND;
	else if (strcmp(value, "volume") == 0)
		mount->type = CV_MOUNT_TYPE_VOLUME;
	else if (strcmp(value, "tmpfs") == 0)
		mount->type = CV_MOUNT_TYPE_TMPFS;
	else
		return cv_error_errno(EINVAL, "invalid --mount \"%s\": unknown type \"%s\"", whole, value);
	return 0;
}

static bool is_any(const char *word, const char *a, const char *b, const char *c)
{
	return strcmp(word, a) == 0 || (b != NULL && strcmp(word, b) == 0) || (c != NULL && strcmp(word, c) == 0);
}

/* One key=value of --mount (cut in place: the value points into field). */
static int parse_mount_field(char *field, struct containerv_mount *mount, const char *whole)
{
	char *value = strchr(field, '=');
	bool flag;

	if (value != NULL)
		*value++ = '\0';
	if (strcmp(field, "type") == 0 && value != NULL)
		return parse_mount_type(value, mount, whole);
	if (is_any(field, "source", "src", NULL) && value != NULL) {
		mount->source = value;
	} else if (is_any(field, "target", "destination", "dst") && value != NULL) {
		mount->target = value;
	} else if (is_any(field, "readonly", "ro", NULL)) {
		if (!parse_bool_value(value, &flag))
			return cv_error_errno(EINVAL, "invalid --mount \"%s\": readonly takes true or false", whole);
		mount->flags =
		        flag ? mount->flags | CV_MOUNT_READONLY : mount->flags & ~(unsigned int)CV_MOUNT_READONLY;
	} else if (strcmp(field, "bind-propagation") == 0 && value != NULL) {
		if (!parse_propagation(value, &mount->propagation))
			return cv_error_errno(EINVAL, "invalid --mount \"%s\": unknown propagation \"%s\"", whole,
			                      value);
	} else if (strcmp(field, "tmpfs-size") == 0 && value != NULL) {
		if (parse_size_value(value, &mount->tmpfs_size) < 0)
			return cv_error_prefix("invalid --mount \"%s\"", whole);
	} else if (strcmp(field, "tmpfs-mode") == 0 && value != NULL) {
		if (parse_mode(value, &mount->tmpfs_mode) < 0)
			return cv_error_errno(EINVAL, "invalid --mount \"%s\": tmpfs-mode takes an octal mode", whole);
	} else {
		return cv_error_errno(EINVAL, "invalid --mount \"%s\": unknown field \"%s\"", whole, field);
	}
	return 0;
}

int containerv_spec_add_mount(struct containerv_options *options, const char *text)
{
	struct containerv_mount mount = CONTAINERV_MOUNT_INIT;
	cleanup_free char *copy = NULL;

	cv_error_clear();
	mount.type = CV_MOUNT_TYPE_VOLUME; /* docker's default type */
	if (copy_text("--mount", text, &copy) < 0)
		return -1;
	for (char *save = NULL, *field = strtok_r(copy, ",", &save); field != NULL;
	     field = strtok_r(NULL, ",", &save)) {
		if (parse_mount_field(field, &mount, text) < 0)
			return -1;
	}
	if (mount.target == NULL)
		return cv_error_errno(EINVAL, "invalid --mount \"%s\": target is required", text);
	if (mount.type == CV_MOUNT_TYPE_BIND)
		mount.flags |= CV_MOUNT_RECURSIVE;
	return add(options, &mount, "--mount", text);
}

/* uid=N or gid=N of --tmpfs: a decimal id below (uid_t)-1, which means "no change" to the kernel. */
static int parse_tmpfs_id(const char *word, const char *value, struct containerv_mount *mount, const char *whole)
{
	char *end;
	unsigned long id;

	if (*value < '0' || *value > '9')
		return cv_error_errno(EINVAL, "invalid --tmpfs \"%s\": bad %s", whole, word);
	errno = 0;
	id = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0' || id > 0xfffffffeUL)
		return cv_error_errno(EINVAL, "invalid --tmpfs \"%s\": bad %s", whole, word);
	if (word[0] == 'u')
		mount->tmpfs_uid = (uid_t)id;
	else
		mount->tmpfs_gid = (gid_t)id;
	return 0;
}

/* One word of --tmpfs's options (cut in place). */
static int parse_tmpfs_word(char *word, struct containerv_mount *mount, const char *whole)
{
	char *value = strchr(word, '=');

	if (value != NULL)
		*value++ = '\0';
	if (strcmp(word, "size") == 0 && value != NULL) {
		if (parse_size_value(value, &mount->tmpfs_size) < 0)
			return cv_error_prefix("invalid --tmpfs \"%s\"", whole);
	} else if (strcmp(word, "mode") == 0 && value != NULL) {
		if (parse_mode(value, &mount->tmpfs_mode) < 0)
			return cv_error_errno(EINVAL, "invalid --tmpfs \"%s\": mode takes an octal mode", whole);
	} else if (is_any(word, "uid", "gid", NULL) && value != NULL) {
		return parse_tmpfs_id(word, value, mount, whole);
	} else if (strcmp(word, "ro") == 0) {
		mount->flags |= CV_MOUNT_READONLY;
	} else if (!is_any(word, "rw", "nosuid", "nodev") && strcmp(word, "noexec") != 0) {
		/* rw, nosuid, nodev: what the library does anyway; noexec is accepted but not applied yet. */
		return cv_error_errno(EINVAL, "invalid --tmpfs \"%s\": unknown option \"%s\"", whole, word);
	}
	return 0;
}

int containerv_spec_add_tmpfs(struct containerv_options *options, const char *text)
{
	struct containerv_mount mount = CONTAINERV_MOUNT_INIT;
	cleanup_free char *copy = NULL;
	char *options_text;

	cv_error_clear();
	mount.type = CV_MOUNT_TYPE_TMPFS;
	if (copy_text("--tmpfs", text, &copy) < 0)
		return -1;
	options_text = strchr(copy, ':');
	if (options_text != NULL)
		*options_text++ = '\0';
	mount.target = copy;
	for (char *save = NULL, *word = options_text ? strtok_r(options_text, ",", &save) : NULL; word != NULL;
	     word = strtok_r(NULL, ",", &save)) {
		if (parse_tmpfs_word(word, &mount, text) < 0)
			return -1;
	}
	return add(options, &mount, "--tmpfs", text);
}
