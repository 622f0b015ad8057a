/*
 * Metrics (metrics.h): one scrape in the Prometheus text format, built from the public API only
 * (containers, their stats, pools), so it describes exactly what `ps`, `stats` and `pool ls` show.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chef/containerv.h>
#include <chef/containerv/metrics.h>

#include "common/error.h"
#include "metrics/metrics-internal.h"

/* Upper bounds (seconds) of the create-to-start histogram: a warm start to a slow image's first start. */
static const double start_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define START_BUCKETS (sizeof start_buckets / sizeof start_buckets[0])

struct sampled {
	char id[13];
	char name[129];
	struct containerv_stats stats;
};

struct scrape {
	unsigned int states[5]; /* by enum containerv_state */
	struct sampled *running;
	size_t running_count;
	uint64_t start_counts[START_BUCKETS + 1]; /* the last one: +Inf */
	double start_sum;
	uint64_t start_count;
};

/* Whether the container came from a pool: its create-to-start is how long it waited ready, not a latency. */
static bool is_pooled(struct containerv_container *container)
{
	char **labels = NULL;
	bool pooled = false;

	if (containerv_get_strings(container, CV_STRINGS_LABELS, &labels, NULL) < 0)
		return false;
	for (char **label = labels; *label != NULL; label++)
		pooled = pooled || strncmp(*label, CONTAINERV_POOL_LABEL "=", strlen(CONTAINERV_POOL_LABEL) + 1) == 0;
	containerv_strings_free(labels);
	return pooled;
}

static void observe_start(struct scrape *scrape, const struct containerv_info *info)
{
	double seconds = (double)(info->started_ns - info->created_ns) / 1e9;
	size_t bucket = 0;

	while (bucket < START_BUCKETS && seconds > start_buckets[bucket])
		bucket++;
	scrape->start_counts[bucket]++;
	scrape->start_sum += seconds;
	scrape->start_count++;
}

static void sample_running(struct scrape *scrape, struct containerv_container *container,
                           const struct containerv_info *info)
{
	struct sampled *entry;
	struct containerv_stats stats;

	if (containerv_get_stats(container, &stats) < 0)
		return; /* ended meanwhile: not in this scrape */
	entry = realloc(scrape->running, (scrape->running_count + 1) * sizeof *scrape->running);
	if (entry == NULL)
		return;
	scrape->running = entry;
	entry = &scrape->running[scrape->running_count++];
	snprintf(entry->id, sizeof entry->id, "%.12s", info->id);
	snprintf(entry->name, sizeof entry->name, "%s", info->name);
	entry->stats = stats;
}

static int visit_container(const struct containerv_info *info, void *user)
{
	struct scrape *scrape = user;
	struct containerv_container *container;

	if (info->state >= CV_STATE_CREATED && info->state <= CV_STATE_HELD)
		scrape->states[info->state]++;
	if (info->started_ns == 0 && info->state != CV_STATE_RUNNING)
		return 0;
	if (containerv_open(info->id, &container) < 0)
		return 0; /* removed meanwhile */
	if (info->started_ns > info->created_ns && !is_pooled(container))
		observe_start(scrape, info);
	if (info->state == CV_STATE_RUNNING)
		sample_running(scrape, container, info);
	containerv_close(container);
	return 0;
}

/* ---- output ---- */

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void cv_metrics_label_value(FILE *out, const char *value)
{
	for (const char *c = value; *c != '\0'; c++) {
		if (*c == '\\' || *c == '"')
			fprintf(out, "\\%c", *c);
		else if (*c == '\n')
			fputs("\\n", out);
		else
			fputc(*c, out);
	}
}

static void container_labels(FILE *out, const struct sampled *entry)
{
	fprintf(out, "{id=\"%s\",name=\"", entry->id);
	cv_metrics_label_value(out, entry->name);
	fputs("\"}", out);
}

/* One family with a sample per running container; value picks the figure out of the stats. */
static void per_container(FILE *out, const struct scrape *scrape, const char *name, const char *type, const char *help,
                          double (*value)(const struct containerv_stats *stats))
{
	family(out, name, type, help);
	for (size_t i = 0; i < scrape->running_count; i++) {
		fputs(name, out);
		container_labels(out, &scrape->running[i]);
		fprintf(out, " %.15g\n", value(&scrape->running[i].stats));
	}
}

