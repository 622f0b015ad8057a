/*
 * containerv: statistics and processes of a container.
 */
#ifndef CHEF_CONTAINERV_STATS_H
#define CHEF_CONTAINERV_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct containerv_container;

/* One sample of a container's resource use. Counters are totals since start. */
struct containerv_stats {
	uint64_t timestamp_ns; /* CLOCK_REALTIME when sampled */
	uint64_t memory_usage; /* bytes in use now (page cache excluded, as docker shows it) */
	uint64_t memory_peak;  /* highest usage seen by the kernel */
	uint64_t memory_limit; /* the limit in force, or the host's memory when none */
	uint64_t cpu_time_ns;  /* CPU time of all processes */
	double cpu_percent;    /* over the interval since the previous sample on this handle; 100 = one CPU */
	uint64_t read_bytes;   /* block I/O */
	uint64_t write_bytes;
	uint64_t read_ops;
	uint64_t write_ops;
	uint64_t network_rx_bytes; /* all interfaces of the container's network namespace but lo */
	uint64_t network_tx_bytes;
	uint64_t network_rx_packets;
	uint64_t network_tx_packets;
	uint32_t active_processes; /* tasks in the cgroup now */
	uint32_t total_processes; /* processes created since start, as far as seen (the highest PID in its namespace) */
	uint64_t oom_kills;       /* times the OOM killer struck in the container */
	/* CPU bandwidth control (--cpus, --cpu-quota): periods in which the quota ran out, time held back */
	uint64_t cpu_throttled_periods;
	uint64_t cpu_throttled_ns;
	/*
	 * Pressure stall information (cgroup v2 on a kernel with PSI): total time in
	 * which some task of the container waited for CPU, memory or I/O. Valid
	 * when has_pressure is 1; cgroup v1 and kernels without PSI have none.
	 */
	int has_pressure;
	uint64_t cpu_pressure_ns;
	uint64_t memory_pressure_ns;
	uint64_t io_pressure_ns;
};

/*
 * Samples the container's resource use now. Each sample is also appended to
 * the handle's history (see containerv_get_stats_history()).
 */
CONTAINERV_API int containerv_get_stats(struct containerv_container *container, struct containerv_stats *stats);

/* How many samples the history of a handle keeps; older ones are dropped. */
#define CONTAINERV_STATS_HISTORY 128

/*
 * Copies up to max samples taken on this handle, oldest first, and sets
 * *count to how many were copied.
 */
CONTAINERV_API int containerv_get_stats_history(struct containerv_container *container,
                                                struct containerv_stats *samples, size_t max, size_t *count);

/* One process of a container. */
struct containerv_process_info {
	containerv_pid_t pid;           /* as the host sees it */
	containerv_pid_t container_pid; /* as the container sees it */
	containerv_uid_t uid;
	char name[64];       /* the command name (comm) */
	char command[256];   /* the command line, arguments joined by spaces */
	uint64_t memory_rss; /* bytes */
	uint64_t cpu_time_ns;
	double cpu_percent; /* average over the process's lifetime; 100 = one CPU */
	int64_t started_ns; /* wall-clock start time */
};

/*
 * Lists the container's processes (containerv's init included) into
 * processes[0..max) and sets *count to the number the container has, which
 * may exceed max.
 */
CONTAINERV_API int containerv_get_processes(struct containerv_container *container,
                                            struct containerv_process_info *processes, size_t max, size_t *count);

#ifdef __cplusplus
}
#endif

#endif
