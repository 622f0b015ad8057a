/*
 * config.json's "mounts": binds and tmpfs become container mounts; the
 * filesystems every container gets anyway (/proc, /dev, /dev/pts, /dev/shm,
 * /dev/mqueue, /sys, /sys/fs/cgroup) are recognised and left to the runtime,
 * which mounts them at least as strictly (nosuid, nodev, noexec, /sys
 * read-only). Anything else, and every option we cannot honour, is refused
 * by name rather than mounted differently.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "spec/oci-internal.h"

/* A filesystem the runtime mounts itself for every container. */
static bool provided_by_runtime(const char *destination, const char *type)
{
	static const char *const provided[][2] = {
	        {"/proc", "proc"},
	        {"/dev", "tmpfs"},
	        {"/dev/pts", "devpts"},
	        {"/dev/shm", "tmpfs"},
	        {"/dev/mqueue", "mqueue"},
	        {"/sys", "sysfs"},
	        {"/sys/fs/cgroup", "cgroup"},
	        {"/sys/fs/cgroup", "cgroup2"},
	};
	for (size_t i = 0; i < sizeof provided / sizeof provided[0]; i++)
		if (strcmp(destination, provided[i][0]) == 0 && strcmp(type, provided[i][1]) == 0)
			return true;
	return false;
}

/* Options that change nothing of what the container can reach: time stamps, sync, the runtime's own filesystems'. */
static bool harmless_option(const char *option)
{
	static const char *const harmless[] = {"relatime", "norelatime", "strictatime", "nostrictatime", "noatime",
	                                       "atime",    "nodiratime", "diratime",    "sync",          "async",
	                                       "lazytime", "nolazytime", "newinstance", "defaults"};
	for (size_t i = 0; i < sizeof harmless / sizeof harmless[0]; i++)
		if (strcmp(option, harmless[i]) == 0)
			return true;
	return false;
}

/* A tmpfs size ("64m", "65536k", "1g" or bytes) or mode (octal). */
static int tmpfs_option(struct containerv_mount *mount, const char *option, const char *field)
{
	char *end = NULL;

	if (strncmp(option, "size=", 5) == 0) {
		int64_t bytes;
		if (containerv_parse_size(option + 5, &bytes) < 0 || bytes <= 0)
			return cv_oci_refuse(field, "invalid option \"%s\"", option);
		mount->tmpfs_size = (uint64_t)bytes;
		return 0;
	}
	if (strncmp(option, "mode=", 5) == 0) {
		errno = 0;
		unsigned long mode = strtoul(option + 5, &end, 8);
		if (errno != 0 || end == option + 5 || *end != '\0' || mode > 07777)
			return cv_oci_refuse(field, "invalid option \"%s\"", option);
		mount->tmpfs_mode = (unsigned int)mode;
		return 0;
	}
	if (strncmp(option, "uid=", 4) == 0 || strncmp(option, "gid=", 4) == 0) {
		errno = 0;
		unsigned long id = strtoul(option + 4, &end, 10);
		if (errno != 0 || end == option + 4 || *end != '\0' || id >= UINT32_MAX)
			return cv_oci_refuse(field, "invalid option \"%s\"", option);
		if (option[0] == 'u')
			mount->tmpfs_uid = (containerv_uid_t)id;
		else
			mount->tmpfs_gid = (containerv_gid_t)id;
		return 0;
	}
	return cv_oci_refuse(field, "option \"%s\" is not supported", option);
}

bool cv_oci_propagation(const char *name, enum containerv_mount_propagation *propagation)
{
	static const struct {
		const char *name;
		enum containerv_mount_propagation propagation;
	} propagations[] = {
	        {"private", CV_PROPAGATION_PRIVATE},       {"rprivate", CV_PROPAGATION_PRIVATE},
	        {"slave", CV_PROPAGATION_SLAVE},           {"rslave", CV_PROPAGATION_SLAVE},
	        {"shared", CV_PROPAGATION_SHARED},         {"rshared", CV_PROPAGATION_SHARED},
	        {"unbindable", CV_PROPAGATION_UNBINDABLE}, {"runbindable", CV_PROPAGATION_UNBINDABLE},
	};

	for (size_t i = 0; i < sizeof propagations / sizeof propagations[0]; i++) {
		if (strcmp(name, propagations[i].name) == 0) {
			*propagation = propagations[i].propagation;
			return true;
		}
	}
	return false;
}

