/*
 * compose down and ps: the app's containers are found by their labels (no
 * daemon keeps a list), stopped in reverse dependency order, removed; then the
 * project's networks and, with -v, its volumes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "orchestration/compose-lb.h"
#include "orchestration/compose-up.h"

struct found {
	char *id;
	char *name;
	char *service;
	char *project;
	char *config_files;
	int number;
	int state;
	int exit_code;
	int oneoff;
	int paused;
};

struct collection {
	const char *project;
	struct found *items;
	size_t count;
};

static const char *label_of(char **labels, const char *key)
{
	size_t length = strlen(key);

	for (size_t i = 0; labels && labels[i]; i++)
		if (strncmp(labels[i], key, length) == 0 && labels[i][length] == '=')
			return labels[i] + length + 1;
	return NULL;
}

static int collect(const struct containerv_info *info, void *user)
{
	struct collection *collection = user;
	struct containerv_container *container = NULL;
	char **labels = NULL;

	if (containerv_open(info->id, &container) < 0)
		return 0; /* gone meanwhile */
	if (containerv_get_strings(container, CV_STRINGS_LABELS, &labels, NULL) < 0) {
		containerv_close(container);
		return 0;
	}
	containerv_close(container);
	const char *project = label_of(labels, CV_COMPOSE_LABEL_PROJECT);
	const char *service = label_of(labels, CV_COMPOSE_LABEL_SERVICE);
	const char *number = label_of(labels, CV_COMPOSE_LABEL_NUMBER);
	const char *files = label_of(labels, CV_COMPOSE_LABEL_CONFIG_FILES);
	const char *oneoff = label_of(labels, CV_COMPOSE_LABEL_ONEOFF);
	if (project != NULL && service != NULL &&
	    (collection->project == NULL || strcmp(project, collection->project) == 0)) {
		struct found *grown = realloc(collection->items, (collection->count + 1) * sizeof *grown);
		if (grown == NULL) {
			containerv_strings_free(labels);
			return cv_error_errno(ENOMEM, "out of memory");
		}
		collection->items = grown;
		collection->items[collection->count++] = (struct found){
		        .id = strdup(info->id),
		        .name = strdup(info->name),
		        .service = strdup(service),
		        .project = strdup(project),
		        .config_files = strdup(files ? files : ""),
		        .number = number ? atoi(number) : 0,
		        .state = info->state,
		        .exit_code = info->exit.code,
		        .oneoff = oneoff != NULL && strcmp(oneoff, "True") == 0,
		        .paused = info->version >= 2 && info->paused,
		};
	}
	containerv_strings_free(labels);
	return 0;
}

static void collection_free(struct collection *collection)
{
	for (size_t i = 0; i < collection->count; i++) {
		free(collection->items[i].id);
		free(collection->items[i].name);
		free(collection->items[i].service);
		free(collection->items[i].project);
		free(collection->items[i].config_files);
	}
	free(collection->items);
}

int containerv_compose_list(const char *project,
                            int (*callback)(const struct containerv_compose_container *container, void *user),
                            void *user)
{
	struct collection collection = {.project = project};
	int ret;

	cv_error_clear();
	if (callback == NULL)
		return cv_error_errno(EINVAL, "compose ps: no callback");
	ret = containerv_list(collect, &collection);
	for (size_t i = 0; ret == 0 && i < collection.count; i++) {
		struct found *f = &collection.items[i];
		struct containerv_compose_container container = {
		        .id = f->id,
		        .name = f->name,
		        .service = f->service,
		        .project = f->project,
		        .config_files = f->config_files,
		        .number = f->number,
		        .state = f->state,
		        .exit_code = f->exit_code,
		        .oneoff = f->oneoff,
		        .paused = f->paused,
		};
		ret = callback(&container, user);
	}
	collection_free(&collection);
	return ret;
}

/* Where a service comes in the start order (stopped in reverse); -1: not in the app (an orphan). */
long cv_compose_rank(const struct containerv_compose *app, const char *service)
{
	for (size_t i = 0; app && app->service_order[i]; i++)
		if (strcmp(app->service_order[i], service) == 0)
			return (long)i;
	return -1;
}

