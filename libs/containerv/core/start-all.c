/*
 * containerv_start_all (container.h): starts many containers from a few threads. Each thread takes the
 * next container in order (an atomic index), so an early slow start does not hold later ones back and
 * the order they were given is the order they begin.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "common/error.h"

#define MAX_START_THREADS 16

struct start_batch {
	struct containerv_container *const *containers;
	struct containerv_start_result *results;
	size_t count;
	atomic_size_t next;
};

static void *start_worker(void *argument)
{
	struct start_batch *batch = argument;
	size_t i;

	while ((i = atomic_fetch_add(&batch->next, 1)) < batch->count) {
		struct containerv_start_result *result = &batch->results[i];

		memset(result, 0, sizeof *result);
		if (containerv_start(batch->containers[i]) < 0) {
			result->error = errno != 0 ? errno : EIO;
			result->code = containerv_last_error_code();
			snprintf(result->message, sizeof result->message, "%s", containerv_last_error());
		}
	}
	return NULL;
}

static unsigned int default_concurrency(void)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	return online > 0 && online * 2 < MAX_START_THREADS ? (unsigned int)online * 2 : MAX_START_THREADS;
}

int containerv_start_all(struct containerv_container *const *containers, size_t count, unsigned int concurrency,
                         struct containerv_start_result *results)
{
	struct start_batch batch = {.containers = containers, .results = results, .count = count};
	pthread_t threads[MAX_START_THREADS];
	size_t started = 0;

	cv_error_clear();
	if ((count > 0 && (containers == NULL || results == NULL)) || concurrency > MAX_START_THREADS)
		return cv_error_errno(EINVAL, "start: bad arguments (concurrency %u, at most %d)", concurrency,
		                      MAX_START_THREADS);
	if (concurrency == 0)
		concurrency = default_concurrency();
	atomic_init(&batch.next, 0);
	/* This thread is one of the workers: no thread at all for a single container. */
	for (; started + 1 < concurrency && started + 1 < count; started++) {
		if (pthread_create(&threads[started], NULL, start_worker, &batch) != 0)
			break; /* fewer threads: the others take more each */
	}
	start_worker(&batch);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (size_t i = 0; i < count; i++) {
		if (results[i].error != 0)
			return cv_error_errno(results[i].error, "%s", results[i].message);
	}
	return 0;
}
