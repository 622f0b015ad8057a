/*
 * -v SRC:DST[:OPTS] | -v DST, --mount key=value,..., --tmpfs DST[:OPTS] into
 * containerv_mount entries. The library validates each one again; parsing
 * here is only about docker's syntax.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mounts.h"
#include "output.h"

#define MOUNT_TEXT_MAX 4096

static int add(struct containerv_options *options, const struct containerv_mount *mount, const char *flag,
               const char *text)
{
	if (containerv_options_add_mount(options, mount) < 0)
		return cli_fail_library(-1, "invalid %s \"%s\"", flag, text);
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
			return cli_fail(-1, "invalid -v \"%s\": unknown option \"%s\"", whole, word);
	}
	return 0;
}

static int add_volume_flag(struct containerv_options *options, const char *text)
{
	struct containerv_mount mount = CONTAINERV_MOUNT_INIT;
	char copy[MOUNT_TEXT_MAX];
	char *parts[3] = {NULL, NULL, NULL};
	int count = 0;

	if (snprintf(copy, sizeof copy, "%s", text) >= (int)sizeof copy)
		return cli_fail(-1, "invalid -v: too long");
	for (char *save = NULL, *part = strtok_r(copy, ":", &save); part != NULL; part = strtok_r(NULL, ":", &save)) {
		if (count == 3)
			return cli_fail(-1, "invalid -v \"%s\": expected [SOURCE:]TARGET[:OPTIONS]", text);
		parts[count++] = part;
	}
	if (count == 0)
		return cli_fail(-1, "invalid -v \"\": expected [SOURCE:]TARGET[:OPTIONS]");
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

static int parse_mode(const char *value, unsigned int *mode)
{
	char *end;
	unsigned long parsed = strtoul(value, &end, 8);

	if (*value == '\0' || *end != '\0' || parsed > 07777)
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

/* One key=value of --mount. */
static int parse_mount_field(char *field, struct containerv_mount *mount, const char *whole)
{
	char *value = strchr(field, '=');
	bool flag;

	if (value != NULL)
		*value++ = '\0';
	if (strcmp(field, "type") == 0 && value != NULL) {
		if (strcmp(value, "bind") == 0)
			mount->type = CV_MOUNT_TYPE_BIND;
		else if (strcmp(value, "volume") == 0)
			mount->type = CV_MOUNT_TYPE_VOLUME;
		else if (strcmp(value, "tmpfs") == 0)
			mount->type = CV_MOUNT_TYPE_TMPFS;
		else
			return cli_fail(-1, "invalid --mount \"%s\": unknown type \"%s\"", whole, value);
	} else if ((strcmp(field, "source") == 0 || strcmp(field, "src") == 0) && value != NULL) {
		mount->source = value;
	} else if ((strcmp(field, "target") == 0 || strcmp(field, "destination") == 0 || strcmp(field, "dst") == 0) &&
	           value != NULL) {
		mount->target = value;
	} else if (strcmp(field, "readonly") == 0 || strcmp(field, "ro") == 0) {
		if (!parse_bool_value(value, &flag))
			return cli_fail(-1, "invalid --mount \"%s\": readonly takes true or false", whole);
		mount->flags =
		        flag ? mount->flags | CV_MOUNT_READONLY : mount->flags & ~(unsigned int)CV_MOUNT_READONLY;
	} else if (strcmp(field, "bind-propagation") == 0 && value != NULL) {
		if (!parse_propagation(value, &mount->propagation))
			return cli_fail(-1, "invalid --mount \"%s\": unknown propagation \"%s\"", whole, value);
	} else if (strcmp(field, "tmpfs-size") == 0 && value != NULL) {
		if (parse_size_value(value, &mount->tmpfs_size) < 0)
			return cli_fail_library(-1, "invalid --mount \"%s\"", whole);
	} else if (strcmp(field, "tmpfs-mode") == 0 && value != NULL) {
		if (parse_mode(value, &mount->tmpfs_mode) < 0)
			return cli_fail(-1, "invalid --mount \"%s\": tmpfs-mode takes an octal mode", whole);
	} else {
		return cli_fail(-1, "invalid --mount \"%s\": unknown field \"%s\"", whole, field);
	}
	return 0;
}

