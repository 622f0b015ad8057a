/*
 * The supervisor of one container (containerv_supervise), run by the
 * containerv-supervise helper, which the start path forks and executes
 * (platform/linux/supervisor-spawn.c) when the container has a health check
 * or a restart policy.
 *
 * One process per container, a plain loop on the container's watch
 * descriptor (its init's end, any start) with the next check's time as the
 * timeout:
 *   - a lock (supervise.lock) makes it the only one: a start that comes while
 *     the previous supervisor is ending waits for it;
 *   - health checks run as processes inside the container, the path of exec
 *     (containerv_spawn), so with the container's walls; a check past its
 *     timeout is killed; HTTP and TCP checks are probes of the supervisor's
 *     own through a socket in the container's network namespace
 *     (core/health-probe.c); results go to supervise.json (the last 5, as
 *     docker);
 *   - when the init ends: the policy decides (never after a user's stop,
 *     whose marker stop and remove leave), with docker's back-off: 100 ms,
 *     doubled at each restart, reset when the container ran 10 s, at most a
 *     minute; or compose's fixed delay; on-failure's limit counts every
 *     restart, or with compose's window those of the last window;
 *   - it ends when the container is removed, ended for good, or was started
 *     by someone else (whose start brings its own supervisor).
 * It holds no descriptor the container could reach: its check's pipes are the
 * host's ends, as exec's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "core/backend.h"
#include "core/events-journal.h"
#include "core/health-probe.h"
#include "core/supervise-state.h"
#include "network/network-internal.h"

#define BACKOFF_FIRST_NS (INT64_C(100) * 1000000)
#define BACKOFF_MAX_NS (INT64_C(60) * 1000000000)
#define BACKOFF_RESET_NS (INT64_C(10) * 1000000000)
/* Restarts remembered for a window: more within one window than this undercounts (then 4096 restarts ran). */
#define RECENT_MAX 4096

/*
 * The shortest time between two health checks, whatever is asked. docker accepts 1 ms; each check is a
 * process made in the container by this supervisor, which runs outside the container's cgroup: at 1 ms
 * one container cost ~5 % of a host CPU here. Checked no more often than this (inspect keeps the value
 * asked for); docs/supervision.md.
 */
#define HEALTH_INTERVAL_FLOOR_NS (INT64_C(100) * 1000000)

/*
 * health_status events: docker journals every change; a check that flaps (pass, fail, pass with
 * retries 1) would journal one per check and rotate every other container's events out of events.log.
 * A bucket per container: 10 events at once, then one per 6 s; the changes not journaled meanwhile are
 * counted, and the status they ended in is journaled when the bucket allows, with "suppressed=N".
 */
#define HEALTH_EVENT_BURST 10
#define HEALTH_EVENT_REFILL_NS (INT64_C(6) * 1000000000)

struct supervisor {
	struct containerv_container *c;
	const struct cv_health_config *health;
	struct cv_supervise_record record;
	pid_t supervised; /* the init this supervisor watches: another one is someone else's start */
	int64_t started_ns;
	int64_t next_check_ns; /* monotonic */
	int64_t backoff_ns;
	int lease_ready; /* what the leases were last told (cv_network_set_ready): 1, 0, -1 unknown */
	/* The policy's restarts within restart_window_ns (wall clock, oldest first), when a window is set. */
	int64_t recent[RECENT_MAX];
	size_t recent_count;
	/* health_status events (HEALTH_EVENT_BURST) */
	int health_event_tokens;
	int64_t health_tokens_at_ns;             /* monotonic: when the bucket was last filled */
	enum containerv_health_status journaled; /* the last status journaled */
	unsigned int health_events_suppressed;   /* changes not journaled since */
};

static int64_t health_value(int64_t value, int64_t fallback)
{
	return value > 0 ? value : fallback;
}

static void save(struct supervisor *s)
{
	if (cv_supervise_record_save(s->c, &s->record) < 0)
		cv_log(CONTAINERV_LOG_WARNING, "%s", containerv_last_error());
}

