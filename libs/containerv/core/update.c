/*
 * Changes to a live container: its resource limits (containerv_update, as
 * `docker update`) and its freezer (containerv_pause and
 * containerv_resume, as `docker pause` and `unpause`). The work on the host
 * is the backend's update and freeze operations (Linux: the cgroup's);
 * here are the state rules, whatever the platform: what
 * may change when, what config.json and state.json record, and under the
 * container's lock so that two processes never interleave.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "core/backend.h"
#include "core/container.h"
#include "core/events-journal.h"
#include "core/resources.h"

/* Each of from's huge page limits replaces to's of the same size, or joins them (validated: room). */
static void overlay_hugetlb(struct containerv_limits *to, const struct containerv_limits *from)
{
	for (uint32_t i = 0; i < from->hugetlb_count; i++) {
		uint32_t j = 0;

		while (j < to->hugetlb_count && to->hugetlb[j].page_size != from->hugetlb[i].page_size)
			j++;
		if (j == CONTAINERV_HUGETLB_SIZES_MAX)
			continue;
		to->hugetlb[j] = from->hugetlb[i];
		if (j == to->hugetlb_count)
			to->hugetlb_count++;
	}
}

/* Copies into to the fields from sets (non-zero) among the given resources (bits, 1u << enum cv_resource). */
static void overlay_limits(struct containerv_limits *to, const struct containerv_limits *from, unsigned resources)
{
	if (resources & (1u << CV_RESOURCE_MEMORY)) {
		if (from->memory_bytes != 0)
			to->memory_bytes = from->memory_bytes;
		if (from->memory_swap_bytes != 0)
			to->memory_swap_bytes = from->memory_swap_bytes;
	}
	if (resources & (1u << CV_RESOURCE_CPU)) {
		if (from->cpu_shares != 0)
			to->cpu_shares = from->cpu_shares;
		/* --cpus gives both; a quota alone runs against the default period again. */
		if (from->cpu_quota_us != 0) {
			to->cpu_quota_us = from->cpu_quota_us;
			to->cpu_period_us = from->cpu_period_us;
		} else if (from->cpu_period_us != 0) {
			to->cpu_period_us = from->cpu_period_us;
		}
	}
	if ((resources & (1u << CV_RESOURCE_CPUSET)) && from->cpuset_cpus[0] != '\0')
		memcpy(to->cpuset_cpus, from->cpuset_cpus, sizeof to->cpuset_cpus);
	if ((resources & (1u << CV_RESOURCE_CPUSET)) && from->cpuset_mems[0] != '\0')
		memcpy(to->cpuset_mems, from->cpuset_mems, sizeof to->cpuset_mems);
	if ((resources & (1u << CV_RESOURCE_PIDS)) && from->pids_max != 0)
		to->pids_max = from->pids_max;
	if ((resources & (1u << CV_RESOURCE_IO)) && from->io_weight != 0)
		to->io_weight = from->io_weight;
	if (resources & (1u << CV_RESOURCE_HUGETLB))
		overlay_hugetlb(to, from);
}

/* "memory, cpu" from resource bits, or "nothing". */
static void describe_resources(unsigned resources, char *text, size_t size)
{
	size_t used = 0;

	text[0] = '\0';
	for (int resource = 0; resource < CV_RESOURCE_COUNT; resource++)
		if (resources & (1u << resource))
			used += (size_t)snprintf(text + used, used < size ? size - used : 0, "%s%s", used ? ", " : "",
			                         cv_resource_name((enum cv_resource)resource));
	if (used == 0)
		snprintf(text, size, "nothing");
}

/*
 * The request as it goes to the kernel, and the limits the container will
 * have, both validated: a memory+swap limit alone is taken with the memory
 * limit in force (v2 writes their difference; v1 orders the writes by it).
 */
static int plan_update(const struct containerv_limits *current, const struct containerv_limits *limits,
                       struct containerv_limits *request, struct containerv_limits *merged)
{
	*request = *limits;
	if (request->memory_swap_bytes != 0 && request->memory_bytes == 0)
		request->memory_bytes = current->memory_bytes;
	if (containerv_limits_validate(request) < 0)
		return -1;
	*merged = *current;
	overlay_limits(merged, request, ~0u);
	return containerv_limits_validate(merged);
}

/* The limits recorded now, read again under the lock: another process may have updated them since our open. */
static int recorded_limits(struct containerv_container *c, struct containerv_limits *limits)
{
	struct containerv_container *fresh = NULL;

	if (cv_state_load(c->context, c->id, &fresh) < 0)
		return -1;
	*limits = fresh->config.limits;
	containerv_close(fresh);
	return 0;
}

