/*
 * --device at start (devices.h). The host path is stat'ed at every start,
 * as runc reads it at create: a node replaced meanwhile by another device
 * gets that device's numbers, one replaced by a file fails the start. The
 * numbers read then are judged by the level again (a path swapped after
 * create for /dev/sg0 is refused) and are the ones the device allow-list
 * lets through: one read, so what is judged is what is allowed.
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
#include "security/security-internal.h"

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
		const struct cv_option_device *device = &config->host_devices[i];
		struct cv_device_identity identity;
		if (cv_device_identify(device->host_path, &identity) < 0 ||
		    cv_security_check_device(config->security, device->host_path, &identity) < 0) {
			free(*devices);
			*devices = NULL;
			return -1;
		}
		(*devices)[i] =
		        (struct cv_plan_host_device){device->host_path, device->container_path,
		                                     (identity.type == 'b' ? S_IFBLK : S_IFCHR) | identity.permissions,
		                                     makedev(identity.major, identity.minor), device->permissions};
	}
	*count = config->host_device_count;
	return 0;
}

int cv_devices_rules(const struct cv_plan_host_device *devices, size_t device_count, struct cv_device_rule **rules,
                     size_t *count)
{
	size_t total = cv_default_device_rule_count + device_count;

	*rules = cv_malloc0(total * sizeof **rules);
	if (*rules == NULL)
		return -1;
	memcpy(*rules, cv_default_device_rules, cv_default_device_rule_count * sizeof **rules);
	for (size_t i = 0; i < device_count; i++)
		(*rules)[cv_default_device_rule_count + i] =
		        (struct cv_device_rule){S_ISBLK(devices[i].mode) ? 'b' : 'c', (int)major(devices[i].rdev),
		                                (int)minor(devices[i].rdev), devices[i].permissions};
	*count = total;
	return 0;
}
