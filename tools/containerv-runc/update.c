/*
 * update, events: a container's limits changed in place, its resource use reported, as runc's verbs do
 * (containerd's shim calls `update --resources -` for a task's update; `events --stats` is one sample).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runc.h"

/* The longest --resources document read (a LinuxResources object is a few hundred bytes). */
#define RESOURCES_MAX (1024 * 1024)

/* path's text ("-": standard input), at most RESOURCES_MAX bytes. */
static int read_resources(const char *path, char **text)
{
	FILE *file = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	size_t length = 0, read_now;

	if (file == NULL)
		return runc_error("update: --resources %s: %s", path, strerror(errno));
	*text = malloc(RESOURCES_MAX + 1);
	if (*text == NULL) {
		if (file != stdin)
			fclose(file);
		return runc_error("update: out of memory");
	}
	while (length <= RESOURCES_MAX && (read_now = fread(*text + length, 1, RESOURCES_MAX + 1 - length, file)) > 0)
		length += read_now;
	int failed = ferror(file);
	if (file != stdin)
		fclose(file);
	if (failed || length > RESOURCES_MAX) {
		free(*text);
		*text = NULL;
		return runc_error("update: --resources %s: %s", path, failed ? "read error" : "larger than 1 MiB");
	}
	(*text)[length] = '\0';
	return 0;
}

/* A size flag ("64m", "1073741824"); -1 (unlimited) only where allow_unlimited. */
static int size_flag(const char *name, const char *text, bool allow_unlimited, int64_t *bytes)
{
	if (text == NULL)
		return 0;
	if (allow_unlimited && strcmp(text, "-1") == 0) {
		*bytes = -1;
		return 0;
	}
	if (containerv_parse_size(text, bytes) < 0)
		return runc_error("update: --%s \"%s\": not a size%s", name, text, allow_unlimited ? " or -1" : "");
	return 0;
}

/* An unsigned integer flag. */
static int number_flag(const char *name, const char *text, uint64_t *value)
{
	char *end = NULL;

	if (text == NULL)
		return 0;
	errno = 0;
	unsigned long long parsed = strtoull(text, &end, 10);
	if (text[0] == '-' || end == text || *end != '\0' || errno != 0)
		return runc_error("update: --%s \"%s\": not a number", name, text);
	*value = (uint64_t)parsed;
	return 0;
}

struct update_flags {
	const char *resources, *memory, *memory_swap, *memory_reservation, *cpu_shares, *cpu_quota, *cpu_period;
	const char *cpuset_cpus, *cpuset_mems, *pids_limit, *blkio_weight;
	const char *refused[6]; /* runc's flags for what containerv has no limit of */
};

