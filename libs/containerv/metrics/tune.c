/*
 * Bottleneck detection (tune.h): two stats samples an interval apart, read against the container's
 * limits. Thresholds are fractions of the interval (held back, waiting) or of a limit (in use); each
 * finding proposes the limit change that addresses it, and the report gathers the changes into one
 * struct containerv_limits for containerv_update().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <chef/containerv.h>
#include <chef/containerv/tune.h>

#include "common/error.h"

/* Held back by the quota this much of the interval: the quota, not the work, sets the pace. */
#define THROTTLED_FRACTION 0.10
/* Waiting on a resource this much of the interval (PSI "some"): it is the bottleneck. */
#define CPU_PRESSURE_FRACTION 0.20
#define MEMORY_PRESSURE_FRACTION 0.10
#define IO_PRESSURE_FRACTION 0.20
/* Of a limit in use: the next burst hits it. */
#define NEAR_LIMIT_FRACTION 0.90
#define DEFAULT_PERIOD_US 100000
#define MIB (1024 * 1024)
/* The kernel's highest PID (PID_MAX_LIMIT on 64 bits): a pids limit above it limits nothing. */
#define PID_LIMIT 4194304LL

struct window {
	struct containerv_stats before, after;
	struct containerv_limits limits;
	double seconds;
};

static struct containerv_tune_finding *add_finding(struct containerv_tune_report *report,
                                                   enum containerv_bottleneck kind, double measured, const char *format,
                                                   ...) __attribute__((format(printf, 4, 5)));
static struct containerv_tune_finding *add_finding(struct containerv_tune_report *report,
                                                   enum containerv_bottleneck kind, double measured, const char *format,
                                                   ...)
{
	struct containerv_tune_finding *finding;
	va_list arguments;

	if (report->count == CONTAINERV_TUNE_MAX_FINDINGS)
		return NULL;
	finding = &report->findings[report->count++];
	memset(finding, 0, sizeof *finding);
	finding->kind = kind;
	finding->measured = measured;
	va_start(arguments, format);
	vsnprintf(finding->message, sizeof finding->message, format, arguments);
	va_end(arguments);
	return finding;
}

/* The share of the interval a counter of nanoseconds grew by. */
static double share_of_interval(const struct window *w, uint64_t before_ns, uint64_t after_ns)
{
	return after_ns > before_ns ? (double)(after_ns - before_ns) / 1e9 / w->seconds : 0;
}

static void check_cpu(const struct window *w, struct containerv_tune_report *report)
{
	double throttled = share_of_interval(w, w->before.cpu_throttled_ns, w->after.cpu_throttled_ns);
	uint64_t period = w->limits.cpu_period_us != 0 ? w->limits.cpu_period_us : DEFAULT_PERIOD_US;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	struct containerv_tune_finding *finding;

	if (w->limits.cpu_quota_us != 0 && throttled >= THROTTLED_FRACTION) {
		double cpus = (double)w->limits.cpu_quota_us / (double)period;
		double wanted = cpus * 2;

		if (online > 0 && wanted > (double)online)
			wanted = (double)online;
		finding = add_finding(report, CV_BOTTLENECK_CPU_THROTTLED, throttled,
		                      "CPU: held back by its quota (--cpus %.2f) %.0f%% of the time", cpus,
		                      throttled * 100);
		if (finding != NULL && wanted > cpus) {
			snprintf(finding->suggestion, sizeof finding->suggestion, "--cpus %.2f", wanted);
			report->suggested.cpu_quota_us = (uint64_t)(wanted * (double)period + 0.5);
			report->suggested.cpu_period_us = period;
		}
		return;
	}
	if (report->has_pressure) {
		double waiting = share_of_interval(w, w->before.cpu_pressure_ns, w->after.cpu_pressure_ns);
		uint64_t shares = w->limits.cpu_shares != 0 ? w->limits.cpu_shares : 1024;

		if (waiting < CPU_PRESSURE_FRACTION)
			return;
		finding = add_finding(
		        report, CV_BOTTLENECK_CPU_PRESSURE, waiting,
		        "CPU: waited for a CPU %.0f%% of the time without a quota to blame: the host is busy",
		        waiting * 100);
		if (finding != NULL && shares < 262144) {
			report->suggested.cpu_shares = shares * 2 < 262144 ? shares * 2 : 262144;
			snprintf(finding->suggestion, sizeof finding->suggestion, "--cpu-shares %llu",
			         (unsigned long long)report->suggested.cpu_shares);
		}
	}
}

/* The host's memory: no suggestion goes above it (a limit past it limits nothing). */
static int64_t host_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (int64_t)pages * size : INT64_MAX / 4;
}

/* A memory limit `factor` times larger (rounded up to MiB, at most the host's), kept if another finding asked for
 * more. */
static void suggest_memory(const struct window *w, struct containerv_tune_report *report,
                           struct containerv_tune_finding *finding, double factor)
{
	int64_t host = host_memory();
	double scaled = (double)w->limits.memory_bytes * factor;
	int64_t wanted = scaled >= (double)host ? host : (int64_t)scaled;

	wanted = (wanted + MIB - 1) / MIB * MIB;
	if (finding == NULL || wanted <= w->limits.memory_bytes)
		return; /* already at the host's memory: no limit change helps */
	if (wanted > report->suggested.memory_bytes) {
		report->suggested.memory_bytes = wanted;
		/* A memory+swap limit below the new memory limit would refuse it: grown by as much. */
		if (w->limits.memory_swap_bytes > 0)
			report->suggested.memory_swap_bytes =
			        w->limits.memory_swap_bytes + (wanted - w->limits.memory_bytes);
	}
	snprintf(finding->suggestion, sizeof finding->suggestion, "--memory %lldm", (long long)(wanted / MIB));
}

