/*
 * docker's --ulimit, --device, --group-add and the namespace modes (--pid,
 * --ipc, --uts, --cgroupns) into the options.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <chef/containerv.h>

#include "common/error.h"
#include "common/util.h"
#include "config/options.h"
#include "image/image-options.h"

/* One ulimit value: digits, or -1 / "unlimited". */
static int parse_ulimit_value(const char *text, int64_t *value)
{
	char *end;
	long long parsed;

	if (strcmp(text, "unlimited") == 0 || strcmp(text, "-1") == 0) {
		*value = -1;
		return 0;
	}
	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	parsed = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*value = parsed;
	return 0;
}

int containerv_spec_add_ulimit(struct containerv_options *options, const char *text)
{
	cleanup_free char *copy = NULL;
	char *equals, *colon;
	int64_t soft, hard;

	cv_error_clear();
	if (options == NULL || text == NULL)
		return cv_error_errno(EINVAL, "--ulimit: missing argument");
	copy = cv_strdup(text);
	if (copy == NULL)
		return -1;
	equals = strchr(copy, '=');
	if (equals == NULL || equals == copy)
		return cv_error_errno(EINVAL, "invalid --ulimit \"%s\": expected NAME=SOFT[:HARD]", text);
	*equals = '\0';
	colon = strchr(equals + 1, ':');
	if (colon != NULL)
		*colon = '\0';
	if (parse_ulimit_value(equals + 1, &soft) < 0 || (colon != NULL && parse_ulimit_value(colon + 1, &hard) < 0))
		return cv_error_errno(EINVAL, "invalid --ulimit \"%s\": the values are numbers, -1 or unlimited", text);
	if (colon == NULL)
		hard = soft;
	if (containerv_options_add_ulimit(options, copy, soft, hard) < 0)
		return cv_error_prefix("--ulimit %s", text);
	return 0;
}

/* docker's test: a part made only of r, w and m is the permissions. */
static bool is_permissions(const char *text)
{
	return text[0] != '\0' && strspn(text, "rwm") == strlen(text);
}

int containerv_spec_add_device(struct containerv_options *options, const char *text)
{
	cleanup_free char *copy = NULL;
	char *parts[3] = {NULL, NULL, NULL};
	const char *container = NULL, *permissions = NULL;
	size_t count = 0;

	cv_error_clear();
	if (options == NULL || text == NULL)
		return cv_error_errno(EINVAL, "--device: missing argument");
	copy = cv_strdup(text);
	if (copy == NULL)
		return -1;
	for (char *part = copy, *next; part != NULL; part = next) {
		next = strchr(part, ':');
		if (next != NULL)
			*next++ = '\0';
		if (count == 3)
			return cv_error_errno(EINVAL,
			                      "invalid --device \"%s\": expected HOST[:CONTAINER][:PERMISSIONS]", text);
		parts[count++] = part;
	}
	if (count == 2 && is_permissions(parts[1]))
		permissions = parts[1];
	else if (count >= 2)
		container = parts[1][0] != '\0' ? parts[1] : NULL;
	if (count == 3)
		permissions = parts[2];
	if (containerv_options_add_host_device(options, parts[0], container, permissions) < 0)
		return cv_error_prefix("--device");
	return 0;
}

int containerv_spec_add_group(struct containerv_options *options, const char *text)
{
	gid_t groups[CONTAINERV_SUPPLEMENTARY_GROUPS_MAX];
	size_t count;
	gid_t gid;

	cv_error_clear();
	if (options == NULL || text == NULL)
		return cv_error_errno(EINVAL, "--group-add: missing argument");
	if (options->layers == NULL && (text[0] < '0' || text[0] > '9'))
		return cv_error_errno(
		        EINVAL, "invalid --group-add \"%s\": a gid, or a name once the image or --rootfs is set", text);
	if (cv_image_parse_group(options->layers, text, &gid) < 0)
		return cv_error_prefix("--group-add");
	count = options->supplementary_group_count;
	memcpy(groups, options->supplementary_groups, count * sizeof *groups);
	for (size_t i = 0; i < count; i++)
		if (groups[i] == gid)
			return 0;
	if (count == CONTAINERV_SUPPLEMENTARY_GROUPS_MAX)
		return cv_error_errno(E2BIG, "--group-add %s: more than %d groups", text,
		                      CONTAINERV_SUPPLEMENTARY_GROUPS_MAX);
	groups[count++] = gid;
	return containerv_options_set_supplementary_groups(options, groups, count);
}

int containerv_spec_set_namespace_mode(struct containerv_options *options, const char *kind, const char *mode)
{
	static const struct {
		const char *kind;
		unsigned int bit;
		bool joinable;
		const char *modes; /* what docker takes, for the error */
	} kinds[] = {
	        {"pid", CV_NS_PID, true, "host or container:NAME"},
	        {"ipc", CV_NS_IPC, true, "host, private, shareable, none or container:NAME"},
	        {"uts", CV_NS_UTS, false, "host"},
	        {"cgroupns", CV_NS_CGROUP, false, "host or private"},
	};

	cv_error_clear();
	if (options == NULL || kind == NULL || mode == NULL)
		return cv_error_errno(EINVAL, "namespace mode: missing argument");
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		if (strcmp(kinds[i].kind, kind) != 0)
			continue;
		bool is_ipc = kinds[i].bit == CV_NS_IPC;
		if (mode[0] == '\0' ||
		    (strcmp(mode, "private") == 0 && kinds[i].bit != CV_NS_PID && kinds[i].bit != CV_NS_UTS) ||
		    (is_ipc && strcmp(mode, "shareable") == 0)) {
			options->namespaces |= kinds[i].bit;
			return 0;
		}
		if (strcmp(mode, "host") == 0) {
			options->namespaces &= ~kinds[i].bit;
			return 0;
		}
		if (is_ipc && strcmp(mode, "none") == 0) {
			options->namespaces |= CV_NS_IPC;
			return containerv_options_set_shm_size(options, 0);
		}
		if (kinds[i].joinable && strncmp(mode, "container:", 10) == 0 && mode[10] != '\0') {
			options->namespaces |= kinds[i].bit;
			if (containerv_options_join_container(options, kinds[i].bit, mode + 10) < 0)
				return cv_error_prefix("--%s", kind);
			return 0;
		}
		return cv_error_errno(EINVAL, "invalid --%s \"%s\": expected %s", kind, mode, kinds[i].modes);
	}
	return cv_error_errno(EINVAL, "namespace mode: unknown kind \"%s\"", kind);
}
