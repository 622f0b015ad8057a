/*
 * stop, restart, kill, rm, wait and rename: each acts on several containers, reports the
 * ones that failed with one line each, and exits 1 when any did (docker's
 * code for a failure on the daemon's side), 125 for bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

/* Opens reference and reads its state; prints why not and returns -1. */
static int open_with_info(const char *reference, struct containerv_container **container, struct containerv_info *info)
{
	if (cli_open(reference, container) < 0)
		return -1;
	info->version = CONTAINERV_INFO_VERSION;
	if (containerv_inspect(*container, info) < 0) {
		cli_fail_library(0, "inspect %s", reference);
		containerv_close(*container);
		*container = NULL;
		return -1;
	}
	return 0;
}

/* Runs action on every reference; returns 0, or 1 when any failed. */
struct stop_request {
	int signal;
	unsigned int timeout;
};

static int stop_one(const char *reference, void *user)
{
	const struct stop_request *request = user;
	_cleanup_container_ struct containerv_container *container = NULL;
	struct containerv_info info;

	if (open_with_info(reference, &container, &info) < 0)
		return -1;
	/* Stopping a container that is not running succeeds, as in docker. */
	if (info.state == CV_STATE_RUNNING && containerv_stop(container, request->signal, request->timeout) < 0)
		return cli_fail_library(-1, "stop %s", reference);
	printf("%s\n", reference);
	return 0;
}

/* stop's and restart's --time and --signal; prints why not and returns -1. */
static int parse_stop_request(const char *time_text, const char *signal_text, struct stop_request *request)
{
	int64_t seconds;

	if (time_text != NULL) {
		if (cli_parse_int64(time_text, &seconds) < 0 || seconds > UINT32_MAX)
			return cli_fail(-1, "invalid --time \"%s\": expected a number of seconds", time_text);
		request->timeout = (unsigned int)seconds;
	}
	if (signal_text != NULL && (request->signal = cli_parse_signal(signal_text)) < 0)
		return cli_fail(-1, "invalid signal \"%s\"", signal_text);
	return 0;
}

/* stop and restart: the same flags (-t, -s), then ACTION on each container named. */
static const char *stop_time_text, *stop_signal_text;
static const struct flag stop_flags[] = {
        {"time", 't', FLAG_STRING, &stop_time_text, "int",
         "Seconds to wait before killing the container (default: its --stop-timeout, else 10)"},
        {"timeout", 0, FLAG_STRING, &stop_time_text, "int", "Same as --time"},
        {"signal", 's', FLAG_STRING, &stop_signal_text, "string",
         "Signal to send to the container (default its stop signal, else SIGTERM)"},
        FLAG_END,
};

