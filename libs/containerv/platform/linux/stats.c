/*
 * Statistics and the process list of a running container: the cgroup's
 * counters, the network namespace's interface counters (read through the
 * init's /proc/<pid>/net/dev) and per-process figures from /proc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/container-private.h"

/* Sums every interface but lo from a /proc/<pid>/net/dev table. */
static void read_network(pid_t pid, struct containerv_stats *stats)
{
	char path[64];
	cleanup_free char *text = NULL;
	char *line, *save = NULL;

	snprintf(path, sizeof path, "/proc/%d/net/dev", (int)pid);
	if (cv_read_file(path, &text, NULL, 1 << 20) < 0)
		return;
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		unsigned long long rx_bytes, rx_packets, tx_bytes, tx_packets;
		char *colon = strchr(line, ':');

		if (colon == NULL)
			continue;
		*colon = '\0';
		if (sscanf(line, " %63s", name) != 1 || strcmp(name, "lo") == 0)
			continue;
		if (sscanf(colon + 1, "%llu %llu %*u %*u %*u %*u %*u %*u %llu %llu", &rx_bytes, &rx_packets, &tx_bytes,
		           &tx_packets) != 4)
			continue;
		stats->network_rx_bytes += rx_bytes;
		stats->network_rx_packets += rx_packets;
		stats->network_tx_bytes += tx_bytes;
		stats->network_tx_packets += tx_packets;
	}
}

/* The process's PID in its innermost namespace: the last field of NSpid in /proc/<pid>/status, 0 unknown. */
static pid_t namespace_pid(pid_t pid)
{
	char path[64];
	cleanup_free char *status = NULL;
	char *line, *last;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (cv_read_file(path, &status, NULL, 1 << 16) < 0) {
		cv_error_clear();
		return 0;
	}
	line = strstr(status, "\nNSpid:");
	if (line == NULL)
		return 0;
	line[strcspn(line + 1, "\n") + 1] = '\0';
	last = strrchr(line, '\t');
	return last != NULL ? (pid_t)strtol(last + 1, NULL, 10) : 0;
}

/*
 * Processes created since start, as far as seen: PIDs in a new PID namespace
 * are handed out in order from 1, so the highest in-namespace PID of a live
 * process counts every process made before it (exact while the newest one
 * lives; the history keeps the highest seen). Only the kernel in the
 * namespace knows the last PID handed out (ns_last_pid reads the reader's
 * namespace), and a probe process forked into the namespace for it was a
 * host process the container could reach (/proc/<probe>/root and its memory
 * with CAP_SYS_PTRACE) or kill: none is made.
 */
static uint32_t namespace_processes_seen(const pid_t *pids, size_t count)
{
	pid_t highest = 0;

	for (size_t i = 0; i < count; i++) {
		pid_t inner = namespace_pid(pids[i]);
		if (inner > highest)
			highest = inner;
	}
	return (uint32_t)highest;
}

/*
 * Block I/O from the processes' own accounting, for hosts whose block
 * cgroup counters stay at zero (cgroup v1 counts only where blk-throttle is
 * on for the disk, and we do not switch it on for the whole host: it cost
 * about a tenth of the write throughput in bench/volumes.sh). A
 * reaped child's counters are added to its parent's, and the init reaps
 * everything, so the live processes' totals cover the exited ones too.
 */
static void read_process_io(const pid_t *pids, size_t count, struct containerv_stats *stats)
{
	for (size_t i = 0; i < count; i++) {
		char path[64];
		cleanup_free char *text = NULL;
		unsigned long long syscr = 0, syscw = 0, read_bytes = 0, write_bytes = 0;
		char *line;

		snprintf(path, sizeof path, "/proc/%d/io", (int)pids[i]);
		if (cv_read_file(path, &text, NULL, 4096) < 0)
			continue;
		if ((line = strstr(text, "syscr:")) != NULL)
			syscr = strtoull(line + 6, NULL, 10);
		if ((line = strstr(text, "syscw:")) != NULL)
			syscw = strtoull(line + 6, NULL, 10);
		if ((line = strstr(text, "\nread_bytes:")) != NULL)
			read_bytes = strtoull(line + 12, NULL, 10);
		if ((line = strstr(text, "\nwrite_bytes:")) != NULL)
			write_bytes = strtoull(line + 13, NULL, 10);
		stats->read_ops += syscr;
		stats->write_ops += syscw;
		stats->read_bytes += read_bytes;
		stats->write_bytes += write_bytes;
	}
}

