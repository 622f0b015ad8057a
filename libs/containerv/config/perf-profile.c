/*
 * Performance profiles: the table of what each one sets (docs/performance.md keeps the same table),
 * and the choice of CPUs and memory nodes on a given topology.
 *
 * The choices:
 * - The home node is the online node with the most online CPUs that has memory (lowest id on a tie):
 *   a profile that places a container places all of it there, CPUs and memory, so that its memory is
 *   local to where it runs. Memory nodes are only written where the host has several nodes.
 * - latency pins to one hardware thread per physical core of the home node, leaving out CPU 0's core
 *   when the node has another: CPU 0 takes most of the host's housekeeping (timers, unbound IRQs), and
 *   an SMT sibling would share its core's caches and pipelines with the workload.
 * - throughput keeps every CPU of the home node (SMT siblings included: more work done in total).
 * - batch and memory do not place: a batch job goes wherever there is room, and its low weight keeps
 *   it out of others' way.
 * - THP is disabled for latency (no stall on khugepaged's compaction or a 2 MiB page fault) and
 *   memory (no resident set rounded up to 2 MiB pages); the others keep the host's policy.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "config/options.h"
#include "config/perf-profile.h"

struct profile_row {
	const char *name;
	enum { PLACE_NONE, PLACE_CORES, PLACE_NODE } place;
	uint64_t cpu_shares;
	uint32_t io_weight;
	bool thp_disable;
};

static const struct profile_row profiles[] = {
        [CONTAINERV_PERF_NONE] = {"none", PLACE_NONE, 0, 0, false},
        [CONTAINERV_PERF_LATENCY] = {"latency", PLACE_CORES, 4096, 1000, true},
        [CONTAINERV_PERF_THROUGHPUT] = {"throughput", PLACE_NODE, 2048, 800, false},
        [CONTAINERV_PERF_BATCH] = {"batch", PLACE_NONE, 128, 100, false},
        [CONTAINERV_PERF_MEMORY] = {"memory", PLACE_NONE, 0, 0, true},
};
#define PROFILE_COUNT (sizeof profiles / sizeof *profiles)

int containerv_perf_profile_parse(const char *name, enum containerv_perf_profile *profile)
{
	cv_error_clear();
	if (name == NULL || profile == NULL)
		return cv_error_errno(EINVAL, "perf profile: missing argument");
	for (size_t i = 0; i < PROFILE_COUNT; i++)
		if (strcmp(name, profiles[i].name) == 0) {
			*profile = (enum containerv_perf_profile)i;
			return 0;
		}
	return cv_error_errno(EINVAL, "invalid perf profile \"%s\": latency, throughput, batch, memory or none", name);
}

const char *containerv_perf_profile_name(enum containerv_perf_profile profile)
{
	return (unsigned)profile < PROFILE_COUNT ? profiles[profile].name : NULL;
}

int containerv_options_set_perf_profile(struct containerv_options *options, enum containerv_perf_profile profile)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "perf profile: missing options");
	if ((unsigned)profile >= PROFILE_COUNT)
		return cv_error_errno(EINVAL, "invalid perf profile %d", (int)profile);
	options->perf_profile = profile;
	return 0;
}

int cv_cpu_list_format(const int *ids, size_t count, char *text, size_t size)
{
	size_t used = 0;

	if (size == 0)
		return cv_error_errno(EINVAL, "cpu list: no room");
	text[0] = '\0';
	for (size_t i = 0; i < count;) {
		size_t end = i;
		while (end + 1 < count && ids[end + 1] == ids[end] + 1)
			end++;
		int n = end > i ? snprintf(text + used, size - used, "%s%d-%d", used ? "," : "", ids[i], ids[end])
		                : snprintf(text + used, size - used, "%s%d", used ? "," : "", ids[i]);
		if (n < 0 || (size_t)n >= size - used)
			return cv_error_errno(EINVAL, "cpu list: more than %zu characters", size - 1);
		used += (size_t)n;
		i = end + 1;
	}
	return 0;
}

/* The index in nodes[] of the home node (see the top), or -1 when no node has an online CPU. */
static int home_node(const struct cv_topology *topology)
{
	int best = -1;
	size_t best_count = 0;
	bool best_memory = false;

	for (size_t n = 0; n < topology->node_count; n++) {
		size_t count = 0;
		for (size_t c = 0; c < topology->cpu_count; c++)
			count += topology->cpus[c].node == topology->nodes[n];
		if (count == 0)
			continue;
		bool memory = topology->node_has_memory[n];
		/* A node with memory beats one without; then more CPUs; ascending ids keep the first on a tie. */
		if (best < 0 || (memory && !best_memory) || (memory == best_memory && count > best_count)) {
			best = (int)n;
			best_count = count;
			best_memory = memory;
		}
	}
	return best;
}