/* One entry of options[] into the mount's flags; tmpfs options for a tmpfs. */
static int mount_option(struct containerv_mount *mount, const char *option, const char *field)
{
	static const struct {
		const char *name;
		unsigned int set, clear;
	} flags[] = {
	        {"ro", CV_MOUNT_READONLY, 0},
	        {"rw", 0, CV_MOUNT_READONLY},
	        {"rro", CV_MOUNT_READONLY | CV_MOUNT_RECURSIVE, 0},
	        {"nosuid", CV_MOUNT_NOSUID, 0},
	        {"suid", 0, CV_MOUNT_NOSUID},
	        {"nodev", CV_MOUNT_NODEV, 0},
	        {"dev", 0, CV_MOUNT_NODEV},
	        {"noexec", CV_MOUNT_NOEXEC, 0},
	        {"exec", 0, CV_MOUNT_NOEXEC},
	        {"bind", 0, 0},
	        {"rbind", CV_MOUNT_RECURSIVE, 0},
	};

	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		if (strcmp(option, flags[i].name) == 0) {
			mount->flags = (mount->flags | flags[i].set) & ~flags[i].clear;
			return 0;
		}
	}
	if (cv_oci_propagation(option, &mount->propagation))
		return 0;
	if (harmless_option(option))
		return 0;
	if (mount->type == CV_MOUNT_TYPE_TMPFS)
		return tmpfs_option(mount, option, field);
	/*
	 * A bind takes no filesystem data: mount(2) ignores "mode=755" or "size=1k" there, as under runc
	 * and crun. Accepted when well-formed, since they change nothing.
	 */
	struct containerv_mount ignored = CONTAINERV_MOUNT_INIT;
	ignored.type = CV_MOUNT_TYPE_TMPFS;
	if (strncmp(option, "size=", 5) == 0 || strncmp(option, "mode=", 5) == 0 || strncmp(option, "uid=", 4) == 0 ||
	    strncmp(option, "gid=", 4) == 0)
		return tmpfs_option(&ignored, option, field);
	return cv_oci_refuse(field, "option \"%s\" is not supported", option);
}

static int load_mount(struct cv_oci_load *load, json_t *entry, size_t index)
{
	struct containerv_mount mount = CONTAINERV_MOUNT_INIT;
	const char *destination, *type, *source;
	cleanup_free char *joined = NULL;
	char field[64];
	json_t *options, *option;
	bool bind = false;
	size_t i;

	snprintf(field, sizeof field, "mounts[%zu]", index);
	if (!json_is_object(entry))
		return cv_oci_refuse(field, "not an object");
	if (cv_oci_string(entry, "destination", field, &destination) < 0 ||
	    cv_oci_string(entry, "type", field, &type) < 0 || cv_oci_string(entry, "source", field, &source) < 0 ||
	    cv_oci_string_array(entry, "options", field, &options) < 0)
		return -1;
	if (destination == NULL || destination[0] != '/')
		return cv_oci_refuse(field, "destination must be an absolute path");
	if (cv_oci_refuse_if_set(entry, "uidMappings", field, "id-mapped mounts are not supported") < 0 ||
	    cv_oci_refuse_if_set(entry, "gidMappings", field, "id-mapped mounts are not supported") < 0)
		return -1;
	snprintf(field, sizeof field, "mounts[%zu] (%s)", index, destination);
	json_array_foreach(options, i, option)
	{
		const char *text = json_string_value(option);
		bind = bind || strcmp(text, "bind") == 0 || strcmp(text, "rbind") == 0;
	}
	if (type == NULL || type[0] == '\0')
		type = bind ? "bind" : "";
	if (!bind && strcmp(type, "bind") != 0) {
		if (provided_by_runtime(destination, type))
			return 0;
		if (strcmp(type, "tmpfs") != 0)
			return cv_oci_refuse(field, "type \"%s\" is not supported here", type);
	}
	mount.type = bind || strcmp(type, "bind") == 0 ? CV_MOUNT_TYPE_BIND : CV_MOUNT_TYPE_TMPFS;
	mount.target = destination;
	json_array_foreach(options, i, option)
	{
		if (mount_option(&mount, json_string_value(option), field) < 0)
			return -1;
	}
	if (mount.type == CV_MOUNT_TYPE_BIND) {
		if (source == NULL || source[0] == '\0')
			return cv_oci_refuse(field, "a bind needs a source");
		/* A relative source is the bundle's, as the specification says. */
		if (source[0] != '/') {
			if (load->bundle == NULL || load->bundle[0] != '/')
				return cv_oci_refuse(field, "relative source without an absolute bundle directory");
			if (cv_asprintf(&joined, "%s/%s", load->bundle, source) < 0)
				return -1;
			source = joined;
		}
		mount.source = source;
	}
	if (containerv_options_add_mount(load->options, &mount) < 0)
		return cv_error_prefix("config.json: %s", field);
	return 0;
}

int cv_oci_load_mounts(struct cv_oci_load *load, json_t *mounts)
{
	json_t *entry;
	size_t i;

	if (mounts == NULL || json_is_null(mounts))
		return 0;
	if (!json_is_array(mounts))
		return cv_oci_refuse("mounts", "not an array");
	json_array_foreach(mounts, i, entry)
	{
		if (load_mount(load, entry, i) < 0)
			return -1;
	}
	return 0;
}
