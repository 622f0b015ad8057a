/*
 * Internal: performance profiles (chef/containerv/perf.h) resolved against a host.
 *
 * The platform describes the host (struct cv_perf_host: its CPU topology and whether it can weigh I/O);
 * cv_perf_profile_resolve turns a profile and that description into concrete settings, a pure function
 * that the unit tests drive with made-up topologies; cv_perf_profile_apply puts them into a config where
 * the caller set nothing.
 */
#ifndef CV_CONFIG_PERF_PROFILE_H
#define CV_CONFIG_PERF_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/perf.h>

struct containerv_options;

/* Bounds of what a topology holds: more CPUs or nodes than these are not placed by a profile. */
#define CV_TOPOLOGY_CPUS_MAX 1024
#define CV_TOPOLOGY_NODES_MAX 64

struct cv_topology_cpu {
	int id;      /* the kernel's CPU number */
	int core;    /* core_id: the physical core, within its package */
	int package; /* physical_package_id */
	int node;    /* the NUMA node whose cpulist holds it */
};

struct cv_topology {
	size_t cpu_count; /* online CPUs, ascending ids */
	struct cv_topology_cpu cpus[CV_TOPOLOGY_CPUS_MAX];
	size_t node_count; /* online nodes, ascending ids */
	int nodes[CV_TOPOLOGY_NODES_MAX];
	bool node_has_memory[CV_TOPOLOGY_NODES_MAX]; /* by index in nodes[] */
};

struct cv_perf_host {
	struct cv_topology topology;
	bool io_weight; /* a container's I/O weight can be set here (else the profile leaves it) */
};

/* What a profile comes to on one host; empty strings and zeros are "leave the host's default". */
struct cv_perf_settings {
	char cpus[128];      /* cpuset.cpus */
	char mems[128];      /* cpuset.mems: only where the host has several nodes */
	uint64_t cpu_shares; /* docker's scale */
	uint32_t io_weight;  /* 10..1000 */
	bool thp_disable;    /* prctl(PR_SET_THP_DISABLE) in the init */
};

/* The settings of PROFILE on HOST (never fails for a valid profile; EINVAL for an unknown one). */
int cv_perf_profile_resolve(enum containerv_perf_profile profile, const struct cv_perf_host *host,
                            struct cv_perf_settings *settings);

/* Copies SETTINGS into CONFIG's limits where they are unset, and its THP flag. */
void cv_perf_profile_apply(struct containerv_options *config, const struct cv_perf_settings *settings);

/* Writes the ascending ids as a cpuset list ("0-3,6,8-9"); EINVAL if it does not fit in size. */
int cv_cpu_list_format(const int *ids, size_t count, char *text, size_t size);

#endif