static void check_memory(const struct window *w, struct containerv_tune_report *report)
{
	double used;

	if (w->limits.memory_bytes <= 0)
		return;
	used = (double)w->after.memory_usage / (double)w->limits.memory_bytes;
	/* During the interval only: an old kill was under an older limit, maybe one tune already raised. */
	if (w->after.oom_kills > w->before.oom_kills)
		suggest_memory(w, report,
		               add_finding(report, CV_BOTTLENECK_MEMORY_OOM,
		                           (double)(w->after.oom_kills - w->before.oom_kills),
		                           "memory: the OOM killer ended %llu process(es) under its limit of %lld MiB",
		                           (unsigned long long)(w->after.oom_kills - w->before.oom_kills),
		                           (long long)(w->limits.memory_bytes / MIB)),
		               2.0);
	if (used >= NEAR_LIMIT_FRACTION)
		suggest_memory(w, report,
		               add_finding(report, CV_BOTTLENECK_MEMORY_NEAR_LIMIT, used,
		                           "memory: %.0f%% of its limit in use (%llu of %lld MiB)", used * 100,
		                           (unsigned long long)(w->after.memory_usage / MIB),
		                           (long long)(w->limits.memory_bytes / MIB)),
		               1.5);
	if (report->has_pressure) {
		double waiting = share_of_interval(w, w->before.memory_pressure_ns, w->after.memory_pressure_ns);

		if (waiting >= MEMORY_PRESSURE_FRACTION)
			suggest_memory(w, report,
			               add_finding(report, CV_BOTTLENECK_MEMORY_PRESSURE, waiting,
			                           "memory: waited for reclaim %.0f%% of the time", waiting * 100),
			               1.5);
	}
}

static void check_pids(const struct window *w, struct containerv_tune_report *report)
{
	struct containerv_tune_finding *finding;
	double used;

	if (w->limits.pids_max <= 0)
		return;
	used = (double)w->after.active_processes / (double)w->limits.pids_max;
	if (used < NEAR_LIMIT_FRACTION)
		return;
	finding = add_finding(report, CV_BOTTLENECK_PIDS_NEAR_LIMIT, used,
	                      "processes: %u of the %lld its pids limit allows", w->after.active_processes,
	                      (long long)w->limits.pids_max);
	if (finding != NULL && w->limits.pids_max < PID_LIMIT) {
		report->suggested.pids_max = w->limits.pids_max > PID_LIMIT / 2 ? PID_LIMIT : w->limits.pids_max * 2;
		snprintf(finding->suggestion, sizeof finding->suggestion, "--pids-limit %lld",
		         (long long)report->suggested.pids_max);
	}
}

static void check_io(const struct window *w, struct containerv_tune_report *report)
{
	struct containerv_tune_finding *finding;
	double waiting;
	uint32_t weight = w->limits.io_weight != 0 ? w->limits.io_weight : 500;

	if (!report->has_pressure)
		return;
	waiting = share_of_interval(w, w->before.io_pressure_ns, w->after.io_pressure_ns);
	if (waiting < IO_PRESSURE_FRACTION)
		return;
	finding = add_finding(report, CV_BOTTLENECK_IO_PRESSURE, waiting, "I/O: waited for I/O %.0f%% of the time",
	                      waiting * 100);
	if (finding != NULL && weight < 1000) {
		report->suggested.io_weight = weight * 2 < 1000 ? weight * 2 : 1000;
		snprintf(finding->suggestion, sizeof finding->suggestion, "--blkio-weight %u",
		         report->suggested.io_weight);
	}
}

static int sample_window(struct containerv_container *container, unsigned int interval_ms, struct window *w)
{
	struct timespec pause = {interval_ms / 1000, (long)(interval_ms % 1000) * 1000000L};
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};

	if (containerv_inspect(container, &info) < 0)
		return -1;
	if (info.state != CV_STATE_RUNNING)
		return cv_error_errno(ESRCH, "not running");
	w->limits = info.limits;
	if (containerv_get_stats(container, &w->before) < 0)
		return -1;
	while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
		;
	if (containerv_get_stats(container, &w->after) < 0 || containerv_inspect(container, &info) < 0)
		return -1;
	if (info.state != CV_STATE_RUNNING)
		return cv_error_errno(ESRCH, "ended while it was sampled");
	w->seconds = (double)(w->after.timestamp_ns - w->before.timestamp_ns) / 1e9;
	if (w->seconds <= 0)
		w->seconds = (double)interval_ms / 1000;
	return 0;
}

int containerv_tune(struct containerv_container *container, unsigned int interval_ms,
                    struct containerv_tune_report *report)
{
	struct containerv_limits unset = CONTAINERV_LIMITS_INIT;
	struct window w;

	cv_error_clear();
	if (container == NULL || report == NULL || report->version != CONTAINERV_TUNE_VERSION)
		return cv_error_errno(EINVAL, "tune: bad arguments (report version %u, expected %u)",
		                      report != NULL ? report->version : 0, CONTAINERV_TUNE_VERSION);
	if (interval_ms < 100 || interval_ms > 600000)
		return cv_error_errno(EINVAL, "tune: interval %u ms: give 100 to 600000", interval_ms);
	if (sample_window(container, interval_ms, &w) < 0)
		return cv_error_prefix("tune %s", containerv_name(container));
	memset(report, 0, sizeof *report);
	report->version = CONTAINERV_TUNE_VERSION;
	report->interval_ns = (uint64_t)(w.seconds * 1e9);
	report->suggested = unset;
	report->has_pressure = w.before.has_pressure && w.after.has_pressure;
	check_cpu(&w, report);
	check_memory(&w, report);
	check_pids(&w, report);
	check_io(&w, report);
	return 0;
}
