/*
 * containerv compose start, stop, restart, pause, unpause, kill, rm, exec,
 * run, scale, top, images, pull, port: flags parsed here, the work done by
 * the library (chef/containerv/orchestration.h) or, for exec, top and port,
 * by the plain commands on the replica the library finds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "cli.h"
#include "compose-cli.h"
#include "flags.h"
#include "output.h"
#include "rootfs-path.h"
#include "tty.h"

/* The positional words as a NULL-terminated vector (NULL when there are none: every service). */
static const char *const *services_of(const struct arguments *positional, char ***storage)
{
	*storage = xmalloc((positional->count + 1) * sizeof **storage);
	for (size_t i = 0; i < positional->count; i++)
		(*storage)[i] = positional->items[i];
	(*storage)[positional->count] = NULL;
	return positional->count ? (const char *const *)*storage : NULL;
}

/* One action over the project's containers of the given services. */
static int act(const struct arguments *positional, enum containerv_compose_action action,
               struct containerv_compose_act_options *options)
{
	struct containerv_compose *app = NULL;
	const char *project;
	char **services = NULL;
	int code;

	if (compose_project_name(&app, &project) < 0) {
		free(positional->items);
		return EXIT_CLI_ERROR;
	}
	options->services = services_of(positional, &services);
	options->progress = compose_print_progress;
	code = containerv_compose_act(app, project, action, options) < 0 ? cli_fail_library(EXIT_CLI_ERROR, NULL) : 0;
	free(services);
	free(positional->items);
	containerv_compose_free(app);
	return code;
}

static int parse_timeout(const char *text, int *seconds)
{
	int64_t value;

	if (text == NULL)
		return 0;
	if (cli_parse_int64(text, &value) < 0 || value > 86400)
		return cli_fail(-1, "invalid --timeout %s: expected seconds from 0 to 86400", text);
	*seconds = (int)value;
	return 0;
}

/* start, pause, unpause: [SERVICE...]; stop and restart also -t, --timeout SECONDS. */
static int verb(int argc, char **argv, const char *summary, enum containerv_compose_action action)
{
	static const char *timeout;
	static const struct flag timeout_table[] = {
	        {"timeout", 't', FLAG_STRING, &timeout, "seconds", "Specify a shutdown timeout in seconds"},
	        FLAG_END,
	};
	bool timed = action == CV_COMPOSE_STOP || action == CV_COMPOSE_RESTART;
	struct command_spec spec = {
	        NULL, "[OPTIONS] [SERVICE...]", summary, timeout_table + (timed ? 0 : 1), false, 0, 0, NULL};
	struct containerv_compose_act_options options = CONTAINERV_COMPOSE_ACT_OPTIONS_INIT;
	struct arguments positional;
	char name[32];

	snprintf(name, sizeof name, "compose %s", argv[0]);
	spec.name = name;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);
	if (code >= 0)
		return code;
	if (parse_timeout(timeout, &options.timeout_seconds) < 0) {
		free(positional.items);
		return EXIT_CLI_ERROR;
	}
	return act(&positional, action, &options);
}

int compose_start(int argc, char **argv)
{
	return verb(argc, argv, "Start services", CV_COMPOSE_START);
}

int compose_pause(int argc, char **argv)
{
	return verb(argc, argv, "Pause services", CV_COMPOSE_PAUSE);
}

int compose_unpause(int argc, char **argv)
{
	return verb(argc, argv, "Unpause services", CV_COMPOSE_UNPAUSE);
}

int compose_stop(int argc, char **argv)
{
	return verb(argc, argv, "Stop services", CV_COMPOSE_STOP);
}

int compose_restart(int argc, char **argv)
{
	return verb(argc, argv, "Restart service containers", CV_COMPOSE_RESTART);
}

