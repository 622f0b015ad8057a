/*
 * compose scale, run and pull: what works on one service of an app.
 *
 * scale removes the highest-numbered replicas first and makes the missing
 * ones through compose up with the service's count changed (a copy of the
 * model: the app stays as loaded). The config hash leaves the count out, so
 * the replicas already there are kept.
 *
 * run makes a one-off container from the service's model with the caller's
 * command, entrypoint and environment written into a copy of it, so that the
 * same replica-options code turns it into a container.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <chef/containerv/registry.h>

#include "common/error.h"
#include "common/util.h"
#include "orchestration/compose-lb.h"
#include "orchestration/compose-up.h"

static json_t *service_of(const struct containerv_compose *app, const char *name)
{
	return json_object_get(json_object_get(app->model, "services"), name);
}

struct replicas {
	const char *service;
	char **ids;
	int *numbers;
	size_t count;
};

static int gather_replica(const struct containerv_compose_container *container, void *user)
{
	struct replicas *replicas = user;

	if (container->oneoff || strcmp(container->service, replicas->service) != 0)
		return 0;
	int *grown = realloc(replicas->numbers, (replicas->count + 1) * sizeof *grown);
	if (grown == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	replicas->numbers = grown;
	if (cv_strv_append(&replicas->ids, container->id) < 0)
		return -1;
	replicas->numbers[replicas->count++] = container->number;
	return 0;
}

int cv_compose_remove_replicas(const struct containerv_compose *app, json_t *service, char *const *names,
                               containerv_compose_progress_fn progress, void *user)
{
	int ret = 0;

	/* Out of the balancer's rotation first: their open connections finish, new ones go elsewhere. */
	if (cv_compose_lb_drain(app->project, names, cv_compose_stop_timeout(service)) < 0)
		cv_error_clear(); /* a balancer that cannot be told: the stop still ends them */
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		struct containerv_container *container = NULL;
		if (containerv_open(names[i], &container) < 0) {
			if (errno == ENOENT)
				continue;
			ret = -1;
			break;
		}
		containerv_stop(container, cv_compose_stop_signal(service), cv_compose_stop_timeout(service));
		if (containerv_remove(container, CV_REMOVE_VOLUMES) < 0 && errno != ENOENT) {
			ret = cv_error_prefix("remove %s", names[i]);
			break;
		}
		if (progress)
			progress(names[i], "Removed", user);
	}
	cv_compose_lb_undrain(app->project, names);
	return ret;
}

/* The names of the replicas numbered above keep, the highest first; *existing: how many there are. */
static int replicas_above(const struct containerv_compose *app, const char *name, unsigned int keep, char ***names,
                          unsigned int *existing)
{
	struct replicas replicas = {.service = name};
	int ret = containerv_compose_list(app->project, gather_replica, &replicas);

	*existing = (unsigned int)replicas.count;
	while (ret == 0) {
		size_t highest = SIZE_MAX;
		for (size_t i = 0; i < replicas.count; i++)
			if (replicas.numbers[i] > (int)keep &&
			    (highest == SIZE_MAX || replicas.numbers[i] > replicas.numbers[highest]))
				highest = i;
		if (highest == SIZE_MAX)
			break;
		char replica[256];
		snprintf(replica, sizeof replica, "%s-%s-%d", app->project, name, replicas.numbers[highest]);
		replicas.numbers[highest] = 0;
		ret = cv_strv_append(names, replica);
	}
	cv_strv_free(replicas.ids);
	free(replicas.numbers);
	return ret;
}

