/*
 * containerv compose: docker compose v2's verbs over the library's app model
 * (chef/containerv/orchestration.h). The global flags (-f, -p, --profile,
 * --project-directory) come before the verb, as docker compose's do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "compose-balancer.h"
#include "compose-cli.h"
#include "supervise-flags.h"
#include "flags.h"
#include "output.h"
#include "rootfs-path.h"

static struct {
	struct string_list files;
	struct string_list profiles;
	const char *project;
	const char *project_directory;
} global;

static void print_warning(const char *message, void *user)
{
	(void)user;
	fprintf(stderr, "containerv: WARNING: %s\n", message);
}

void compose_print_progress(const char *resource, const char *status, void *user)
{
	(void)user;
	fprintf(stderr, " %s  %s\n", resource, status);
}

int compose_load_app(struct containerv_compose **app)
{
	struct containerv_compose_options options = CONTAINERV_COMPOSE_OPTIONS_INIT;

	options.files = global.files.count ? global.files.items : NULL;
	options.profiles = global.profiles.count ? global.profiles.items : NULL;
	options.project_name = global.project;
	options.working_directory = global.project_directory;
	options.warn = print_warning;
	if (containerv_compose_load(&options, app) < 0)
		return cli_fail_library(EXIT_CLI_ERROR, NULL);
	return 0;
}

/* The project for commands that work without a file (ps, logs, down): -p, else the file's. */
int compose_project_name(struct containerv_compose **app, const char **project)
{
	if (global.project != NULL && global.files.count == 0) {
		*project = global.project;
		struct containerv_compose_options options = CONTAINERV_COMPOSE_OPTIONS_INIT;
		options.project_name = global.project;
		options.working_directory = global.project_directory;
		options.profiles = global.profiles.count ? global.profiles.items : NULL;
		/* With -p alone the file is optional (docker compose -p P down works anywhere). */
		if (containerv_compose_load(&options, app) < 0)
			*app = NULL;
		return 0;
	}
	if (compose_load_app(app) != 0)
		return -1;
	*project = containerv_compose_project(*app);
	return 0;
}

static int compose_config(int argc, char **argv)
{
	static int services, quiet;
	static const struct flag table[] = {
	        {"services", 0, FLAG_BOOL, &services, NULL, "Print the service names, one per line"},
	        {"quiet", 'q', FLAG_BOOL, &quiet, NULL, "Only validate the configuration, don't print anything"},
	        FLAG_END,
	};
	static const struct command_spec spec = {"compose config",
	                                         "[OPTIONS]",
	                                         "Parse, resolve and render the compose file in canonical format",
	                                         table,
	                                         false,
	                                         0,
	                                         0,
	                                         NULL};
	struct arguments positional;
	struct containerv_compose *app = NULL;
	char *yaml = NULL;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	free(positional.items);
	if (compose_load_app(&app) != 0)
		return EXIT_CLI_ERROR;
	if (services) {
		for (size_t i = 0; i < containerv_compose_service_count(app); i++)
			printf("%s\n", containerv_compose_service_name(app, i));
	} else if (!quiet) {
		if (containerv_compose_config(app, &yaml) < 0) {
			containerv_compose_free(app);
			return cli_fail_library(EXIT_CLI_ERROR, NULL);
		}
		fputs(yaml, stdout);
		free(yaml);
	}
	containerv_compose_free(app);
	return 0;
}

