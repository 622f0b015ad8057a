/*
 * Internal: the resources of struct containerv_limits, as the backends'
 * update operation and core's update rules (core/update.c) name them.
 */
#ifndef CV_CORE_RESOURCES_H
#define CV_CORE_RESOURCES_H

#include <chef/containerv/limits.h>

/* What a limits structure asks to control, whatever the layout calls it. */
enum cv_resource {
	CV_RESOURCE_MEMORY,
	CV_RESOURCE_CPU,
	CV_RESOURCE_CPUSET,
	CV_RESOURCE_PIDS,
	CV_RESOURCE_IO,
	CV_RESOURCE_HUGETLB
};
#define CV_RESOURCE_COUNT 6

/* The resources limits sets, as bits (1u << enum cv_resource); 0 for NULL. */
unsigned cv_limits_resources(const struct containerv_limits *limits);

/* "memory", "cpu", "cpuset", "pids", "io", "hugetlb": the name of a resource in messages. */
const char *cv_resource_name(enum cv_resource resource);

#endif