static int add_mount_flag(struct containerv_options *options, const char *text)
{
	struct containerv_mount mount = CONTAINERV_MOUNT_INIT;
	char copy[MOUNT_TEXT_MAX];

	mount.type = CV_MOUNT_TYPE_VOLUME; /* docker's default type */
	if (snprintf(copy, sizeof copy, "%s", text) >= (int)sizeof copy)
		return cli_fail(-1, "invalid --mount: too long");
	for (char *save = NULL, *field = strtok_r(copy, ",", &save); field != NULL;
	     field = strtok_r(NULL, ",", &save)) {
		if (parse_mount_field(field, &mount, text) < 0)
			return -1;
	}
	if (mount.target == NULL)
		return cli_fail(-1, "invalid --mount \"%s\": target is required", text);
	if (mount.type == CV_MOUNT_TYPE_BIND)
		mount.flags |= CV_MOUNT_RECURSIVE;
	return add(options, &mount, "--mount", text);
}

/* --tmpfs /path[:size=64m,mode=1777,uid=N,gid=N,ro] */
static int add_tmpfs_flag(struct containerv_options *options, const char *text)
{
	struct containerv_mount mount = CONTAINERV_MOUNT_INIT;
	char copy[MOUNT_TEXT_MAX];
	char *options_text;

	mount.type = CV_MOUNT_TYPE_TMPFS;
	if (snprintf(copy, sizeof copy, "%s", text) >= (int)sizeof copy)
		return cli_fail(-1, "invalid --tmpfs: too long");
	options_text = strchr(copy, ':');
	if (options_text != NULL)
		*options_text++ = '\0';
	mount.target = copy;
	for (char *save = NULL, *word = options_text ? strtok_r(options_text, ",", &save) : NULL; word != NULL;
	     word = strtok_r(NULL, ",", &save)) {
		char *value = strchr(word, '=');
		if (value != NULL)
			*value++ = '\0';
		if (strcmp(word, "size") == 0 && value != NULL) {
			if (parse_size_value(value, &mount.tmpfs_size) < 0)
				return cli_fail_library(-1, "invalid --tmpfs \"%s\"", text);
		} else if (strcmp(word, "mode") == 0 && value != NULL) {
			if (parse_mode(value, &mount.tmpfs_mode) < 0)
				return cli_fail(-1, "invalid --tmpfs \"%s\": mode takes an octal mode", text);
		} else if ((strcmp(word, "uid") == 0 || strcmp(word, "gid") == 0) && value != NULL) {
			char *end;
			unsigned long id = strtoul(value, &end, 10);
			if (*value == '\0' || *end != '\0' || id > 0xfffffffeUL)
				return cli_fail(-1, "invalid --tmpfs \"%s\": bad %s", text, word);
			if (word[0] == 'u')
				mount.tmpfs_uid = (uid_t)id;
			else
				mount.tmpfs_gid = (gid_t)id;
		} else if (strcmp(word, "ro") == 0) {
			mount.flags |= CV_MOUNT_READONLY;
		} else if (strcmp(word, "rw") != 0 && strcmp(word, "nosuid") != 0 && strcmp(word, "nodev") != 0 &&
		           strcmp(word, "noexec") != 0) {
			return cli_fail(-1, "invalid --tmpfs \"%s\": unknown option \"%s\"", text, word);
		}
	}
	return add(options, &mount, "--tmpfs", text);
}

int cli_add_mounts(struct containerv_options *options, const struct string_list *volumes,
                   const struct string_list *mounts, const struct string_list *tmpfs)
{
	for (size_t i = 0; i < volumes->count; i++) {
		if (add_volume_flag(options, volumes->items[i]) < 0)
			return -1;
	}
	for (size_t i = 0; i < mounts->count; i++) {
		if (add_mount_flag(options, mounts->items[i]) < 0)
			return -1;
	}
	for (size_t i = 0; i < tmpfs->count; i++) {
		if (add_tmpfs_flag(options, tmpfs->items[i]) < 0)
			return -1;
	}
	return 0;
}