static int remove_container(const struct found *found, json_t *service, containerv_compose_progress_fn progress,
                            void *user, unsigned int flags)
{
	struct containerv_container *container = NULL;

	if (containerv_open(found->id, &container) < 0)
		return errno == ENOENT ? 0 : -1;
	if (progress)
		progress(found->name, "Stopping", user);
	containerv_stop(container, service ? cv_compose_stop_signal(service) : SIGTERM,
	                service ? cv_compose_stop_timeout(service) : 10);
	if (containerv_remove(container, (flags & CV_COMPOSE_DOWN_VOLUMES) ? CV_REMOVE_VOLUMES : 0) < 0 &&
	    errno != ENOENT)
		return cv_error_prefix("remove %s", found->name);
	if (progress)
		progress(found->name, "Removed", user);
	return 0;
}

struct volume_walk {
	const char *project;
	char **names;
};

static int project_volume(const struct containerv_volume_info *info, void *user)
{
	struct volume_walk *walk = user;
	const char *project = label_of(info->labels, CV_COMPOSE_LABEL_PROJECT);

	if (project != NULL && strcmp(project, walk->project) == 0)
		return cv_strv_append(&walk->names, info->name) < 0 ? -1 : 0;
	return 0;
}

static int remove_networks(const struct containerv_compose *app, const char *project,
                           containerv_compose_progress_fn progress, void *user)
{
	json_t *networks = app ? json_object_get(app->model, "networks") : NULL;
	json_t *all = json_object();
	const char *name;
	json_t *settings;
	int ret = 0;

	json_object_set_new(all, "default", json_object());
	json_object_update(all, networks);
	json_object_foreach(all, name, settings)
	{
		char *full = NULL;
		if (cv_asprintf(&full, "%s_%s", project, name) < 0) {
			ret = -1;
			break;
		}
		if (containerv_network_remove(full) == 0) {
			if (progress)
				progress(full, "Network removed", user);
		} else if (errno != ENOENT) {
			ret = cv_error_prefix("network %s", full);
		}
		free(full);
	}
	json_decref(all);
	return ret;
}

int containerv_compose_down(const struct containerv_compose *app, const char *project, unsigned int flags,
                            containerv_compose_progress_fn progress, void *user)
{
	struct collection collection = {0};
	json_t *services = app ? json_object_get(app->model, "services") : NULL;
	int ret = 0;

	cv_error_clear();
	if (project == NULL && app != NULL)
		project = app->project;
	if (project == NULL)
		return cv_error_errno(EINVAL, "compose down: no project");
	collection.project = project;
	/* The balancer first: it stops taking connections before its replicas go. */
	if (cv_compose_lb_down(project, progress, user) < 0)
		return -1;
	if (containerv_list(collect, &collection) != 0) {
		collection_free(&collection);
		return -1;
	}
	/* Dependents before their dependencies; among a service's replicas, the last first. */
	for (long position = app ? (long)cv_strv_length(app->service_order) - 1 : -1; position >= -1; position--) {
		for (size_t i = collection.count; i-- > 0;) {
			struct found *found = &collection.items[i];
			long r = cv_compose_rank(app, found->service);
			if (r != position)
				continue;
			if (app != NULL && r == -1 && !(flags & CV_COMPOSE_DOWN_ORPHANS)) {
				if (progress)
					progress(found->name, "Orphan (kept: --remove-orphans removes it)", user);
				continue;
			}
			if (remove_container(found, json_object_get(services, found->service), progress, user, flags) <
			    0)
				ret = -1;
		}
	}
	collection_free(&collection);
	if (ret == 0)
		ret = remove_networks(app, project, progress, user);
	if (ret == 0 && (flags & CV_COMPOSE_DOWN_VOLUMES)) {
		struct volume_walk walk = {.project = project};
		if (containerv_volume_list(project_volume, &walk) != 0)
			ret = -1;
		for (size_t i = 0; ret == 0 && walk.names && walk.names[i]; i++) {
			if (containerv_volume_remove(walk.names[i], 0) < 0 && errno != ENOENT)
				ret = cv_error_prefix("volume %s", walk.names[i]);
			else if (progress)
				progress(walk.names[i], "Volume removed", user);
		}
		cv_strv_free(walk.names);
	}
	/* The copies of its secrets and configs (compose-secrets.c). */
	char files[4096];
	if (ret == 0 && cv_compose_files_directory(project, NULL, NULL, files, sizeof files) == 0 &&
	    cv_rm_rf(files) < 0 && errno != ENOENT)
		ret = cv_error_prefix("remove %s", files);
	return ret;
}
