/*
 * Events of a whole context (containerv_context_subscribe): every container
 * of the state root, those created after the subscription included, through
 * one pollable descriptor.
 *
 * Built on the per-handle subscriptions (core/events.c): the context follows
 * each container with a handle of its own, subscribed with a callback that
 * forwards to the context's, and the backend's context watch
 * (struct cv_backend_ops.context_watch_*) joins the handles' descriptors and a
 * watch of the containers directory into one. A dispatch looks for new
 * container directories, then dispatches only the handles whose descriptor
 * is readable. A container met after the subscription is reported with
 * CV_EVENT_CREATED, then each step it took since; one that ends with
 * CV_EVENT_REMOVED is let go of.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "core/backend.h"
#include "core/container.h"
#include "core/context.h"

/* A container the context follows; handle NULL while it is still being created (not readable yet). */
struct member {
	char id[CV_ID_LENGTH + 1];
	struct containerv_container *handle;
	containerv_fd_t fd;   /* the handle's watch descriptor */
	int directory_watch;  /* while pending: the backend's watch of its directory, else -1 */
	bool new_since_start; /* report CV_EVENT_CREATED when it becomes readable */
	bool seen;            /* in the last scan of the directory */
};

struct cv_context_events {
	containerv_event_fn callback;
	void *user;
	struct cv_context_watch *watch;
	containerv_fd_t fd;
	char containers[PATH_MAX];
	struct member *members;
	size_t count, capacity;
};

static void forward(const struct containerv_event *event, void *user)
{
	struct cv_context_events *events = user;

	events->callback(event, events->user);
}

static void member_drop(struct cv_context_events *events, size_t index)
{
	struct member *m = &events->members[index];

	if (m->directory_watch >= 0)
		cv_backend()->context_watch_remove_dir(events->watch, m->directory_watch);
	if (m->handle != NULL) {
		cv_backend()->context_watch_remove_fd(events->watch, m->fd);
		containerv_close(m->handle);
	}
	events->members[index] = events->members[--events->count];
}

void cv_context_events_free(struct cv_context_events *events)
{
	if (events == NULL)
		return;
	while (events->count > 0)
		member_drop(events, events->count - 1);
	cv_backend()->context_watch_close(events->watch);
	free(events->members);
	free(events);
}

static struct member *member_find(struct cv_context_events *events, const char *id)
{
	for (size_t i = 0; i < events->count; i++)
		if (strcmp(events->members[i].id, id) == 0)
			return &events->members[i];
	return NULL;
}