/* The individual flags over what --resources set (a flag wins). */
static int limits_from_flags(const struct update_flags *f, struct containerv_limits *limits)
{
	static const char *const refused_names[] = {"kernel-memory",  "kernel-memory-tcp", "cpu-rt-period",
	                                            "cpu-rt-runtime", "l3-cache-schema",   "mem-bw-schema"};
	uint64_t quota = 0, weight = 0, pids = 0;

	for (size_t i = 0; i < sizeof refused_names / sizeof refused_names[0]; i++)
		if (f->refused[i] != NULL)
			return runc_error("update: --%s: not supported", refused_names[i]);
	if (size_flag("memory", f->memory, false, &limits->memory_bytes) != 0 ||
	    size_flag("memory-swap", f->memory_swap, true, &limits->memory_swap_bytes) != 0 ||
	    size_flag("memory-reservation", f->memory_reservation, false, &limits->memory_reservation_bytes) != 0 ||
	    number_flag("cpu-share", f->cpu_shares, &limits->cpu_shares) != 0 ||
	    number_flag("cpu-period", f->cpu_period, &limits->cpu_period_us) != 0 ||
	    number_flag("blkio-weight", f->blkio_weight, &weight) != 0)
		return 1;
	/* containerv's limits have no "remove the quota": runc's -1 is refused rather than taken as no change. */
	if (f->cpu_quota != NULL && strcmp(f->cpu_quota, "-1") == 0)
		return runc_error("update: --cpu-quota -1: removing the CPU quota is not supported");
	if (number_flag("cpu-quota", f->cpu_quota, &quota) != 0)
		return 1;
	if (f->cpu_quota != NULL)
		limits->cpu_quota_us = quota;
	/* runc's -1 (and 0) for the pids limit: no limit. */
	if (f->pids_limit != NULL) {
		if (strcmp(f->pids_limit, "-1") == 0 || strcmp(f->pids_limit, "0") == 0)
			limits->pids_max = -1;
		else if (number_flag("pids-limit", f->pids_limit, &pids) != 0)
			return 1;
		else
			limits->pids_max = (int64_t)pids;
	}
	if (f->blkio_weight != NULL)
		limits->io_weight = (uint32_t)weight;
	if ((f->cpuset_cpus && strlen(f->cpuset_cpus) >= sizeof limits->cpuset_cpus) ||
	    (f->cpuset_mems && strlen(f->cpuset_mems) >= sizeof limits->cpuset_mems))
		return runc_error("update: --cpuset-cpus or --cpuset-mems: too long");
	if (f->cpuset_cpus != NULL)
		snprintf(limits->cpuset_cpus, sizeof limits->cpuset_cpus, "%s", f->cpuset_cpus);
	if (f->cpuset_mems != NULL)
		snprintf(limits->cpuset_mems, sizeof limits->cpuset_mems, "%s", f->cpuset_mems);
	return 0;
}

int runc_update(int argc, char **argv)
{
	struct update_flags f = {0};
	struct flag table[] = {
	        {"resources", true, &f.resources, NULL},
	        {"r", true, &f.resources, NULL},
	        {"memory", true, &f.memory, NULL},
	        {"memory-swap", true, &f.memory_swap, NULL},
	        {"memory-reservation", true, &f.memory_reservation, NULL},
	        {"cpu-share", true, &f.cpu_shares, NULL},
	        {"cpu-quota", true, &f.cpu_quota, NULL},
	        {"cpu-period", true, &f.cpu_period, NULL},
	        {"cpuset-cpus", true, &f.cpuset_cpus, NULL},
	        {"cpuset-mems", true, &f.cpuset_mems, NULL},
	        {"pids-limit", true, &f.pids_limit, NULL},
	        {"blkio-weight", true, &f.blkio_weight, NULL},
	        {"kernel-memory", true, &f.refused[0], NULL},
	        {"kernel-memory-tcp", true, &f.refused[1], NULL},
	        {"cpu-rt-period", true, &f.refused[2], NULL},
	        {"cpu-rt-runtime", true, &f.refused[3], NULL},
	        {"l3-cache-schema", true, &f.refused[4], NULL},
	        {"mem-bw-schema", true, &f.refused[5], NULL},
	        {NULL, false, NULL, NULL},
	};
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct containerv_container *container = NULL;
	char *positional[1], *text = NULL;
	int count, ret = 0;

	if (runc_parse_flags(argc, argv, table, positional, 1, &count) != 0)
		return 1;
	if (count != 1)
		return runc_error("update: expects exactly one container id");
	if (f.resources != NULL) {
		if (read_resources(f.resources, &text) != 0)
			return 1;
		int parsed = containerv_oci_resources_parse(text, &limits);
		free(text);
		if (parsed < 0)
			return runc_error("update: %s", containerv_last_error());
	}
	if (limits_from_flags(&f, &limits) != 0 || runc_open(positional[0], &container) != 0)
		return 1;
	if (containerv_update(container, &limits) < 0)
		ret = runc_library_error(positional[0]);
	containerv_close(container);
	return ret;
}

