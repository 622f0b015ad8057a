/*
 * ps --filter, as docker ps reads it: KEY=VALUE pairs; values of one key
 * are alternatives (any may match), different keys must all match. Keys:
 * id (prefix), name (substring), label (KEY or KEY=VALUE), status
 * (created, running, paused, exited), exited (an exit code), ancestor (the
 * image by name or id prefix), network (a network name), volume (a volume
 * name or a mount's destination).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "ps-filter.h"

static const char *const known_keys[] = {"id", "name", "label", "status", "exited", "ancestor", "network", "volume"};

int ps_filter_check(const char *filter)
{
	const char *equals = strchr(filter, '=');
	static const char *const statuses[] = {"created",    "running",  "paused", "exited",
	                                       "restarting", "removing", "dead"};

	if (equals == NULL || equals == filter || equals[1] == '\0')
		return cli_fail(-1, "invalid filter \"%s\": expected KEY=VALUE", filter);
	for (size_t i = 0; i < sizeof known_keys / sizeof *known_keys; i++) {
		if (strncmp(filter, known_keys[i], (size_t)(equals - filter)) != 0 ||
		    known_keys[i][equals - filter] != '\0')
			continue;
		if (strcmp(known_keys[i], "status") == 0) {
			for (size_t s = 0; s < sizeof statuses / sizeof *statuses; s++)
				if (strcmp(equals + 1, statuses[s]) == 0)
					return 0;
			return cli_fail(-1,
			                "invalid filter \"%s\": status is created, restarting, running, removing, "
			                "paused, exited or dead",
			                filter);
		}
		if (strcmp(known_keys[i], "exited") == 0) {
			int64_t code;
			if (cli_parse_int64(equals + 1, &code) < 0)
				return cli_fail(-1, "invalid filter \"%s\": exited takes an exit code", filter);
		}
		return 0;
	}
	return cli_fail(-1,
	                "invalid filter \"%s\": unknown key (id, name, label, status, exited, ancestor, network, "
	                "volume)",
	                filter);
}

/* Whether the container has a label KEY=VALUE, or KEY=anything when value is NULL. */
bool ps_has_label(const char *id, const char *key, const char *value)
{
	_cleanup_container_ struct containerv_container *container = NULL;
	char **labels = NULL;
	size_t length = strlen(key);
	bool found = false;

	if (containerv_open(id, &container) < 0)
		return false;
	if (containerv_get_strings(container, CV_STRINGS_LABELS, &labels, NULL) == 0) {
		for (size_t i = 0; labels[i] != NULL && !found; i++)
			found = strncmp(labels[i], key, length) == 0 &&
			        (labels[i][length] == '\0' || labels[i][length] == '=') &&
			        (value == NULL ||
			         (labels[i][length] == '=' && strcmp(labels[i] + length + 1, value) == 0));
		containerv_strings_free(labels);
	}
	return found;
}

static bool label_matches(const struct containerv_info *info, const char *label)
{
	char key[256];
	const char *equals = strchr(label, '=');

	snprintf(key, sizeof key, "%.*s", (int)(equals != NULL ? (size_t)(equals - label) : strlen(label)), label);
	return ps_has_label(info->id, key, equals != NULL ? equals + 1 : NULL);
}

static bool status_matches(const struct containerv_info *info, const char *status)
{
	if (strcmp(status, "paused") == 0)
		return info->state == CV_STATE_RUNNING && info->paused;
	if (strcmp(status, "running") == 0)
		return info->state == CV_STATE_RUNNING && !info->paused;
	if (strcmp(status, "created") == 0)
		return info->state == CV_STATE_CREATED || info->state == CV_STATE_HELD;
	if (strcmp(status, "exited") == 0)
		return info->state == CV_STATE_EXITED;
	return false; /* restarting, removing, dead: never a state here */
}

static bool ancestor_matches(const struct containerv_info *info, const char *image)
{
	struct containerv_image_info wanted = {.version = CONTAINERV_IMAGE_INFO_VERSION};
	bool found;

	if (info->image_digest[0] == '\0' || containerv_image_inspect(image, &wanted) < 0)
		return false;
	found = strcmp(wanted.digest, info->image_digest) == 0;
	containerv_image_info_clear(&wanted);
	return found;
}

static bool network_matches(const struct containerv_info *info, const char *network)
{
	struct containerv_network_info wanted;
	bool found = false;

	memset(&wanted, 0, sizeof wanted);
	wanted.version = CONTAINERV_NETWORK_INFO_VERSION;
	if (containerv_network_inspect(network, &wanted) < 0)
		return false;
	for (size_t i = 0; i < wanted.endpoint_count && !found; i++)
		found = strcmp(wanted.endpoints[i].container, info->id) == 0;
	containerv_network_info_clear(&wanted);
	return found;
}

static bool volume_matches(const struct containerv_info *info, const char *volume)
{
	_cleanup_container_ struct containerv_container *container = NULL;
	struct containerv_mount_info *mounts = NULL;
	size_t count = 0;
	bool found = false;

	if (containerv_open(info->id, &container) < 0 || containerv_get_mounts(container, &mounts, &count) < 0)
		return false;
	for (size_t i = 0; i < count && !found; i++)
		found = (mounts[i].type == CV_MOUNT_TYPE_VOLUME && strcmp(mounts[i].source, volume) == 0) ||
		        strcmp(mounts[i].destination, volume) == 0;
	containerv_mounts_free(mounts, count);
	return found;
}

static bool one_matches(const struct containerv_info *info, const char *key, const char *value)
{
	if (strcmp(key, "id") == 0)
		return strncmp(info->id, value, strlen(value)) == 0;
	if (strcmp(key, "name") == 0)
		return strstr(info->name, value) != NULL;
	if (strcmp(key, "label") == 0)
		return label_matches(info, value);
	if (strcmp(key, "status") == 0)
		return status_matches(info, value);
	if (strcmp(key, "exited") == 0)
		return info->state == CV_STATE_EXITED && info->exit.code == atoi(value);
	if (strcmp(key, "ancestor") == 0)
		return ancestor_matches(info, value);
	if (strcmp(key, "network") == 0)
		return network_matches(info, value);
	if (strcmp(key, "volume") == 0)
		return volume_matches(info, value);
	return false;
}

bool ps_filters_match(const struct containerv_info *info, const char *const *filters, size_t count)
{
	for (size_t k = 0; k < sizeof known_keys / sizeof *known_keys; k++) {
		size_t length = strlen(known_keys[k]);
		bool asked = false, matched = false;

		for (size_t i = 0; i < count && !matched; i++) {
			if (strncmp(filters[i], known_keys[k], length) != 0 || filters[i][length] != '=')
				continue;
			asked = true;
			matched = one_matches(info, known_keys[k], filters[i] + length + 1);
		}
		if (asked && !matched)
			return false;
	}
	return true;
}