/* Applies request to the live container (when it has an init) and records what was applied. */
static int apply_update(struct containerv_container *c, const struct containerv_limits *request)
{
	unsigned applied = cv_limits_resources(request);
	struct cv_error_saved failure;
	char done[64];
	int ret = 0;

	if (cv_state_has_init(c))
		ret = cv_backend()->update(c, request, &applied);
	if (ret < 0)
		cv_error_save(&failure);
	overlay_limits(&c->config.limits, request, applied);
	if (applied != 0 && cv_container_write_config(c) < 0) {
		if (ret == 0)
			return cv_error_prefix("limits applied but not recorded");
		cv_log(CONTAINERV_LOG_WARNING, "update %s: %s", containerv_name(c), containerv_last_error());
	}
	if (ret == 0)
		return 0;
	cv_error_restore(&failure);
	describe_resources(applied, done, sizeof done);
	return cv_error_prefix("applied: %s; failed", done);
}

int containerv_update(struct containerv_container *container, const struct containerv_limits *limits)
{
	const struct cv_backend_ops *backend = cv_backend();
	struct containerv_limits request, merged;
	int ret;

	cv_error_clear();
	if (container == NULL || limits == NULL)
		return cv_error_errno(EINVAL, "update: missing argument");
	if (containerv_limits_validate(limits) < 0 || backend->check_limits(limits) < 0)
		return cv_error_prefix("update %s", containerv_name(container));
	if (cv_limits_resources(limits) == 0)
		return cv_error_errno(EINVAL, "update %s: no limit given", containerv_name(container));
	CV_CONTEXT_SCOPE(container->context);
	if (backend->lock(container) < 0)
		return cv_error_prefix("update");
	backend->refresh(container);
	ret = recorded_limits(container, &container->config.limits);
	if (ret == 0)
		ret = plan_update(&container->config.limits, limits, &request, &merged);
	if (ret == 0)
		ret = apply_update(container, &request);
	backend->unlock(container);
	if (ret < 0)
		return cv_error_prefix("update %s", containerv_name(container));
	return 0;
}

/* Locks, refreshes and checks that the container runs; -1 (with the lock released) if not. */
static int lock_running(struct containerv_container *c)
{
	if (cv_backend()->lock(c) < 0)
		return -1;
	cv_backend()->refresh(c);
	if (c->state.status != CV_STATE_RUNNING) {
		cv_backend()->unlock(c);
		return cv_error_errno(ESRCH, "container %s is not running", containerv_name(c));
	}
	return 0;
}

int containerv_pause(struct containerv_container *container)
{
	const struct cv_backend_ops *backend = cv_backend();
	int ret = -1;

	cv_error_clear();
	if (container == NULL)
		return cv_error_errno(EINVAL, "pause: no container");
	CV_CONTEXT_SCOPE(container->context);
	if (lock_running(container) < 0)
		return cv_error_prefix("pause");
	if (container->state.paused)
		cv_error_errno(EBUSY, "container %s is already paused", containerv_name(container));
	else if (backend->freeze(container, true) == 0) {
		container->state.paused = true;
		ret = cv_state_save(container);
		if (ret < 0) {
			/* Frozen but not recorded would be a container nothing can unpause: undo. */
			struct cv_error_saved saved;

			cv_error_save(&saved);
			backend->freeze(container, false);
			container->state.paused = false;
			cv_error_restore(&saved);
		}
	}
	backend->unlock(container);
	if (ret < 0)
		return cv_error_prefix("pause %s", containerv_name(container));
	cv_journal_container(container, "pause", NULL);
	return 0;
}

int containerv_resume(struct containerv_container *container)
{
	const struct cv_backend_ops *backend = cv_backend();
	int ret = -1;

	cv_error_clear();
	if (container == NULL)
		return cv_error_errno(EINVAL, "unpause: no container");
	CV_CONTEXT_SCOPE(container->context);
	if (lock_running(container) < 0)
		return cv_error_prefix("unpause");
	if (!container->state.paused)
		cv_error_errno(EINVAL, "container %s is not paused", containerv_name(container));
	else if (backend->freeze(container, false) == 0) {
		container->state.paused = false;
		ret = cv_state_save(container);
	}
	backend->unlock(container);
	if (ret < 0)
		return cv_error_prefix("unpause %s", containerv_name(container));
	cv_journal_container(container, "unpause", NULL);
	return 0;
}

void cv_resume_if_paused(struct containerv_container *container)
{
	struct cv_error_saved saved;

	cv_error_save(&saved);
	/* The lock re-reads state.json: a pause by another process since our open counts. */
	if (cv_backend()->lock(container) == 0) {
		if (cv_state_is_paused(container) && cv_backend()->freeze(container, false) == 0) {
			container->state.paused = false;
			cv_state_save(container);
		}
		cv_backend()->unlock(container);
	}
	cv_error_restore(&saved);
}
