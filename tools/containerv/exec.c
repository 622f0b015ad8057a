/*
 * exec: one more process in a running container, through containerv_spawn().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "cli.h"
#include "flags.h"
#include "output.h"
#include "tty.h"

struct exec_flags {
	int detach, interactive, tty;
	const char *workdir, *user;
	struct string_list env, env_files;
	int privileged;
};

static struct exec_flags flags;
/* Each --env-file's entries (NULL-terminated list of vectors), which the environment points into. */
static char ***env_file_entries;

static void free_env_files(void)
{
	for (size_t i = 0; env_file_entries != NULL && env_file_entries[i] != NULL; i++)
		cli_strings_free(env_file_entries[i]);
	free(env_file_entries);
	env_file_entries = NULL;
}

static int parse_user(const char *text, int *uid, int *gid)
{
	char *end;
	long user_id, group_id = 0;

	errno = 0;
	user_id = strtol(text, &end, 10);
	if (end != text && *end == ':') {
		const char *group = end + 1;

		group_id = strtol(group, &end, 10);
		if (end == group)
			errno = EINVAL;
	}
	if (errno != 0 || end == text || *end != '\0' || user_id < 0 || group_id < 0 || user_id > INT32_MAX ||
	    group_id > INT32_MAX)
		return cli_fail(-1, "invalid --user \"%s\": use numeric UID[:GID] (names are not supported yet)", text);
	*uid = (int)user_id;
	*gid = (int)group_id;
	return 0;
}

/* Adds "KEY=VALUE", replacing an earlier KEY: with duplicates getenv() would see the first, not ours. */
static void env_set(struct string_list *env, const char *entry)
{
	size_t key_length = strcspn(entry, "=");

	for (size_t i = 0; i < env->count; i++)
		if (strncmp(env->items[i], entry, key_length) == 0 && env->items[i][key_length] == '=') {
			env->items[i] = entry;
			return;
		}
	string_list_add(env, entry);
}

/*
 * docker's exec adds -e (and TERM for -t) to the container's environment.
 * spawn's env replaces it, so start from a copy of it (*base, owned).
 */
static int build_env(struct containerv_container *container, char ***base, struct string_list *env)
{
	if (cli_get_strings(container, CV_STRINGS_ENV, base) == 0) {
		for (char **entry = *base; *entry != NULL; entry++)
			string_list_add(env, *entry);
	} else {
		/* An older libcontainerv cannot tell: -e replaces it, so start from docker's PATH. */
		string_list_add(env, "PATH=" CONTAINERV_DEFAULT_PATH);
	}
	if (flags.tty)
		env_set(env, "TERM=xterm");
	/* --env-file first, then -e, which wins (docker's order). env points into the files' entries (freed by
	 * cmd_exec). */
	env_file_entries = xmalloc((flags.env_files.count + 1) * sizeof *env_file_entries);
	env_file_entries[0] = NULL;
	for (size_t i = 0; i < flags.env_files.count; i++) {
		if (containerv_spec_read_env_file(flags.env_files.items[i], &env_file_entries[i]) < 0)
			return cli_fail_library(-1, NULL);
		env_file_entries[i + 1] = NULL;
		for (char **entry = env_file_entries[i]; *entry != NULL; entry++)
			env_set(env, *entry);
	}
	for (size_t i = 0; i < flags.env.count; i++) {
		const char *entry = flags.env.items[i];

		if (entry[0] == '\0' || entry[0] == '=')
			return cli_fail(-1, "invalid environment variable \"%s\"", entry);
		if (strchr(entry, '=') == NULL) {
			/* "KEY" alone copies our value, as docker does; the string lives as long as the process. */
			const char *value = getenv(entry);
			char *combined;

			if (value == NULL)
				continue;
			if (asprintf(&combined, "%s=%s", entry, value) < 0)
				return cli_fail(-1, "out of memory");
			entry = combined;
		}
		env_set(env, entry);
	}
	return 0;
}

static int exec_detached(struct containerv_container *container, struct containerv_spawn_options *spawn)
{
	spawn->stdin_fd = spawn->stdout_fd = spawn->stderr_fd = CONTAINERV_STDIO_NULL;
	if (containerv_spawn(container, spawn, NULL, NULL) < 0)
		return cli_fail_library(cli_exec_exit_code(), NULL);
	return 0;
}