static double cpu_seconds(const struct containerv_stats *s)
{
	return (double)s->cpu_time_ns / 1e9;
}
static double memory_usage(const struct containerv_stats *s)
{
	return (double)s->memory_usage;
}
static double memory_peak(const struct containerv_stats *s)
{
	return (double)s->memory_peak;
}
static double memory_limit(const struct containerv_stats *s)
{
	return (double)s->memory_limit;
}
static double read_bytes(const struct containerv_stats *s)
{
	return (double)s->read_bytes;
}
static double write_bytes(const struct containerv_stats *s)
{
	return (double)s->write_bytes;
}
static double rx_bytes(const struct containerv_stats *s)
{
	return (double)s->network_rx_bytes;
}
static double tx_bytes(const struct containerv_stats *s)
{
	return (double)s->network_tx_bytes;
}
static double rx_packets(const struct containerv_stats *s)
{
	return (double)s->network_rx_packets;
}
static double tx_packets(const struct containerv_stats *s)
{
	return (double)s->network_tx_packets;
}
static double processes(const struct containerv_stats *s)
{
	return (double)s->active_processes;
}
static double oom_kills(const struct containerv_stats *s)
{
	return (double)s->oom_kills;
}

static double throttled_periods(const struct containerv_stats *s)
{
	return (double)s->cpu_throttled_periods;
}

static double throttled_seconds(const struct containerv_stats *s)
{
	return (double)s->cpu_throttled_ns / 1e9;
}

static double cpu_pressure(const struct containerv_stats *s)
{
	return (double)s->cpu_pressure_ns / 1e9;
}

static double memory_pressure(const struct containerv_stats *s)
{
	return (double)s->memory_pressure_ns / 1e9;
}

static double io_pressure(const struct containerv_stats *s)
{
	return (double)s->io_pressure_ns / 1e9;
}

/* PSI series for the containers that have them (cgroup v2 with PSI): a family with no sample otherwise. */
static void per_container_pressure(FILE *out, const struct scrape *scrape, const char *name, const char *help,
                                   double (*value)(const struct containerv_stats *stats))
{
	family(out, name, "counter", help);
	for (size_t i = 0; i < scrape->running_count; i++) {
		if (!scrape->running[i].stats.has_pressure)
			continue;
		fputs(name, out);
		container_labels(out, &scrape->running[i]);
		fprintf(out, " %.15g\n", value(&scrape->running[i].stats));
	}
}

static void write_containers(FILE *out, const struct scrape *scrape)
{
	static const char *const state_names[] = {"", "created", "running", "exited", "held"};

	family(out, "containerv_containers", "gauge", "Containers by state.");
	for (int state = CV_STATE_CREATED; state <= CV_STATE_HELD; state++)
		fprintf(out, "containerv_containers{state=\"%s\"} %u\n", state_names[state], scrape->states[state]);
	per_container(out, scrape, "containerv_container_cpu_seconds_total", "counter",
	              "CPU time of all the container's processes.", cpu_seconds);
	per_container(out, scrape, "containerv_container_memory_usage_bytes", "gauge",
	              "Memory in use, page cache excluded.", memory_usage);
	per_container(out, scrape, "containerv_container_memory_max_usage_bytes", "gauge",
	              "Highest memory use the kernel saw.", memory_peak);
	per_container(out, scrape, "containerv_container_memory_limit_bytes", "gauge",
	              "The memory limit in force (the host's memory when none).", memory_limit);
	per_container(out, scrape, "containerv_container_fs_reads_bytes_total", "counter", "Block I/O read.",
	              read_bytes);
	per_container(out, scrape, "containerv_container_fs_writes_bytes_total", "counter", "Block I/O written.",
	              write_bytes);
	per_container(out, scrape, "containerv_container_network_receive_bytes_total", "counter",
	              "Bytes received on the container's interfaces (lo excluded).", rx_bytes);
	per_container(out, scrape, "containerv_container_network_transmit_bytes_total", "counter",
	              "Bytes sent on the container's interfaces (lo excluded).", tx_bytes);
	per_container(out, scrape, "containerv_container_network_receive_packets_total", "counter",
	              "Packets received on the container's interfaces (lo excluded).", rx_packets);
	per_container(out, scrape, "containerv_container_network_transmit_packets_total", "counter",
	              "Packets sent on the container's interfaces (lo excluded).", tx_packets);
	per_container(out, scrape, "containerv_container_processes", "gauge", "Tasks in the container's cgroup.",
	              processes);
	per_container(out, scrape, "containerv_container_oom_kills_total", "counter",
	              "Processes the OOM killer ended in the container.", oom_kills);
	per_container(out, scrape, "containerv_container_cpu_cfs_throttled_periods_total", "counter",
	              "Periods in which the container's CPU quota ran out.", throttled_periods);
	per_container(out, scrape, "containerv_container_cpu_cfs_throttled_seconds_total", "counter",
	              "Time the container's processes were held back by its CPU quota.", throttled_seconds);
	per_container_pressure(out, scrape, "containerv_container_pressure_cpu_waiting_seconds_total",
	                       "Time some task waited for CPU (PSI, cgroup v2).", cpu_pressure);
	per_container_pressure(out, scrape, "containerv_container_pressure_memory_waiting_seconds_total",
	                       "Time some task waited for memory (PSI, cgroup v2).", memory_pressure);
	per_container_pressure(out, scrape, "containerv_container_pressure_io_waiting_seconds_total",
	                       "Time some task waited for I/O (PSI, cgroup v2).", io_pressure);
}

