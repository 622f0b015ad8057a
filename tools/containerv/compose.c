/*
 * containerv compose: docker compose v2's verbs over the library's app model
 * (chef/containerv/orchestration.h). The global flags (-f, -p, --profile,
 * --project-directory) come before the verb, as docker compose's do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
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

static void print_progress(const char *resource, const char *status, void *user)
{
	(void)user;
	fprintf(stderr, " %s  %s\n", resource, status);
}

static int load_app(struct containerv_compose **app)
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
static int project_name(struct containerv_compose **app, const char **project)
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
	if (load_app(app) != 0)
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
	if (load_app(&app) != 0)
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
	if (load_app(&app) != 0) {
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
	options.progress = print_progress;
	code = containerv_compose_up(app, &options) < 0 ? cli_fail_library(EXIT_CLI_ERROR, NULL) : 0;
	if (code == 0 && wait && containerv_compose_wait(app, options.services, (int)seconds) < 0)
		code = cli_fail_library(EXIT_CLI_ERROR, "compose up --wait");
	free(services);
	free(positional.items);
	containerv_compose_free(app);
	return code;
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
	struct arguments positional;
	struct containerv_compose *app = NULL;
	const char *project;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	free(positional.items);
	if (project_name(&app, &project) < 0)
		return EXIT_CLI_ERROR;
	unsigned int flags = (volumes ? CV_COMPOSE_DOWN_VOLUMES : 0) | (orphans ? CV_COMPOSE_DOWN_ORPHANS : 0);
	code = containerv_compose_down(app, project, flags, print_progress, NULL) < 0
	               ? cli_fail_library(EXIT_CLI_ERROR, NULL)
	               : 0;
	containerv_compose_free(app);
	return code;
}

struct ps_state {
	int json;
	int all;
	json_t *array;
};

static int ps_one(const struct containerv_compose_container *container, void *user)
{
	struct ps_state *state = user;
	const char *status = containerv_state_name((enum containerv_state)container->state);
	char exited[64] = "";

	if (!state->all && container->state == CV_STATE_EXITED)
		return 0;
	if (container->state == CV_STATE_EXITED)
		snprintf(exited, sizeof exited, "exited (%d)", container->exit_code);
	if (state->json) {
		json_array_append_new(state->array,
		                      json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:i}", "ID", container->id, "Name",
		                                container->name, "Service", container->service, "Project",
		                                container->project, "State",
		                                container->state == CV_STATE_EXITED ? "exited" : status, "ExitCode",
		                                container->exit_code, "Number", container->number));
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
	        FLAG_END,
	};
	static const struct command_spec spec = {"compose ps", "[OPTIONS]", "List containers", table, false, 0, 0,
	                                         NULL};
	struct arguments positional;
	struct containerv_compose *app = NULL;
	const char *project;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	free(positional.items);
	if (format != NULL && strcmp(format, "json") != 0 && strcmp(format, "table") != 0)
		return cli_fail(EXIT_CLI_ERROR, "invalid --format %s: table or json", format);
	if (project_name(&app, &project) < 0)
		return EXIT_CLI_ERROR;
	state.json = format != NULL && strcmp(format, "json") == 0;
	state.array = json_array();
	if (!state.json)
		printf("%-30s %-20s %s\n", "NAME", "SERVICE", "STATUS");
	code = containerv_compose_list(project, ps_one, &state) < 0 ? cli_fail_library(EXIT_CLI_ERROR, NULL) : 0;
	if (code == 0 && state.json) {
		char *text = json_dumps(state.array, JSON_COMPACT);
		printf("%s\n", text ? text : "[]");
		free(text);
	}
	json_decref(state.array);
	containerv_compose_free(app);
	return code;
}

struct logs_state {
	struct arguments services;
	const char *name;
	bool at_line_start[4];
	int failed;
};

/* One log entry, prefixed with the container's name as docker compose does ("NAME  | line"). */
static int print_entry(const struct containerv_log_entry *entry, void *user)
{
	struct logs_state *state = user;
	FILE *out = entry->stream == CONTAINERV_LOG_STDERR ? stderr : stdout;

	if (state->at_line_start[entry->stream & 3])
		fprintf(out, "%s  | ", state->name);
	fwrite(entry->data, 1, entry->length, out);
	if (!entry->partial)
		fputc('\n', out);
	state->at_line_start[entry->stream & 3] = !entry->partial;
	return 0;
}

static int logs_one(const struct containerv_compose_container *found, void *user)
{
	struct logs_state *state = user;
	struct containerv_logs_options options = CONTAINERV_LOGS_OPTIONS_INIT;
	struct containerv_container *container = NULL;
	bool wanted = state->services.count == 0;

	for (size_t i = 0; i < state->services.count; i++)
		wanted = wanted || strcmp(state->services.items[i], found->service) == 0;
	if (!wanted || containerv_open(found->id, &container) < 0)
		return 0;
	state->name = found->name;
	state->at_line_start[1] = state->at_line_start[2] = true;
	if (containerv_logs_read(container, &options, print_entry, state) < 0) {
		cli_fail_library(-1, "logs %s", found->name);
		state->failed = 1;
	}
	containerv_close(container);
	return 0;
}

static int compose_logs(int argc, char **argv)
{
	static const struct flag table[] = {FLAG_END};
	static const struct command_spec spec = {
	        "compose logs", "[SERVICE...]", "View output from containers", table, false, 0, 0, NULL};
	struct logs_state state = {0};
	struct containerv_compose *app = NULL;
	const char *project;
	int code = flags_parse_or_exit(&spec, argc, argv, &state.services);

	if (code >= 0)
		return code;
	if (project_name(&app, &project) < 0) {
		free(state.services.items);
		return EXIT_CLI_ERROR;
	}
	code = containerv_compose_list(project, logs_one, &state) < 0 ? cli_fail_library(EXIT_CLI_ERROR, NULL) : 0;
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
	struct arguments positional;
	struct containerv_compose *app = NULL;
	const char *project;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	free(positional.items);
	if (project_name(&app, &project) < 0)
		return EXIT_CLI_ERROR;
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
