/*
 * containerv: a docker-compatible command line over libcontainerv.
 *
 * main() handles the global flags (--root, --log-level, --help, --version)
 * and dispatches to one function per command; each command parses its own
 * flags with flags.c and uses only the public API.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli.h"
#include "flags.h"
#include "output.h"
#include "progress.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static int cmd_version(int argc, char **argv);

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
        {"run", cmd_run, "Create and run a new container"},
        {"create", cmd_create, "Create a new container"},
        {"start", cmd_start, "Start one or more created or stopped containers"},
        {"exec", cmd_exec, "Execute a command in a running container"},
        {"ps", cmd_ps, "List containers"},
        {"logs", cmd_logs, "Fetch the logs of a container"},
        {"stop", cmd_stop, "Stop one or more running containers"},
        {"restart", cmd_restart, "Restart one or more containers"},
        {"kill", cmd_kill, "Kill one or more running containers"},
        {"rm", cmd_rm, "Remove one or more containers"},
        {"rename", cmd_rename, "Rename a container"},
        {"attach", cmd_attach, "Attach to a running container's output and wait for it to end"},
        {"diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem"},
        {"export", cmd_export, "Export a container's filesystem as a tar archive"},
        {"update", cmd_update, "Update configuration (resource limits) of one or more containers"},
        {"pause", cmd_pause, "Pause all processes within one or more containers"},
        {"unpause", cmd_unpause, "Unpause all processes within one or more containers"},
        {"events", cmd_events, "Get real time events from the server"},
        {"wait", cmd_wait, "Block until one or more containers stop, then print their exit codes"},
        {"inspect", cmd_inspect, "Return low-level information on containers"},
        {"stats", cmd_stats, "Display a live stream of container resource usage statistics"},
        {"top", cmd_top, "Display the running processes of a container"},
        {"tune", cmd_tune, "Find what holds a running container back and suggest (or apply) limits"},
        {"bench", cmd_bench, "Benchmark start-up, throughput, memory and scaling against crun and runc"},
        {"metrics", cmd_metrics, "Print or serve container and pool metrics (Prometheus text format)"},
        {"lb", cmd_lb, "Balance connections over containers or addresses (TCP or UDP), in the foreground"},
        {"cp", cmd_cp, "Copy files/folders between a container and the local filesystem"},
        {"container", cmd_container, "Manage containers"},
        {"volume", cmd_volume, "Manage volumes"},
        {"compose", cmd_compose, "Define and run multi-container applications"},
        {"pool", cmd_pool, "Manage pools of held containers (warm starts: run --pool)"},
        {"security", cmd_security, "List security profiles and audit containers"},
        {"network", cmd_network, "Manage networks"},
        {"port", cmd_port, "List port mappings of a container"},
        {"images", cmd_images, "List images"},
        {"image", cmd_image, "Manage images"},
        {"history", cmd_history, "Show the history of an image"},
        {"rmi", cmd_rmi, "Remove one or more images"},
        {"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
        {"import", cmd_import, "Import a root filesystem (directory or tarball) as an image"},
        {"load", cmd_load, "Load images from a tar archive or STDIN"},
        {"save", cmd_save, "Save one or more images to a tar archive"},
        {"commit", cmd_commit, "Create a new image from a container's changes"},
        {"system", cmd_system, "Manage containerv (df, prune, info, gc)"},
        {"info", cmd_info, "Display system-wide information"},
        {"pull", cmd_pull, "Download an image from a registry"},
        {"push", cmd_push, "Upload an image to a registry"},
        {"login", cmd_login, "Log in to a registry"},
        {"logout", cmd_logout, "Log out from a registry"},
        {"search", cmd_search, "List the tags of a repository (--list-tags)"},
        {"version", cmd_version, "Show the containerv version information"},
        {"help", cmd_help, "Show help for a command"},
};

static enum containerv_log_level log_level = CONTAINERV_LOG_WARNING;

static void usage(FILE *out)
{
	fprintf(out, "Usage:  containerv [OPTIONS] COMMAND\n\n"
	             "A container runtime with docker's command line\n\n"
	             "Options:\n"
	             "      --root DIR         State directory (default $CONTAINERV_ROOT or /var/lib/containerv)\n"
	             "      --log-level LEVEL  error, warning, info or debug (default warning)\n"
	             "  -h, --help             Print usage\n"
	             "  -v, --version          Print version information and quit\n\n"
	             "Commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun 'containerv COMMAND --help' for more information on a command.\n");
}

static void print_log(enum containerv_log_level level, const char *message, void *user)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};

	if (level <= log_level)
		fprintf(stderr, "containerv: %s: %s\n", names[level <= CONTAINERV_LOG_DEBUG ? level : 0], message);
}

static int parse_log_level(const char *text)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};

	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(text, names[i]) == 0 || (i == 1 && strcmp(text, "warn") == 0)) {
			log_level = (enum containerv_log_level)i;
			return 0;
		}
	return -1;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Go's names for the machine, as docker prints Arch. */