/* The next check: the start interval within the start period while not healthy yet, else the interval. */
static void schedule_check(struct supervisor *s)
{
	int64_t now = cv_monotonic_ns();
	bool starting =
	        s->record.health == CV_HEALTH_STARTING && cv_now_ns() < s->started_ns + s->health->start_period_ns;

	int64_t interval = starting ? health_value(s->health->start_interval_ns, CV_HEALTH_DEFAULT_START_INTERVAL_NS)
	                            : health_value(s->health->interval_ns, CV_HEALTH_DEFAULT_INTERVAL_NS);

	s->next_check_ns = now + (interval < HEALTH_INTERVAL_FLOOR_NS ? HEALTH_INTERVAL_FLOOR_NS : interval);
}

/* Reads what the check writes, up to the deadline; -1 when the deadline passed. */
static int collect_output(int out, int err, int64_t deadline, char *output, size_t size)
{
	struct pollfd fds[2] = {{.fd = out, .events = POLLIN}, {.fd = err, .events = POLLIN}};
	size_t used = 0;

	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		int64_t left = deadline - cv_monotonic_ns();
		if (left <= 0)
			return -1;
		int ready = poll(fds, 2, (int)(left / 1000000) + 1);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			return -1;
		for (int i = 0; i < 2; i++) {
			char discard[4096];
			if (fds[i].fd < 0 || fds[i].revents == 0)
				continue;
			char *into = used + 1 < size ? output + used : discard;
			size_t room = used + 1 < size ? size - used - 1 : sizeof discard;
			ssize_t n = read(fds[i].fd, into, room);
			if (n > 0 && into != discard)
				used += (size_t)n;
			else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				fds[i].fd = -1;
		}
	}
	output[used] = '\0';
	return 0;
}

/*
 * Has the check's process ended by the deadline? Asked without reaping it (WNOWAIT): containerv_wait_process
 * reaps it and says how it ended. A check may close its stdout and stderr and go on (exec >&- 2>&-; sleep):
 * the end of its output is not its end, and its timeout still holds.
 */
static bool ended_by(containerv_pid_t pid, int64_t deadline)
{
	int64_t pause_ms = 1;

	for (;;) {
		siginfo_t info;
		memset(&info, 0, sizeof info);
		if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno != EINTR)
			return true; /* not ours to wait for: containerv_wait_process says so */
		if (info.si_pid == pid)
			return true;
		if (cv_monotonic_ns() >= deadline)
			return false;
		poll(NULL, 0, (int)pause_ms);
		pause_ms = pause_ms < 50 ? pause_ms * 2 : 50;
	}
}

/*
 * One check: a process inside the container as exec runs one (its timeout kills it), or a probe of
 * ours from the container's network namespace (HTTP, TCP: core/health-probe.c).
 */
static void run_check(struct supervisor *s, struct containerv_health_result *result)
{
	const char *shell[] = {"/bin/sh", "-c", s->health->test[1], NULL};
	const char *const *argv =
	        strcmp(s->health->test[0], "CMD-SHELL") == 0 ? shell : (const char *const *)s->health->test + 1;
	struct containerv_spawn_options options = CONTAINERV_SPAWN_OPTIONS_INIT;
	containerv_fd_t ends[3] = {-1, -1, -1};
	containerv_pid_t pid = 0;
	int64_t timeout = health_value(s->health->timeout_ns, CV_HEALTH_DEFAULT_TIMEOUT_NS);

	if (cv_health_is_probe(s->health->test)) {
		cv_health_probe(s->c, s->health->test, timeout, result);
		return;
	}
	memset(result, 0, sizeof *result);
	result->start_ns = cv_now_ns();
	options.argv = argv;
	options.stdout_fd = CONTAINERV_STDIO_PIPE;
	options.stderr_fd = CONTAINERV_STDIO_PIPE;
	options.stdio_out = ends;
	if (containerv_spawn(s->c, &options, &pid, NULL) < 0) {
		result->exit_code = -1;
		snprintf(result->output, sizeof result->output, "%s", containerv_last_error());
		result->end_ns = cv_now_ns();
		return;
	}
	int64_t deadline = cv_monotonic_ns() + timeout;
	bool timed_out = collect_output(ends[1], ends[2], deadline, result->output, sizeof result->output) < 0 ||
	                 !ended_by(pid, deadline);
	for (int i = 0; i < 3; i++)
		if (ends[i] >= 0)
			close(ends[i]);
	/* The container's bytes, cut at 4 KiB: made valid UTF-8, or the record's JSON would drop the entry. */
	cv_utf8_repair(result->output);
	if (timed_out) {
		/* The check's process, our child: killed, and reaped below so that no zombie is left. */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		result->exit_code = -1;
		snprintf(result->output, sizeof result->output, "Health check exceeded timeout (%lldms)",
		         (long long)(timeout / 1000000));
	} else {
		struct containerv_exit exit_status = {0};
		if (containerv_wait_process(s->c, pid, &exit_status) < 0)
			exit_status.code = -1;
		result->exit_code = exit_status.code;
	}
	result->end_ns = cv_now_ns();
}

