/*
 * pool create|ls|inspect|rm|keeper: pools of held containers (pool.h). The keeper is a daemon forked
 * here (the library runs its loop, the CLI owns the process): `pool create` starts it, and every `run
 * --pool`, `pool ls` and `pool inspect` starts it again when it is gone (killed, a reboot), which is how
 * a pool converges without a system service.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

/* The keeper's process: its own session, no stdio of ours, nothing of the caller's held open. */
static void __attribute__((noreturn)) keeper_child(const char *pool)
{
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	setsid();
	if (fork() != 0)
		_exit(0); /* the intermediate: the keeper is nobody's child, not even a zombie of ours */
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	closefrom(3);
	_exit(containerv_pool_keeper_run(pool) < 0 && errno != EBUSY ? 1 : 0);
}

int cli_pool_ensure_keeper(const char *pool)
{
	int running = containerv_pool_keeper_running(pool);
	pid_t pid;

	if (running < 0)
		return cli_fail_library(-1, "pool %s", pool);
	if (running == 1)
		return 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return cli_fail(-1, "pool %s: start its keeper: %s", pool, strerror(errno));
	if (pid == 0)
		keeper_child(pool);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static int parse_count(const char *flag, const char *text, unsigned int *value)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || n > 10000 || text[0] == '-')
		return cli_fail(-1, "pool create: %s takes a number from 0 to 10000, not \"%s\"", flag, text);
	*value = (unsigned int)n;
	return 0;
}