int compose_kill(int argc, char **argv)
{
	static const char *signal_name;
	static const struct flag table[] = {
	        {"signal", 's', FLAG_STRING, &signal_name, "string",
	         "SIGNAL to send to the container (default SIGKILL)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "compose kill", "[OPTIONS] [SERVICE...]", "Force stop service containers", table, false, 0, 0, NULL};
	struct containerv_compose_act_options options = CONTAINERV_COMPOSE_ACT_OPTIONS_INIT;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	if (signal_name != NULL && (options.signal = cli_parse_signal(signal_name)) <= 0) {
		free(positional.items);
		return cli_fail(EXIT_CLI_ERROR, "invalid signal: %s", signal_name);
	}
	return act(&positional, CV_COMPOSE_KILL, &options);
}

int compose_rm(int argc, char **argv)
{
	static int force, stop, volumes;
	static const struct flag table[] = {
	        {"force", 'f', FLAG_BOOL, &force, NULL, "Don't ask to confirm removal"},
	        {"stop", 's', FLAG_BOOL, &stop, NULL, "Stop the containers, if required, before removing"},
	        {"volumes", 'v', FLAG_BOOL, &volumes, NULL, "Remove any anonymous volumes attached to containers"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "compose rm", "[OPTIONS] [SERVICE...]", "Removes stopped service containers", table, false, 0, 0, NULL};
	struct containerv_compose_act_options options = CONTAINERV_COMPOSE_ACT_OPTIONS_INIT;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	/* docker asks on a terminal; without one (scripts) there is nobody to ask. */
	if (!force && isatty(STDIN_FILENO)) {
		char answer[16] = "";
		fprintf(stderr, "? Going to remove the %s containers. Are you sure? [y/N] ",
		        stop ? "service" : "stopped service");
		if (fgets(answer, sizeof answer, stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y')) {
			free(positional.items);
			return 0;
		}
	}
	options.flags = (stop ? CV_COMPOSE_ACT_STOP : 0) | (volumes ? CV_COMPOSE_ACT_VOLUMES : 0);
	return act(&positional, CV_COMPOSE_REMOVE, &options);
}

/* The replica's id for exec, top and port: --index N, or the first running one. */
static int find_replica(const char *service, const char *index_text, char id[65])
{
	struct containerv_compose *app = NULL;
	const char *project;
	int64_t index = 0;

	if (index_text != NULL && (cli_parse_int64(index_text, &index) < 0 || index < 1 || index > 100000))
		return cli_fail(-1, "invalid --index %s: expected a replica number from 1", index_text);
	if (compose_project_name(&app, &project) < 0)
		return -1;
	int ret = containerv_compose_find(project, service, (int)index, id);
	containerv_compose_free(app);
	if (ret < 0)
		return cli_fail_library(-1, NULL);
	return 0;
}

int compose_exec(int argc, char **argv)
{
	static int no_tty, detach;
	static const char *user, *workdir, *index;
	static struct string_list env;
	static const struct flag table[] = {
	        {"detach", 'd', FLAG_BOOL, &detach, NULL, "Detached mode: Run command in the background"},
	        {"no-TTY", 'T', FLAG_BOOL, &no_tty, NULL, "Disable pseudo-TTY allocation (default: one on a terminal)"},
	        {"env", 'e', FLAG_LIST, &env, "list", "Set environment variables"},
	        {"user", 'u', FLAG_STRING, &user, "string", "Run the command as this user"},
	        {"workdir", 'w', FLAG_STRING, &workdir, "string", "Path to workdir directory for this command"},
	        {"index", 0, FLAG_STRING, &index, "int", "Index of the container if service has multiple replicas"},
	        FLAG_END,
	};
	static const struct command_spec spec = {"compose exec",
	                                         "[OPTIONS] SERVICE COMMAND [ARGS...]",
	                                         "Execute a command in a running container",
	                                         table,
	                                         true,
	                                         2,
	                                         0,
	                                         NULL};
	struct arguments positional;
	char id[65];
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	if (find_replica(positional.items[0], index, id) < 0) {
		free(positional.items);
		return EXIT_CLI_ERROR;
	}
	/* The plain exec on that container: -i unless detached, -t on a terminal unless -T (docker compose's). */
	char **words = xmalloc((positional.count + 2 * env.count + 10) * sizeof *words);
	int n = 0;
	words[n++] = "exec";
	if (detach)
		words[n++] = "-d";
	else
		words[n++] = "-i";
	if (!detach && !no_tty && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
		words[n++] = "-t";
	for (size_t i = 0; i < env.count; i++) {
		words[n++] = "-e";
		words[n++] = (char *)env.items[i];
	}
	if (user) {
		words[n++] = "-u";
		words[n++] = (char *)user;
	}
	if (workdir) {
		words[n++] = "-w";
		words[n++] = (char *)workdir;
	}
	words[n++] = "--";
	words[n++] = id;
	for (size_t i = 1; i < positional.count; i++)
		words[n++] = positional.items[i];
	words[n] = NULL;
	code = cmd_exec(n, words);
	free(words);
	free(positional.items);
	return code;
}

/*
 * run's container: started by its create (the stdio pipes are the creating handle's), removed by us
 * after the wait with --rm (or by the library's monitor when detached); its stdio pipes we relay
 * (never our own descriptors), or a terminal made inside for -t.
 */
struct run_stdio {
	bool tty;
	bool interactive;
	bool detach;
	bool remove;
};

static int configure_run(struct containerv_options *options, void *user)
{
	const struct run_stdio *stdio = user;

	if (containerv_options_set_autostart(options, 1) < 0)
		return -1;
	if (stdio->remove && containerv_options_set_autoremove(options, stdio->detach ? CV_AUTOREMOVE_MONITOR
	                                                                              : CV_AUTOREMOVE_BY_WAITER) < 0)
		return -1;
	if (stdio->detach)
		return 0;
	if (stdio->tty) {
		unsigned short rows, columns;
		tty_get_size(tty_size_source(), &rows, &columns);
		if (containerv_options_set_tty(options, 1) < 0 ||
		    containerv_options_set_tty_size(options, rows, columns) < 0)
			return -1;
		return 0;
	}
	return containerv_options_set_stdio(options, stdio->interactive ? CONTAINERV_STDIO_PIPE : CONTAINERV_STDIO_NULL,
	                                    CONTAINERV_STDIO_PIPE,
	                                    cli_stderr_is_stdout() ? CONTAINERV_STDIO_STDOUT : CONTAINERV_STDIO_PIPE);
}

int compose_run(int argc, char **argv)
{
	static int remove, no_deps, no_tty, detach;
	static const char *entrypoint, *name;
	static struct string_list env;
	static const struct flag table[] = {
	        {"rm", 0, FLAG_BOOL, &remove, NULL, "Automatically remove the container when it exits"},
	        {"detach", 'd', FLAG_BOOL, &detach, NULL, "Run container in background and print container ID"},
	        {"env", 'e', FLAG_LIST, &env, "stringArray", "Set environment variables"},
	        {"entrypoint", 0, FLAG_STRING, &entrypoint, "string", "Override the entrypoint of the image"},
	        {"no-deps", 0, FLAG_BOOL, &no_deps, NULL, "Don't start linked services"},
	        {"no-TTY", 'T', FLAG_BOOL, &no_tty, NULL, "Disable pseudo-TTY allocation (default: one on a terminal)"},
	        {"name", 0, FLAG_STRING, &name, "string", "Not supported: one-off containers are named by compose"},
	        FLAG_END,
	};
	static const struct command_spec spec = {"compose run",
	                                         "[OPTIONS] SERVICE [COMMAND] [ARGS...]",
	                                         "Run a one-off command on a service",
	                                         table,
	                                         true,
	                                         1,
	                                         0,
	                                         NULL};
	struct containerv_compose_run_options options = CONTAINERV_COMPOSE_RUN_OPTIONS_INIT;
	struct containerv_compose *app = NULL;
	struct containerv_container *container = NULL;
	struct arguments positional;
	struct run_stdio stdio;
	const char *entry[2] = {entrypoint, NULL};
	const char *no_entry[1] = {NULL};
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	if (name != NULL) {
		free(positional.items);
		return cli_fail(EXIT_CLI_ERROR, "compose run: --name is not supported");
	}
	for (size_t i = 0; i < env.count; i++)
		if (strchr(env.items[i], '=') == NULL && getenv(env.items[i]) != NULL) {
			char *full = xmalloc(strlen(env.items[i]) + strlen(getenv(env.items[i])) + 2);
			sprintf(full, "%s=%s", env.items[i], getenv(env.items[i]));
			env.items[i] = full; /* lives until exit */
		}
	if (compose_load_app(&app) != 0) {
		free(positional.items);
		return EXIT_CLI_ERROR;
	}
	stdio.interactive = !detach;
	stdio.tty = !detach && !no_tty && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	options.service = positional.items[0];
	options.command = positional.count > 1 ? (const char *const *)positional.items + 1 : NULL;
	if (entrypoint != NULL)
		options.entrypoint = entrypoint[0] ? entry : no_entry;
	options.environment = env.count ? env.items : NULL;
	options.no_deps = no_deps;
	options.rootfs_search_path = cli_rootfs_search_path();
	stdio.detach = detach;
	stdio.remove = remove;
	options.configure = configure_run;
	options.progress = compose_print_progress;
	options.user = &stdio;
	if (containerv_compose_run(app, &options, &container) < 0) {
		code = cli_fail_library(cli_exec_exit_code(), NULL);
		goto done;
	}
	if (detach) {
		printf("%s\n", containerv_name(container));
		containerv_close(container);
		code = 0;
		goto done;
	}
	struct attach_options attach = {.container = container, .master = -1, .interactive = stdio.interactive};
	struct containerv_exit exit_status = {0};
	const char *reason;
	containerv_take_stdio(container, attach.stdio);
	if (stdio.tty) {
		attach.master = attach.stdio[0];
		attach.stdio[0] = -1;
	}
	code = attach_wait(&attach, &exit_status, &reason) < 0
	               ? cli_fail(EXIT_CLI_ERROR, "wait %s: %s", containerv_name(container), reason)
	               : exit_status.code;
	if (attach.master >= 0)
		close(attach.master);
	if (remove) {
		if (containerv_remove(container, CV_REMOVE_VOLUMES) < 0 && errno != ENOENT)
			code = cli_fail_library(EXIT_CLI_ERROR, "remove");
	} else {
		containerv_close(container);
	}
done:
	free(positional.items);
	containerv_compose_free(app);
	return code;
}

int compose_scale(int argc, char **argv)
{
	static int no_deps;
	static const struct flag table[] = {
	        {"no-deps", 0, FLAG_BOOL, &no_deps, NULL, "Don't start linked services (accepted; see the docs)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "compose scale", "[SERVICE=REPLICAS...]", "Scale services", table, false, 1, 0, NULL};
	struct containerv_compose_up_options options = CONTAINERV_COMPOSE_UP_OPTIONS_INIT;
	struct containerv_compose *app = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	/* Parse every SERVICE=N before acting (parse, then act). */
	int64_t *counts = xmalloc(positional.count * sizeof *counts);
	for (size_t i = 0; i < positional.count; i++) {
		char *equals = strchr(positional.items[i], '=');
		if (equals == NULL || equals == positional.items[i] || cli_parse_int64(equals + 1, &counts[i]) < 0 ||
		    counts[i] > 1000) {
			code = cli_fail(EXIT_CLI_ERROR, "invalid scale %s: expected SERVICE=REPLICAS (0 to 1000)",
			                positional.items[i]);
			goto done;
		}
		*equals = '\0';
	}
	if (compose_load_app(&app) != 0) {
		code = EXIT_CLI_ERROR;
		goto done;
	}
	options.rootfs_search_path = cli_rootfs_search_path();
	options.progress = compose_print_progress;
	code = 0;
	for (size_t i = 0; code == 0 && i < positional.count; i++)
		if (containerv_compose_scale(app, positional.items[i], (unsigned int)counts[i], &options) < 0)
			code = cli_fail_library(EXIT_CLI_ERROR, NULL);
done:
	free(counts);
	free(positional.items);
	containerv_compose_free(app);
	return code;
}

/* top, images: each running (images: each) container of the services, in the project's order. */
struct each {
	struct arguments services;
	bool all;
	int code;
	bool images;
	bool header;
};

static bool service_selected(const struct arguments *services, const char *service)
{
	for (size_t i = 0; i < services->count; i++)
		if (strcmp(services->items[i], service) == 0)
			return true;
	return services->count == 0;
}

static void print_image_row(const struct containerv_compose_container *found)
{
	struct containerv_container *container = NULL;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};

	if (containerv_open(found->id, &container) < 0 || containerv_inspect(container, &info) < 0) {
		containerv_close(container);
		return;
	}
	containerv_close(container);
	char repository[512], tag[128] = "<none>";
	snprintf(repository, sizeof repository, "%s", info.image[0] ? info.image : "<none>");
	char *slash = strrchr(repository, '/'), *colon = strrchr(repository, ':');
	if (colon != NULL && (slash == NULL || colon > slash)) {
		snprintf(tag, sizeof tag, "%s", colon + 1);
		*colon = '\0';
	}
	const char *digest = strncmp(info.image_digest, "sha256:", 7) == 0 ? info.image_digest + 7 : "";
	printf("%-30s %-40s %-10s %.12s\n", found->name, repository, tag, digest);
}

static int each_one(const struct containerv_compose_container *found, void *user)
{
	struct each *each = user;

	if (found->oneoff || !service_selected(&each->services, found->service))
		return 0;
	if (each->images) {
		if (!each->header)
			printf("%-30s %-40s %-10s %s\n", "CONTAINER", "REPOSITORY", "TAG", "IMAGE ID");
		each->header = true;
		print_image_row(found);
		return 0;
	}
	if (found->state != CV_STATE_RUNNING)
		return 0;
	char *words[3] = {"top", (char *)found->id, NULL};
	printf("%s%s\n", each->header ? "\n" : "", found->name);
	fflush(stdout);
	each->header = true;
	if (cmd_top(2, words) != 0)
		each->code = EXIT_CONTAINER_FAILURE;
	fflush(stdout);
	return 0;
}

static int for_each_container(int argc, char **argv, bool images)
{
	static const struct flag table[] = {FLAG_END};
	struct command_spec spec = {images ? "compose images" : "compose top",
	                            "[SERVICE...]",
	                            images ? "List images used by the created containers"
	                                   : "Display the running processes",
	                            table,
	                            false,
	                            0,
	                            0,
	                            NULL};
	struct containerv_compose *app = NULL;
	struct each each = {.images = images};
	const char *project;
	int code = flags_parse_or_exit(&spec, argc, argv, &each.services);

	if (code >= 0)
		return code;
	if (compose_project_name(&app, &project) < 0) {
		free(each.services.items);
		return EXIT_CLI_ERROR;
	}
	code = containerv_compose_list(project, each_one, &each) < 0 ? cli_fail_library(EXIT_CLI_ERROR, NULL)
	                                                             : each.code;
	free(each.services.items);
	containerv_compose_free(app);
	return code;
}

int compose_top(int argc, char **argv)
{
	return for_each_container(argc, argv, false);
}

int compose_images(int argc, char **argv)
{
	return for_each_container(argc, argv, true);
}

int compose_pull(int argc, char **argv)
{
	static int quiet;
	static const struct flag table[] = {
	        {"quiet", 'q', FLAG_BOOL, &quiet, NULL, "Pull without printing progress information"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "compose pull", "[OPTIONS] [SERVICE...]", "Pull service images", table, false, 0, 0, NULL};
	struct containerv_compose *app = NULL;
	struct arguments positional;
	char **services = NULL;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	if (compose_load_app(&app) != 0) {
		free(positional.items);
		return EXIT_CLI_ERROR;
	}
	code = containerv_compose_pull(app, services_of(&positional, &services), quiet ? NULL : compose_print_progress,
	                               NULL) < 0
	               ? cli_fail_library(EXIT_CLI_ERROR, NULL)
	               : 0;
	free(services);
	free(positional.items);
	containerv_compose_free(app);
	return code;
}

int compose_port(int argc, char **argv)
{
	static const char *index, *protocol;
	static const struct flag table[] = {
	        {"index", 0, FLAG_STRING, &index, "int", "Index of the container if service has multiple replicas"},
	        {"protocol", 0, FLAG_STRING, &protocol, "string", "tcp or udp (default tcp)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {"compose port",
	                                         "[OPTIONS] SERVICE PRIVATE_PORT",
	                                         "Print the public port for a port binding",
	                                         table,
	                                         false,
	                                         2,
	                                         2,
	                                         NULL};
	struct arguments positional;
	char id[65], private_port[64];
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	if (protocol != NULL && strcmp(protocol, "tcp") != 0 && strcmp(protocol, "udp") != 0) {
		free(positional.items);
		return cli_fail(EXIT_CLI_ERROR, "invalid --protocol %s: tcp or udp", protocol);
	}
	if (find_replica(positional.items[0], index, id) < 0) {
		free(positional.items);
		return EXIT_CLI_ERROR;
	}
	snprintf(private_port, sizeof private_port, "%s/%s", positional.items[1], protocol ? protocol : "tcp");
	char *words[4] = {"port", id, private_port, NULL};
	free(positional.items);
	return cmd_port(3, words);
}