/* Journals the current health if it is not the last journaled one and the bucket has a token left. */
static void journal_health(struct supervisor *s)
{
	int64_t now = cv_monotonic_ns();
	int64_t earned = (now - s->health_tokens_at_ns) / HEALTH_EVENT_REFILL_NS;

	if (earned > 0) {
		s->health_event_tokens = s->health_event_tokens + earned > HEALTH_EVENT_BURST
		                                 ? HEALTH_EVENT_BURST
		                                 : s->health_event_tokens + (int)earned;
		s->health_tokens_at_ns += earned * HEALTH_EVENT_REFILL_NS;
	}
	if (s->record.health == s->journaled)
		return; /* flapped back to what the journal says already */
	if (s->health_event_tokens == 0) {
		s->health_events_suppressed++;
		return;
	}
	s->health_event_tokens--;
	char action[64], suppressed[32];
	const char *extra[] = {suppressed, NULL};
	snprintf(action, sizeof action, "health_status: %s", containerv_health_status_name(s->record.health));
	snprintf(suppressed, sizeof suppressed, "suppressed=%u", s->health_events_suppressed);
	cv_journal_container(s->c, action, s->health_events_suppressed > 0 ? extra : NULL);
	s->journaled = s->record.health;
	s->health_events_suppressed = 0;
}

static void set_health(struct supervisor *s, enum containerv_health_status status)
{
	if (s->record.health == status)
		return;
	s->record.health = status;
	journal_health(s);
}

/*
 * The container's leases follow its health: the DNS servers leave a replica that is not healthy out of its
 * service's name. Written only when it changes, and once after an adoption (the last supervisor may have
 * died between its health and its leases).
 */
static void sync_leases(struct supervisor *s)
{
	int ready = s->record.health == CV_HEALTH_HEALTHY;

	if (s->lease_ready == ready)
		return;
	if (cv_network_set_ready(s->c->id, ready) < 0) {
		cv_log(CONTAINERV_LOG_WARNING, "%s", containerv_last_error());
		return;
	}
	s->lease_ready = ready;
}

static void check(struct supervisor *s)
{
	struct containerv_health_result result;
	int retries = s->health->retries > 0 ? s->health->retries : CV_HEALTH_DEFAULT_RETRIES;

	run_check(s, &result);
	if (s->record.log_count == CONTAINERV_HEALTH_LOG_MAX) {
		memmove(&s->record.log[0], &s->record.log[1],
		        sizeof s->record.log[0] * (CONTAINERV_HEALTH_LOG_MAX - 1));
		s->record.log_count--;
	}
	s->record.log[s->record.log_count++] = result;
	if (result.exit_code == 0) {
		s->record.failing_streak = 0;
		set_health(s, CV_HEALTH_HEALTHY);
	} else if (s->record.health == CV_HEALTH_STARTING &&
	           result.start_ns < s->started_ns + s->health->start_period_ns) {
		/* docker: a failure within the start period does not count. */
	} else if (++s->record.failing_streak >= retries) {
		set_health(s, CV_HEALTH_UNHEALTHY);
	}
	if (s->record.health != s->journaled)
		journal_health(s); /* a change the bucket held back, once it allows */
	save(s);
	sync_leases(s);
	schedule_check(s);
}

