/*
 * containerv: bottleneck detection and limit suggestions for a running
 * container (`containerv tune`).
 *
 * containerv_tune() samples the container's resource use over an interval
 * and reports what held it back: a CPU quota that throttles it, memory near
 * its limit or OOM kills, a pids limit nearly reached, and, where the kernel
 * has pressure stall information (cgroup v2), time spent waiting for CPU,
 * memory or I/O. Each finding comes with the limit change that addresses it,
 * and the report gathers them into one struct containerv_limits that
 * containerv_update() can apply as it is.
 */
#ifndef CHEF_CONTAINERV_TUNE_H
#define CHEF_CONTAINERV_TUNE_H

#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/common.h>
#include <chef/containerv/limits.h>

#ifdef __cplusplus
extern "C" {
#endif

struct containerv_container;

/* What held a container back. */
enum containerv_bottleneck {
	CV_BOTTLENECK_CPU_THROTTLED = 1,     /* its CPU quota ran out: held back part of the interval */
	CV_BOTTLENECK_CPU_PRESSURE = 2,      /* waited for CPU without a quota to blame: the host is busy */
	CV_BOTTLENECK_MEMORY_NEAR_LIMIT = 3, /* uses 90 % or more of its memory limit */
	CV_BOTTLENECK_MEMORY_OOM = 4,        /* the OOM killer ended processes in it */
	CV_BOTTLENECK_MEMORY_PRESSURE = 5,   /* waited for memory (reclaim) part of the interval */
	CV_BOTTLENECK_PIDS_NEAR_LIMIT = 6,   /* runs 90 % or more of the tasks its pids limit allows */
	CV_BOTTLENECK_IO_PRESSURE = 7,       /* waited for I/O part of the interval */
};

/* One finding: what was measured, and the change that addresses it. */
struct containerv_tune_finding {
	enum containerv_bottleneck kind;
	double measured;      /* the fraction of the interval held back or waiting, or of the limit in use */
	char message[256];    /* what was seen, in a sentence */
	char suggestion[128]; /* the change, in docker's flags ("--cpus 0.4"); "" when no limit would help */
};

#define CONTAINERV_TUNE_VERSION 1
#define CONTAINERV_TUNE_MAX_FINDINGS 8

struct containerv_tune_report {
	unsigned int version; /* set by the caller to CONTAINERV_TUNE_VERSION */
	uint64_t interval_ns; /* how long was sampled */
	size_t count;         /* findings[0..count) */
	struct containerv_tune_finding findings[CONTAINERV_TUNE_MAX_FINDINGS];
	/* Every suggested change at once, the other fields unset: containerv_update() applies it as it is */
	struct containerv_limits suggested;
	int has_pressure; /* 1 when the pressure findings could be looked for (PSI) */
};

/*
 * Samples the running container for interval_ms (100 to 600000) and fills
 * report. A container without a bottleneck gets count 0. EINVAL for a bad
 * interval or version; ESRCH when the container is not running or ends
 * during the interval.
 */
CONTAINERV_API int containerv_tune(struct containerv_container *container, unsigned int interval_ms,
                                   struct containerv_tune_report *report);

#ifdef __cplusplus
}
#endif

#endif