int cv_linux_stats_sample(struct containerv_container *container, struct containerv_stats *stats)
{
	struct cv_cgroup *cgroup;
	cleanup_free pid_t *pids = NULL;
	size_t count = 0;

	cgroup = cv_container_cgroup(container);
	if (cgroup == NULL)
		return cv_error_errno(ENOENT, "stats %s: the container has no cgroup (never started?)",
		                      containerv_name(container));
	if (cv_cgroup_read_stats(cgroup, stats) < 0)
		return cv_error_prefix("stats %s", containerv_name(container));
	if (container->state.status == CV_STATE_RUNNING) {
		read_network(container->state.pid, stats);
		if (cv_cgroup_pids(cgroup, &pids, &count) == 0) {
			if (container->config.namespaces & CV_NS_PID)
				stats->total_processes = namespace_processes_seen(pids, count);
			if (stats->read_bytes == 0 && stats->write_bytes == 0)
				read_process_io(pids, count, stats);
		}
	}
	return 0;
}

static int64_t boot_time_ns(void)
{
	cleanup_free char *text = NULL;
	char *line;

	if (cv_read_file("/proc/stat", &text, NULL, 1 << 20) < 0 || (line = strstr(text, "\nbtime ")) == NULL)
		return 0;
	return (int64_t)strtoll(line + 7, NULL, 10) * 1000000000;
}

/* Fills one entry from /proc/<pid>/{stat,status,cmdline}; -1 when the process is gone. */
static int read_process(pid_t pid, int64_t boot_ns, int64_t now_ns, struct containerv_process_info *info)
{
	char path[64];
	cleanup_free char *stat = NULL, *status = NULL, *cmdline = NULL;
	unsigned long long utime, stime, start_ticks;
	long rss_pages;
	size_t length = 0;
	long ticks = sysconf(_SC_CLK_TCK);
	char *p;

	memset(info, 0, sizeof *info);
	info->pid = pid;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (cv_read_file(path, &stat, NULL, 4096) < 0)
		return -1;
	p = strrchr(stat, ')');
	char *open_paren = strchr(stat, '(');
	if (p == NULL || open_paren == NULL)
		return -1;
	snprintf(info->name, sizeof info->name, "%.*s", (int)(p - open_paren - 1), open_paren + 1);
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %*u %ld",
	           &utime, &stime, &start_ticks, &rss_pages) != 4)
		return -1;
	info->cpu_time_ns = (utime + stime) * (1000000000ULL / (unsigned long long)ticks);
	info->memory_rss = (uint64_t)rss_pages * (uint64_t)sysconf(_SC_PAGESIZE);
	info->started_ns = boot_ns + (int64_t)(start_ticks * (1000000000ULL / (unsigned long long)ticks));
	if (now_ns > info->started_ns)
		info->cpu_percent = 100.0 * (double)info->cpu_time_ns / (double)(now_ns - info->started_ns);
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (cv_read_file(path, &status, NULL, 1 << 16) == 0) {
		char *line = strstr(status, "\nUid:");
		if (line != NULL)
			info->uid = (uid_t)strtoul(line + 5, NULL, 10);
		line = strstr(status, "\nNSpid:");
		if (line != NULL) {
			char *end = strchr(line + 1, '\n');
			if (end != NULL)
				*end = '\0';
			char *last = strrchr(line, '\t');
			info->container_pid = last ? (pid_t)strtol(last + 1, NULL, 10) : pid;
		}
	}
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	if (cv_read_file(path, &cmdline, &length, 1 << 20) == 0 && length > 0) {
		while (length > 1 && cmdline[length - 1] == '\0' && cmdline[length - 2] == '\0')
			length--;
		for (size_t i = 0; i + 1 < length; i++) {
			if (cmdline[i] == '\0')
				cmdline[i] = ' ';
		}
		snprintf(info->command, sizeof info->command, "%s", cmdline);
	} else {
		snprintf(info->command, sizeof info->command, "[%s]", info->name);
	}
	return 0;
}

int cv_linux_processes(struct containerv_container *container, struct containerv_process_info *processes, size_t max,
                       size_t *count)
{
	struct cv_cgroup *cgroup;
	cleanup_free pid_t *pids = NULL;
	size_t total = 0, filled = 0;
	int64_t boot_ns = boot_time_ns(), now_ns = cv_now_ns();

	cgroup = cv_container_cgroup(container);
	if (cgroup == NULL || cv_cgroup_pids(cgroup, &pids, &total) < 0)
		return cv_error_prefix("processes of %s", containerv_name(container));
	for (size_t i = 0; i < total; i++) {
		struct containerv_process_info info;
		if (read_process(pids[i], boot_ns, now_ns, &info) < 0)
			continue;
		if (filled < max)
			processes[filled] = info;
		filled++;
	}
	*count = filled;
	return 0;
}
