/*
 * The host's CPU and NUMA topology from sysfs (topology.h), and what the performance profiles need to
 * know of the host beyond it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <chef/containerv/limits.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/cgroup-internal.h"
#include "platform/linux/topology.h"

/* sysfs lists and numbers are short; a longer file is not the kernel's. */
#define SYSFS_TEXT_MAX 65536

static int compare_ints(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int cv_id_list_parse(const char *what, const char *text, int *ids, size_t max, size_t *count)
{
	const char *p = text;

	*count = 0;
	while (*p != '\0' && *p != '\n') {
		char *end;
		if (!isdigit((unsigned char)*p))
			return cv_error_errno(EINVAL, "%s: invalid list \"%s\"", what, text);
		long first = strtol(p, &end, 10), last = first;
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return cv_error_errno(EINVAL, "%s: invalid list \"%s\"", what, text);
			last = strtol(end + 1, &end, 10);
		}
		if (first < 0 || last < first || last > 1000000)
			return cv_error_errno(EINVAL, "%s: invalid range in \"%s\"", what, text);
		for (long id = first; id <= last; id++) {
			if (*count >= max)
				return cv_error_errno(E2BIG, "%s: more than %zu entries", what, max);
			ids[(*count)++] = (int)id;
		}
		if (*end == ',')
			end++;
		else if (*end != '\0' && *end != '\n')
			return cv_error_errno(EINVAL, "%s: invalid list \"%s\"", what, text);
		p = end;
	}
	qsort(ids, *count, sizeof *ids, compare_ints);
	return 0;
}

/* 1 and the text when the file exists, 0 when it does not, -1 on another error. */
static int read_optional(const char *path, char **text)
{
	*text = NULL;
	if (cv_read_file(path, text, NULL, SYSFS_TEXT_MAX) == 0)
		return 1;
	if (errno == ENOENT) {
		cv_error_clear();
		return 0;
	}
	return -1;
}

static int read_list(const char *path, int *ids, size_t max, size_t *count, bool *present)
{
	cleanup_free char *text = NULL;
	int found = read_optional(path, &text);

	*present = found == 1;
	*count = 0;
	return found <= 0 ? found : cv_id_list_parse(path, text, ids, max, count);
}

/* A number file of the CPU's topology; FALLBACK when the file is absent. */
static int read_topology_number(const char *dir, int cpu, const char *name, int fallback, int *value)
{
	char path[4096];
	cleanup_free char *text = NULL;
	char *end;

	snprintf(path, sizeof path, "%s/cpu/cpu%d/topology/%s", dir, cpu, name);
	int found = read_optional(path, &text);
	if (found <= 0) {
		*value = fallback;
		return found;
	}
	long number = strtol(text, &end, 10);
	if (end == text || (*end != '\n' && *end != '\0') || number < -1 || number > 1000000)
		return cv_error_errno(EINVAL, "%s: not a number", path);
	*value = (int)number;
	return 0;
}

int cv_topology_read(const char *dir, struct cv_topology *topology)
{
	int ids[CV_TOPOLOGY_CPUS_MAX];
	char path[4096];
	size_t count;
	bool present;

	memset(topology, 0, sizeof *topology);
	snprintf(path, sizeof path, "%s/cpu/online", dir);
	if (read_list(path, ids, CV_TOPOLOGY_CPUS_MAX, &count, &present) < 0)
		return -1;
	if (!present)
		return cv_error_errno(ENOENT, "%s: missing", path);
	for (size_t i = 0; i < count; i++) {
		struct cv_topology_cpu *cpu = &topology->cpus[i];
		cpu->id = ids[i];
		cpu->node = 0;
		if (read_topology_number(dir, ids[i], "core_id", ids[i], &cpu->core) < 0 ||
		    read_topology_number(dir, ids[i], "physical_package_id", 0, &cpu->package) < 0)
			return -1;
	}
	topology->cpu_count = count;

	snprintf(path, sizeof path, "%s/node/online", dir);
	if (read_list(path, topology->nodes, CV_TOPOLOGY_NODES_MAX, &topology->node_count, &present) < 0)
		return -1;
	if (!present || topology->node_count == 0) {
		/* No NUMA in this kernel: one node, with the memory and every CPU. */
		topology->node_count = 1;
		topology->nodes[0] = 0;
		topology->node_has_memory[0] = true;
		return 0;
	}
	int memory[CV_TOPOLOGY_NODES_MAX];
	size_t memory_count;
	snprintf(path, sizeof path, "%s/node/has_memory", dir);
	if (read_list(path, memory, CV_TOPOLOGY_NODES_MAX, &memory_count, &present) < 0)
		return -1;
	for (size_t n = 0; n < topology->node_count; n++) {
		/* Without has_memory (old kernels) every online node is taken to have memory. */
		topology->node_has_memory[n] = !present;
		for (size_t m = 0; m < memory_count; m++)
			topology->node_has_memory[n] |= memory[m] == topology->nodes[n];
		snprintf(path, sizeof path, "%s/node/node%d/cpulist", dir, topology->nodes[n]);
		if (read_list(path, ids, CV_TOPOLOGY_CPUS_MAX, &count, &present) < 0)
			return -1;
		for (size_t i = 0; i < count; i++)
			for (size_t c = 0; c < topology->cpu_count; c++)
				if (topology->cpus[c].id == ids[i])
					topology->cpus[c].node = topology->nodes[n];
	}
	return 0;
}

/* Whether a container's I/O weight can be set: the same files cgroup-v1.c and cgroup-v2.c write. */
static bool io_weight_settable(void)
{
	enum containerv_cgroup_mode mode;

	if (containerv_cgroup_mode(&mode) < 0) {
		cv_error_clear();
		return false;
	}
	if (mode == CONTAINERV_CGROUP_V2) {
		cleanup_free char *controllers = NULL;
		char *word, *rest = NULL;
		bool io = false;
		if (cv_read_file("/sys/fs/cgroup/cgroup.controllers", &controllers, NULL, 4096) == 0)
			for (word = strtok_r(controllers, " \n", &rest); word != NULL && !io;
			     word = strtok_r(NULL, " \n", &rest))
				io = strcmp(word, "io") == 0;
		cv_error_clear();
		return io;
	}
	static const char *const dirs[] = {"/sys/fs/cgroup/blkio", "/sys/fs/cgroup/blkio/containerv"};
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
		if (cv_cgroup_has_file(dirs[i], "blkio.weight") || cv_cgroup_has_file(dirs[i], "blkio.bfq.weight"))
			return true;
	return false;
}

int cv_linux_perf_host(struct cv_perf_host *host)
{
	if (cv_topology_read("/sys/devices/system", &host->topology) < 0)
		return cv_error_prefix("read the CPU topology");
	host->io_weight = io_weight_settable();
	return 0;
}