static int compose_up(int argc, char **argv)
{
	static int detach, wait;
	static const char *timeout;
	static const struct flag table[] = {
	        {"detach", 'd', FLAG_BOOL, &detach, NULL, "Detached mode: run containers in the background"},
	        {"wait", 0, FLAG_BOOL, &wait, NULL, "Wait for services to be running|healthy. Implies detached mode."},
	        {"wait-timeout", 0, FLAG_STRING, &timeout, "seconds",
	         "Maximum duration to wait for depends_on conditions"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "compose up", "[OPTIONS] [SERVICE...]", "Create and start containers", table, false, 0, 0, NULL};
	struct containerv_compose_up_options options = CONTAINERV_COMPOSE_UP_OPTIONS_INIT;
	struct arguments positional;
	struct containerv_compose *app = NULL;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);
	int64_t seconds = 0;

	if (code >= 0)
		return code;
	if (!detach && !wait) {
		free(positional.items);
		return cli_fail(EXIT_CLI_ERROR, "compose up: only detached mode (-d) is supported yet");
	}
	if (timeout != NULL && (cli_parse_int64(timeout, &seconds) < 0 || seconds < 1 || seconds > 86400)) {
		free(positional.items);
		return cli_fail(EXIT_CLI_ERROR, "invalid --wait-timeout %s: expected seconds from 1 to 86400", timeout);
	}
	if (compose_load_app(&app) != 0) {
		free(positional.items);
		return EXIT_CLI_ERROR;
	}
	char **services = xmalloc((positional.count + 1) * sizeof *services);
	for (size_t i = 0; i < positional.count; i++)
		services[i] = positional.items[i];
	services[positional.count] = NULL;
	options.services = positional.count ? (const char *const *)services : NULL;
	options.wait_timeout_seconds = (int)seconds;
	options.rootfs_search_path = cli_rootfs_search_path();
	options.progress = compose_print_progress;
	code = containerv_compose_up(app, &options) < 0 ? cli_fail_library(EXIT_CLI_ERROR, NULL) : 0;
	if (code == 0 && wait && containerv_compose_wait(app, options.services, (int)seconds) < 0)
		code = cli_fail_library(EXIT_CLI_ERROR, "compose up --wait");
	free(services);
	free(positional.items);
	containerv_compose_free(app);
	return code;
}

/* A command without SERVICE arguments: its flags, then its project. -1 then, else the exit code to return. */
static int parse_project_command(const struct command_spec *spec, int argc, char **argv,
                                 struct containerv_compose **app, const char **project)
{
	struct arguments positional;
	int code = flags_parse_or_exit(spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	free(positional.items);
	return compose_project_name(app, project) < 0 ? EXIT_CLI_ERROR : -1;
}

static int compose_down(int argc, char **argv)
{
	static int volumes, orphans;
	static const struct flag table[] = {
	        {"volumes", 'v', FLAG_BOOL, &volumes, NULL,
	         "Remove named volumes declared in the volumes section and anonymous volumes"},
	        {"remove-orphans", 0, FLAG_BOOL, &orphans, NULL,
	         "Remove containers for services not defined in the Compose file"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "compose down", "[OPTIONS]", "Stop and remove containers, networks", table, false, 0, 0, NULL};
	struct containerv_compose *app = NULL;
	const char *project;
	int code = parse_project_command(&spec, argc, argv, &app, &project);

	if (code >= 0)
		return code;
	unsigned int flags = (volumes ? CV_COMPOSE_DOWN_VOLUMES : 0) | (orphans ? CV_COMPOSE_DOWN_ORPHANS : 0);
	code = containerv_compose_down(app, project, flags, compose_print_progress, NULL) < 0
	               ? cli_fail_library(EXIT_CLI_ERROR, NULL)
	               : 0;
	containerv_compose_free(app);
	return code;
}

struct ps_state {
	int json;
	int all;
	int quiet;
	int services_only;
	struct string_list status;
	struct arguments services;
	json_t *array;
	json_t *seen;      /* --services: the names printed */
	json_t *autoscale; /* service -> its autoscaling ("Autoscale" in --format json), from the balancer */
};

/* The autoscaled services' state, in docker's JSON casing: ps shows it only where autoscale is set. */
static int ps_gather_autoscale(const struct containerv_compose_autoscale_status *status, void *user)
{
	json_t *autoscale = user;

	json_object_set_new(autoscale, status->service,
	                    json_pack("{s:i,s:i,s:i,s:i,s:f,s:f,s:b,s:b,s:I,s:s}", "Replicas", (int)status->replicas,
	                              "Wanted", (int)status->wanted, "Min", (int)status->min, "Max", (int)status->max,
	                              "CpuPercent", status->cpu_percent, "MemoryPercent", status->memory_percent,
	                              "Paused", status->paused, "Scaling", status->scaling, "Changes",
	                              (json_int_t)status->changes, "Error", status->error));
	return 0;
}

/* The table's AUTOSCALE cell: "2 in 1-3, cpu 45%, scaling to 3", "-" for a service without autoscale. */
static void ps_autoscale_cell(json_t *autoscale, char *cell, size_t size)
{
	int used;
	double cpu = json_real_value(json_object_get(autoscale, "CpuPercent"));
	double memory = json_real_value(json_object_get(autoscale, "MemoryPercent"));
	int wanted = (int)json_integer_value(json_object_get(autoscale, "Wanted"));

	if (autoscale == NULL) {
		snprintf(cell, size, "-");
		return;
	}
	used = snprintf(cell, size, "%d in %d-%d", (int)json_integer_value(json_object_get(autoscale, "Replicas")),
	                (int)json_integer_value(json_object_get(autoscale, "Min")),
	                (int)json_integer_value(json_object_get(autoscale, "Max")));
	if (cpu >= 0 && used >= 0 && (size_t)used < size)
		used += snprintf(cell + used, size - (size_t)used, ", cpu %.0f%%", cpu);
	if (memory >= 0 && used >= 0 && (size_t)used < size)
		used += snprintf(cell + used, size - (size_t)used, ", mem %.0f%%", memory);
	if (json_is_true(json_object_get(autoscale, "Scaling")) && used >= 0 && (size_t)used < size)
		used += snprintf(cell + used, size - (size_t)used, ", scaling to %d", wanted);
	if (json_is_true(json_object_get(autoscale, "Paused")) && used >= 0 && (size_t)used < size)
		snprintf(cell + used, size - (size_t)used, ", paused");
}

/* docker's state words: "paused" for a running container whose processes are frozen. */
static const char *ps_state_name(const struct containerv_compose_container *container)
{
	if (container->state == CV_STATE_RUNNING && container->paused)
		return "paused";
	return cli_state_name((enum containerv_state)container->state);
}

static bool listed(const struct string_list *list, const char *word)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i], word) == 0)
			return true;
	return list->count == 0;
}

