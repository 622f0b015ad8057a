/*
 * compose start, stop, restart, pause, unpause, kill, rm (one action over a
 * project's containers, found by their labels), and finding one replica
 * (exec, port). Start goes dependencies first, the others dependents first,
 * as docker compose orders them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "orchestration/compose-up.h"

struct member {
	char *id;
	char *name;
	char *service;
	int number;
	int state;
	int paused;
	int oneoff;
	long rank; /* the service's place in the start order; -1 when the app does not have it */
};

struct members {
	const struct containerv_compose *app;
	const char *const *services;
	struct member *items;
	size_t count;
};

static bool wanted(const char *const *services, const char *service)
{
	for (size_t i = 0; services && services[i]; i++)
		if (strcmp(services[i], service) == 0)
			return true;
	return services == NULL;
}

static int gather(const struct containerv_compose_container *container, void *user)
{
	struct members *members = user;

	if (!wanted(members->services, container->service))
		return 0;
	struct member *grown = realloc(members->items, (members->count + 1) * sizeof *grown);
	if (grown == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	members->items = grown;
	members->items[members->count] = (struct member){
	        .id = strdup(container->id),
	        .name = strdup(container->name),
	        .service = strdup(container->service),
	        .number = container->number,
	        .state = container->state,
	        .paused = container->paused,
	        .oneoff = container->oneoff,
	        .rank = cv_compose_rank(members->app, container->service),
	};
	if (members->items[members->count].id == NULL || members->items[members->count].name == NULL ||
	    members->items[members->count].service == NULL) {
		free(members->items[members->count].id);
		free(members->items[members->count].name);
		free(members->items[members->count].service);
		return cv_error_errno(ENOMEM, "out of memory");
	}
	members->count++;
	return 0;
}

static void members_free(struct members *members)
{
	for (size_t i = 0; i < members->count; i++) {
		free(members->items[i].id);
		free(members->items[i].name);
		free(members->items[i].service);
	}
	free(members->items);
	members->items = NULL;
	members->count = 0;
}

/* Start order: by the service's place, then by replica number (creation order when ranks tie). */
static int start_order(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return (x->number > y->number) - (x->number < y->number);
}

/* The project's containers of the given services, in start order. */
static int collect_members(const struct containerv_compose *app, const char *project, const char *const *services,
                           struct members *members)
{
	*members = (struct members){.app = app, .services = services};
	for (size_t i = 0; app != NULL && services && services[i]; i++)
		if (cv_compose_rank(app, services[i]) < 0)
			return cv_error_errno(ENOENT, "no such service: %s", services[i]);
	if (containerv_compose_list(project, gather, members) != 0) {
		members_free(members);
		return -1;
	}
	if (members->count > 1)
		qsort(members->items, members->count, sizeof *members->items, start_order);
	return 0;
}

static json_t *service_of(const struct containerv_compose *app, const char *name)
{
	return app ? json_object_get(json_object_get(app->model, "services"), name) : NULL;
}

struct action_run {
	const struct containerv_compose *app;
	enum containerv_compose_action action;
	const struct containerv_compose_act_options *options;
};

static void report(const struct action_run *run, const char *name, const char *status)
{
	if (run->options->progress)
		run->options->progress(name, status, run->options->user);
}

static int stop_member(const struct action_run *run, const struct member *member,
                       struct containerv_container *container)
{
	json_t *service = service_of(run->app, member->service);
	int signal = run->options->signal ? run->options->signal : service ? cv_compose_stop_signal(service) : SIGTERM;
	unsigned int timeout = run->options->timeout_seconds >= 0 ? (unsigned int)run->options->timeout_seconds
	                       : service                          ? cv_compose_stop_timeout(service)
	                                                          : 10;

	return containerv_stop(container, signal, timeout);
}

/* One container; *status is what to report, NULL when nothing was to be done. */
static int act_on(const struct action_run *run, const struct member *member, struct containerv_container *container,
                  const char **status)
{
	bool running = member->state == CV_STATE_RUNNING;

	*status = NULL;
	switch (run->action) {
	case CV_COMPOSE_START:
		if (running) /* its supervisor may be gone (SIGKILLed): adopted, as up does */
			return containerv_supervise_ensure(container);
		*status = "Started";
		return containerv_start(container);
	case CV_COMPOSE_STOP:
		if (!running)
			return 0;
		*status = "Stopped";
		return stop_member(run, member, container);
	case CV_COMPOSE_RESTART:
		*status = "Restarted";
		if (running && stop_member(run, member, container) < 0)
			return -1;
		return containerv_start(container);
	case CV_COMPOSE_PAUSE:
		/* A verb that leaves the container running adopts it first when its supervisor is gone (as up and
		 * start do): its health and restart policy hold again once it is unpaused. */
		if (running && containerv_supervise_ensure(container) < 0)
			return -1;
		if (!running || member->paused)
			return 0;
		*status = "Paused";
		return containerv_pause(container);
	case CV_COMPOSE_UNPAUSE:
		if (!running || !member->paused)
			return running ? containerv_supervise_ensure(container) : 0;
		*status = "Unpaused";
		if (containerv_resume(container) < 0)
			return -1;
		return containerv_supervise_ensure(container);
	case CV_COMPOSE_KILL:
		if (!running)
			return 0;
		*status = "Killed";
		return containerv_kill(container, run->options->signal ? run->options->signal : SIGKILL);
	case CV_COMPOSE_REMOVE:
		if (running && !(run->options->flags & CV_COMPOSE_ACT_STOP))
			return 0;
		if (running && stop_member(run, member, container) < 0)
			return -1;
		*status = "Removed";
		return containerv_remove(container,
		                         (run->options->flags & CV_COMPOSE_ACT_VOLUMES) ? CV_REMOVE_VOLUMES : 0);
	}
	return cv_error_errno(EINVAL, "compose: unknown action %d", (int)run->action);
}

static int act_on_member(const struct action_run *run, const struct member *member)
{
	struct containerv_container *container = NULL;
	const char *status;

	if (member->oneoff && !(run->options->flags & CV_COMPOSE_ACT_ONEOFF))
		return 0;
	if (containerv_open(member->id, &container) < 0)
		return errno == ENOENT ? 0 : cv_error_prefix("%s", member->name);
	int ret = act_on(run, member, container, &status);
	if (ret < 0)
		cv_error_prefix("%s", member->name);
	else if (status != NULL)
		report(run, member->name, status);
	/* containerv_remove() freed the handle (also on failure); a container left alone still has it. */
	if (!(run->action == CV_COMPOSE_REMOVE && status != NULL))
		containerv_close(container);
	return ret;
}

int containerv_compose_act(const struct containerv_compose *app, const char *project,
                           enum containerv_compose_action action, const struct containerv_compose_act_options *options)
{
	struct containerv_compose_act_options defaults = CONTAINERV_COMPOSE_ACT_OPTIONS_INIT;
	struct action_run run = {.app = app, .action = action, .options = options ? options : &defaults};
	struct members members;
	struct cv_error_saved first;
	int ret = 0;

	cv_error_clear();
	if (project == NULL && app != NULL)
		project = app->project;
	if (project == NULL || run.options->version != CONTAINERV_COMPOSE_ACT_OPTIONS_VERSION)
		return cv_error_errno(EINVAL, "compose: no project or an unknown options version");
	if (collect_members(app, project, run.options->services, &members) < 0)
		return -1;
	/* Restart: every container stopped dependents first, then started dependencies first. */
	if (action == CV_COMPOSE_RESTART) {
		struct action_run stop = run;
		stop.action = CV_COMPOSE_STOP;
		struct containerv_compose_act_options quiet = *run.options;
		quiet.progress = NULL;
		stop.options = &quiet;
		for (size_t i = members.count; i-- > 0;) {
			if (act_on_member(&stop, &members.items[i]) < 0 && ret == 0) {
				ret = -1;
				cv_error_save(&first);
			}
			members.items[i].state = CV_STATE_EXITED;
		}
	}
	for (size_t k = 0; ret == 0 && k < members.count; k++) {
		bool forward = action == CV_COMPOSE_START || action == CV_COMPOSE_RESTART;
		struct member *member = &members.items[forward ? k : members.count - 1 - k];
		if (act_on_member(&run, member) < 0 && ret == 0) {
			ret = -1;
			cv_error_save(&first);
		}
	}
	members_free(&members);
	return ret < 0 ? cv_error_restore(&first) : 0;
}

struct finding {
	const char *service;
	int index;
	char id[65];
	int number; /* of the one found; 0: none yet */
};

static int find_one(const struct containerv_compose_container *container, void *user)
{
	struct finding *finding = user;

	if (container->oneoff || strcmp(container->service, finding->service) != 0)
		return 0;
	if (finding->index > 0 ? container->number != finding->index
	                       : container->state != CV_STATE_RUNNING ||
	                                 (finding->number != 0 && container->number > finding->number))
		return 0;
	snprintf(finding->id, sizeof finding->id, "%s", container->id);
	finding->number = container->number;
	return 0;
}

int containerv_compose_find(const char *project, const char *service, int index, char *id)
{
	struct finding finding = {.service = service, .index = index};

	cv_error_clear();
	if (project == NULL || service == NULL || id == NULL || index < 0)
		return cv_error_errno(EINVAL, "compose: no project, service or id buffer");
	if (containerv_compose_list(project, find_one, &finding) != 0)
		return -1;
	if (finding.number == 0) {
		if (index > 0)
			return cv_error_errno(ENOENT, "service \"%s\" has no container number %d", service, index);
		return cv_error_errno(ENOENT, "service \"%s\" is not running", service);
	}
	memcpy(id, finding.id, sizeof finding.id);
	return 0;
}
