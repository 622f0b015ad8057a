/*
 * The mounts of a container's options: validation when they are added,
 * and their place in config.json.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "config/options.h"
#include "common/util.h"

void cv_mounts_free(struct cv_mount *mounts, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(mounts[i].source);
		free(mounts[i].target);
	}
	free(mounts);
}

bool cv_is_clean_absolute_path(const char *path)
{
	if (path == NULL || path[0] != '/' || strlen(path) >= 4096)
		return false;
	for (const char *p = path; *p != '\0';) {
		while (*p == '/')
			p++;
		size_t length = strcspn(p, "/");
		if ((length == 1 && p[0] == '.') || (length == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += length;
	}
	return true;
}

static int validate_mount(const struct containerv_mount *m)
{
	struct stat st;

	if (m->version != CONTAINERV_MOUNT_VERSION)
		return cv_error_errno(EINVAL, "mount: unsupported version %u", m->version);
	if (!cv_is_clean_absolute_path(m->target) || strcmp(m->target, "/") == 0)
		return cv_error_errno(EINVAL,
		                      "invalid mount target \"%s\": use an absolute path other than / without . or ..",
		                      m->target ? m->target : "");
	if (m->propagation > CV_PROPAGATION_UNBINDABLE)
		return cv_error_errno(EINVAL, "mount %s: unknown propagation %d", m->target, (int)m->propagation);
	switch (m->type) {
	case CV_MOUNT_TYPE_BIND:
		if (m->source == NULL || m->source[0] != '/')
			return cv_error_errno(EINVAL, "bind mount %s: the source must be an absolute host path",
			                      m->target);
		if (!(m->flags & CV_MOUNT_CREATE) && stat(m->source, &st) < 0)
			return cv_error_sys("bind mount source %s", m->source);
		return 0;
	case CV_MOUNT_TYPE_VOLUME:
		if (m->source != NULL && m->source[0] != '\0' && !cv_name_is_valid(m->source, 128))
			return cv_error_errno(
			        EINVAL,
			        "invalid volume name \"%s\": use [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters",
			        m->source);
		return 0;
	case CV_MOUNT_TYPE_TMPFS:
		if (m->tmpfs_mode > 07777)
			return cv_error_errno(EINVAL, "tmpfs %s: invalid mode %o", m->target, m->tmpfs_mode);
		return 0;
	}
	return cv_error_errno(EINVAL, "mount %s: unknown type %d", m->target, (int)m->type);
}

int containerv_options_add_mount(struct containerv_options *options, const struct containerv_mount *mount)
{
	struct cv_mount *grown, *added;

	cv_error_clear();
	if (options == NULL || mount == NULL)
		return cv_error_errno(EINVAL, "add_mount: missing argument");
	if (validate_mount(mount) < 0)
		return -1;
	for (size_t i = 0; i < options->mount_count; i++) {
		if (strcmp(options->mounts[i].target, mount->target) == 0)
			return cv_error_errno(EINVAL, "duplicate mount point %s", mount->target);
	}
	grown = realloc(options->mounts, (options->mount_count + 1) * sizeof *grown);
	if (grown == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	options->mounts = grown;
	added = &grown[options->mount_count];
	memset(added, 0, sizeof *added);
	added->type = mount->type;
	added->flags = mount->flags;
	added->propagation = mount->propagation;
	added->tmpfs_size = mount->tmpfs_size;
	added->tmpfs_mode = mount->tmpfs_mode;
	added->tmpfs_uid = mount->tmpfs_uid;
	added->tmpfs_gid = mount->tmpfs_gid;
	added->target = cv_strdup(mount->target);
	added->source = cv_strdup(mount->source ? mount->source : "");
	if (added->target == NULL || added->source == NULL) {
		free(added->target);
		free(added->source);
		return -1;
	}
	options->mount_count++;
	return 0;
}

int containerv_options_set_readonly_rootfs(struct containerv_options *options, int enabled)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "readonly_rootfs: no options");
	options->readonly_rootfs = enabled != 0;
	return 0;
}

json_t *cv_mounts_to_json(const struct cv_mount *mounts, size_t count)
{
	json_t *array = json_array();

	for (size_t i = 0; i < count; i++) {
		const struct cv_mount *m = &mounts[i];
		json_array_append_new(
		        array, json_pack("{s:i,s:s,s:s,s:I,s:i,s:b,s:I,s:I,s:I,s:I}", "type", (int)m->type, "source",
		                         m->source, "target", m->target, "flags", (json_int_t)m->flags, "propagation",
		                         (int)m->propagation, "anonymous", m->anonymous, "tmpfs_size",
		                         (json_int_t)m->tmpfs_size, "tmpfs_mode", (json_int_t)m->tmpfs_mode,
		                         "tmpfs_uid", (json_int_t)m->tmpfs_uid, "tmpfs_gid", (json_int_t)m->tmpfs_gid));
	}
	return array;
}

int cv_mounts_from_json(json_t *array, struct cv_mount **mounts, size_t *count)
{
	size_t n = json_is_array(array) ? json_array_size(array) : 0;
	struct cv_mount *out;

	*mounts = NULL;
	*count = 0;
	if (n == 0)
		return 0;
	out = cv_malloc0(n * sizeof *out);
	if (out == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(array, i);
		const char *source = json_string_value(json_object_get(o, "source"));
		const char *target = json_string_value(json_object_get(o, "target"));
		if (source == NULL || target == NULL || (out[i].source = cv_strdup(source)) == NULL ||
		    (out[i].target = cv_strdup(target)) == NULL) {
			cv_mounts_free(out, n);
			return cv_error_errno(EINVAL, "config: invalid mount %zu", i);
		}
		out[i].type = (enum containerv_mount_type)json_integer_value(json_object_get(o, "type"));
		out[i].flags = (unsigned int)json_integer_value(json_object_get(o, "flags"));
		out[i].propagation =
		        (enum containerv_mount_propagation)json_integer_value(json_object_get(o, "propagation"));
		out[i].anonymous = json_is_true(json_object_get(o, "anonymous"));
		out[i].tmpfs_size = (uint64_t)json_integer_value(json_object_get(o, "tmpfs_size"));
		out[i].tmpfs_mode = (unsigned int)json_integer_value(json_object_get(o, "tmpfs_mode"));
		out[i].tmpfs_uid = (uid_t)json_integer_value(json_object_get(o, "tmpfs_uid"));
		out[i].tmpfs_gid = (gid_t)json_integer_value(json_object_get(o, "tmpfs_gid"));
	}
	*mounts = out;
	*count = n;
	return 0;
}
