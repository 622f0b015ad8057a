/*
 * compose up: networks and volumes first, then the services level by level
 * (a service's level is one more than its deepest dependency's), the replicas
 * of one level started in parallel by a bounded set of threads. A container
 * whose config hash is unchanged is kept. What this call made is removed
 * again when a step fails, so a failed up leaves what was there before.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "orchestration/compose-lb.h"
#include "orchestration/compose-up.h"

#define PARALLEL_DEFAULT 4
#define PARALLEL_MAX 64
#define WAIT_TIMEOUT_DEFAULT 300

struct job {
	struct cv_compose_replica replica;
	long long level;
	struct containerv_options *options; /* built before anything is made (parse, then act) */
	int created;                        /* made by this call: removed again on failure */
	int failed;
	struct cv_error_saved error;
};

struct run {
	const struct containerv_compose *app;
	const struct containerv_compose_up_options *options;
	json_t *selected; /* service name -> level */
	char *config_files;
	char **made_networks; /* made by this call */
	char **made_volumes;
	struct job *jobs;
	size_t job_count;
	size_t next_job; /* the next job of the level to take */
	size_t level_end;
	pthread_mutex_t lock;
};

static void progress(const struct run *run, const char *resource, const char *status)
{
	if (run->options->progress != NULL)
		run->options->progress(resource, status, run->options->user);
}

/* deploy.replicas; without it, an autoscaled service's min (its autoscaling goes on from there), else 1. */
static int replicas_of(json_t *service)
{
	json_t *replicas = json_object_get(json_object_get(service, "deploy"), "replicas");
	json_t *autoscale = json_object_get(json_object_get(service, "x-containerv"), "autoscale");
	struct containerv_autoscale_policy policy = CONTAINERV_AUTOSCALE_POLICY_INIT;

	if (replicas != NULL)
		return (int)json_integer_value(replicas);
	if (autoscale != NULL && cv_compose_autoscale_policy(autoscale, &policy) == 0)
		return (int)policy.min;
	cv_error_clear();
	return 1;
}

/* The services to start: the ones asked for and everything they depend on, each with its level. */
static int select_services(struct run *run, const char *name, int depth)
{
	json_t *services = json_object_get(run->app->model, "services");
	json_t *service = json_object_get(services, name);
	const char *dependency;
	json_t *condition;
	long long level = 0;

	if (service == NULL)
		return cv_error_errno(ENOENT, "no such service: %s", name);
	if (json_object_get(run->selected, name) != NULL)
		return 0;
	if (depth > 1000)
		return cv_error_errno(ELOOP, "dependency chain too deep");
	json_object_foreach(json_object_get(service, "depends_on"), dependency, condition)
	{
		if (json_object_get(services, dependency) == NULL)
			continue; /* required: false, and not enabled */
		if (select_services(run, dependency, depth + 1) < 0)
			return -1;
		long long below = json_integer_value(json_object_get(run->selected, dependency));
		if (below + 1 > level)
			level = below + 1;
	}
	json_object_set_new(run->selected, name, json_integer(level));
	return 0;
}