/* A scale event on the journal (containerv events --filter type=scale). */
static void journal_scale(const struct containerv_compose *app, const char *name, unsigned int from, unsigned int to,
                          const char *trigger, const char *reason)
{
	char id[300], project[300], service[300], before[32], after[32], by[64], why[300];
	const char *attributes[8] = {project, service, before, after, by, NULL, NULL, NULL};

	snprintf(id, sizeof id, "%s-%s", app->project, name);
	/* compose's labels as attributes: `compose events` selects a project's events by them. */
	snprintf(project, sizeof project, CV_COMPOSE_LABEL_PROJECT "=%s", app->project);
	snprintf(service, sizeof service, CV_COMPOSE_LABEL_SERVICE "=%s", name);
	snprintf(before, sizeof before, "from=%u", from);
	snprintf(after, sizeof after, "to=%u", to);
	snprintf(by, sizeof by, "trigger=%s", trigger);
	if (reason != NULL) {
		snprintf(why, sizeof why, "reason=%s", reason);
		attributes[5] = why;
	}
	if (containerv_journal_append(NULL, "scale",
	                              to > from   ? "scale_up"
	                              : to < from ? "scale_down"
	                                          : "scale",
	                              id, attributes) < 0)
		cv_error_clear(); /* the scale happened; a journal that cannot be written is not its failure */
}

/* Has a manual scale paused the service's autoscaling (its mark, compose-lb-control.c)? */
static bool autoscale_paused(const char *project, const char *name)
{
	char directory[PATH_MAX];
	bool paused = false;

	if (cv_compose_files_directory(project, NULL, NULL, directory, sizeof directory) == 0) {
		int fd = open(directory, O_PATH | O_DIRECTORY | O_CLOEXEC);
		paused = fd >= 0 && cv_compose_autoscale_paused(fd, name);
		if (fd >= 0)
			close(fd);
	}
	cv_error_clear();
	return paused;
}

static int scale_locked(const struct containerv_compose *app, const char *name, json_t *service, unsigned int count,
                        const struct containerv_compose_up_options *options, const char *trigger, const char *reason)
{
	struct containerv_compose_up_options up = CONTAINERV_COMPOSE_UP_OPTIONS_INIT;
	const char *only[2] = {name, NULL};
	char **surplus = NULL;
	unsigned int existing = 0;

	if (strcmp(trigger, "autoscale") == 0 && autoscale_paused(app->project, name))
		return cv_error_errno(ECANCELED, "scale %s: its autoscaling was paused by a manual scale meanwhile",
		                      name);
	if (replicas_above(app, name, count, &surplus, &existing) < 0)
		return -1;
	int ret = cv_compose_remove_replicas(app, service, surplus, options ? options->progress : NULL,
	                                     options ? options->user : NULL);
	cv_strv_free(surplus);
	if (ret < 0)
		return cv_error_prefix("scale %s", name);
	if (count > 0) {
		/* The model's copy with the new count: up makes what is missing and keeps the rest. */
		struct containerv_compose scaled = *app;
		scaled.model = json_deep_copy(app->model);
		if (scaled.model == NULL)
			return cv_error_errno(ENOMEM, "out of memory");
		json_t *copy = service_of(&scaled, name);
		json_t *deploy = json_object_get(copy, "deploy");
		if (deploy == NULL)
			json_object_set_new(copy, "deploy", deploy = json_object());
		json_object_set_new(deploy, "replicas", json_integer(count));
		if (options)
			up = *options;
		up.services = only;
		ret = cv_compose_up(&scaled, &up, false);
		json_decref(scaled.model);
		if (ret < 0)
			return -1;
	}
	journal_scale(app, name, existing, count, trigger, reason);
	return 0;
}

