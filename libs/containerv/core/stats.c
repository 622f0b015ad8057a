/*
 * Statistics of a container: the backend takes a sample (Linux: its cgroup,
 * /proc), core keeps the handle's history and derives the CPU percentage
 * from two samples.
 */
#include <errno.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "core/backend.h"
#include "core/container.h"

static void remember_sample(struct cv_stats_history *history, const struct containerv_stats *stats)
{
	history->samples[history->next] = *stats;
	history->next = (history->next + 1) % CONTAINERV_STATS_HISTORY;
	if (history->count < CONTAINERV_STATS_HISTORY)
		history->count++;
}

void cv_stats_history_add(struct cv_stats_history *history, struct containerv_stats *stats)
{
	int64_t now;

	/* Keep the count from going down when the newest processes have exited since the last sample. */
	if (history->count > 0) {
		size_t last = (history->next + CONTAINERV_STATS_HISTORY - 1) % CONTAINERV_STATS_HISTORY;
		if (history->samples[last].total_processes > stats->total_processes)
			stats->total_processes = history->samples[last].total_processes;
	}
	stats->timestamp_ns = (uint64_t)cv_now_ns();
	now = cv_monotonic_ns();
	if (history->have_previous && now > history->previous_monotonic_ns &&
	    stats->cpu_time_ns >= history->previous_cpu_ns)
		stats->cpu_percent = 100.0 * (double)(stats->cpu_time_ns - history->previous_cpu_ns) /
		                     (double)(now - history->previous_monotonic_ns);
	history->have_previous = true;
	history->previous_cpu_ns = stats->cpu_time_ns;
	history->previous_monotonic_ns = now;
	remember_sample(history, stats);
}

int containerv_get_stats(struct containerv_container *container, struct containerv_stats *stats)
{
	const struct cv_backend_ops *backend = cv_backend();

	cv_error_clear();
	if (container == NULL || stats == NULL)
		return cv_error_errno(EINVAL, "stats: missing argument");
	CV_CONTEXT_SCOPE(container->context);
	backend->refresh(container);
	memset(stats, 0, sizeof *stats);
	if (backend->stats(container, stats) < 0)
		return -1;
	cv_stats_history_add(&container->stats, stats);
	return 0;
}

int containerv_get_stats_history(struct containerv_container *container, struct containerv_stats *samples, size_t max,
                                 size_t *count)
{
	const struct cv_stats_history *history;
	size_t n, oldest;

	cv_error_clear();
	if (container == NULL || count == NULL || (samples == NULL && max > 0))
		return cv_error_errno(EINVAL, "stats history: missing argument");
	history = &container->stats;
	n = history->count < max ? history->count : max;
	/* Oldest first, and the newest n of them when max is smaller than the history. */
	oldest = (history->next + CONTAINERV_STATS_HISTORY - n) % CONTAINERV_STATS_HISTORY;
	for (size_t i = 0; i < n; i++)
		samples[i] = history->samples[(oldest + i) % CONTAINERV_STATS_HISTORY];
	*count = n;
	return 0;
}