static int ps_one(const struct containerv_compose_container *container, void *user)
{
	struct ps_state *state = user;
	const char *status = ps_state_name(container);
	char exited[64] = "";
	struct string_list services = {(const char **)state->services.items, state->services.count};

	if (!state->all && state->status.count == 0 && container->state == CV_STATE_EXITED)
		return 0;
	if (!listed(&state->status, status) || !listed(&services, container->service))
		return 0;
	if (state->services_only) {
		if (json_object_get(state->seen, container->service) == NULL)
			printf("%s\n", container->service);
		json_object_set_new(state->seen, container->service, json_true());
		return 0;
	}
	if (state->quiet) {
		printf("%s\n", container->id);
		return 0;
	}
	if (container->state == CV_STATE_EXITED)
		snprintf(exited, sizeof exited, "exited (%d)", container->exit_code);
	json_t *autoscale = json_object_get(state->autoscale, container->service);
	if (state->json) {
		json_t *entry = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i}", "ID", container->id, "Name",
		                          container->name, "Service", container->service, "Project", container->project,
		                          "State", status, "Status", exited[0] ? exited : status, "ExitCode",
		                          container->exit_code, "Number", container->number);
		if (entry != NULL && autoscale != NULL)
			json_object_set(entry, "Autoscale", autoscale);
		json_array_append_new(state->array, entry);
	} else if (json_object_size(state->autoscale) > 0) {
		char cell[128];
		ps_autoscale_cell(autoscale, cell, sizeof cell);
		printf("%-30s %-20s %-20s %s\n", container->name, container->service, exited[0] ? exited : status,
		       cell);
	} else {
		printf("%-30s %-20s %s\n", container->name, container->service, exited[0] ? exited : status);
	}
	return 0;
}