/* The digest of a JSON value's canonical text (sorted keys, compact); the value is released. */
static int digest_of(json_t *value, char out[72])
{
	char *text;
	int ret;

	if (value == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	text = json_dumps(value, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(value);
	if (text == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	ret = cv_digest_buffer(text, strlen(text), out);
	free(text);
	return ret;
}

/*
 * Takes the replica count out of a service's copy, and the deploy mapping when
 * nothing else is left in it: a scale adds "deploy: {replicas: N}" to a
 * service that had none, which must not change its hash.
 */
static void forget_replicas(json_t *service)
{
	json_t *deploy = json_object_get(service, "deploy");

	json_object_del(deploy, "replicas");
	if (json_is_object(deploy) && json_object_size(deploy) == 0)
		json_object_del(service, "deploy");
}

/* The service's hash without its replica count: scaling keeps the replicas there (as docker compose's hash). */
int cv_compose_config_hash(json_t *service, char out[72])
{
	json_t *copy = json_deep_copy(service);

	if (copy != NULL)
		forget_replicas(copy);
	return digest_of(copy, out);
}

int cv_compose_model_hash(const struct containerv_compose *app, char out[72])
{
	json_t *copy = json_deep_copy(app->model), *service;
	const char *name;

	json_object_foreach(json_object_get(copy, "services"), name, service)
	{
		forget_replicas(service);
	}
	return digest_of(copy, out);
}

int cv_compose_make_networks(const struct containerv_compose *app, json_t *service, char ***made,
                             containerv_compose_progress_fn report, void *user)
{
	json_t *networks = json_object_get(service, "networks");
	const char *network;
	json_t *settings;

	if (json_object_get(service, "network_mode") != NULL)
		return 0;
	json_t *wanted = json_object();
	if (wanted == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	if (networks == NULL || json_object_size(networks) == 0)
		json_object_set_new(wanted, "default", json_object());
	else
		json_object_update(wanted, networks);
	json_object_foreach(wanted, network, settings)
	{
		struct containerv_network_options options = CONTAINERV_NETWORK_OPTIONS_INIT;
		/* The top-level network's ipam.config[0] (validated at load: compose-networks.c). */
		json_t *declared = json_object_get(json_object_get(app->model, "networks"), network);
		json_t *ipam = json_array_get(json_object_get(json_object_get(declared, "ipam"), "config"), 0);
		options.subnet = json_string_value(json_object_get(ipam, "subnet"));
		options.gateway = json_string_value(json_object_get(ipam, "gateway"));
		char *full = NULL;
		if (cv_asprintf(&full, "%s_%s", app->project, network) < 0) {
			json_decref(wanted);
			return -1;
		}
		if (containerv_network_create(full, &options) == 0) {
			if (report)
				report(full, "Network created", user);
			cv_strv_append(made, full);
		} else if (errno != EEXIST) {
			cv_error_prefix("network %s", full);
			free(full);
			json_decref(wanted);
			return -1;
		}
		free(full);
	}
	json_decref(wanted);
	return 0;
}

static int make_networks(struct run *run)
{
	json_t *services = json_object_get(run->app->model, "services");
	const char *name;
	json_t *level;

	json_object_foreach(run->selected, name, level)
	{
		if (cv_compose_make_networks(run->app, json_object_get(services, name), &run->made_networks,
		                             run->options->progress, run->options->user) < 0)
			return -1;
	}
	return 0;
}

/* The app's top-level volumes, made unless they exist. */
int cv_compose_make_volumes(const struct containerv_compose *app, char ***made, containerv_compose_progress_fn report,
                            void *user)
{
	json_t *volumes = json_object_get(app->model, "volumes");
	const char *name;
	json_t *settings;

	json_object_foreach(volumes, name, settings)
	{
		struct containerv_volume_options options = CONTAINERV_VOLUME_OPTIONS_INIT;
		char *full = NULL, *project_label = NULL, *volume_label = NULL;
		const char *labels[3];
		int ret;
		if (cv_asprintf(&full, "%s_%s", app->project, name) < 0 ||
		    cv_asprintf(&project_label, CV_COMPOSE_LABEL_PROJECT "=%s", app->project) < 0 ||
		    cv_asprintf(&volume_label, CV_COMPOSE_LABEL_VOLUME "=%s", name) < 0) {
			free(full);
			free(project_label);
			return -1;
		}
		labels[0] = project_label;
		labels[1] = volume_label;
		labels[2] = NULL;
		options.labels = labels;
		ret = containerv_volume_create(full, &options);
		if (ret == 0) {
			if (report)
				report(full, "Volume created", user);
			cv_strv_append(made, full);
		} else if (errno == EEXIST) {
			ret = 0;
		} else {
			cv_error_prefix("volume %s", full);
		}
		free(full);
		free(project_label);
		free(volume_label);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* The label value of KEY among "key=value" strings, or NULL. */
static const char *label_of(char **labels, const char *key)
{
	size_t length = strlen(key);

	for (size_t i = 0; labels && labels[i]; i++)
		if (strncmp(labels[i], key, length) == 0 && labels[i][length] == '=')
			return labels[i] + length + 1;
	return NULL;
}

/* An existing replica whose hash matches is kept (started when it is not running); a changed one is replaced. */
static int keep_existing(struct job *job, const struct run *run, int *kept)
{
	struct containerv_container *container = NULL;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	char **labels = NULL;

	*kept = 0;
	if (containerv_open(job->replica.name, &container) < 0)
		return errno == ENOENT ? 0 : -1;
	if (containerv_get_strings(container, CV_STRINGS_LABELS, &labels, NULL) < 0 ||
	    containerv_inspect(container, &info) < 0) {
		containerv_close(container);
		return -1;
	}
	const char *project = label_of(labels, CV_COMPOSE_LABEL_PROJECT);
	const char *hash = label_of(labels, CV_COMPOSE_LABEL_HASH);
	if (project == NULL || strcmp(project, run->app->project) != 0) {
		containerv_strings_free(labels);
		containerv_close(container);
		return cv_error_errno(EEXIST, "container name %s is in use by a container of another project",
		                      job->replica.name);
	}
	if (hash != NULL && strcmp(hash, job->replica.config_hash) == 0) {
		containerv_strings_free(labels);
		*kept = 1;
		int ret = 0;
		if (info.state != CV_STATE_RUNNING) {
			ret = containerv_start(container);
			progress(run, job->replica.name, ret == 0 ? "Started" : "Error");
		} else {
			/* Running: its supervisor may be gone (SIGKILLed); a new up adopts it. */
			ret = containerv_supervise_ensure(container);
			progress(run, job->replica.name, "Running");
		}
		containerv_close(container);
		return ret;
	}
	containerv_strings_free(labels);
	progress(run, job->replica.name, "Recreate");
	containerv_stop(container, cv_compose_stop_signal(job->replica.service),
	                cv_compose_stop_timeout(job->replica.service));
	return containerv_remove(container, CV_REMOVE_VOLUMES);
}

/* Networks after the first: connected before the start, so the workload sees them all from its first instruction. */
static int connect_other_networks(struct containerv_container *container, const struct cv_compose_replica *replica)
{
	json_t *networks = json_object_get(replica->service, "networks");
	const char *first = cv_compose_first_network(replica->service), *network;
	json_t *settings;

	json_object_foreach(networks, network, settings)
	{
		char *full = NULL;
		if (strcmp(network, first) == 0)
			continue;
		if (cv_asprintf(&full, "%s_%s", replica->app->project, network) < 0)
			return -1;
		/* The service's name and the aliases given on this network, as on the first one (set_network). */
		json_t *given = json_object_get(settings, "aliases");
		size_t count = json_array_size(given), index;
		json_t *alias;
		const char **aliases = calloc(count + 2, sizeof *aliases);
		if (aliases == NULL) {
			free(full);
			return cv_error_errno(ENOMEM, "out of memory");
		}
		aliases[0] = replica->service_name;
		json_array_foreach(given, index, alias) aliases[index + 1] = json_string_value(alias);
		int ret = containerv_network_connect_with_aliases(
		        container, full, json_string_value(json_object_get(settings, "ipv4_address")), aliases);
		free(aliases);
		free(full);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int run_job(struct job *job, const struct run *run)
{
	struct containerv_options *options = NULL;
	struct containerv_container *container = NULL;
	int kept;

	if (keep_existing(job, run, &kept) < 0)
		return -1;
	if (kept)
		return 0;
	options = job->options;
	job->options = NULL;
	int ret = containerv_create(options, &container);
	containerv_options_delete(options);
	if (ret < 0)
		return cv_error_prefix("service %s", job->replica.service_name);
	job->created = 1;
	progress(run, job->replica.name, "Created");
	if (connect_other_networks(container, &job->replica) < 0 || containerv_start(container) < 0) {
		cv_error_prefix("start %s", job->replica.name);
		containerv_close(container);
		return -1;
	}
	progress(run, job->replica.name, "Started");
	containerv_close(container);
	return 0;
}

static void *worker(void *data)
{
	struct run *run = data;

	for (;;) {
		pthread_mutex_lock(&run->lock);
		size_t i = run->next_job < run->level_end ? run->next_job++ : SIZE_MAX;
		pthread_mutex_unlock(&run->lock);
		if (i == SIZE_MAX)
			return NULL;
		struct job *job = &run->jobs[i];
		if (run_job(job, run) < 0) {
			job->failed = 1;
			cv_error_save(&job->error);
		}
	}
}

/* Runs jobs [first, end) on up to `parallel` threads (this one among them). */
static int run_level(struct run *run, size_t first, size_t end)
{
	unsigned int parallel = run->options->parallel ? run->options->parallel : PARALLEL_DEFAULT;
	pthread_t threads[PARALLEL_MAX];
	size_t started = 0;

	if (parallel > PARALLEL_MAX)
		parallel = PARALLEL_MAX;
	run->next_job = first;
	run->level_end = end;
	for (size_t i = 1; i < parallel && i < end - first; i++)
		if (pthread_create(&threads[started], NULL, worker, run) == 0)
			started++;
	worker(run);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (size_t i = first; i < end; i++)
		if (run->jobs[i].failed)
			return cv_error_restore(&run->jobs[i].error);
	return 0;
}

/* depends_on: service_completed_successfully waits for every replica to exit 0; the others for the start. */
static int wait_conditions(struct run *run, const char *name)
{
	json_t *services = json_object_get(run->app->model, "services");
	json_t *service = json_object_get(services, name);
	int timeout = run->options->wait_timeout_seconds ? run->options->wait_timeout_seconds : WAIT_TIMEOUT_DEFAULT;
	const char *dependency;
	json_t *settings;

	json_object_foreach(json_object_get(service, "depends_on"), dependency, settings)
	{
		const char *condition = json_string_value(json_object_get(settings, "condition"));
		json_t *target = json_object_get(services, dependency);
		if (target != NULL && strcmp(condition, "service_healthy") == 0) {
			if (cv_compose_wait_healthy(run->app->project, name, dependency, target, timeout) < 0)
				return -1;
			continue;
		}
		if (target == NULL || strcmp(condition, "service_completed_successfully") != 0)
			continue;
		for (int number = 1; number <= replicas_of(target); number++) {
			struct containerv_container *container = NULL;
			struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
			char replica[256];
			int64_t deadline = cv_monotonic_ns() + (int64_t)timeout * 1000000000LL;
			snprintf(replica, sizeof replica, "%s-%s-%d", run->app->project, dependency, number);
			if (containerv_open(replica, &container) < 0)
				return cv_error_prefix("%s depends on %s", name, dependency);
			progress(run, replica, "Waiting");
			while (containerv_inspect(container, &info) == 0 && info.state == CV_STATE_RUNNING &&
			       cv_monotonic_ns() < deadline) {
				struct timespec pause = {0, 50 * 1000000};
				nanosleep(&pause, NULL);
			}
			containerv_close(container);
			if (info.state == CV_STATE_RUNNING)
				return cv_error_code(CONTAINERV_E_TIMEOUT, ETIMEDOUT,
				                     "%s depends on %s: %s did not complete within %d s", name,
				                     dependency, replica, timeout);
			if (info.state != CV_STATE_EXITED || info.exit.code != 0)
				return cv_error_errno(ECHILD, "%s depends on %s: %s exited with code %d", name,
				                      dependency, replica, info.exit.code);
			progress(run, replica, "Exited");
		}
	}
	return 0;
}

/* The jobs of one level, appended in start order. */
static int add_jobs(struct run *run, long long level)
{
	json_t *services = json_object_get(run->app->model, "services");

	for (size_t i = 0; run->app->service_order[i]; i++) {
		const char *name = run->app->service_order[i];
		json_t *selected = json_object_get(run->selected, name);
		if (selected == NULL || json_integer_value(selected) != level)
			continue;
		json_t *service = json_object_get(services, name);
		for (int number = 1; number <= replicas_of(service); number++) {
			struct job *grown = realloc(run->jobs, (run->job_count + 1) * sizeof *grown);
			if (grown == NULL)
				return cv_error_errno(ENOMEM, "out of memory");
			run->jobs = grown;
			struct job *job = &run->jobs[run->job_count++];
			memset(job, 0, sizeof *job);
			job->level = level;
			job->replica.app = run->app;
			job->replica.service_name = name;
			job->replica.service = service;
			job->replica.number = number;
			job->replica.config_files = run->config_files;
			job->replica.rootfs_search_path = run->options->rootfs_search_path;
			const char *container_name = json_string_value(json_object_get(service, "container_name"));
			if (container_name)
				snprintf(job->replica.name, sizeof job->replica.name, "%s", container_name);
			else
				snprintf(job->replica.name, sizeof job->replica.name, "%s-%s-%d", run->app->project,
				         name, number);
			if (cv_compose_config_hash(service, job->replica.config_hash) < 0)
				return -1;
		}
	}
	return 0;
}

/* Replicas above the service's count (scaled down since the last up) are drained and removed. */
static int remove_surplus(struct run *run)
{
	json_t *services = json_object_get(run->app->model, "services");
	const char *name;
	json_t *level;

	json_object_foreach(run->selected, name, level)
	{
		json_t *service = json_object_get(services, name);
		char **surplus = NULL;
		for (int number = replicas_of(service) + 1;; number++) {
			struct containerv_container *container = NULL;
			char replica[256];
			snprintf(replica, sizeof replica, "%s-%s-%d", run->app->project, name, number);
			if (containerv_open(replica, &container) < 0)
				break;
			containerv_close(container);
			if (cv_strv_append(&surplus, replica) < 0) {
				cv_strv_free(surplus);
				return -1;
			}
		}
		int ret = cv_compose_remove_replicas(run->app, service, surplus, run->options->progress,
		                                     run->options->user);
		cv_strv_free(surplus);
		if (ret < 0)
			return -1;
	}
	cv_error_clear();
	return 0;
}

static void undo(struct run *run)
{
	struct cv_error_saved saved;

	cv_error_save(&saved);
	for (size_t i = run->job_count; i-- > 0;) {
		struct containerv_container *container = NULL;
		if (!run->jobs[i].created || containerv_open(run->jobs[i].replica.name, &container) < 0)
			continue;
		containerv_stop(container, SIGKILL, 0);
		containerv_remove(container, CV_REMOVE_VOLUMES);
	}
	for (size_t i = 0; run->made_networks && run->made_networks[i]; i++)
		containerv_network_remove(run->made_networks[i]);
	for (size_t i = 0; run->made_volumes && run->made_volumes[i]; i++)
		containerv_volume_remove(run->made_volumes[i], 1);
	cv_error_restore(&saved);
}

int containerv_compose_up(const struct containerv_compose *app, const struct containerv_compose_up_options *options)
{
	return cv_compose_up(app, options, true);
}

int cv_compose_up(const struct containerv_compose *app, const struct containerv_compose_up_options *options,
                  bool resume_autoscale)
{
	struct containerv_compose_up_options defaults = CONTAINERV_COMPOSE_UP_OPTIONS_INIT;
	struct run run = {.app = app, .options = options ? options : &defaults};
	long long levels = 0;
	int ret = -1;

	cv_error_clear();
	if (app == NULL || run.options->version != CONTAINERV_COMPOSE_UP_OPTIONS_VERSION)
		return cv_error_errno(EINVAL, "compose up: no app or an unknown options version");
	pthread_mutex_init(&run.lock, NULL);
	run.selected = json_object();
	run.config_files = cv_strv_join(app->config_files, ",");
	if (run.selected == NULL || run.config_files == NULL)
		goto done;
	for (size_t i = 0; run.options->services ? run.options->services[i] != NULL : app->service_order[i] != NULL;
	     i++)
		if (select_services(&run, run.options->services ? run.options->services[i] : app->service_order[i], 0) <
		    0)
			goto done;
	const char *name;
	json_t *level;
	json_object_foreach(run.selected, name, level) if (json_integer_value(level) + 1 > levels) levels =
	        json_integer_value(level) + 1;
	/* Every replica's options first (images looked up or pulled, every value parsed): an error here
	 * leaves nothing made. */
	for (long long current = 0; current < levels; current++)
		if (add_jobs(&run, current) < 0)
			goto done;
	for (size_t i = 0; i < run.job_count; i++)
		if (cv_compose_replica_options(&run.jobs[i].replica, &run.jobs[i].options) < 0)
			goto done;
	if (make_networks(&run) < 0 ||
	    cv_compose_make_volumes(app, &run.made_volumes, run.options->progress, run.options->user) < 0)
		goto fail;
	for (size_t first = 0; first < run.job_count;) {
		size_t end = first;
		while (end < run.job_count && run.jobs[end].level == run.jobs[first].level)
			end++;
		json_object_foreach(run.selected, name, level)
		{
			if (json_integer_value(level) == run.jobs[first].level && wait_conditions(&run, name) < 0)
				goto fail;
		}
		if (run_level(&run, first, end) < 0)
			goto fail;
		first = end;
	}
	/* up is where a paused autoscaling (a manual scale) resumes, from the count up made. */
	json_object_foreach(run.selected, name, level)
	{
		if (resume_autoscale)
			cv_compose_autoscale_resume(app->project, name);
	}
	/* The balancer last: it serves the replicas just started (a port it cannot take fails the up). */
	if (remove_surplus(&run) < 0 || cv_compose_lb_up(app, run.options->progress, run.options->user) < 0)
		goto fail;
	ret = 0;
	goto done;
fail:
	undo(&run);
done:
	for (size_t i = 0; i < run.job_count; i++)
		containerv_options_delete(run.jobs[i].options);
	json_decref(run.selected);
	free(run.config_files);
	free(run.jobs);
	cv_strv_free(run.made_networks);
	cv_strv_free(run.made_volumes);
	pthread_mutex_destroy(&run.lock);
	return ret;
}