static int stop_like(const struct command_spec *spec, int argc, char **argv,
                     int (*action)(const char *reference, void *user))
{
	_cleanup_free_ char **words = NULL;
	struct stop_request request = {0, CONTAINERV_STOP_TIMEOUT_DEFAULT}; /* -t absent: --stop-timeout, else 10 */
	struct arguments positional;
	int code = flags_parse_or_exit(spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (parse_stop_request(stop_time_text, stop_signal_text, &request) < 0)
		return EXIT_CLI_ERROR;
	return arguments_for_each(&positional, action, &request);
}

int cmd_stop(int argc, char **argv)
{
	static const struct command_spec spec = {
	        "stop",
	        "[OPTIONS] CONTAINER [CONTAINER...]",
	        "Stop one or more running containers",
	        stop_flags,
	        false,
	        1,
	        0,
	        NULL,
	};

	return stop_like(&spec, argc, argv, stop_one);
}

static int restart_one(const char *reference, void *user)
{
	const struct stop_request *request = user;
	_cleanup_container_ struct containerv_container *container = NULL;

	if (cli_open(reference, &container) < 0)
		return -1;
	if (containerv_restart(container, request->signal, request->timeout) < 0)
		return cli_fail_library(-1, "restart %s", reference);
	printf("%s\n", reference);
	return 0;
}

int cmd_restart(int argc, char **argv)
{
	static const struct command_spec spec = {
	        "restart",
	        "[OPTIONS] CONTAINER [CONTAINER...]",
	        "Restart one or more containers",
	        stop_flags,
	        false,
	        1,
	        0,
	        NULL,
	};

	return stop_like(&spec, argc, argv, restart_one);
}

int cmd_rename(int argc, char **argv)
{
	static const struct command_spec spec = {
	        "rename", "CONTAINER NEW_NAME", "Rename a container", NULL, false, 2, 2, NULL,
	};
	_cleanup_free_ char **words = NULL;
	_cleanup_container_ struct containerv_container *container = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (cli_open(positional.items[0], &container) < 0)
		return 1;
	if (containerv_rename(container, positional.items[1]) < 0)
		return cli_fail_library(1, NULL);
	return 0;
}

static int kill_one(const char *reference, void *user)
{
	const int *signal = user;
	_cleanup_container_ struct containerv_container *container = NULL;
	struct containerv_info info;

	if (open_with_info(reference, &container, &info) < 0)
		return -1;
	if (info.state != CV_STATE_RUNNING)
		return cli_fail(-1, "cannot kill container %s: container is not running", reference);
	if (containerv_kill(container, *signal) < 0)
		return cli_fail_library(-1, "kill %s", reference);
	printf("%s\n", reference);
	return 0;
}

int cmd_kill(int argc, char **argv)
{
	static const char *signal_text;
	static const struct flag table[] = {
	        {"signal", 's', FLAG_STRING, &signal_text, "string", "Signal to send to the container (default KILL)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "kill",
	        "[OPTIONS] CONTAINER [CONTAINER...]",
	        "Kill one or more running containers",
	        table,
	        false,
	        1,
	        0,
	        "Signals are names (KILL, SIGTERM, hup) or numbers.",
	};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int signal = SIGKILL;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (signal_text != NULL && (signal = cli_parse_signal(signal_text)) < 0)
		return cli_fail(EXIT_CLI_ERROR, "invalid signal \"%s\"", signal_text);
	return arguments_for_each(&positional, kill_one, &signal);
}

struct remove_flags {
	int force;
	int volumes;
};

static int remove_one(const char *reference, void *user)
{
	const struct remove_flags *remove = user;
	struct containerv_container *container = NULL;
	struct containerv_info info;

	if (open_with_info(reference, &container, &info) < 0)
		return -1;
	if (info.state == CV_STATE_RUNNING && !remove->force) {
		containerv_close(container);
		return cli_fail(-1, "container %s is running: stop it first or use -f", reference);
	}
	/* destroy frees the handle also when it fails. */
	if (containerv_remove(container, remove->volumes ? CV_REMOVE_VOLUMES : 0) < 0)
		return cli_fail_library(-1, "remove %s", reference);
	printf("%s\n", reference);
	return 0;
}

int cmd_rm(int argc, char **argv)
{
	static struct remove_flags remove;
	static const struct flag table[] = {
	        {"force", 'f', FLAG_BOOL, &remove.force, NULL,
	         "Force the removal of a running container (uses SIGKILL)"},
	        {"volumes", 'v', FLAG_BOOL, &remove.volumes, NULL,
	         "Remove anonymous volumes associated with the container"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "rm", "[OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers", table, false, 1, 0, NULL,
	};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	return arguments_for_each(&positional, remove_one, &remove);
}

/* wait --condition: docker's three. */
enum wait_condition { WAIT_NOT_RUNNING, WAIT_NEXT_EXIT, WAIT_REMOVED };

/* Polls (10 Hz) until the container has started again since STARTED_NS (it may have ended already). */
static int wait_until_started(const char *reference, struct containerv_container *container, int64_t started_ns)
{
	char id[65];

	/* A handle keeps the state it read: each look opens the container again (another process starts it). */
	snprintf(id, sizeof id, "%s", containerv_id(container));
	for (;;) {
		struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
		struct containerv_container *now = NULL;
		if (containerv_open(id, &now) < 0 || containerv_inspect(now, &info) < 0) {
			containerv_close(now);
			return cli_fail_library(-1, "wait %s", reference);
		}
		containerv_close(now);
		if (info.state == CV_STATE_RUNNING || info.started_ns != started_ns)
			return 0;
		usleep(100 * 1000);
	}
}

static int wait_one(const char *reference, void *user)
{
	const enum wait_condition *condition = user;
	_cleanup_container_ struct containerv_container *container = NULL;
	struct containerv_exit exit_status;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};

	if (cli_open(reference, &container) < 0)
		return -1;
	/* next-exit: a container that is not running now is waited for through its next run. */
	if (*condition == WAIT_NEXT_EXIT && containerv_inspect(container, &info) == 0 &&
	    info.state != CV_STATE_RUNNING) {
		if (wait_until_started(reference, container, info.started_ns) < 0)
			return -1;
		/* The handle still holds the state before that start. */
		char id[65];
		snprintf(id, sizeof id, "%s", containerv_id(container));
		containerv_close(container);
		container = NULL;
		if (containerv_open(id, &container) < 0)
			return cli_fail_library(-1, "wait %s", reference);
	}
	if (containerv_wait(container, &exit_status) < 0)
		return cli_fail_library(-1, "wait %s", reference);
	/* removed: the code once it is gone (--rm, or someone's rm). */
	if (*condition == WAIT_REMOVED) {
		char id[65];
		struct containerv_container *again = NULL;
		snprintf(id, sizeof id, "%s", containerv_id(container));
		while (containerv_open(id, &again) == 0) {
			containerv_close(again);
			usleep(100 * 1000);
		}
		if (errno != ENOENT)
			return cli_fail_library(-1, "wait %s", reference);
	}
	printf("%d\n", exit_status.code);
	fflush(stdout);
	return 0;
}

int cmd_wait(int argc, char **argv)
{
	static const char *condition_text;
	static const struct flag table[] = {
	        {"condition", 0, FLAG_STRING, &condition_text, "string",
	         "not-running (default), next-exit (the exit after the next start) or removed"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "wait",
	        "[OPTIONS] CONTAINER [CONTAINER...]",
	        "Block until one or more containers stop, then print their exit codes",
	        table,
	        false,
	        1,
	        0,
	        NULL,
	};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	enum wait_condition condition = WAIT_NOT_RUNNING;
	if (condition_text != NULL) {
		if (strcmp(condition_text, "next-exit") == 0)
			condition = WAIT_NEXT_EXIT;
		else if (strcmp(condition_text, "removed") == 0)
			condition = WAIT_REMOVED;
		else if (strcmp(condition_text, "not-running") != 0)
			return cli_fail(EXIT_CLI_ERROR,
			                "invalid --condition \"%s\": expected not-running, next-exit or removed",
			                condition_text);
	}
	return arguments_for_each(&positional, wait_one, &condition);
}
