/*
 * exec [--process FILE] [--tty] [--console-socket PATH] [--detach] [--pid-file PATH] [--cwd DIR] [--env K=V]...
 * [--user UID[:GID]] ID [COMMAND ARGS...]: one more process in a running container (containerv_spawn), with
 * the container's capabilities, seccomp filter and no_new_privileges.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runc.h"

struct exec_request {
	const char *process_file, *console_socket, *pid_file, *cwd, *user;
	bool tty, detach;
	char **extra_env; /* --env, in order */
	size_t extra_env_count;
	const char *id;
	char **command; /* after the id */
};

static int parse_exec(int argc, char **argv, struct exec_request *request)
{
	static const char *const valued[] = {
	        "process", "p", "console-socket", "pid-file",      "cwd", "env", "e",
	        "user",    "u", "apparmor",       "process-label", "cap", "c",   "preserve-fds"};
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *arg = argv[i] + (argv[i][1] == '-' ? 2 : 1), *value = NULL;
		const char *equals = strchr(arg, '=');
		size_t length = equals ? (size_t)(equals - arg) : strlen(arg);
		bool takes_value = false;
		for (size_t v = 0; v < sizeof valued / sizeof valued[0]; v++)
			takes_value =
			        takes_value || (strlen(valued[v]) == length && strncmp(arg, valued[v], length) == 0);
		if (takes_value) {
			if (equals)
				value = equals + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			else
				return runc_error("exec: %s needs a value", argv[i]);
		}
#define IS(name) (strlen(name) == length && strncmp(arg, name, length) == 0)
		if (IS("process") || IS("p"))
			request->process_file = value;
		else if (IS("console-socket"))
			request->console_socket = value;
		else if (IS("pid-file"))
			request->pid_file = value;
		else if (IS("cwd"))
			request->cwd = value;
		else if (IS("user") || IS("u"))
			request->user = value;
		else if (IS("env") || IS("e"))
			request->extra_env[request->extra_env_count++] = (char *)value;
		else if (IS("tty") || IS("t"))
			request->tty = true;
		else if (IS("detach") || IS("d"))
			request->detach = true;
		else if (IS("preserve-fds")) {
			if (strcmp(value, "0") != 0)
				return runc_error("exec: --preserve-fds is not supported");
		} else if (IS("apparmor") || IS("process-label") || IS("cap") || IS("c"))
			return runc_error("exec: %s is not supported (a process gets the container's profile)",
			                  argv[i]);
		else if (!IS("no-new-privs"))
			return runc_error("exec: unknown flag %s", argv[i]);
#undef IS
	}
	if (i >= argc)
		return runc_error("exec: expects a container id");
	request->id = argv[i++];
	request->command = argv + i;
	if (request->process_file == NULL && request->command[0] == NULL)
		return runc_error("exec: expects a command or --process");
	return 0;
}

/* --user UID[:GID], numeric as runc takes it. */
static int parse_user(const char *text, int64_t *uid, int64_t *gid)
{
	char *end = NULL;

	errno = 0;
	long long u = strtoll(text, &end, 10);
	if (errno != 0 || end == text || u < 0 || u >= 4294967295LL || (*end != '\0' && *end != ':'))
		return runc_error("exec: invalid --user \"%s\" (UID[:GID], numeric)", text);
	*uid = u;
	if (*end == ':') {
		const char *group = end + 1;
		long long g = strtoll(group, &end, 10);
		if (errno != 0 || end == group || *end != '\0' || g < 0 || g >= 4294967295LL)
			return runc_error("exec: invalid --user \"%s\" (UID[:GID], numeric)", text);
		*gid = g;
	}
	return 0;
}

/* The container's environment with each --env added (a later KEY replaces an earlier one). */
static char **merged_env(char **base, char *const *extra, size_t count)
{
	size_t base_count = 0;
	while (base && base[base_count])
		base_count++;
	char **out = calloc(base_count + count + 1, sizeof *out);
	size_t n = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < base_count; i++)
		out[n++] = base[i];
	for (size_t i = 0; i < count; i++) {
		size_t key = strcspn(extra[i], "=");
		size_t j;
		for (j = 0; j < n; j++)
			if (strncmp(out[j], extra[i], key) == 0 && out[j][key] == '=')
				break;
		out[j] = extra[i];
		if (j == n)
			n++;
	}
	return out;
}

