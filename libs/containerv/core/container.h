/*
 * Internal: the container handle and the state store (core/store.c).
 *
 * The handle is platform-neutral: identity, configuration, the recorded
 * state, the statistics history and the context it belongs to. What a
 * backend keeps per handle (Linux: its cgroup, lock and watch descriptors,
 * whether this process is the init's parent) is its own structure behind
 * `platform`, allocated with the handle (struct cv_backend_ops.platform_size).
 */
#ifndef CV_CORE_CONTAINER_H
#define CV_CORE_CONTAINER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <chef/containerv.h>

#include "config/options.h"
#include "core/context.h"

#define CV_ID_LENGTH 64
#define CV_DEFAULT_PATH CONTAINERV_DEFAULT_PATH

/* What state.json records; exit.json (written by the init) completes it. */
struct cv_state {
	enum containerv_state status;
	containerv_pid_t pid;    /* host pid of the init */
	uint64_t pid_start_time; /* its start time in clock ticks, against pid reuse */
	int64_t created_ns;
	int64_t started_ns;
	int64_t finished_ns;
	struct containerv_exit exit;
	bool paused; /* running with its cgroup frozen (containerv_pause); false in every other state */
};

/* The statistics history (a ring buffer) and the previous sample for the CPU percentage (core/stats.c). */
struct cv_stats_history {
	struct containerv_stats samples[CONTAINERV_STATS_HISTORY];
	size_t next;
	size_t count;
	bool have_previous;
	uint64_t previous_cpu_ns;
	int64_t previous_monotonic_ns;
};

/* A subscription to the handle's state changes (core/events.c): the callback and the state last reported. */
struct cv_events {
	containerv_event_fn callback;
	void *user;
	struct cv_state reported;
};

/* Calls the handle's subscription with one event (core/events.c); time_ns 0: now. */
void cv_events_deliver(struct containerv_container *container, enum containerv_event_type type, int64_t time_ns);

struct cv_platform_container; /* the backend's part of a handle (platform/<name>/) */

struct containerv_container {
	struct containerv_context *context;
	char id[CV_ID_LENGTH + 1];
	char name[129];
	char dir[PATH_MAX]; /* <root>/containers/<id> */
	char log_path[PATH_MAX];
	struct containerv_options config;
	struct cv_state state;
	struct cv_stats_history stats;
	struct cv_events events;
	/* Execs spawned through this handle and not waited for yet: their ids, for exec_die (core/lifecycle.c). */
	struct cv_exec_record {
		containerv_pid_t pid;
		char id[65];
	} execs[8];
	struct cv_platform_container *platform;
};

/* containerv_wait_process's end of an exec spawned through this handle: its exec_die event. */
void cv_exec_ended(struct containerv_container *container, containerv_pid_t pid, const struct containerv_exit *exit);

/* A zeroed handle in context with the backend's part initialised (one allocation). NULL on failure. */
struct containerv_container *cv_container_alloc(struct containerv_context *context);

/* The on-disk layout under the context's root (created on first use). */
int cv_state_containers_dir(struct containerv_context *context, char *buffer, size_t size);
int cv_state_names_dir(struct containerv_context *context, char *buffer, size_t size);
int cv_state_new_id(char id[CV_ID_LENGTH + 1]);
/* state.json from container->state, atomically. */
int cv_state_save(struct containerv_container *container);
/* A handle of container id in context (config.json and state.json read; no refresh). */
int cv_state_load(struct containerv_context *context, const char *id, struct containerv_container **out);
/* Re-reads state.json of an open handle from dir (its directory): what another process changed. */
int cv_state_read(struct containerv_container *container, const char *dir);
/* Reads exit.json (the init's record of the main process) into the state; 0 when found. */
int cv_state_read_exit(struct containerv_container *container);
/* Reserves a name atomically (EEXIST when taken) / releases it. */
int cv_state_reserve_name(struct containerv_context *context, const char *name, const char *id);
void cv_state_release_name(struct containerv_context *context, const char *name, const char *id);
/* container.c: rewrites config.json from container->config (atomically; the caller holds the lock). */
int cv_container_write_config(struct containerv_container *container);
/* core/perf.c: a config's performance profile resolved against the host into its limits (create). */
int cv_perf_profile_place(struct containerv_options *config);

/* The container has an init: running, or held before its main command. */
static inline bool cv_state_has_init(const struct containerv_container *container)
{
	return container->state.status == CV_STATE_RUNNING || container->state.status == CV_STATE_HELD;
}

/* Running with its cgroup frozen by containerv_pause(). */
static inline bool cv_state_is_paused(const struct containerv_container *container)
{
	return container->state.status == CV_STATE_RUNNING && container->state.paused;
}

/*
 * core/lifecycle.c: whether signal's default action is to ignore, stop or continue (SIGCHLD, SIGCONT,
 * SIGSTOP ...): a process that has not run yet stays as it is, and a Windows job cannot carry it out.
 */
bool cv_signal_leaves_process(int signal);

/* core/update.c: thaws a paused container and records it (stop, after its signal); best effort. */
void cv_resume_if_paused(struct containerv_container *container);

/* core/stats.c: a sample into the history, with the CPU percentage since the previous one. */
void cv_stats_history_add(struct cv_stats_history *history, struct containerv_stats *sample);

#endif