/* A new init of ours runs: a fresh health (docker: starting at each start). */
static void supervise_init(struct supervisor *s)
{
	s->supervised = s->c->state.pid;
	s->started_ns = s->c->state.started_ns ? s->c->state.started_ns : cv_now_ns();
	if (s->health != NULL) {
		s->record.failing_streak = 0;
		s->record.health = s->journaled = CV_HEALTH_NONE;
		s->health_event_tokens = HEALTH_EVENT_BURST;
		s->health_tokens_at_ns = cv_monotonic_ns();
		s->health_events_suppressed = 0;
		s->lease_ready = -1; /* a new init's leases are made unready (cv_network_lease_locked) */
		set_health(s, CV_HEALTH_STARTING);
		schedule_check(s);
	}
	save(s);
}

/*
 * The restarts that count toward on-failure's limit: all of them since the user's start, or with a
 * window (compose's deploy.restart_policy.window, swarm's) those of the last window only.
 */
static int restarts_counted(struct supervisor *s)
{
	int64_t window = s->c->config.restart_window_ns, now = cv_now_ns();
	size_t gone = 0;

	if (window <= 0)
		return s->record.restart_count;
	while (gone < s->recent_count && s->recent[gone] < now - window)
		gone++;
	memmove(s->recent, s->recent + gone, (s->recent_count - gone) * sizeof *s->recent);
	s->recent_count -= gone;
	return (int)s->recent_count;
}

static void remember_restart(struct supervisor *s)
{
	if (s->c->config.restart_window_ns <= 0)
		return;
	if (s->recent_count == RECENT_MAX) {
		memmove(s->recent, s->recent + 1, (RECENT_MAX - 1) * sizeof *s->recent);
		s->recent_count--;
	}
	s->recent[s->recent_count++] = cv_now_ns();
}

static bool policy_restarts(struct supervisor *s)
{
	const struct containerv_options *config = &s->c->config;

	if (cv_supervise_stopped(s->c))
		return false;
	bool within_count = config->restart_max_retries == 0 || restarts_counted(s) < config->restart_max_retries;
	switch (config->restart_policy) {
	case CV_RESTART_ALWAYS:
		return within_count;
	case CV_RESTART_UNLESS_STOPPED:
		return true;
	case CV_RESTART_ON_FAILURE:
		return s->c->state.exit.code != 0 && within_count;
	default:
		return false;
	}
}

/* Waits on the container's descriptor until deadline (monotonic, 0: no limit); false when it changed. */
static bool quiet_until(containerv_fd_t watch, int64_t deadline)
{
	int64_t left = deadline != 0 ? deadline - cv_monotonic_ns() : -1;
	struct pollfd ready = {.fd = watch, .events = POLLIN};

	if (deadline != 0 && left <= 0)
		return true;
	int n = poll(&ready, 1, deadline != 0 ? (int)(left / 1000000) + 1 : -1);
	return n <= 0;
}

/* The init ended: restarted when the policy says so (after the back-off). false: the supervisor ends. */
static bool after_exit(struct supervisor *s, containerv_fd_t watch)
{
	enum containerv_state state;

	if (!policy_restarts(s))
		return false;
	if (s->c->config.restart_delay_ns > 0)
		s->backoff_ns = s->c->config.restart_delay_ns; /* compose's delay: the same wait each time */
	else if (s->c->state.finished_ns - s->started_ns >= BACKOFF_RESET_NS || s->backoff_ns == 0)
		s->backoff_ns = BACKOFF_FIRST_NS;
	else if ((s->backoff_ns *= 2) > BACKOFF_MAX_NS)
		s->backoff_ns = BACKOFF_MAX_NS;
	int64_t deadline = cv_monotonic_ns() + s->backoff_ns;
	while (!quiet_until(watch, deadline)) {
		/* Something happened meanwhile: a removal, a user's start (then its own supervisor takes over). */
		if (containerv_watch_state(s->c, &state) < 0 || state != CV_STATE_EXITED)
			return false;
	}
	if (policy_restarts(s) == false)
		return false;
	if (containerv_start(s->c) < 0) {
		cv_log(CONTAINERV_LOG_WARNING, "%s", containerv_last_error());
		return false;
	}
	s->record.restart_count++;
	remember_restart(s);
	cv_journal_container(s->c, "restart", NULL);
	supervise_init(s);
	return true;
}

