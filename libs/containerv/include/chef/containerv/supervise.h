/*
 * containerv: supervision without a daemon: health checks, restart policies
 * and the events journal.
 *
 * A container created with a health check or a restart policy gets a small
 * supervisor process at each start: the containerv-supervise helper, forked
 * and executed by the library (no fork of the caller that goes on running the
 * library). It runs the checks as processes inside the container (the path of
 * containerv_spawn(), with the container's walls), records the health in the
 * container's state, and starts the container again when its main command
 * ends as the policy says. It ends when the container is removed, or when it
 * has ended and is not to be restarted. A reboot ends it too: without a
 * daemon, `always` and `unless-stopped` containers are not brought back at
 * boot.
 *
 * The journal is one append-only file per state root, written by the
 * processes that change a container's state (the host's, never a
 * container's); containerv_journal_read() reads and follows it.
 */
#ifndef CHEF_CONTAINERV_SUPERVISE_H
#define CHEF_CONTAINERV_SUPERVISE_H

#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/common.h>
#include <chef/containerv/container.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Health checks ---- */

#define CONTAINERV_HEALTHCHECK_VERSION 1

/*
 * A health check, as docker's HEALTHCHECK and compose's healthcheck. test is
 * docker's form: {"CMD", argv..., NULL}, {"CMD-SHELL", "command", NULL} (run
 * with /bin/sh -c) or {"NONE", NULL} (no check, the image's included); or
 * one of containerv's probes, which run no process in the container: the
 * supervisor connects from the container's network namespace (its loopback
 * is the container's):
 *   {"HTTP", "http://[ADDRESS][:PORT][/PATH]", ["status=N"], ["body=TEXT"], NULL}
 *     a GET (HTTP/1.0); healthy when the status is 2xx or 3xx (or N) and,
 *     with body=, the answer's first 64 KiB contain TEXT. ADDRESS is an
 *     address literal (IPv6 in brackets), 127.0.0.1 when empty; never a name.
 *   {"TCP", "PORT", NULL}: healthy when a connect to 127.0.0.1:PORT succeeds.
 * An image's Healthcheck may not use the probes. The
 * durations are nanoseconds; 0 takes docker's default (interval 30 s,
 * timeout 30 s, start period 0, start interval 5 s); retries 0 takes 3.
 */
struct containerv_healthcheck {
	unsigned int version; /* CONTAINERV_HEALTHCHECK_VERSION */
	const char *const *test;
	int64_t interval_ns;
	int64_t timeout_ns;
	int64_t start_period_ns;
	int64_t start_interval_ns;
	int retries;
};

/*
 * Sets the container's health check (replacing the image's). A check whose
 * test is {"NONE"} disables the image's. test NULL keeps the image's test
 * (containerv_options_set_image() first) with these timings; nothing when
 * the image has none.
 * EINVAL for a negative duration or retry count, an empty command, an
 * unknown test kind, or a probe's bad URL, port, status or body.
 */
CONTAINERV_API int containerv_options_set_healthcheck(struct containerv_options *options,
                                                      const struct containerv_healthcheck *check);

/*
 * Parses a duration as docker and compose write them ("30s", "1m30s",
 * "500ms", "1.5h"; units ns, us, ms, s, m, h; a bare number is seconds) into
 * nanoseconds. EINVAL for anything else, a negative one included.
 */
CONTAINERV_API int containerv_parse_duration(const char *text, int64_t *ns);

/* What the last checks said (docker's State.Health.Status). */
enum containerv_health_status {
	CV_HEALTH_NONE = 0,     /* no check configured */
	CV_HEALTH_STARTING = 1, /* configured, not healthy yet (within the start period, or no result yet) */
	CV_HEALTH_HEALTHY = 2,
	CV_HEALTH_UNHEALTHY = 3,
};

/* "none", "starting", "healthy", "unhealthy". Never NULL. */
CONTAINERV_API const char *containerv_health_status_name(enum containerv_health_status status);

/* ---- Restart policies ---- */

enum containerv_restart_policy {
	CV_RESTART_NO = 0,
	CV_RESTART_ALWAYS = 1,         /* whenever the main command ends, except after containerv_stop(); at most
	                                  max_retries times when set (compose's condition: any, max_attempts) */
	CV_RESTART_ON_FAILURE = 2,     /* when it ends with a non-zero code, at most max_retries times (0: no limit) */
	CV_RESTART_UNLESS_STOPPED = 3, /* as always (the difference, at a daemon's boot, does not apply here) */
};

/*
 * Sets the restart policy. max_retries only for CV_RESTART_ON_FAILURE and
 * CV_RESTART_ALWAYS (0: no limit; docker's run takes it for on-failure only,
 * compose's deploy.restart_policy for both). EINVAL for an unknown policy, a
 * negative count, or a count with another policy; a policy other than CV_RESTART_NO conflicts with
 * autoremove (refused at create).
 */
CONTAINERV_API int containerv_options_set_restart_policy(struct containerv_options *options,
                                                         enum containerv_restart_policy policy, int max_retries);

