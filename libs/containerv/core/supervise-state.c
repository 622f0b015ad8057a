/*
 * What a container's supervisor records, read by inspect, ps and waiters:
 * <dir>/supervise.json (written atomically by the supervisor alone, under its
 * lock), and the marker of a user's stop, which keeps a policy from
 * restarting what the user ended.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "common/error.h"
#include "common/state-files.h"
#include "common/util.h"
#include "core/backend.h"
#include "core/supervise-state.h"

bool cv_supervisor_active;

static const enum containerv_health_status statuses[] = {CV_HEALTH_NONE, CV_HEALTH_STARTING, CV_HEALTH_HEALTHY,
                                                         CV_HEALTH_UNHEALTHY};

int cv_supervise_record_save(struct containerv_container *c, const struct cv_supervise_record *record)
{
	json_t *log = json_array();
	cleanup_free char *text = NULL;

	for (size_t i = 0; i < record->log_count; i++)
		json_array_append_new(log, json_pack("{s:I,s:I,s:i,s:s}", "Start", (json_int_t)record->log[i].start_ns,
		                                     "End", (json_int_t)record->log[i].end_ns, "ExitCode",
		                                     record->log[i].exit_code, "Output", record->log[i].output));
	json_t *root =
	        json_pack("{s:i,s:i,s:{s:s,s:i,s:o}}", "pid", record->pid, "restart_count", record->restart_count,
	                  "health", "Status", containerv_health_status_name(record->health), "FailingStreak",
	                  record->failing_streak, "Log", log);
	if (root == NULL || (text = json_dumps(root, JSON_COMPACT)) == NULL) {
		json_decref(root);
		return cv_error_errno(ENOMEM, "supervision record: cannot encode");
	}
	json_decref(root);
	return cv_write_file_atomic_in(c->dir, CV_SUPERVISE_STATE, NULL, text, strlen(text), 0600);
}

int cv_supervise_record_load(struct containerv_container *c, struct cv_supervise_record *record)
{
	cleanup_free char *text = NULL;
	size_t length;
	json_t *root, *health, *entry;
	size_t index;

	memset(record, 0, sizeof *record);
	if (cv_read_file_in(c->dir, CV_SUPERVISE_STATE, &text, &length, 1024 * 1024) < 0) {
		if (errno != ENOENT)
			return -1;
		cv_error_clear();
		return 0;
	}
	root = json_loadb(text, length, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return 0; /* written atomically: a bad one is not ours to trust, and says nothing */
	}
	record->pid = (int)json_integer_value(json_object_get(root, "pid"));
	record->restart_count = (int)json_integer_value(json_object_get(root, "restart_count"));
	health = json_object_get(root, "health");
	const char *status = json_string_value(json_object_get(health, "Status"));
	for (size_t i = 0; status != NULL && i < sizeof statuses / sizeof *statuses; i++)
		if (strcmp(status, containerv_health_status_name(statuses[i])) == 0)
			record->health = statuses[i];
	record->failing_streak = (int)json_integer_value(json_object_get(health, "FailingStreak"));
	json_array_foreach(json_object_get(health, "Log"), index, entry)
	{
		if (record->log_count == CONTAINERV_HEALTH_LOG_MAX)
			break;
		struct containerv_health_result *r = &record->log[record->log_count++];
		r->start_ns = (int64_t)json_integer_value(json_object_get(entry, "Start"));
		r->end_ns = (int64_t)json_integer_value(json_object_get(entry, "End"));
		r->exit_code = (int)json_integer_value(json_object_get(entry, "ExitCode"));
		snprintf(r->output, sizeof r->output, "%s",
		         json_string_value(json_object_get(entry, "Output"))
		                 ? json_string_value(json_object_get(entry, "Output"))
		                 : "");
	}
	json_decref(root);
	return 0;
}

void cv_supervise_mark_stopped(struct containerv_container *c, bool stopped)
{
	if (!stopped) {
		cv_file_remove_in(c->dir, CV_STOPPED_MARKER);
		return;
	}
	/* An empty file: what matters is that it is there. Best effort, and the caller's error stays. */
	if (cv_file_exists_in(c->dir, CV_STOPPED_MARKER) == 0) {
		struct cv_error_saved saved;
		cv_error_save(&saved);
		cv_write_file_atomic_in(c->dir, CV_STOPPED_MARKER, NULL, "", 0, 0600);
		cv_error_restore(&saved);
	}
}

bool cv_supervise_stopped(struct containerv_container *c)
{
	return cv_file_exists_in(c->dir, CV_STOPPED_MARKER) == 1;
}

static void join_test(char *const *test, char *buffer, size_t size)
{
	size_t used = 0;

	buffer[0] = '\0';
	for (size_t i = 0; test != NULL && test[i] != NULL && used < size; i++)
		used += (size_t)snprintf(buffer + used, size - used, "%s%s", i > 0 ? " " : "", test[i]);
}

