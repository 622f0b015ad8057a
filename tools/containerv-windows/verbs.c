/*
 * containerv.exe's verbs over the state store: each is argument parsing and calls of the public
 * API (the same library code as on Linux: core/, over platform/windows/backend.c). Output and exit
 * codes as the Linux CLI's where the verb is the same: 1 for a container that is not there, 125 for
 * run -d's failures.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verbs.h"

#define EXIT_RUN_FAILED 125

static int fail(const char *verb, const char *what)
{
	fprintf(stderr, "containerv: %s %s: %s\n", verb, what, containerv_last_error());
	return 1;
}

int run_detached(const char *rootfs, const char *name, int autoremove, const struct containerv_limits *limits,
                 enum containerv_security_level level, const char *const *command)
{
	struct containerv_options *options = NULL;
	struct containerv_security *security = NULL;
	struct containerv_container *container = NULL;
	int ret = EXIT_RUN_FAILED;

	if (containerv_options_new(&options) < 0 || containerv_options_set_rootfs(options, rootfs) < 0 ||
	    containerv_options_set_command(options, command) < 0 ||
	    (name != NULL && containerv_options_set_name(options, name) < 0) ||
	    containerv_options_set_limits(options, limits) < 0 || containerv_security_new(level, &security) < 0 ||
	    containerv_options_set_security(options, security) < 0 ||
	    (autoremove && containerv_options_set_autoremove(options, CV_AUTOREMOVE_BY_WAITER) < 0) ||
	    containerv_create(options, &container) < 0) {
		fprintf(stderr, "containerv: run: %s\n", containerv_last_error());
		goto out;
	}
	printf("%s\n", containerv_id(container));
	ret = 0;
out:
	containerv_close(container);
	containerv_security_delete(security);
	containerv_options_delete(options);
	return ret;
}

static int open_container(const char *verb, const char *id, struct containerv_container **container)
{
	if (containerv_open(id, container) < 0) {
		fprintf(stderr, "containerv: %s: %s\n", verb, containerv_last_error());
		return -1;
	}
	return 0;
}

/*
 * Runs action on each container named in argv[first..]: its output line (the name as given, unless
 * print is set to print its own), an error line for each that fails; 1 when any failed.
 */
static int each_container(const char *verb, int argc, char **argv, int first,
                          int (*action)(struct containerv_container *container, void *user, int *print), void *user)
{
	int ret = 0;

	for (int i = first; i < argc; i++) {
		struct containerv_container *container = NULL;
		int print = 1;
		if (open_container(verb, argv[i], &container) < 0) {
			ret = 1;
			continue;
		}
		if (action(container, user, &print) < 0) {
			fprintf(stderr, "containerv: %s: %s\n", verb, containerv_last_error());
			ret = 1;
		} else if (print) {
			printf("%s\n", argv[i]);
		}
		containerv_close(container);
	}
	return ret;
}

/* docker's STATUS column: "Up", "Exited (3)", "Created". */
static void status_text(const struct containerv_info *info, char *buffer, size_t size)
{
	switch (info->state) {
	case CV_STATE_RUNNING:
		snprintf(buffer, size, "Up");
		break;
	case CV_STATE_EXITED:
		snprintf(buffer, size, "Exited (%d)", info->exit.code);
		break;
	default:
		snprintf(buffer, size, "Created");
		break;
	}
}

struct ps_options {
	int all, quiet;
};

static int ps_one(const struct containerv_info *info, void *user)
{
	const struct ps_options *options = user;
	char status[64];

	if (!options->all && info->state != CV_STATE_RUNNING)
		return 0;
	if (options->quiet) {
		printf("%.12s\n", info->id);
		return 0;
	}
	status_text(info, status, sizeof status);
	printf("%-12.12s  %-20s  %-12s  %s\n", info->id, info->name[0] ? info->name : "-", status, info->command);
	return 0;
}

static int cmd_ps(int argc, char **argv)
{
	struct ps_options options = {0, 0};

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all") == 0) {
			options.all = 1;
		} else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
			options.quiet = 1;
		} else {
			fprintf(stderr, "containerv: ps: unknown flag %s\n", argv[i]);
			return 125;
		}
	}
	if (!options.quiet)
		printf("%-12s  %-20s  %-12s  %s\n", "CONTAINER ID", "NAME", "STATUS", "COMMAND");
	if (containerv_list(ps_one, &options) < 0)
		return fail("ps", containerv_root());
	return 0;
}

