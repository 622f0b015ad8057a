/*
 * Internal: the host's CPU and NUMA topology, read from sysfs, for the performance profiles
 * (config/perf-profile.h).
 */
#ifndef CV_LINUX_TOPOLOGY_H
#define CV_LINUX_TOPOLOGY_H

#include "config/perf-profile.h"

/*
 * Reads the topology under SYSTEM_DIR (the host's is /sys/devices/system; a test passes a made-up tree):
 * cpu/online, cpu/cpuN/topology/{core_id,physical_package_id}, node/online, node/has_memory and
 * node/nodeN/cpulist. A kernel without NUMA has no node/ directory: then one node 0 holds every CPU.
 * A CPU without a topology/ directory is its own core in package 0. EINVAL, naming the file, on a list
 * or number that does not parse; E2BIG past CV_TOPOLOGY_CPUS_MAX or CV_TOPOLOGY_NODES_MAX.
 */
int cv_topology_read(const char *system_dir, struct cv_topology *topology);

/* Parses a kernel list ("0-3,8,10-11") into ascending ids; *count set. WHAT names it in the error. */
int cv_id_list_parse(const char *what, const char *text, int *ids, size_t max, size_t *count);

/* The host's description for the profiles: its topology, and whether a container's I/O can be weighed. */
int cv_linux_perf_host(struct cv_perf_host *host);

#endif