static int load_process_file(struct containerv_container *container, const char *path, char ***argv, char ***env,
                             char **cwd, int64_t *uid, int64_t *gid, struct containerv_oci_process *process)
{
	struct containerv_security *security = NULL;
	char text[1 << 16];
	size_t length;
	FILE *file = fopen(path, "re");

	if (file == NULL)
		return runc_error("exec: --process %s: %s", path, strerror(errno));
	length = fread(text, 1, sizeof text - 1, file);
	bool too_long = !feof(file);
	fclose(file);
	if (too_long)
		return runc_error("exec: --process %s: larger than %zu bytes", path, sizeof text - 1);
	text[length] = '\0';
	if (containerv_get_security(container, &security) < 0)
		return runc_library_error("exec");
	int ret = containerv_oci_process_parse(text, security, argv, env, cwd, uid, gid, process);
	containerv_security_delete(security);
	return ret < 0 ? runc_error("exec: %s", containerv_last_error()) : 0;
}

static int run_exec(struct containerv_container *container, struct exec_request *request)
{
	struct containerv_oci_process process = CONTAINERV_OCI_PROCESS_INIT;
	struct containerv_spawn_options spawn = CONTAINERV_SPAWN_OPTIONS_INIT;
	char **file_argv = NULL, **file_env = NULL, **base_env = NULL, **env = NULL;
	char *file_cwd = NULL;
	int64_t uid = -1, gid = -1;
	containerv_fd_t stdio_out[3] = {-1, -1, -1};
	containerv_pid_t pid = 0;
	struct containerv_exit status = {0};
	int ret = 1;

	if (request->process_file != NULL) {
		if (load_process_file(container, request->process_file, &file_argv, &file_env, &file_cwd, &uid, &gid,
		                      &process) != 0)
			goto done;
		request->tty = request->tty || process.terminal;
		base_env = file_env;
	} else if (containerv_get_strings(container, CV_STRINGS_ENV, &base_env, NULL) < 0) {
		ret = runc_library_error("exec");
		goto done;
	}
	/* The container's rlimits, unless the process file gives its own. */
	if (process.rlimit_count == 0 && runc_rlimits_from_labels(container, &process) != 0)
		goto done;
	if (request->user != NULL && parse_user(request->user, &uid, &gid) != 0)
		goto done;
	if (request->tty && request->console_socket == NULL) {
		ret = runc_error("exec: a terminal needs --console-socket");
		goto done;
	}
	env = merged_env(base_env, request->extra_env, request->extra_env_count);
	if (env == NULL || runc_apply_process(&process) != 0)
		goto done;
	spawn.argv = (const char *const *)(file_argv ? file_argv : request->command);
	spawn.env = (const char *const *)env;
	spawn.workdir = request->cwd ? request->cwd : file_cwd;
	spawn.uid = (int)uid;
	spawn.gid = (int)gid;
	if (request->tty) {
		spawn.flags |= CV_SPAWN_TTY;
		spawn.stdio_out = stdio_out;
	} else {
		/* The engine's pipes (or the caller's terminal, its own choice), as runc hands them on. */
		spawn.stdin_fd = 0;
		spawn.stdout_fd = 1;
		spawn.stderr_fd = 2;
	}
	if (containerv_spawn(container, &spawn, &pid, NULL) < 0) {
		ret = runc_library_error("exec");
		goto done;
	}
	if (request->tty && runc_send_console(request->console_socket, stdio_out[0]) != 0)
		goto done;
	if (request->pid_file != NULL && runc_write_pid_file(request->pid_file, (long)pid) != 0)
		goto done;
	if (request->detach) {
		ret = 0;
		goto done;
	}
	if (containerv_wait_process(container, pid, &status) < 0)
		ret = runc_library_error("exec");
	else
		ret = status.code;
done:
	for (int i = 0; i < 3; i++)
		if (stdio_out[i] >= 0)
			close(stdio_out[i]);
	if (base_env != file_env)
		containerv_strings_free(base_env);
	containerv_strings_free(file_argv);
	containerv_strings_free(file_env);
	free(file_cwd);
	free(env);
	return ret;
}

int runc_exec(int argc, char **argv)
{
	struct exec_request request = {0};
	struct containerv_container *container = NULL;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	int ret;

	request.extra_env = calloc((size_t)argc + 1, sizeof *request.extra_env);
	if (request.extra_env == NULL)
		return runc_error("exec: out of memory");
	if (parse_exec(argc, argv, &request) != 0 || runc_open(request.id, &container) != 0) {
		free(request.extra_env);
		return 1;
	}
	if (containerv_inspect(container, &info) < 0)
		ret = runc_library_error(request.id);
	else if (strcmp(runc_status(&info), "running") != 0)
		ret = runc_error("exec: %s is %s, not running", request.id, runc_status(&info));
	else
		ret = run_exec(container, &request);
	containerv_close(container);
	free(request.extra_env);
	return ret;
}