static bool is_container_id(const char *name)
{
	if (strlen(name) != CV_ID_LENGTH)
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static struct member *member_add(struct cv_context_events *events, const char *id, bool new_since_start)
{
	struct member *m;

	if (events->count == events->capacity) {
		size_t capacity = events->capacity ? events->capacity * 2 : 16;
		struct member *grown = realloc(events->members, capacity * sizeof *grown);
		if (grown == NULL) {
			cv_error_errno(ENOMEM, "out of memory");
			return NULL;
		}
		events->members = grown;
		events->capacity = capacity;
	}
	m = &events->members[events->count++];
	memset(m, 0, sizeof *m);
	snprintf(m->id, sizeof m->id, "%s", id);
	m->directory_watch = -1;
	m->new_since_start = new_since_start;
	return m;
}

/*
 * Opens and subscribes a member's handle once its container is readable (config.json and
 * state.json written); until then its directory is watched. 0 also when still pending.
 */
static int member_follow(struct containerv_context *context, struct cv_context_events *events, struct member *m)
{
	const struct cv_backend_ops *backend = cv_backend();
	struct containerv_container *handle = NULL;
	char dir[PATH_MAX + CV_ID_LENGTH + 2];

	if (m->directory_watch < 0) {
		snprintf(dir, sizeof dir, "%s/%s", events->containers, m->id);
		m->directory_watch = backend->context_watch_add_dir(events->watch, dir);
		if (m->directory_watch < 0) {
			cv_error_clear();
			return 0; /* gone already: the next scan drops it */
		}
	}
	if (containerv_open_in(context, m->id, &handle) < 0 || containerv_subscribe(handle, forward, events) < 0 ||
	    containerv_watch_fd(handle, &m->fd) < 0 || backend->context_watch_add_fd(events->watch, m->fd) < 0) {
		containerv_close(handle);
		cv_error_clear();
		return 0; /* being created (or removed): its directory's watch says when to look again */
	}
	backend->context_watch_remove_dir(events->watch, m->directory_watch);
	m->directory_watch = -1;
	m->handle = handle;
	if (m->new_since_start) {
		/* Everything it did since it was made, from the start of the state machine. */
		memset(&handle->events.reported, 0, sizeof handle->events.reported);
		handle->events.reported.status = CV_STATE_CREATED;
		cv_events_deliver(handle, CV_EVENT_CREATED, handle->state.created_ns);
		return containerv_dispatch_events(handle);
	}
	return 0;
}

/* Adds the container directories not followed yet; drops pending ones whose directory went. */
static int scan(struct containerv_context *context, struct cv_context_events *events, bool new_since_start)
{
	cleanup_dir DIR *listing = opendir(events->containers);
	struct dirent *entry;

	if (listing == NULL)
		return cv_error_sys("open %s", events->containers);
	for (size_t i = 0; i < events->count; i++)
		events->members[i].seen = false;
	while ((entry = readdir(listing)) != NULL) {
		struct member *m;

		if (!is_container_id(entry->d_name))
			continue;
		m = member_find(events, entry->d_name);
		if (m == NULL && (m = member_add(events, entry->d_name, new_since_start)) == NULL)
			return -1;
		m->seen = true;
	}
	for (size_t i = events->count; i-- > 0;) {
		if (!events->members[i].seen && events->members[i].handle == NULL)
			member_drop(events, i); /* a create that failed, or a removal before it was readable */
	}
	for (size_t i = 0; i < events->count; i++) {
		if (events->members[i].handle == NULL && member_follow(context, events, &events->members[i]) < 0)
			return -1;
	}
	return 0;
}

int containerv_context_subscribe(struct containerv_context *context, containerv_event_fn callback, void *user)
{
	struct cv_context_events *events;

	cv_error_clear();
	context = context != NULL ? context : cv_context_default();
	cv_context_events_free(context->events);
	context->events = NULL;
	if (callback == NULL)
		return 0;
	CV_CONTEXT_SCOPE(context);
	events = cv_malloc0(sizeof *events);
	if (events == NULL)
		return -1;
	events->callback = callback;
	events->user = user;
	/* Watching first, then listing: a container made in between is seen by one or the other. */
	if (cv_state_containers_dir(context, events->containers, sizeof events->containers) < 0 ||
	    cv_backend()->context_watch_open(events->containers, &events->watch, &events->fd) < 0 ||
	    scan(context, events, false) < 0) {
		struct cv_error_saved saved;
		cv_error_save(&saved);
		cv_context_events_free(events);
		cv_error_restore(&saved);
		return cv_error_prefix("subscribe to %s", cv_context_root(context));
	}
	context->events = events;
	return 0;
}

int containerv_context_watch_fd(struct containerv_context *context, containerv_fd_t *fd)
{
	cv_error_clear();
	context = context != NULL ? context : cv_context_default();
	if (fd == NULL || context->events == NULL)
		return cv_error_errno(EINVAL, "context watch: no subscription");
	*fd = context->events->fd;
	return 0;
}

/* Whether a member's descriptor is readable now (poll without waiting). */
static bool readable(containerv_fd_t fd)
{
	struct pollfd entry = {.fd = fd, .events = POLLIN};

	return poll(&entry, 1, 0) > 0;
}

int containerv_context_dispatch_events(struct containerv_context *context)
{
	struct cv_context_events *events;

	cv_error_clear();
	context = context != NULL ? context : cv_context_default();
	events = context->events;
	if (events == NULL)
		return cv_error_errno(EINVAL, "dispatch context events: no subscription");
	CV_CONTEXT_SCOPE(context);
	cv_backend()->context_watch_drain(events->watch);
	if (scan(context, events, true) < 0)
		return cv_error_prefix("dispatch events of %s", cv_context_root(context));
	for (size_t i = events->count; i-- > 0;) {
		struct member *m = &events->members[i];

		if (m->handle == NULL || !readable(m->fd))
			continue;
		if (containerv_dispatch_events(m->handle) < 0)
			return -1;
		if (m->handle->events.callback == NULL) /* CV_EVENT_REMOVED: its subscription ended */
			member_drop(events, i);
	}
	return 0;
}
