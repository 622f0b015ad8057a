/*
 * update, pause and unpause: docker's verbs that change a live container.
 * Each acts on several containers, prints each one it changed and one line
 * for each failure, and exits 1 when any failed (docker's code for these).
 * update parses and validates every flag before it touches a container.
 */
#include <stdio.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

static struct containerv_spec_limit_flags update_flags = CONTAINERV_SPEC_LIMIT_FLAGS_INIT;

static int update_one(const char *reference, void *user)
{
	const struct containerv_limits *limits = user;
	_cleanup_container_ struct containerv_container *container = NULL;

	if (cli_open(reference, &container) < 0)
		return -1;
	if (containerv_update(container, limits) < 0)
		return cli_fail_library(-1, NULL);
	printf("%s\n", reference);
	return 0;
}

int cmd_update(int argc, char **argv)
{
	static const struct flag table[] = {
	        {"memory", 'm', FLAG_STRING, &update_flags.memory, "bytes", "Memory limit (64m, 1g, ...)"},
	        {"memory-swap", 0, FLAG_STRING, &update_flags.memory_swap, "bytes",
	         "Memory plus swap limit; -1 for unlimited swap (with --memory)"},
	        {"cpus", 0, FLAG_STRING, &update_flags.cpus, "decimal", "Number of CPUs (0.5, 2, ...)"},
	        {"cpu-shares", 'c', FLAG_STRING, &update_flags.cpu_shares, "int", "CPU shares (relative weight)"},
	        {"cpuset-cpus", 0, FLAG_STRING, &update_flags.cpuset_cpus, "string",
	         "CPUs in which to allow execution (0-3, 0,1)"},
	        {"cpuset-mems", 0, FLAG_STRING, &update_flags.cpuset_mems, "string",
	         "MEMs in which to allow execution (0-3, 0,1)"},
	        {"pids-limit", 0, FLAG_STRING, &update_flags.pids_limit, "int",
	         "Tune container pids limit (-1 for unlimited)"},
	        {"blkio-weight", 0, FLAG_STRING, &update_flags.blkio_weight, "uint16",
	         "Block IO (relative weight), 10 to 1000"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "update",
	        "[OPTIONS] CONTAINER [CONTAINER...]",
	        "Update configuration (resource limits) of one or more containers",
	        table,
	        false,
	        1,
	        0,
	        "A running container's cgroup changes at once; every container keeps the new limits for its next "
	        "start.\nLimits not given keep their value.",
	};
	_cleanup_free_ char **words = NULL;
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	/* Parse, then act: a bad value changes no container. */
	if (containerv_spec_parse_limits(&update_flags, &limits) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	if (limits.memory_bytes == 0 && limits.memory_swap_bytes == 0 && limits.cpu_shares == 0 &&
	    limits.cpu_quota_us == 0 && limits.cpuset_cpus[0] == '\0' && limits.cpuset_mems[0] == '\0' &&
	    limits.pids_max == 0 && limits.io_weight == 0)
		return cli_fail(EXIT_CONTAINER_FAILURE,
		                "update: you must provide one or more flags when using this command");
	return arguments_for_each(&positional, update_one, &limits);
}

static int pause_one(const char *reference, void *user)
{
	_cleanup_container_ struct containerv_container *container = NULL;
	int pause = *(const int *)user;

	if (cli_open(reference, &container) < 0)
		return -1;
	if ((pause ? containerv_pause(container) : containerv_resume(container)) < 0)
		return cli_fail_library(-1, NULL);
	printf("%s\n", reference);
	return 0;
}

static int pause_or_unpause(int argc, char **argv, const struct command_spec *spec, int pause)
{
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	return arguments_for_each(&positional, pause_one, &pause);
}

int cmd_pause(int argc, char **argv)
{
	static const struct command_spec spec = {
	        "pause",
	        "CONTAINER [CONTAINER...]",
	        "Pause all processes within one or more containers",
	        NULL,
	        false,
	        1,
	        0,
	        "The processes are frozen (the cgroup freezer) until unpause; exec is refused meanwhile, stop, kill "
	        "and rm -f work.",
	};

	return pause_or_unpause(argc, argv, &spec, 1);
}

int cmd_unpause(int argc, char **argv)
{
	static const struct command_spec spec = {
	        "unpause",
	        "CONTAINER [CONTAINER...]",
	        "Unpause all processes within one or more containers",
	        NULL,
	        false,
	        1,
	        0,
	        NULL,
	};

	return pause_or_unpause(argc, argv, &spec, 0);
}
