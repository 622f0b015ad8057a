/*
 * Internal: a container's --device nodes at start: the host's nodes read
 * again (each must still be a device) for the init to make, and the device
 * allow-list that lets exactly them through besides docker's defaults.
 */
#ifndef CV_LINUX_DEVICES_H
#define CV_LINUX_DEVICES_H

#include <stddef.h>

#include "platform/linux/cgroup.h"
#include "platform/linux/init-plan.h"

struct containerv_options;

/*
 * The config's devices as the init makes them (*devices allocated, NULL when none; free()), each read
 * now and refused (EPERM) when the config's security level forbids what it is.
 */
int cv_devices_plan(const struct containerv_options *config, struct cv_plan_host_device **devices, size_t *count);

/* docker's default rules, then one per planned device with its permissions (*rules allocated; free()). */
int cv_devices_rules(const struct cv_plan_host_device *devices, size_t device_count, struct cv_device_rule **rules,
                     size_t *count);

#endif