/* A JSON string (quotes, backslashes and control characters escaped). */
static void print_json_string(const char *text)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static int cmd_inspect(int argc, char **argv)
{
	int ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: containerv inspect CONTAINER...\n");
		return 125;
	}
	printf("[");
	for (int i = 1; i < argc; i++) {
		struct containerv_container *container = NULL;
		struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};

		if (open_container("inspect", argv[i], &container) < 0 || containerv_inspect(container, &info) < 0) {
			containerv_close(container);
			ret = 1;
			continue;
		}
		printf("%s{\n  \"Id\": ", i > 1 ? ",\n" : "\n");
		print_json_string(info.id);
		printf(",\n  \"Name\": ");
		print_json_string(info.name);
		printf(",\n  \"State\": {\"Status\": \"%s\", \"Running\": %s, \"Pid\": %ld, \"ExitCode\": %d, "
		       "\"StartedNs\": %" PRId64 ", \"FinishedNs\": %" PRId64 "},\n  \"Rootfs\": ",
		       containerv_state_name(info.state), info.state == CV_STATE_RUNNING ? "true" : "false",
		       (long)info.pid, info.exit.code, info.started_ns, info.finished_ns);
		print_json_string(info.rootfs);
		printf(",\n  \"Command\": ");
		print_json_string(info.command);
		printf(",\n  \"LogPath\": ");
		print_json_string(containerv_log_path(container));
		printf(",\n  \"Memory\": %" PRId64 "\n}", info.limits.memory_bytes);
		containerv_close(container);
	}
	printf("\n]\n");
	return ret;
}

