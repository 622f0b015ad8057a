/*
 * containerv: performance profiles (docs/performance.md).
 *
 * A profile is a named set of placement and priority settings chosen at
 * create: the CPUs and memory nodes a container may use (from the host's
 * topology), its CPU and I/O weight, and whether its processes may get
 * transparent huge pages. A setting the caller gave explicitly (a cpuset,
 * cpu shares, an I/O weight in the limits) always wins over the profile's.
 */
#ifndef CHEF_CONTAINERV_PERF_H
#define CHEF_CONTAINERV_PERF_H

#include <chef/containerv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct containerv_options;
struct containerv_container;

enum containerv_perf_profile {
	CONTAINERV_PERF_NONE = 0,       /* no profile: the host's defaults */
	CONTAINERV_PERF_LATENCY = 1,    /* pinned to physical cores off CPU 0, high CPU and I/O weight, no THP */
	CONTAINERV_PERF_THROUGHPUT = 2, /* the CPUs and memory of one NUMA node, raised CPU and I/O weight */
	CONTAINERV_PERF_BATCH = 3,      /* anywhere, low CPU and I/O weight: yields to everything else */
	CONTAINERV_PERF_MEMORY = 4,     /* no THP (no 2 MiB rounding of its memory), default weights */
};

/*
 * Parses a profile's name ("latency", "throughput", "batch", "memory", or "none") into *profile. EINVAL,
 * naming the input and the choices, on anything else.
 */
CONTAINERV_API int containerv_perf_profile_parse(const char *name, enum containerv_perf_profile *profile);

/* The name of a profile ("none" for CONTAINERV_PERF_NONE); NULL for a value that is none of them. */
CONTAINERV_API const char *containerv_perf_profile_name(enum containerv_perf_profile profile);

/*
 * Chooses the container's profile. It is resolved against the host at create (containerv_create): the
 * limits the profile sets are then part of the container's limits (containerv_get_limits shows them).
 */
CONTAINERV_API int containerv_options_set_perf_profile(struct containerv_options *options,
                                                       enum containerv_perf_profile profile);

/*
 * The profile a container was created with, and whether its processes run with transparent huge pages
 * disabled (prctl PR_SET_THP_DISABLE, inherited by every process of the container's init). Either
 * out-parameter may be NULL.
 */
CONTAINERV_API int containerv_get_perf_profile(const struct containerv_container *container,
                                               enum containerv_perf_profile *profile, int *thp_disabled);

#ifdef __cplusplus
}
#endif

#endif