int cv_compose_scale_service(const struct containerv_compose *app, const char *name, unsigned int count,
                             const struct containerv_compose_up_options *options, const char *trigger,
                             const char *reason)
{
	cv_error_clear();
	if (app == NULL || name == NULL || (options && options->version != CONTAINERV_COMPOSE_UP_OPTIONS_VERSION))
		return cv_error_errno(EINVAL, "compose scale: no app or service, or an unknown options version");
	json_t *service = service_of(app, name);
	if (service == NULL)
		return cv_error_errno(ENOENT, "no such service: %s", name);
	if (count > 1000)
		return cv_error_errno(EINVAL, "scale %s: %u replicas: at most 1000", name, count);
	if (count > 1 && json_object_get(service, "container_name") != NULL)
		return cv_error_errno(EINVAL, "scale %s: container_name cannot be combined with more than one replica",
		                      name);
	/* A manual scale of an autoscaled service pauses its autoscaling first: the two never fight. */
	if (strcmp(trigger, "manual") == 0 && json_object_get(json_object_get(service, "x-containerv"), "autoscale") &&
	    cv_compose_autoscale_pause(app->project, name) < 0)
		return cv_error_prefix("scale %s: pause its autoscaling", name);
	/* One change of the count at a time, manual or autoscaling: the second waits for the first. */
	int lock = cv_compose_scale_lock(app->project, name);
	if (lock < 0)
		return cv_error_prefix("scale %s", name);
	int ret = scale_locked(app, name, service, count, options, trigger, reason);
	cv_compose_scale_unlock(lock);
	return ret;
}

int containerv_compose_scale(const struct containerv_compose *app, const char *name, unsigned int count,
                             const struct containerv_compose_up_options *options)
{
	return cv_compose_scale_service(app, name, count, options, "manual", NULL);
}