/*
 * compose's deploy.restart_policy delay and window. delay_ns > 0: the wait
 * before each restart, instead of docker's back-off (100 ms doubling). window_ns
 * > 0: on-failure's maximum retry count counts only the restarts of the last
 * window_ns (swarm's sliding window: a container that fails again only after
 * running longer than the window is retried again). 0 leaves each as docker's.
 * EINVAL for a negative one or one above a year.
 */
CONTAINERV_API int containerv_options_set_restart_timing(struct containerv_options *options, int64_t delay_ns,
                                                         int64_t window_ns);

/*
 * Parses docker's spelling: "no", "always", "on-failure", "on-failure:N",
 * "unless-stopped". EINVAL with the text named otherwise.
 */
CONTAINERV_API int containerv_restart_policy_parse(const char *text, enum containerv_restart_policy *policy,
                                                   int *max_retries);

/* "no", "always", "on-failure", "unless-stopped". Never NULL. */
CONTAINERV_API const char *containerv_restart_policy_name(enum containerv_restart_policy policy);

/* ---- What the supervisor records ---- */

#define CONTAINERV_HEALTH_LOG_MAX 5
#define CONTAINERV_HEALTH_OUTPUT_MAX 4096

/* One check's result (docker's State.Health.Log[]). */
struct containerv_health_result {
	int64_t start_ns;
	int64_t end_ns;
	int exit_code; /* -1: it timed out and was killed, or could not run; a probe: 0 healthy, 1 not */
	char output[CONTAINERV_HEALTH_OUTPUT_MAX];
};

#define CONTAINERV_SUPERVISION_VERSION 1

struct containerv_supervision {
	unsigned int version; /* CONTAINERV_SUPERVISION_VERSION */
	enum containerv_restart_policy restart_policy;
	int restart_max_retries;
	int restart_count; /* restarts by the policy since the last start by a user */
	int has_healthcheck;
	struct containerv_healthcheck_config {
		char test[4096]; /* the test, words joined by spaces, e.g. "CMD-SHELL cat /ok" */
		int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns;
		int retries;
	} healthcheck; /* has_healthcheck: the effective check, defaults filled in */
	enum containerv_health_status health;
	int failing_streak;
	size_t log_count; /* oldest first, at most CONTAINERV_HEALTH_LOG_MAX */
	struct containerv_health_result log[CONTAINERV_HEALTH_LOG_MAX];
	containerv_pid_t supervisor_pid; /* 0 when no supervisor runs */
};

/*
 * Fills *info with the container's policy, health check, health status and
 * restart count. A container that is not running keeps the last status
 * recorded while it ran.
 */
CONTAINERV_API int containerv_supervision_inspect(struct containerv_container *container,
                                                  struct containerv_supervision *info);

/*
 * Waits until the container is healthy (or, without a health check, running),
 * at most timeout_ms (-1: no limit). Returns 0 then; -1 with errno
 * EHOSTDOWN when it turned unhealthy, ESRCH when it ended and will not be
 * restarted, ETIMEDOUT at the timeout.
 */
CONTAINERV_API int containerv_wait_healthy(struct containerv_container *container, int timeout_ms);

/*
 * Adopts a running container whose supervisor is gone (SIGKILLed, or its
 * host's process ended): starts a new one when the container has a health
 * check or a restart policy and no supervisor holds it. Nothing to do (0)
 * for a container that is not running, wants none, or has one. compose up
 * calls it for the replicas it keeps, so a new up converges.
 */
CONTAINERV_API int containerv_supervise_ensure(struct containerv_container *container);

/*
 * The supervisor's body, for the containerv-supervise helper: supervises the
 * container id of the state root root until it is removed, or has ended and
 * is not to be restarted. Returns 0 then, -1 when it could not start (another
 * supervisor holds the container: errno EALREADY).
 */
CONTAINERV_API int containerv_supervise(const char *root, const char *id);

/* ---- The events journal ---- */

#define CONTAINERV_JOURNAL_EVENT_VERSION 1

/* One entry, valid during the callback only (docker's events message). */
struct containerv_journal_event {
	unsigned int version;
	const char *type;   /* "container", "network", "volume", "image" */
	const char *action; /* "create", "start", "die", "health_status: healthy", ... */
	const char *id;     /* the actor's id */
	/* The actor's attributes ("name", "image", "exitCode", labels ...): "key=value", NULL-terminated. */
	const char *const *attributes;
	int64_t time_ns;
	const char *json; /* the entry as it is stored: one JSON object (docker's message) */
};

/*
 * Appends an event to the journal of context (NULL: the default one). The
 * library does so itself for what it changes; this is for a caller's own
 * types. attributes: "key=value", NULL-terminated, may be NULL.
 */
CONTAINERV_API int containerv_journal_append(struct containerv_context *context, const char *type, const char *action,
                                             const char *id, const char *const *attributes);

/*
 * Calls callback with each entry of the journal of context from since_ns to
 * until_ns (0: no bound), oldest first. With follow, waits for new entries
 * (inotify) after the old ones, until until_ns passes or the callback returns
 * non-zero (then that value is returned). A callback returning non-zero
 * stops the read without follow too.
 */
CONTAINERV_API int containerv_journal_read(struct containerv_context *context, int64_t since_ns, int64_t until_ns,
                                           int follow,
                                           int (*callback)(const struct containerv_journal_event *event, void *user),
                                           void *user);

#ifdef __cplusplus
}
#endif

#endif