/* runc's stats event: {"type":"stats","id":ID,"data":{cpu, memory, pids}} from one sample. */
static json_t *stats_event(const char *id, const struct containerv_stats *s)
{
	return json_pack("{s:s,s:s,s:{s:{s:{s:I},s:{s:I,s:I}},s:{s:{s:I,s:I,s:I},s:I},s:{s:I}}}", "type", "stats", "id",
	                 id, "data", "cpu", "usage", "total", (json_int_t)s->cpu_time_ns, "throttling",
	                 "throttledPeriods", (json_int_t)s->cpu_throttled_periods, "throttledTime",
	                 (json_int_t)s->cpu_throttled_ns, "memory", "usage", "usage", (json_int_t)s->memory_usage,
	                 "max", (json_int_t)s->memory_peak, "limit", (json_int_t)s->memory_limit, "oom_kills",
	                 (json_int_t)s->oom_kills, "pids", "current", (json_int_t)s->active_processes);
}

static void print_event(json_t *event)
{
	char *line = event != NULL ? json_dumps(event, JSON_COMPACT) : NULL;

	if (line != NULL) {
		printf("%s\n", line);
		fflush(stdout);
	}
	free(line);
	json_decref(event);
}

/* Go's duration as runc's --interval takes it: a number and ms, s or m ("5s", "100ms"). */
static int parse_interval(const char *text, long *milliseconds)
{
	char *end = NULL;
	double value = strtod(text, &end);

	if (end == text || value <= 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		*milliseconds = (long)value;
	else if (strcmp(end, "s") == 0)
		*milliseconds = (long)(value * 1000);
	else if (strcmp(end, "m") == 0)
		*milliseconds = (long)(value * 60000);
	else
		return -1;
	return *milliseconds > 0 ? 0 : -1;
}

/*
 * One stats event (--stats), or one every --interval (default 5s) and an "oom" event whenever the
 * container's OOM kills grew, until the container is no longer running.
 */
int runc_events(int argc, char **argv)
{
	bool once = false;
	const char *interval = "5s";
	struct flag table[] = {
	        {"stats", false, NULL, &once}, {"interval", true, &interval, NULL}, {NULL, false, NULL, NULL}};
	struct containerv_container *container = NULL;
	struct containerv_stats stats;
	char *positional[1];
	long milliseconds = 0;
	uint64_t oom_kills = 0;
	int count, ret = 0;

	if (runc_parse_flags(argc, argv, table, positional, 1, &count) != 0)
		return 1;
	if (count != 1)
		return runc_error("events: expects exactly one container id");
	if (parse_interval(interval, &milliseconds) != 0)
		return runc_error("events: --interval \"%s\": not a duration (5s, 100ms, 1m)", interval);
	if (runc_open(positional[0], &container) != 0)
		return 1;
	for (bool first = true;; first = false) {
		struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
		if (containerv_inspect(container, &info) < 0) {
			ret = runc_library_error(positional[0]);
			break;
		}
		if (info.state != CV_STATE_RUNNING) {
			if (first)
				ret = runc_error("%s: container is %s, not running", positional[0], runc_status(&info));
			break;
		}
		if (containerv_get_stats(container, &stats) < 0) {
			ret = runc_library_error(positional[0]);
			break;
		}
		if (!first && stats.oom_kills > oom_kills)
			print_event(json_pack("{s:s,s:s}", "type", "oom", "id", positional[0]));
		oom_kills = stats.oom_kills;
		print_event(stats_event(positional[0], &stats));
		if (once)
			break;
		struct timespec pause = {milliseconds / 1000, (milliseconds % 1000) * 1000000L};
		while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
			;
	}
	containerv_close(container);
	return ret;
}

/* checkpoint, restore: containerv has no CRIU integration. */
int runc_unsupported(int argc, char **argv)
{
	(void)argc;
	return runc_error("%s: not supported (containerv-runc has no CRIU checkpoint/restore)", argv[0]);
}