static int exec_attached(struct containerv_container *container, struct containerv_spawn_options *spawn)
{
	struct containerv_exit exit_status = {0};
	struct attach_options attach = {.container = container, .master = -1, .interactive = flags.interactive};
	const char *reason;
	containerv_pid_t pid;

	/*
	 * Pipes we relay, or for -t a terminal made inside the container: never our own descriptors, which
	 * a process of the container could reopen through /proc/self/fd (and a background one keep).
	 */
	if (flags.tty) {
		tty_get_size(tty_size_source(), &spawn->tty_rows, &spawn->tty_columns);
		spawn->flags |= CV_SPAWN_TTY;
	} else {
		spawn->stdin_fd = flags.interactive ? CONTAINERV_STDIO_PIPE : CONTAINERV_STDIO_NULL;
		spawn->stdout_fd = CONTAINERV_STDIO_PIPE;
		spawn->stderr_fd = cli_stderr_is_stdout() ? CONTAINERV_STDIO_STDOUT : CONTAINERV_STDIO_PIPE;
	}
	spawn->stdio_out = attach.stdio;
	/* Not CV_SPAWN_WAIT: the process is ours to wait for while we relay and forward signals. */
	if (containerv_spawn(container, spawn, &pid, NULL) < 0)
		return cli_fail_library(cli_exec_exit_code(), NULL);
	attach.pid = pid;
	if (flags.tty) {
		attach.master = attach.stdio[0];
		attach.stdio[0] = -1;
	}
	int waited = attach_wait(&attach, &exit_status, &reason);
	if (attach.master >= 0)
		close(attach.master);
	if (waited < 0)
		return cli_fail(EXIT_CLI_ERROR, "wait for exec in %s: %s", containerv_name(container), reason);
	return exit_status.code;
}

int cmd_exec(int argc, char **argv)
{
	static const struct flag table[] = {
	        {"detach", 'd', FLAG_BOOL, &flags.detach, NULL, "Detached mode: run command in the background"},
	        {"interactive", 'i', FLAG_BOOL, &flags.interactive, NULL, "Keep STDIN open"},
	        {"tty", 't', FLAG_BOOL, &flags.tty, NULL, "Allocate a pseudo-TTY"},
	        {"env", 'e', FLAG_LIST, &flags.env, "list", "Set environment variables (replaces the container's)"},
	        {"workdir", 'w', FLAG_STRING, &flags.workdir, "string", "Working directory inside the container"},
	        {"user", 'u', FLAG_STRING, &flags.user, "UID[:GID]", "Numeric user and group to run as"},
	        {"env-file", 0, FLAG_LIST, &flags.env_files, "list", "Read in a file of environment variables"},
	        {"privileged", 0, FLAG_BOOL, &flags.privileged, NULL,
	         "Every capability (a permissive or privileged container only; the seccomp filter stays)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "exec",
	        "[OPTIONS] CONTAINER COMMAND [ARG...]",
	        "Execute a command in a running container",
	        table,
	        true,
	        2,
	        0,
	        NULL,
	};
	_cleanup_free_ char **words = NULL;
	_cleanup_container_ struct containerv_container *container = NULL;
	struct containerv_spawn_options spawn = CONTAINERV_SPAWN_OPTIONS_INIT;
	struct string_list env = {0};
	char **base_env = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (flags.detach && (flags.interactive || flags.tty))
		return cli_fail(EXIT_CLI_ERROR, "-d cannot be combined with -i or -t");
	spawn.argv = (const char *const *)positional.items + 1;
	spawn.workdir = flags.workdir;
	if (flags.user != NULL && parse_user(flags.user, &spawn.uid, &spawn.gid) < 0)
		return EXIT_CLI_ERROR;
	if (cli_open(positional.items[0], &container) < 0)
		return EXIT_CLI_ERROR;
	/*
	 * docker's exec --privileged gives the process every capability. The library grants it where the
	 * container's level is permissive (docker's run) or the container is privileged, and refuses it (EPERM,
	 * one line) where the process would be stronger than the container's own root.
	 */
	if (flags.privileged)
		spawn.flags |= CV_SPAWN_PRIVILEGED;
	if (flags.env.count > 0 || flags.env_files.count > 0 || flags.tty) {
		if (build_env(container, &base_env, &env) < 0) {
			free_env_files();
			cli_strings_free(base_env);
			string_list_free(&env);
			return EXIT_CLI_ERROR;
		}
		spawn.env = env.items;
	}
	code = flags.detach ? exec_detached(container, &spawn) : exec_attached(container, &spawn);
	string_list_free(&env);
	cli_strings_free(base_env);
	free_env_files();
	return code;
}
