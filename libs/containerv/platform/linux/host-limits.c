/*
 * Limits checked against this host before anything is made: more CPUs than it
 * has, or a CPU or memory node it does not have. The kernel would refuse the
 * cpuset only after the cgroup exists, with a raw path and ERANGE; a quota of
 * 64 CPUs on 2 it would take and never use. docker refuses both up front.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/host-limits.h"

/* Whether the cpulist HOST ("0-1,4") holds every number from FIRST to LAST. */
static bool list_covers(const char *host, unsigned long first, unsigned long last)
{
	for (unsigned long n = first; n <= last; n++) {
		const char *p = host;
		bool found = false;

		while (*p != '\0' && !found) {
			char *end;
			unsigned long low = strtoul(p, &end, 10), high = low;

			if (end == p)
				return false;
			if (*end == '-')
				high = strtoul(end + 1, &end, 10);
			found = n >= low && n <= high;
			p = *end == ',' ? end + 1 : end;
		}
		if (!found)
			return false;
		if (n == ULONG_MAX)
			break;
	}
	return true;
}

/* Whether every number of the cpulist WANTED ("0-3,5") is in the cpulist HOST. */
static bool list_within(const char *wanted, const char *host)
{
	const char *p = wanted;

	while (*p != '\0') {
		char *end;
		unsigned long first = strtoul(p, &end, 10), last = first;

		if (*end == '-')
			last = strtoul(end + 1, &end, 10);
		if (last - first > 65536 || !list_covers(host, first, last))
			return false;
		p = *end == ',' ? end + 1 : end;
	}
	return true;
}

/* The host's list of WHAT (cpus or nodes) from sysfs; false when it cannot be read (then unchecked). */
static bool read_host_list(const char *path, char *list, size_t size)
{
	cleanup_free char *content = NULL;

	if (cv_read_file(path, &content, NULL, size - 1) < 0) {
		cv_error_clear();
		return false;
	}
	content[strcspn(content, "\n")] = '\0';
	snprintf(list, size, "%s", content);
	return list[0] != '\0';
}

static int check_cpuset(const char *what, const char *wanted, const char *host_path)
{
	char host[256];

	if (wanted[0] == '\0' || !read_host_list(host_path, host, sizeof host) || list_within(wanted, host))
		return 0;
	return cv_error_errno(EINVAL, "%s \"%s\": this host has %s %s", what, wanted,
	                      strcmp(what, "cpuset cpus") == 0 ? "CPUs" : "memory nodes", host);
}

static int check_cpu_quota(const struct containerv_limits *limits)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t period = limits->cpu_period_us != 0 ? limits->cpu_period_us : 100000; /* the kernel's default */

	if (limits->cpu_quota_us == 0 || online <= 0 || limits->cpu_quota_us <= (uint64_t)online * period)
		return 0;
	return cv_error_errno(EINVAL, "cpus %.2f: the range is 0.01 to %ld.00, as this host has %ld CPUs",
	                      (double)limits->cpu_quota_us / (double)period, online, online);
}

int cv_host_limits_check(const struct containerv_limits *limits)
{
	if (check_cpu_quota(limits) < 0 ||
	    check_cpuset("cpuset cpus", limits->cpuset_cpus, "/sys/devices/system/cpu/online") < 0 ||
	    check_cpuset("cpuset mems", limits->cpuset_mems, "/sys/devices/system/node/online") < 0)
		return -1;
	return 0;
}