/* 12 hex digits for a one-off container's name (docker compose uses 12 of a random id too). */
static int random_suffix(char out[13])
{
	unsigned char bytes[6];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return cv_error_errno(errno, "open /dev/urandom");
	ssize_t got = cv_read_all(fd, bytes, sizeof bytes);
	close(fd);
	if (got != (ssize_t)sizeof bytes)
		return cv_error_errno(EIO, "read /dev/urandom");
	for (size_t i = 0; i < sizeof bytes; i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

static json_t *string_array(const char *const *strings)
{
	json_t *array = json_array();

	for (size_t i = 0; array && strings[i]; i++)
		json_array_append_new(array, json_string(strings[i]));
	return array;
}

/* The service's model as the one-off container takes it: the caller's overrides, no published ports. */
static int one_off_model(json_t *service, const struct containerv_compose_run_options *options)
{
	json_object_del(service, "ports");
	json_object_del(service, "container_name");
	json_object_del(service, "healthcheck");
	json_object_del(json_object_get(service, "x-containerv"), "healthcheck");
	if (options->command)
		json_object_set_new(service, "command", string_array(options->command));
	if (options->entrypoint)
		json_object_set_new(service, "entrypoint", string_array(options->entrypoint));
	json_t *environment = json_object_get(service, "environment");
	if (environment == NULL)
		json_object_set_new(service, "environment", environment = json_object());
	for (size_t i = 0; options->environment && options->environment[i]; i++) {
		const char *entry = options->environment[i];
		const char *equals = strchr(entry, '=');
		if (equals == NULL || equals == entry)
			return cv_error_errno(EINVAL, "run: environment \"%s\": expected KEY=VALUE", entry);
		char *key = strndup(entry, (size_t)(equals - entry));
		if (key == NULL)
			return cv_error_errno(ENOMEM, "out of memory");
		json_object_set_new(environment, key, json_string(equals + 1));
		free(key);
	}
	return 0;
}

int containerv_compose_run(const struct containerv_compose *app, const struct containerv_compose_run_options *options,
                           struct containerv_container **container)
{
	struct cv_compose_replica replica = {0};
	struct containerv_options *made = NULL;
	char suffix[13];
	int ret = -1;

	cv_error_clear();
	if (container == NULL || app == NULL || options == NULL || options->service == NULL ||
	    options->version != CONTAINERV_COMPOSE_RUN_OPTIONS_VERSION)
		return cv_error_errno(EINVAL,
		                      "compose run: no app, service or container, or an unknown options version");
	*container = NULL;
	json_t *service = service_of(app, options->service);
	if (service == NULL)
		return cv_error_errno(ENOENT, "no such service: %s", options->service);
	json_t *copy = json_deep_copy(service);
	if (copy == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	char *config_files = cv_strv_join(app->config_files, ",");
	if (config_files == NULL || one_off_model(copy, options) < 0 || random_suffix(suffix) < 0)
		goto done;
	replica = (struct cv_compose_replica){
	        .app = app,
	        .service_name = options->service,
	        .service = copy,
	        .number = 1,
	        .config_files = config_files,
	        .rootfs_search_path = options->rootfs_search_path,
	        .oneoff = 1,
	};
	snprintf(replica.name, sizeof replica.name, "%s-%s-run-%s", app->project, options->service, suffix);
	if (cv_compose_config_hash(copy, replica.config_hash) < 0 || cv_compose_replica_options(&replica, &made) < 0)
		goto done;
	if (options->configure && options->configure(made, options->user) < 0)
		goto done;
	/* The dependencies first, as compose up brings them; then what the service itself needs. */
	json_t *depends = json_object_get(service, "depends_on");
	const char *dependency;
	json_t *condition;
	char **needed = NULL;
	json_object_foreach(depends, dependency, condition)
	{
		if (!options->no_deps && service_of(app, dependency) != NULL &&
		    cv_strv_append(&needed, dependency) < 0) {
			cv_strv_free(needed);
			goto done;
		}
	}
	if (needed != NULL) {
		struct containerv_compose_up_options up = CONTAINERV_COMPOSE_UP_OPTIONS_INIT;
		up.services = (const char *const *)needed;
		up.rootfs_search_path = options->rootfs_search_path;
		up.progress = options->progress;
		up.user = options->user;
		int started = containerv_compose_up(app, &up);
		cv_strv_free(needed);
		if (started < 0)
			goto done;
	}
	char **made_resources = NULL;
	int made_ok = cv_compose_make_networks(app, copy, &made_resources, options->progress, options->user) == 0 &&
	              cv_compose_make_volumes(app, &made_resources, options->progress, options->user) == 0;
	cv_strv_free(made_resources);
	if (!made_ok)
		goto done;
	if (containerv_create(made, container) < 0) {
		cv_error_prefix("run %s", options->service);
		goto done;
	}
	if (options->progress)
		options->progress(replica.name, "Created", options->user);
	ret = 0;
done:
	containerv_options_delete(made);
	json_decref(copy);
	free(config_files);
	return ret;
}

int containerv_compose_pull(const struct containerv_compose *app, const char *const *services,
                            containerv_compose_progress_fn progress, void *user)
{
	json_t *pulled = json_object();
	int ret = 0;

	cv_error_clear();
	if (app == NULL || pulled == NULL) {
		json_decref(pulled);
		return cv_error_errno(app ? ENOMEM : EINVAL, "compose pull: no app");
	}
	for (size_t i = 0; services && services[i]; i++)
		if (service_of(app, services[i]) == NULL) {
			json_decref(pulled);
			return cv_error_errno(ENOENT, "no such service: %s", services[i]);
		}
	for (size_t i = 0; ret == 0 && app->service_order[i]; i++) {
		const char *name = app->service_order[i];
		bool selected = services == NULL;
		for (size_t j = 0; services && services[j]; j++)
			selected = selected || strcmp(services[j], name) == 0;
		const char *image = json_string_value(json_object_get(service_of(app, name), "image"));
		if (!selected || image == NULL || json_object_get(pulled, image) != NULL)
			continue;
		if (progress)
			progress(name, "Pulling", user);
		if (containerv_image_pull(image, NULL, NULL) < 0) {
			ret = cv_error_prefix("service %s: pull %s", name, image);
			break;
		}
		json_object_set_new(pulled, image, json_true());
		if (progress)
			progress(name, "Pulled", user);
	}
	json_decref(pulled);
	return ret;
}