static const char *go_architecture(const char *machine)
{
	static const char *const names[][2] = {{"x86_64", "amd64"}, {"aarch64", "arm64"},   {"i686", "386"},
	                                       {"armv7l", "arm"},   {"ppc64le", "ppc64le"}, {"s390x", "s390x"}};

	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(machine, names[i][0]) == 0)
			return names[i][1];
	return machine;
}

/*
 * docker version's structure: Client and Server. There is no daemon: the library is the engine, so
 * Server describes the library and the kernel it runs on, and {{.Server.Version}} scripts keep working.
 */
static json_t *version_object(void)
{
	struct utsname host;
	char api[32];
	const char *arch;

	if (uname(&host) < 0)
		memset(&host, 0, sizeof host);
	arch = go_architecture(host.machine);
	snprintf(api, sizeof api, "%d.%d.%d", CONTAINERV_VERSION_MAJOR, CONTAINERV_VERSION_MINOR,
	         CONTAINERV_VERSION_PATCH);
	return json_pack("{s:{s:s,s:s,s:s,s:s}, s:{s:s,s:s,s:s,s:s,s:s}}", "Client", "Version",
	                 CONTAINERV_VERSION_STRING, "ApiVersion", api, "Os", "linux", "Arch", arch, "Server", "Version",
	                 CONTAINERV_VERSION_STRING, "ApiVersion", api, "Os", "linux", "Arch", arch, "KernelVersion",
	                 host.release);
}

static int cmd_version(int argc, char **argv)
{
	static const char *format;
	static const struct flag table[] = {
	        {"format", 'f', FLAG_STRING, &format, "string", "json, or a template such as '{{.Client.Version}}'"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "version",
	        "[OPTIONS]",
	        "Show the containerv version information",
	        table,
	        false,
	        0,
	        0,
	        "Template fields: Client and Server, each with Version, ApiVersion, Os, Arch (Server: KernelVersion).",
	};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	json_t *object;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (format == NULL) {
		printf("containerv version %s\n", CONTAINERV_VERSION_STRING);
		printf("libcontainerv API %d.%d.%d\n", CONTAINERV_VERSION_MAJOR, CONTAINERV_VERSION_MINOR,
		       CONTAINERV_VERSION_PATCH);
		return 0;
	}
	if (strcmp(format, "json") != 0 && template_check(format) < 0)
		return EXIT_CLI_ERROR;
	object = version_object();
	format_emit(format, object);
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	const struct command *command;
	char *help_argv[] = {NULL, "--help", NULL};

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	command = find_command(argv[1]);
	if (command == NULL)
		return cli_fail(EXIT_CLI_ERROR, "'%s' is not a containerv command (see 'containerv --help')", argv[1]);
	help_argv[0] = argv[1];
	return command->run(2, help_argv);
}

/* Consumes the global options before the command; returns the index of the command, or an exit code <= 0 - 1. */
static int parse_global_options(int argc, char **argv, int *exit_code)
{
	int index = 1;

	for (; index < argc && argv[index][0] == '-'; index++) {
		const char *word = argv[index];
		const char *value = NULL;

		if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0) {
			usage(stdout);
			*exit_code = 0;
			return -1;
		}
		if (strcmp(word, "--version") == 0 || strcmp(word, "-v") == 0) {
			printf("containerv version %s\n", CONTAINERV_VERSION_STRING);
			*exit_code = 0;
			return -1;
		}
		if (strncmp(word, "--root=", 7) == 0 || strncmp(word, "--log-level=", 12) == 0) {
			value = strchr(word, '=') + 1;
		} else if (strcmp(word, "--root") == 0 || strcmp(word, "--log-level") == 0) {
			if (index + 1 >= argc) {
				*exit_code = cli_fail(EXIT_CLI_ERROR, "flag needs an argument: %s", word);
				return -1;
			}
			value = argv[++index];
		} else {
			*exit_code = cli_fail(EXIT_CLI_ERROR, "unknown flag: %s (see 'containerv --help')", word);
			return -1;
		}
		if (strncmp(word, "--root", 6) == 0) {
			if (containerv_set_root(value) < 0) {
				*exit_code = cli_fail_library(EXIT_CLI_ERROR, "--root %s", value);
				return -1;
			}
		} else if (parse_log_level(value) < 0) {
			*exit_code = cli_fail(EXIT_CLI_ERROR,
			                      "invalid --log-level \"%s\": use error, warning, info or debug", value);
			return -1;
		}
	}
	return index;
}

int main(int argc, char **argv)
{
	const struct command *command;
	int exit_code = 0;
	int index;

	containerv_set_log(print_log, NULL);
	index = parse_global_options(argc, argv, &exit_code);
	if (index < 0)
		return exit_code;
	if (index >= argc) {
		usage(stderr);
		return EXIT_CLI_ERROR;
	}
	command = find_command(argv[index]);
	if (command == NULL)
		return cli_fail(EXIT_CLI_ERROR, "'%s' is not a containerv command (see 'containerv --help')",
		                argv[index]);
	exit_code = command->run(argc - index, argv + index);
	/* A full disk or closed pipe on stdout is an error too, not a silent truncation. */
	if (fflush(stdout) != 0 && exit_code == 0)
		exit_code = cli_fail(EXIT_CLI_ERROR, "writing output: %m");
	return exit_code;
}