static int cmd_rm(int argc, char **argv)
{
	unsigned int flags = CV_REMOVE_IF_STOPPED;
	int ret = 0, i = 1;

	if (i < argc && (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--force") == 0)) {
		flags = 0;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: containerv rm [-f] CONTAINER...\n");
		return 125;
	}
	for (; i < argc; i++) {
		struct containerv_container *container = NULL;
		if (open_container("rm", argv[i], &container) < 0) {
			ret = 1;
			continue;
		}
		if (containerv_remove(container, flags) < 0) { /* closes the handle */
			fprintf(stderr, "containerv: rm: %s\n", containerv_last_error());
			ret = 1;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return ret;
}

static int stop_one(struct containerv_container *container, void *user, int *print)
{
	(void)print;
	return containerv_stop(container, 0, *(unsigned int *)user);
}

static int cmd_stop(int argc, char **argv)
{
	unsigned int timeout = CONTAINERV_STOP_TIMEOUT_DEFAULT;
	int i = 1, missing = 0;
	const char *value;

	if (i < argc && ((value = flag_value(argc, argv, &i, "-t", &missing)) != NULL ||
	                 (value = flag_value(argc, argv, &i, "--time", &missing)) != NULL)) {
		char *end;
		unsigned long seconds = strtoul(value, &end, 10);
		if (end == value || *end != '\0') {
			fprintf(stderr, "containerv: stop: invalid -t %s\n", value);
			return 125;
		}
		timeout = (unsigned int)seconds;
		i++;
	}
	if (missing || i >= argc) {
		fprintf(stderr, "usage: containerv stop [-t SECONDS] CONTAINER...\n");
		return 125;
	}
	return each_container("stop", argc, argv, i, stop_one, &timeout);
}

static int kill_one(struct containerv_container *container, void *user, int *print)
{
	(void)print;
	return containerv_kill(container, *(int *)user);
}

static int cmd_kill(int argc, char **argv)
{
	int signal = 9, i = 1, missing = 0;
	const char *value;

	if (i < argc && ((value = flag_value(argc, argv, &i, "-s", &missing)) != NULL ||
	                 (value = flag_value(argc, argv, &i, "--signal", &missing)) != NULL)) {
		/* Numbers only, or the names a job can carry out (docs/windows.md: every one ends the job). */
		static const struct {
			const char *name;
			int number;
		} names[] = {{"HUP", 1}, {"INT", 2}, {"QUIT", 3}, {"KILL", 9}, {"TERM", 15}};
		char *end;
		const char *bare = strncmp(value, "SIG", 3) == 0 ? value + 3 : value;
		signal = (int)strtol(value, &end, 10);
		if (end == value || *end != '\0') {
			signal = 0;
			for (size_t n = 0; n < sizeof names / sizeof names[0]; n++)
				if (strcmp(bare, names[n].name) == 0)
					signal = names[n].number;
		}
		if (signal <= 0 || signal > 64) {
			fprintf(stderr, "containerv: kill: invalid signal %s\n", value);
			return 125;
		}
		i++;
	}
	if (missing || i >= argc) {
		fprintf(stderr, "usage: containerv kill [-s SIGNAL] CONTAINER...\n");
		return 125;
	}
	return each_container("kill", argc, argv, i, kill_one, &signal);
}

static int wait_one(struct containerv_container *container, void *user, int *print)
{
	struct containerv_exit exit_status;

	(void)user;
	*print = 0;
	if (containerv_wait(container, &exit_status) < 0)
		return -1;
	printf("%d\n", exit_status.code);
	return 0;
}

static int cmd_wait(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: containerv wait CONTAINER...\n");
		return 125;
	}
	return each_container("wait", argc, argv, 1, wait_one, NULL);
}

static int cmd_logs(int argc, char **argv)
{
	struct containerv_container *container = NULL;
	char buffer[65536];
	size_t n;
	FILE *log;

	if (argc != 2) {
		fprintf(stderr, "usage: containerv logs CONTAINER\n");
		return 125;
	}
	if (open_container("logs", argv[1], &container) < 0)
		return 1;
	/* The process's own bytes (stdout and stderr as they came): the Windows log has no record format yet. */
	log = fopen(containerv_log_path(container), "rb");
	if (log != NULL) {
		while ((n = fread(buffer, 1, sizeof buffer, log)) > 0)
			fwrite(buffer, 1, n, stdout);
		fclose(log);
	}
	containerv_close(container);
	return 0;
}

static int cmd_stats(int argc, char **argv)
{
	struct containerv_container *container = NULL;
	struct containerv_stats stats;
	int i = 1;

	if (i < argc && strcmp(argv[i], "--no-stream") == 0)
		i++;
	if (i + 1 != argc) {
		fprintf(stderr, "usage: containerv stats [--no-stream] CONTAINER\n");
		return 125;
	}
	if (open_container("stats", argv[i], &container) < 0)
		return 1;
	if (containerv_get_stats(container, &stats) < 0) {
		containerv_close(container);
		return fail("stats", argv[i]);
	}
	printf("CPU_NS %" PRIu64 "\nMEMORY_USAGE %" PRIu64 "\nMEMORY_PEAK %" PRIu64 "\nMEMORY_LIMIT %" PRIu64
	       "\nPIDS %" PRIu32 "\nPIDS_TOTAL %" PRIu32 "\nREAD_BYTES %" PRIu64 "\nWRITE_BYTES %" PRIu64 "\n",
	       stats.cpu_time_ns, stats.memory_usage, stats.memory_peak, stats.memory_limit, stats.active_processes,
	       stats.total_processes, stats.read_bytes, stats.write_bytes);
	containerv_close(container);
	return 0;
}

static int cmd_top(int argc, char **argv)
{
	struct containerv_container *container = NULL;
	struct containerv_process_info processes[64];
	size_t count = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: containerv top CONTAINER\n");
		return 125;
	}
	if (open_container("top", argv[1], &container) < 0)
		return 1;
	if (containerv_get_processes(container, processes, 64, &count) < 0) {
		containerv_close(container);
		return fail("top", argv[1]);
	}
	printf("%-8s  %-24s  %s\n", "PID", "NAME", "MEMORY");
	for (size_t i = 0; i < count && i < 64; i++)
		printf("%-8ld  %-24s  %" PRIu64 "\n", (long)processes[i].pid, processes[i].name,
		       processes[i].memory_rss);
	containerv_close(container);
	return 0;
}

const struct verb verbs[] = {
        {"ps", cmd_ps},     {"inspect", cmd_inspect}, {"rm", cmd_rm},       {"stop", cmd_stop}, {"kill", cmd_kill},
        {"wait", cmd_wait}, {"logs", cmd_logs},       {"stats", cmd_stats}, {"top", cmd_top},
};
const size_t verb_count = sizeof verbs / sizeof verbs[0];