static int supervise_loop(struct supervisor *s)
{
	containerv_fd_t watch;
	enum containerv_state state;

	if (containerv_watch_fd(s->c, &watch) < 0)
		return -1;
	if (containerv_watch_state(s->c, &state) < 0)
		return 0; /* removed already */
	if (state == CV_STATE_EXITED) {
		/*
		 * It ended before this supervisor (spawned by its start) watched it: a command that exits at once.
		 * Its policy applies all the same (a user's stop left its marker, which policy_restarts reads).
		 */
		s->supervised = s->c->state.pid;
		s->started_ns = s->c->state.started_ns ? s->c->state.started_ns : cv_now_ns();
		if (!after_exit(s, watch))
			return 0;
	} else if (state != CV_STATE_RUNNING) {
		return 0;
	} else {
		supervise_init(s);
	}
	for (;;) {
		int64_t deadline = s->health != NULL ? s->next_check_ns : 0;
		if (!quiet_until(watch, deadline)) {
			if (containerv_watch_state(s->c, &state) < 0)
				return 0; /* removed */
			if (state == CV_STATE_RUNNING && s->c->state.pid != s->supervised)
				return 0; /* started by someone else, whose start brings its own supervisor */
			if (state == CV_STATE_RUNNING)
				continue;
			if (!after_exit(s, watch))
				return 0;
			continue;
		}
		/*
		 * A user's stop or rm is under way (its marker comes before its kill): no more checks, and this
		 * supervisor ends. A check spawned while rm kills the container's cgroup can lose its helper
		 * before the helper reports the check's pid: the check is then our zombie that nobody reaps,
		 * and the container's init waits for it forever (zap_pid_ns_processes), so rm failed ("did
		 * not die after SIGKILL") and this loop spawned failing checks every interval until killed.
		 * Our end releases such a zombie to the host's reaper.
		 */
		if (s->health != NULL && cv_supervise_stopped(s->c))
			return 0;
		if (s->health != NULL)
			check(s);
	}
}

int containerv_supervise(const char *root, const char *id)
{
	struct containerv_context *context = NULL;
	struct supervisor s = {0};
	char lock_path[PATH_MAX];
	int ret = -1;

	cv_error_clear();
	if (root == NULL || id == NULL)
		return cv_error_errno(EINVAL, "supervise: missing argument");
	cv_supervisor_active = true;
	if (containerv_context_open(root, &context) < 0)
		return -1;
	if (containerv_open_in(context, id, &s.c) < 0)
		goto done;
	snprintf(lock_path, sizeof lock_path, "%s/" CV_SUPERVISE_LOCK, s.c->dir);
	cleanup_close int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0) {
		cv_error_sys("open %s", lock_path);
		goto done;
	}
	/* A previous supervisor still ending (a user's stop and start): this one waits for it. */
	while (flock(lock, LOCK_EX) < 0)
		if (errno != EINTR) {
			cv_error_sys("lock %s", lock_path);
			goto done;
		}
	{
		CV_CONTEXT_SCOPE(context);
		cv_backend()->refresh(s.c);
		s.health = cv_health_effective(&s.c->config);
		s.lease_ready = -1;
		s.record.pid = (int)getpid();
		ret = supervise_loop(&s);
		/* Gone, or ended for good: nobody supervises it now. */
		s.record.pid = 0;
		if (access(s.c->dir, F_OK) == 0 && s.supervised != 0)
			save(&s);
	}
done:
	containerv_close(s.c);
	containerv_context_close(context);
	return ret;
}