int containerv_supervision_inspect(struct containerv_container *container, struct containerv_supervision *info)
{
	struct cv_supervise_record record;

	cv_error_clear();
	if (container == NULL || info == NULL)
		return cv_error_errno(EINVAL, "supervision: missing argument");
	if (info->version != CONTAINERV_SUPERVISION_VERSION)
		return cv_error_errno(EINVAL, "supervision: unsupported version %u", info->version);
	CV_CONTEXT_SCOPE(container->context);
	if (cv_supervise_record_load(container, &record) < 0)
		return -1;
	memset(info, 0, sizeof *info);
	info->version = CONTAINERV_SUPERVISION_VERSION;
	info->restart_policy = (enum containerv_restart_policy)container->config.restart_policy;
	info->restart_max_retries = container->config.restart_max_retries;
	info->restart_count = record.restart_count;
	const struct cv_health_config *health = cv_health_effective(&container->config);
	if (health != NULL) {
		info->has_healthcheck = 1;
		join_test(health->test, info->healthcheck.test, sizeof info->healthcheck.test);
		info->healthcheck.interval_ns =
		        health->interval_ns ? health->interval_ns : CV_HEALTH_DEFAULT_INTERVAL_NS;
		info->healthcheck.timeout_ns = health->timeout_ns ? health->timeout_ns : CV_HEALTH_DEFAULT_TIMEOUT_NS;
		info->healthcheck.start_period_ns = health->start_period_ns;
		info->healthcheck.start_interval_ns =
		        health->start_interval_ns ? health->start_interval_ns : CV_HEALTH_DEFAULT_START_INTERVAL_NS;
		info->healthcheck.retries = health->retries ? health->retries : CV_HEALTH_DEFAULT_RETRIES;
		/* Configured, no record yet (its supervisor is starting): starting, as docker says at once. */
		info->health = record.health != CV_HEALTH_NONE ? record.health : CV_HEALTH_STARTING;
		info->failing_streak = record.failing_streak;
		info->log_count = record.log_count;
		memcpy(info->log, record.log, sizeof record.log);
	}
	/* Its pid is recorded by itself and the record goes with it: alive means it is that process. */
	if (record.pid > 0 && kill(record.pid, 0) == 0)
		info->supervisor_pid = record.pid;
	return 0;
}

int containerv_wait_healthy(struct containerv_container *container, int timeout_ms)
{
	int64_t deadline = timeout_ms >= 0 ? cv_monotonic_ns() + (int64_t)timeout_ms * 1000000 : 0;

	cv_error_clear();
	if (container == NULL)
		return cv_error_errno(EINVAL, "wait healthy: no container");
	CV_CONTEXT_SCOPE(container->context);
	for (;;) {
		struct containerv_supervision info = {.version = CONTAINERV_SUPERVISION_VERSION};
		cv_backend()->refresh(container);
		if (containerv_supervision_inspect(container, &info) < 0)
			return -1;
		bool running = container->state.status == CV_STATE_RUNNING;
		if (running && (!info.has_healthcheck || info.health == CV_HEALTH_HEALTHY))
			return 0;
		if (running && info.health == CV_HEALTH_UNHEALTHY)
			return cv_error_errno(EHOSTDOWN, "container %s is unhealthy", containerv_name(container));
		if (!running && container->state.status != CV_STATE_CREATED && info.supervisor_pid == 0)
			return cv_error_errno(ESRCH, "container %s has exited (code %d)", containerv_name(container),
			                      container->state.exit.code);
		if (deadline != 0 && cv_monotonic_ns() >= deadline)
			return cv_error_errno(ETIMEDOUT, "container %s: not healthy in time (%s)",
			                      containerv_name(container), containerv_health_status_name(info.health));
		/* The record is rewritten at each check: a short poll is cheap and needs no descriptor. */
		poll(NULL, 0, 100);
	}
}

int containerv_supervise_ensure(struct containerv_container *container)
{
	char path[PATH_MAX];

	cv_error_clear();
	if (container == NULL)
		return cv_error_errno(EINVAL, "supervise: no container");
	CV_CONTEXT_SCOPE(container->context);
	cv_backend()->refresh(container);
	if (container->state.status != CV_STATE_RUNNING || !cv_supervision_wanted(&container->config) ||
	    cv_supervisor_active)
		return 0;
	/* A supervisor holds supervise.lock for its whole life: the lock free means none runs. */
	snprintf(path, sizeof path, "%s/" CV_SUPERVISE_LOCK, container->dir);
	cleanup_close int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0)
		return cv_error_sys("open %s", path);
	if (flock(lock, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 0 : cv_error_sys("lock %s", path);
	flock(lock, LOCK_UN);
	return cv_backend()->supervisor_spawn(container);
}