static void write_start_histogram(FILE *out, const struct scrape *scrape)
{
	uint64_t cumulative = 0;

	family(out, "containerv_container_create_to_start_seconds", "histogram",
	       "From create to the start of the main command, for the containers kept in the store that "
	       "started (pooled ones excluded: theirs is time spent ready).");
	for (size_t i = 0; i < START_BUCKETS; i++) {
		cumulative += scrape->start_counts[i];
		fprintf(out, "containerv_container_create_to_start_seconds_bucket{le=\"%g\"} %llu\n", start_buckets[i],
		        (unsigned long long)cumulative);
	}
	fprintf(out, "containerv_container_create_to_start_seconds_bucket{le=\"+Inf\"} %llu\n",
	        (unsigned long long)scrape->start_count);
	fprintf(out, "containerv_container_create_to_start_seconds_sum %.9f\n", scrape->start_sum);
	fprintf(out, "containerv_container_create_to_start_seconds_count %llu\n",
	        (unsigned long long)scrape->start_count);
}

static void pool_sample(FILE *out, const char *metric, const char *pool, double value)
{
	fprintf(out, "%s{pool=\"", metric);
	cv_metrics_label_value(out, pool);
	fprintf(out, "\"} %.15g\n", value);
}

static void write_pools(FILE *out)
{
	static const struct {
		const char *name, *type, *help;
	} families[] = {
	        {"containerv_pool_ready", "gauge", "Held containers ready to be taken."},
	        {"containerv_pool_removing", "gauge", "Taken containers given to the keeper to remove."},
	        {"containerv_pool_min", "gauge", "The pool's minimum of ready containers."},
	        {"containerv_pool_max", "gauge", "The pool's maximum of ready containers."},
	        {"containerv_pool_keeper_up", "gauge", "1 while the pool's keeper runs."},
	        {"containerv_pool_takes_total", "counter", "Takes since the keeper started."},
	        {"containerv_pool_last_refill_seconds", "gauge", "How long the last container took to be made ready."},
	};
	char **names = NULL;
	size_t count = 0;
	struct containerv_pool_info *infos;

	if (containerv_pool_list(&names, &count) < 0)
		return;
	infos = calloc(count + 1, sizeof *infos);
	for (size_t i = 0; infos != NULL && i < count; i++) {
		infos[i].version = CONTAINERV_POOL_CONFIG_VERSION;
		if (containerv_pool_inspect(names[i], &infos[i]) < 0)
			infos[i].name[0] = '\0'; /* removed meanwhile */
	}
	for (size_t f = 0; infos != NULL && f < sizeof families / sizeof families[0]; f++) {
		family(out, families[f].name, families[f].type, families[f].help);
		for (size_t i = 0; i < count; i++) {
			const struct containerv_pool_info *p = &infos[i];
			double values[] = {p->ready,
			                   p->removing,
			                   p->config.min,
			                   p->config.max,
			                   p->keeper != 0,
			                   (double)p->takes,
			                   (double)p->last_refill_ns / 1e9};

			if (p->name[0] != '\0')
				pool_sample(out, families[f].name, p->name, values[f]);
		}
	}
	free(infos);
	containerv_strings_free(names);
}

int containerv_metrics_collect(char **text, size_t *length)
{
	struct scrape scrape = {0};
	size_t size = 0;
	FILE *out;

	cv_error_clear();
	if (text == NULL)
		return cv_error_errno(EINVAL, "metrics: no buffer given");
	if (containerv_list(visit_container, &scrape) < 0) {
		free(scrape.running);
		return cv_error_prefix("metrics");
	}
	out = open_memstream(text, &size);
	if (out == NULL) {
		free(scrape.running);
		return cv_error_sys("metrics");
	}
	write_containers(out, &scrape);
	write_start_histogram(out, &scrape);
	write_pools(out);
	cv_metrics_write_balancers(out);
	free(scrape.running);
	if (fclose(out) != 0) {
		free(*text);
		*text = NULL;
		return cv_error_sys("metrics");
	}
	if (length != NULL)
		*length = size;
	return 0;
}

void containerv_metrics_free(char *text)
{
	free(text);
}
