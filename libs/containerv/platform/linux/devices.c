/*
 * --device at start (devices.h). The host path is stat'ed at every start,
 * as runc reads it at create: a node replaced meanwhile by another device
 * gets that device's numbers, one replaced by a file fails the start.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common/error.h"
#include "common/util.h"
#include "config/options.h"
#include "platform/linux/devices.h"

static int read_device(const struct cv_option_device *device, struct stat *st)
{
	if (stat(device->host_path, st) < 0)
		return cv_error_sys("device %s", device->host_path);
	if (!S_ISCHR(st->st_mode) && !S_ISBLK(st->st_mode))
		return cv_error_errno(EINVAL, "device %s: not a device node (a character or block device)",
		                      device->host_path);
	return 0;
}

int cv_devices_plan(const struct containerv_options *config, struct cv_plan_host_device **devices, size_t *count)
{
	*devices = NULL;
	*count = 0;
	if (config->host_device_count == 0)
		return 0;
	*devices = cv_malloc0(config->host_device_count * sizeof **devices);
	if (*devices == NULL)
		return -1;
	for (size_t i = 0; i < config->host_device_count; i++) {
		struct stat st;
		if (read_device(&config->host_devices[i], &st) < 0) {
			free(*devices);
			*devices = NULL;
			return -1;
		}
		(*devices)[i] = (struct cv_plan_host_device){config->host_devices[i].host_path,
		                                             config->host_devices[i].container_path,
		                                             st.st_mode & (S_IFMT | 0777), st.st_rdev};
	}
	*count = config->host_device_count;
	return 0;
}

int cv_devices_rules(const struct containerv_options *config, struct cv_device_rule **rules, size_t *count)
{
	size_t total = cv_default_device_rule_count + config->host_device_count;

	*rules = cv_malloc0(total * sizeof **rules);
	if (*rules == NULL)
		return -1;
	memcpy(*rules, cv_default_device_rules, cv_default_device_rule_count * sizeof **rules);
	for (size_t i = 0; i < config->host_device_count; i++) {
		struct stat st;
		if (read_device(&config->host_devices[i], &st) < 0) {
			free(*rules);
			*rules = NULL;
			return -1;
		}
		(*rules)[cv_default_device_rule_count + i] =
		        (struct cv_device_rule){S_ISBLK(st.st_mode) ? 'b' : 'c', (int)major(st.st_rdev),
		                                (int)minor(st.st_rdev), config->host_devices[i].permissions};
	}
	*count = total;
	return 0;
}