/* Whether an earlier CPU of the list (already taken) sits on the same physical core as cpus[c]. */
static bool core_taken(const struct cv_topology *topology, const int *chosen, size_t count, size_t c)
{
	for (size_t i = 0; i < count; i++)
		for (size_t j = 0; j < topology->cpu_count; j++)
			if (topology->cpus[j].id == chosen[i] && topology->cpus[j].core == topology->cpus[c].core &&
			    topology->cpus[j].package == topology->cpus[c].package)
				return true;
	return false;
}

static int place(const struct profile_row *row, const struct cv_topology *topology, struct cv_perf_settings *out)
{
	int chosen[CV_TOPOLOGY_CPUS_MAX];
	size_t count = 0;
	int home = home_node(topology);

	if (row->place == PLACE_NONE || home < 0)
		return 0;
	int node = topology->nodes[home];
	/* throughput on a single node is every CPU: the host's default, nothing to write. */
	if (row->place == PLACE_NODE && topology->node_count < 2)
		return 0;
	/* CPU 0's core, left out of latency's cores when the node has another core. */
	int zero_core = -1, zero_package = -1;
	for (size_t c = 0; c < topology->cpu_count; c++)
		if (topology->cpus[c].id == 0) {
			zero_core = topology->cpus[c].core;
			zero_package = topology->cpus[c].package;
		}
	for (int pass = 0; pass < 2 && count == 0; pass++)
		for (size_t c = 0; c < topology->cpu_count; c++) {
			const struct cv_topology_cpu *cpu = &topology->cpus[c];
			if (cpu->node != node)
				continue;
			if (row->place == PLACE_CORES) {
				/* The first pass spares CPU 0's core; the second is for a node with no other. */
				if (pass == 0 && cpu->core == zero_core && cpu->package == zero_package)
					continue;
				if (core_taken(topology, chosen, count, c))
					continue;
			}
			chosen[count++] = cpu->id;
		}
	if (count == 0)
		return 0;
	if (cv_cpu_list_format(chosen, count, out->cpus, sizeof out->cpus) < 0)
		return -1;
	if (topology->node_count >= 2 && topology->node_has_memory[home])
		snprintf(out->mems, sizeof out->mems, "%d", node);
	return 0;
}

int cv_perf_profile_resolve(enum containerv_perf_profile profile, const struct cv_perf_host *host,
                            struct cv_perf_settings *settings)
{
	memset(settings, 0, sizeof *settings);
	if ((unsigned)profile >= PROFILE_COUNT)
		return cv_error_errno(EINVAL, "invalid perf profile %d", (int)profile);
	const struct profile_row *row = &profiles[profile];
	settings->cpu_shares = row->cpu_shares;
	settings->io_weight = host->io_weight ? row->io_weight : 0;
	settings->thp_disable = row->thp_disable;
	return place(row, &host->topology, settings) < 0 ? cv_error_prefix("perf profile %s", row->name) : 0;
}

void cv_perf_profile_apply(struct containerv_options *config, const struct cv_perf_settings *settings)
{
	struct containerv_limits *limits = &config->limits;

	/* A cpuset given by the caller is taken whole: mems chosen for other CPUs would not be local. */
	if (limits->cpuset_cpus[0] == '\0' && limits->cpuset_mems[0] == '\0') {
		snprintf(limits->cpuset_cpus, sizeof limits->cpuset_cpus, "%s", settings->cpus);
		snprintf(limits->cpuset_mems, sizeof limits->cpuset_mems, "%s", settings->mems);
	}
	if (limits->cpu_shares == 0)
		limits->cpu_shares = settings->cpu_shares;
	if (limits->io_weight == 0)
		limits->io_weight = settings->io_weight;
	config->thp_disable = settings->thp_disable;
}

int cv_perf_config_to_json(const struct containerv_options *options, json_t *root)
{
	if (options->perf_profile == CONTAINERV_PERF_NONE && !options->thp_disable)
		return 0;
	return json_object_set_new(root, "perf",
	                           json_pack("{s:s,s:b}", "profile",
	                                     containerv_perf_profile_name(options->perf_profile), "thp_disable",
	                                     options->thp_disable));
}

void cv_perf_config_from_json(json_t *root, struct containerv_options *options)
{
	json_t *perf = json_object_get(root, "perf");
	const char *name = json_string_value(json_object_get(perf, "profile"));
	enum containerv_perf_profile profile = CONTAINERV_PERF_NONE;

	/* An unknown name (a newer writer's): no profile; what it resolved to is in the limits anyway. */
	if (name != NULL && containerv_perf_profile_parse(name, &profile) < 0)
		profile = CONTAINERV_PERF_NONE;
	cv_error_clear();
	options->perf_profile = profile;
	options->thp_disable = json_is_true(json_object_get(perf, "thp_disable"));
}
