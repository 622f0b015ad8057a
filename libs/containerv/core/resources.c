/*
 * The resources a limits structure asks to control, whatever a platform
 * calls them (core/resources.h).
 */
#include <stddef.h>

#include "core/resources.h"

const char *cv_resource_name(enum cv_resource resource)
{
	static const char *const names[CV_RESOURCE_COUNT] = {"memory", "cpu", "cpuset", "pids", "io", "hugetlb"};

	return (unsigned)resource < CV_RESOURCE_COUNT ? names[resource] : "?";
}

unsigned cv_limits_resources(const struct containerv_limits *limits)
{
	unsigned resources = 0;

	if (limits == NULL)
		return 0;
	if (limits->memory_bytes != 0 || limits->memory_swap_bytes != 0 || limits->memory_reservation_bytes != 0 ||
	    limits->oom_kill_disable)
		resources |= 1u << CV_RESOURCE_MEMORY;
	if (limits->cpu_shares != 0 || limits->cpu_quota_us != 0 || limits->cpu_period_us != 0)
		resources |= 1u << CV_RESOURCE_CPU;
	if (limits->cpuset_cpus[0] != '\0' || limits->cpuset_mems[0] != '\0')
		resources |= 1u << CV_RESOURCE_CPUSET;
	if (limits->pids_max != 0)
		resources |= 1u << CV_RESOURCE_PIDS;
	if (limits->io_weight != 0)
		resources |= 1u << CV_RESOURCE_IO;
	if (limits->hugetlb_count != 0)
		resources |= 1u << CV_RESOURCE_HUGETLB;
	return resources;
}
