/*
 * Internal: what a container's supervisor records (<dir>/supervise.json),
 * the marker a user's stop leaves, and the supervisor's own flag
 * (core/supervise-state.c, core/supervise.c).
 */
#ifndef CV_CORE_SUPERVISE_STATE_H
#define CV_CORE_SUPERVISE_STATE_H

#include <stdbool.h>

#include <chef/containerv/supervise.h>

#include "core/container.h"

#define CV_SUPERVISE_STATE "supervise.json"
#define CV_SUPERVISE_LOCK "supervise.lock"
/* Left by containerv_stop() and containerv_remove(): the end was asked for, no policy restarts it. */
#define CV_STOPPED_MARKER "stopped-by-user"

/* Docker's defaults. */
#define CV_HEALTH_DEFAULT_INTERVAL_NS (INT64_C(30) * 1000000000)
#define CV_HEALTH_DEFAULT_TIMEOUT_NS (INT64_C(30) * 1000000000)
#define CV_HEALTH_DEFAULT_START_INTERVAL_NS (INT64_C(5) * 1000000000)
#define CV_HEALTH_DEFAULT_RETRIES 3

/* Set in the supervisor's process: its own starts of the container start no other supervisor. */
extern bool cv_supervisor_active;

/* The record: restart count, health, the supervisor's pid. */
struct cv_supervise_record {
	int pid;
	int restart_count;
	enum containerv_health_status health;
	int failing_streak;
	size_t log_count;
	struct containerv_health_result log[CONTAINERV_HEALTH_LOG_MAX];
};

int cv_supervise_record_save(struct containerv_container *container, const struct cv_supervise_record *record);
/* An absent record is an empty one (0). */
int cv_supervise_record_load(struct containerv_container *container, struct cv_supervise_record *record);

/* The stop marker: set by a user's stop, cleared by a user's start. */
void cv_supervise_mark_stopped(struct containerv_container *container, bool stopped);
bool cv_supervise_stopped(struct containerv_container *container);

#endif