static int compose_ps(int argc, char **argv)
{
	static struct ps_state state;
	static const char *format;
	static const struct flag table[] = {
	        {"all", 'a', FLAG_BOOL, &state.all, NULL, "Show all stopped containers"},
	        {"format", 0, FLAG_STRING, &format, "string", "table or json"},
	        {"quiet", 'q', FLAG_BOOL, &state.quiet, NULL, "Only display IDs"},
	        {"services", 0, FLAG_BOOL, &state.services_only, NULL, "Display services"},
	        {"status", 0, FLAG_LIST, &state.status, "stringArray",
	         "Filter services by status: paused, running, created, exited"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "compose ps", "[OPTIONS] [SERVICE...]", "List containers", table, false, 0, 0, NULL};
	struct containerv_compose *app = NULL;
	const char *project;
	int code = flags_parse_or_exit(&spec, argc, argv, &state.services);

	if (code >= 0)
		return code;
	if (format != NULL && strcmp(format, "json") != 0 && strcmp(format, "table") != 0) {
		free(state.services.items);
		return cli_fail(EXIT_CLI_ERROR, "invalid --format %s: table or json", format);
	}
	for (size_t i = 0; i < state.status.count; i++) {
		static const char *const known[] = {"paused", "restarting", "removing", "running",
		                                    "dead",   "created",    "exited"};
		bool valid = false;
		for (size_t k = 0; k < sizeof known / sizeof *known; k++)
			valid = valid || strcmp(known[k], state.status.items[i]) == 0;
		if (!valid) {
			free(state.services.items);
			return cli_fail(EXIT_CLI_ERROR,
			                "invalid --status %s: paused, restarting, removing, running, dead, "
			                "created or exited",
			                state.status.items[i]);
		}
	}
	if (compose_project_name(&app, &project) < 0) {
		free(state.services.items);
		return EXIT_CLI_ERROR;
	}
	for (size_t i = 0; app != NULL && i < state.services.count; i++) {
		bool known = false;
		for (size_t k = 0; k < containerv_compose_service_count(app); k++)
			known = known || strcmp(containerv_compose_service_name(app, k), state.services.items[i]) == 0;
		if (!known) {
			code = cli_fail(EXIT_CLI_ERROR, "no such service: %s", state.services.items[i]);
			goto done;
		}
	}
	state.json = format != NULL && strcmp(format, "json") == 0;
	state.array = json_array();
	state.seen = json_object();
	state.autoscale = json_object();
	if (containerv_compose_autoscale_status(project, ps_gather_autoscale, state.autoscale) < 0)
		json_object_clear(state.autoscale); /* no balancer process: nothing autoscales */
	if (!state.json && !state.quiet && !state.services_only && json_object_size(state.autoscale) > 0)
		printf("%-30s %-20s %-20s %s\n", "NAME", "SERVICE", "STATUS", "AUTOSCALE");
	else if (!state.json && !state.quiet && !state.services_only)
		printf("%-30s %-20s %s\n", "NAME", "SERVICE", "STATUS");
	code = containerv_compose_list(project, ps_one, &state) < 0 ? cli_fail_library(EXIT_CLI_ERROR, NULL) : 0;
	if (code == 0 && !state.json && !state.quiet && !state.services_only)
		compose_print_balancers(project);
	if (code == 0 && state.json && !state.quiet && !state.services_only) {
		char *text = json_dumps(state.array, JSON_COMPACT);
		printf("%s\n", text ? text : "[]");
		free(text);
	}
	json_decref(state.array);
	json_decref(state.seen);
	json_decref(state.autoscale);
	state.autoscale = NULL;
done:
	free(state.services.items);
	containerv_compose_free(app);
	return code;
}

/* compose logs: one follower per container; lines are printed whole, under one lock, prefixed. */
struct logs_state {
	struct arguments services;
	struct containerv_logs_options options;
	bool prefix;
	bool colour;
	bool timestamps;
	const char *project;
	json_t *colours; /* service -> its colour's index, in order of appearance */
	size_t width;    /* the widest prefix: the bars line up, as docker compose's */
	pthread_mutex_t lock;
	int failed;
};

struct follower {
	struct logs_state *state;
	char id[65];
	char prefix[300];
	int colour;
	char *pending[3]; /* a partial line per stream, printed once whole */
	size_t pending_length[3];
	pthread_t thread;
};

/* docker compose's palette: cyan, yellow, green, magenta, blue, then their bright forms. */
static const char *const palette[] = {"36", "33", "32", "35", "34", "96", "93", "92", "95", "94"};

static void print_line(struct follower *follower, const struct containerv_log_entry *entry, const char *data,
                       size_t length)
{
	struct logs_state *state = follower->state;
	FILE *out = entry->stream == CONTAINERV_LOG_STDERR ? stderr : stdout;

	pthread_mutex_lock(&state->lock);
	if (state->prefix) {
		if (state->colour)
			fprintf(out, "\033[%sm%-*s |\033[0m ", palette[follower->colour], (int)state->width + 1,
			        follower->prefix);
		else
			fprintf(out, "%-*s | ", (int)state->width + 1, follower->prefix);
	}
	if (state->timestamps) {
		char time[32];
		containerv_logs_format_time(entry->time_ns, time);
		fprintf(out, "%s ", time);
	}
	fwrite(data, 1, length, out);
	fputc('\n', out);
	fflush(out);
	pthread_mutex_unlock(&state->lock);
}

static int follow_entry(const struct containerv_log_entry *entry, void *user)
{
	struct follower *follower = user;
	int stream = entry->stream & 3;

	if (!entry->partial && follower->pending[stream] == NULL) {
		print_line(follower, entry, entry->data, entry->length);
		return 0;
	}
	/* A long line comes in pieces: kept until its end, so that no other container's line cuts into it. */
	char *grown = realloc(follower->pending[stream], follower->pending_length[stream] + entry->length + 1);
	if (grown == NULL)
		return -1;
	memcpy(grown + follower->pending_length[stream], entry->data, entry->length);
	follower->pending[stream] = grown;
	follower->pending_length[stream] += entry->length;
	if (!entry->partial) {
		print_line(follower, entry, follower->pending[stream], follower->pending_length[stream]);
		free(follower->pending[stream]);
		follower->pending[stream] = NULL;
		follower->pending_length[stream] = 0;
	}
	return 0;
}

static void *follow(void *data)
{
	struct follower *follower = data;
	struct containerv_container *container = NULL;

	if (containerv_open(follower->id, &container) < 0)
		return NULL; /* removed meanwhile */
	if (containerv_logs_read(container, &follower->state->options, follow_entry, follower) < 0) {
		pthread_mutex_lock(&follower->state->lock);
		cli_fail_library(-1, "logs %s", follower->prefix);
		follower->state->failed = 1;
		pthread_mutex_unlock(&follower->state->lock);
	}
	containerv_close(container);
	for (int i = 0; i < 3; i++)
		free(follower->pending[i]);
	return NULL;
}

struct follower_list {
	struct logs_state *state;
	struct follower *items;
	size_t count;
};

static int add_follower(const struct containerv_compose_container *found, void *user)
{
	struct follower_list *list = user;
	struct logs_state *state = list->state;
	struct string_list services = {(const char **)state->services.items, state->services.count};
	size_t project_length = strlen(state->project);

	if (!listed(&services, found->service))
		return 0;
	list->items = xrealloc(list->items, (list->count + 1) * sizeof *list->items);
	struct follower *follower = &list->items[list->count++];
	memset(follower, 0, sizeof *follower);
	follower->state = state;
	snprintf(follower->id, sizeof follower->id, "%s", found->id);
	/* "web-1": the name without "<project>-", as docker compose shows it (a container_name stays whole). */
	const char *shown =
	        strncmp(found->name, state->project, project_length) == 0 && found->name[project_length] == '-'
	                ? found->name + project_length + 1
	                : found->name;
	snprintf(follower->prefix, sizeof follower->prefix, "%s", shown);
	if (strlen(follower->prefix) > state->width)
		state->width = strlen(follower->prefix);
	json_t *colour = json_object_get(state->colours, found->service);
	if (colour == NULL) {
		colour = json_integer(
		        (json_int_t)(json_object_size(state->colours) % (sizeof palette / sizeof *palette)));
		json_object_set_new(state->colours, found->service, colour);
	}
	follower->colour = (int)json_integer_value(colour);
	return 0;
}

static int compose_logs(int argc, char **argv)
{
	static int follow_flag, no_colour, no_prefix, timestamps;
	static const char *tail, *since, *until;
	static const struct flag table[] = {
	        {"follow", 'f', FLAG_BOOL, &follow_flag, NULL, "Follow log output"},
	        {"no-color", 0, FLAG_BOOL, &no_colour, NULL, "Produce monochrome output"},
	        {"no-log-prefix", 0, FLAG_BOOL, &no_prefix, NULL, "Don't print prefix in logs"},
	        {"timestamps", 't', FLAG_BOOL, &timestamps, NULL, "Show timestamps"},
	        {"tail", 'n', FLAG_STRING, &tail, "string",
	         "Number of lines to show from the end of the logs ("
	         "all: every line)"},
	        {"since", 0, FLAG_STRING, &since, "string", "Show logs since timestamp or relative (42m)"},
	        {"until", 0, FLAG_STRING, &until, "string", "Show logs before a timestamp or relative (42m)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "compose logs", "[OPTIONS] [SERVICE...]", "View output from containers", table, false, 0, 0, NULL};
	struct logs_state state = {.options = CONTAINERV_LOGS_OPTIONS_INIT};
	struct follower_list list = {.state = &state};
	struct containerv_compose *app = NULL;
	const char *project;
	int64_t now = (int64_t)time(NULL) * 1000000000LL;
	int code = flags_parse_or_exit(&spec, argc, argv, &state.services);

	if (code >= 0)
		return code;
	if (tail != NULL && strcmp(tail, "all") != 0 && cli_parse_int64(tail, &state.options.tail) < 0)
		code = cli_fail(EXIT_CLI_ERROR, "invalid --tail %s: a number of lines or all", tail);
	else if (since != NULL && containerv_logs_parse_time(since, now, &state.options.since_ns) < 0)
		code = cli_fail(EXIT_CLI_ERROR, "invalid --since %s", since);
	else if (until != NULL && containerv_logs_parse_time(until, now, &state.options.until_ns) < 0)
		code = cli_fail(EXIT_CLI_ERROR, "invalid --until %s", until);
	if (code >= 0 || compose_project_name(&app, &project) < 0) {
		free(state.services.items);
		return code >= 0 ? code : EXIT_CLI_ERROR;
	}
	state.options.follow = follow_flag;
	state.prefix = !no_prefix;
	state.colour = !no_colour && isatty(STDOUT_FILENO);
	state.timestamps = timestamps;
	state.project = project;
	state.colours = json_object();
	pthread_mutex_init(&state.lock, NULL);
	code = containerv_compose_list(project, add_follower, &list) < 0 ? cli_fail_library(EXIT_CLI_ERROR, NULL) : 0;
	/* Without -f one after the other (each container's log whole); with -f all at once until they end. */
	for (size_t i = 0; code == 0 && i < list.count; i++) {
		if (!follow_flag || pthread_create(&list.items[i].thread, NULL, follow, &list.items[i]) != 0) {
			follow(&list.items[i]);
			list.items[i].thread = 0;
		}
	}
	for (size_t i = 0; code == 0 && i < list.count; i++)
		if (list.items[i].thread)
			pthread_join(list.items[i].thread, NULL);
	pthread_mutex_destroy(&state.lock);
	json_decref(state.colours);
	free(list.items);
	free(state.services.items);
	containerv_compose_free(app);
	return code ? code : state.failed ? EXIT_CONTAINER_FAILURE : 0;
}

struct ls_state {
	json_t *projects; /* name -> {running, total, files} */
	int json;
};

static int ls_one(const struct containerv_compose_container *container, void *user)
{
	struct ls_state *state = user;
	json_t *project = json_object_get(state->projects, container->project);

	if (project == NULL) {
		project = json_pack("{s:i,s:i,s:s}", "running", 0, "total", 0, "files", container->config_files);
		json_object_set_new(state->projects, container->project, project);
	}
	json_object_set_new(project, "total", json_integer(json_integer_value(json_object_get(project, "total")) + 1));
	if (container->state == CV_STATE_RUNNING)
		json_object_set_new(project, "running",
		                    json_integer(json_integer_value(json_object_get(project, "running")) + 1));
	return 0;
}

static int compose_ls(int argc, char **argv)
{
	static const char *format;
	static const struct flag table[] = {
	        {"format", 0, FLAG_STRING, &format, "string", "table or json"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "compose ls", "[OPTIONS]", "List running compose projects", table, false, 0, 0, NULL};
	struct ls_state state = {.projects = json_object()};
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);
	const char *name;
	json_t *project;

	if (code >= 0)
		return code;
	free(positional.items);
	state.json = format != NULL && strcmp(format, "json") == 0;
	if (containerv_compose_list(NULL, ls_one, &state) < 0) {
		json_decref(state.projects);
		return cli_fail_library(EXIT_CLI_ERROR, NULL);
	}
	json_t *array = json_array();
	if (!state.json)
		printf("%-24s %-16s %s\n", "NAME", "STATUS", "CONFIG FILES");
	json_object_foreach(state.projects, name, project)
	{
		char status[64];
		long long running = json_integer_value(json_object_get(project, "running"));
		long long total = json_integer_value(json_object_get(project, "total"));
		if (running == total)
			snprintf(status, sizeof status, "running(%lld)", running);
		else
			snprintf(status, sizeof status, "running(%lld), exited(%lld)", running, total - running);
		const char *files = json_string_value(json_object_get(project, "files"));
		if (state.json)
			json_array_append_new(array, json_pack("{s:s,s:s,s:s}", "Name", name, "Status", status,
			                                       "ConfigFiles", files));
		else
			printf("%-24s %-16s %s\n", name, status, files);
	}
	if (state.json) {
		char *text = json_dumps(array, JSON_COMPACT);
		printf("%s\n", text ? text : "[]");
		free(text);
	}
	json_decref(array);
	json_decref(state.projects);
	return 0;
}

/* The state root's events journal (events.c), this project's only; followed until interrupted. */
static int compose_events(int argc, char **argv)
{
	static int json;
	static const struct flag table[] = {
	        {"json", 0, FLAG_BOOL, &json, NULL, "Output events as a stream of json objects"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "compose events", "[OPTIONS]", "Receive real time events from containers", table, false, 0, 0, NULL};
	static struct string_list no_filters;
	struct containerv_compose *app = NULL;
	const char *project;
	int code = parse_project_command(&spec, argc, argv, &app, &project);

	if (code >= 0)
		return code;
	code = cli_events_run(NULL, NULL, &no_filters, NULL, project, json);
	containerv_compose_free(app);
	return code;
}

static const struct subcommand compose_commands[] = {
        {"config", compose_config, "Parse, resolve and render the compose file in canonical format"},
        {"up", compose_up, "Create and start containers (-d)"},
        {"down", compose_down, "Stop and remove containers, networks (and volumes with -v)"},
        {"ps", compose_ps, "List containers"},
        {"logs", compose_logs, "View output from containers"},
        {"ls", compose_ls, "List running compose projects"},
        {"start", compose_start, "Start services"},
        {"stop", compose_stop, "Stop services"},
        {"restart", compose_restart, "Restart service containers"},
        {"pause", compose_pause, "Pause services"},
        {"unpause", compose_unpause, "Unpause services"},
        {"kill", compose_kill, "Force stop service containers"},
        {"rm", compose_rm, "Removes stopped service containers"},
        {"exec", compose_exec, "Execute a command in a running container"},
        {"run", compose_run, "Run a one-off command on a service"},
        {"scale", compose_scale, "Scale services"},
        {"top", compose_top, "Display the running processes"},
        {"images", compose_images, "List images used by the created containers"},
        {"pull", compose_pull, "Pull service images"},
        {"port", compose_port, "Print the public port for a port binding"},
        {"events", compose_events, "Receive real time events from containers"},
};

static int global_value(int argc, char **argv, int *i, const char *long_name, char short_name, const char **value)
{
	const char *word = argv[*i];
	size_t length = strlen(long_name);

	if (strncmp(word, "--", 2) == 0 && strncmp(word + 2, long_name, length) == 0) {
		if (word[2 + length] == '=') {
			*value = word + 3 + length;
			return 1;
		}
		if (word[2 + length] != '\0')
			return 0;
	} else if (!(short_name && word[0] == '-' && word[1] == short_name && word[2] == '\0')) {
		return 0;
	}
	if (*i + 1 >= argc)
		return -1;
	*value = argv[++*i];
	return 1;
}

int cmd_compose(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--help") != 0 && strcmp(argv[i], "-h") != 0;
	     i++) {
		const char *value = NULL;
		int found;
		if ((found = global_value(argc, argv, &i, "file", 'f', &value)) != 0) {
			if (found < 0)
				return cli_fail(EXIT_CLI_ERROR, "compose: -f needs a file");
			string_list_add(&global.files, value);
		} else if ((found = global_value(argc, argv, &i, "project-name", 'p', &value)) != 0) {
			if (found < 0)
				return cli_fail(EXIT_CLI_ERROR, "compose: -p needs a project name");
			global.project = value;
		} else if ((found = global_value(argc, argv, &i, "profile", 0, &value)) != 0) {
			if (found < 0)
				return cli_fail(EXIT_CLI_ERROR, "compose: --profile needs a name");
			string_list_add(&global.profiles, value);
		} else if ((found = global_value(argc, argv, &i, "project-directory", 0, &value)) != 0) {
			if (found < 0)
				return cli_fail(EXIT_CLI_ERROR, "compose: --project-directory needs a directory");
			global.project_directory = value;
		} else {
			return cli_fail(EXIT_CLI_ERROR, "compose: unknown flag: %s (see 'containerv compose --help')",
			                argv[i]);
		}
	}
	argv[i - 1] = argv[0];
	return subcommand_dispatch("compose",
	                           "Define and run multi-container applications (global flags: -f FILE, -p PROJECT, "
	                           "--profile NAME, --project-directory DIR)",
	                           compose_commands, sizeof compose_commands / sizeof *compose_commands, argc - i + 1,
	                           argv + i - 1);
}
