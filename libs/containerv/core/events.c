/*
 * Events: a subscription per handle, built on the backend's watch
 * descriptor. A dispatch re-reads the state (containerv_watch_state) and
 * compares it with the state last reported: one event per step of the state
 * machine between them, in order, so a caller that dispatches late still
 * sees every start and every exit (created -> held -> running -> exited ->
 * removed; paused and resumed while running).
 */
#include <errno.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "core/backend.h"
#include "core/container.h"

int containerv_subscribe(struct containerv_container *container, containerv_event_fn callback, void *user)
{
	containerv_fd_t fd;

	cv_error_clear();
	if (container == NULL)
		return cv_error_errno(EINVAL, "subscribe: no container");
	if (callback == NULL) {
		memset(&container->events, 0, sizeof container->events);
		return 0;
	}
	/* Watching first, then the state to compare against: a change in between is reported. */
	if (containerv_watch_fd(container, &fd) < 0)
		return -1;
	container->events.callback = callback;
	container->events.user = user;
	container->events.reported = container->state;
	return 0;
}

void cv_events_deliver(struct containerv_container *c, enum containerv_event_type type, int64_t time_ns)
{
	struct containerv_event event = {
	        .version = CONTAINERV_EVENT_VERSION,
	        .type = type,
	        .id = c->id,
	        .name = containerv_name(c),
	        .time_ns = time_ns != 0 ? time_ns : cv_now_ns(),
	};

	if (type == CV_EVENT_EXITED || type == CV_EVENT_OOM)
		event.exit = c->state.exit;
	c->events.callback(&event, c->events.user);
}

/* A start the reported state has not seen yet: a new started_ns, or none reported while one ran. */
static bool started_since(const struct cv_state *before, const struct cv_state *now)
{
	return now->started_ns != 0 && now->started_ns != before->started_ns;
}

/* The events between the state last reported and the state now, in the order they happened. */
static void deliver_changes(struct containerv_container *c)
{
	const struct cv_state before = c->events.reported, *now = &c->state;
	bool started = started_since(&before, now);

	switch (now->status) {
	case CV_STATE_CREATED:
		if (before.status != CV_STATE_CREATED)
			cv_events_deliver(c, CV_EVENT_CREATED, 0);
		break;
	case CV_STATE_HELD:
		if (before.status != CV_STATE_HELD || now->pid != before.pid)
			cv_events_deliver(c, CV_EVENT_HELD, 0);
		break;
	case CV_STATE_RUNNING:
		if (before.status != CV_STATE_RUNNING || started)
			cv_events_deliver(c, CV_EVENT_STARTED, now->started_ns);
		if (now->paused != (before.status == CV_STATE_RUNNING && !started && before.paused))
			cv_events_deliver(c, now->paused ? CV_EVENT_PAUSED : CV_EVENT_RESUMED, 0);
		break;
	case CV_STATE_EXITED:
		if (before.status == CV_STATE_EXITED && !started && now->finished_ns == before.finished_ns)
			break;
		/* Started and ended between two dispatches: the start first. */
		if (before.status != CV_STATE_RUNNING || started)
			cv_events_deliver(c, CV_EVENT_STARTED, now->started_ns);
		if (now->exit.oom_killed)
			cv_events_deliver(c, CV_EVENT_OOM, now->finished_ns);
		cv_events_deliver(c, CV_EVENT_EXITED, now->finished_ns);
		break;
	}
	c->events.reported = *now;
}

int containerv_dispatch_events(struct containerv_container *container)
{
	enum containerv_state state;

	cv_error_clear();
	if (container == NULL || container->events.callback == NULL)
		return cv_error_errno(EINVAL, "dispatch events: no subscription");
	if (containerv_watch_state(container, &state) < 0) {
		if (errno != ENOENT)
			return -1;
		cv_error_clear();
		/* Its last moments (an exit just before the removal) first, then the removal, then nothing. */
		deliver_changes(container);
		cv_events_deliver(container, CV_EVENT_REMOVED, 0);
		memset(&container->events, 0, sizeof container->events);
		return 0;
	}
	deliver_changes(container);
	return 0;
}