/* Takes the pool's own flags (--min, --max, --policy, --idle, --refill-concurrency) out of argv. */
static int take_pool_flags(int *argc, char **argv, struct containerv_pool_config *config)
{
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		const char *arg = argv[i], *value = NULL, *equals = strchr(arg, '=');
		char name[32] = "";
		if (strncmp(arg, "--", 2) == 0 && strcmp(arg, "--") != 0) {
			size_t length = equals != NULL ? (size_t)(equals - arg) : strlen(arg);
			snprintf(name, sizeof name, "%.*s", (int)(length < sizeof name ? length : sizeof name - 1),
			         arg);
		}
		bool ours = strcmp(name, "--min") == 0 || strcmp(name, "--max") == 0 || strcmp(name, "--policy") == 0 ||
		            strcmp(name, "--idle") == 0 || strcmp(name, "--refill-concurrency") == 0;
		if (strcmp(arg, "--") == 0) {
			/* Everything after it is IMAGE and the command, as given. */
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!ours) {
			argv[out++] = argv[i];
			continue;
		}
		if (equals != NULL)
			value = equals + 1;
		else if (i + 1 < *argc)
			value = argv[++i];
		else
			return cli_fail(-1, "pool create: %s needs a value", name);
		int ret = 0;
		if (strcmp(name, "--min") == 0)
			ret = parse_count(name, value, &config->min);
		else if (strcmp(name, "--max") == 0)
			ret = parse_count(name, value, &config->max);
		else if (strcmp(name, "--idle") == 0)
			ret = parse_count(name, value, &config->idle_seconds);
		else if (strcmp(name, "--refill-concurrency") == 0)
			ret = parse_count(name, value, &config->concurrency);
		else if (containerv_pool_policy_parse(value, &config->policy) < 0)
			ret = cli_fail_library(-1, "pool create");
		if (ret < 0)
			return -1;
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

static int pool_create(int argc, char **argv)
{
	struct containerv_pool_config config = CONTAINERV_POOL_CONFIG_INIT;
	_cleanup_options_ struct containerv_options *options = NULL;
	const char *name;
	int code;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return cli_pool_template(argc, argv, &options);
	if (argc < 2 || argv[1][0] == '-')
		return cli_fail(EXIT_CLI_ERROR,
		                "\"pool create\" requires NAME first (see 'containerv pool create --help')");
	name = argv[1];
	/* NAME out: argv[0] stays the subcommand for the flag parser. */
	argv[1] = argv[0];
	argc--;
	argv++;
	if (take_pool_flags(&argc, argv, &config) < 0)
		return EXIT_CLI_ERROR;
	code = cli_pool_template(argc, argv, &options);
	if (code >= 0)
		return code;
	if (containerv_pool_create(name, options, &config) < 0)
		return cli_fail_library(EXIT_CLI_ERROR, NULL);
	if (cli_pool_ensure_keeper(name) < 0)
		return EXIT_CLI_ERROR;
	printf("%s\n", name);
	return 0;
}

static int pool_ls(int argc, char **argv)
{
	static const struct command_spec spec = {"pool ls", "", "List pools", NULL, false, 0, 0, NULL};
	static const struct flag none[] = {FLAG_END};
	struct command_spec with_flags = spec;
	struct arguments positional;
	char **names = NULL;
	int code;

	with_flags.flags = none;
	code = flags_parse_or_exit(&with_flags, argc, argv, &positional);
	if (code >= 0)
		return code;
	free(positional.items);
	if (containerv_pool_list(&names, NULL) < 0)
		return cli_fail_library(EXIT_CLI_ERROR, "pool ls");
	printf("%-24s %-10s %5s %5s %5s %8s %s\n", "NAME", "POLICY", "MIN", "MAX", "READY", "REMOVING", "KEEPER");
	for (size_t i = 0; names[i] != NULL; i++) {
		struct containerv_pool_info info = {.version = CONTAINERV_POOL_CONFIG_VERSION};
		cli_pool_ensure_keeper(names[i]);
		if (containerv_pool_inspect(names[i], &info) < 0)
			continue; /* removed meanwhile */
		printf("%-24s %-10s %5u %5u %5u %8u %d\n", info.name, containerv_pool_policy_name(info.config.policy),
		       info.config.min, info.config.max, info.ready, info.removing, (int)info.keeper);
	}
	containerv_strings_free(names);
	return 0;
}

static int inspect_one(const char *name, void *user)
{
	struct containerv_pool_info info = {.version = CONTAINERV_POOL_CONFIG_VERSION};
	bool *first = user;

	if (cli_pool_ensure_keeper(name) < 0)
		return -1;
	if (containerv_pool_inspect(name, &info) < 0) {
		cli_fail_library(-1, NULL);
		return -1;
	}
	printf("%s{\n    \"Name\": \"%s\",\n    \"Policy\": \"%s\",\n    \"Min\": %u,\n    \"Max\": %u,\n"
	       "    \"IdleSeconds\": %u,\n    \"RefillConcurrency\": %u,\n    \"Ready\": %u,\n    \"Removing\": %u,\n"
	       "    \"KeeperPid\": %d,\n    \"Takes\": %llu,\n    \"LastRefillMs\": %.3f\n}",
	       *first ? "" : ",\n", info.name, containerv_pool_policy_name(info.config.policy), info.config.min,
	       info.config.max, info.config.idle_seconds, info.config.concurrency, info.ready, info.removing,
	       (int)info.keeper, (unsigned long long)info.takes, (double)info.last_refill_ns / 1e6);
	*first = false;
	return 0;
}

static int pool_inspect(int argc, char **argv)
{
	static const struct flag none[] = {FLAG_END};
	static const struct command_spec spec = {
	        "pool inspect", "NAME [NAME...]", "Display a pool as JSON", none, false, 1, 0, NULL};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	bool first = true;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	printf("[");
	code = arguments_for_each(&positional, inspect_one, &first);
	printf("%s]\n", first ? "" : "\n");
	return code;
}

static int remove_one(const char *name, void *user)
{
	(void)user;
	if (containerv_pool_remove(name) < 0) {
		cli_fail_library(-1, NULL);
		return -1;
	}
	printf("%s\n", name);
	return 0;
}

static int pool_rm(int argc, char **argv)
{
	static const struct flag none[] = {FLAG_END};
	static const struct command_spec spec = {
	        "pool rm",
	        "NAME [NAME...]",
	        "Remove pools: their keeper, ready containers and those given to it for removal",
	        none,
	        false,
	        1,
	        0,
	        NULL};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	return arguments_for_each(&positional, remove_one, NULL);
}

/* The keeper in the foreground (what pool create forks), for a service manager or a test. */
static int pool_keeper(int argc, char **argv)
{
	static const struct flag none[] = {FLAG_END};
	static const struct command_spec spec = {"pool keeper",
	                                         "NAME",
	                                         "Run the pool's keeper in the foreground (until SIGTERM or pool rm)",
	                                         none,
	                                         false,
	                                         1,
	                                         1,
	                                         NULL};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (containerv_pool_keeper_run(positional.items[0]) < 0)
		return cli_fail_library(EXIT_CLI_ERROR, NULL);
	return 0;
}

static const struct subcommand pool_commands[] = {
        {"create", pool_create, "Create a pool of held containers of one template"},
        {"inspect", pool_inspect, "Display detailed information on one or more pools"},
        {"ls", pool_ls, "List pools"},
        {"rm", pool_rm, "Remove one or more pools"},
        {"keeper", pool_keeper, "Run a pool's keeper in the foreground"},
};

int cmd_pool(int argc, char **argv)
{
	return subcommand_dispatch("pool", "Manage pools of held containers", pool_commands,
	                           sizeof pool_commands / sizeof *pool_commands, argc, argv);
}
