/*
 * create, start, run, state, kill, delete, pause, resume: the OCI lifecycle.
 * OCI's "created" is containerv's held start: create sets everything up and
 * stops before the process is executed; start releases it.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runc.h"

int runc_parse_flags(int argc, char **argv, struct flag *flags, char **positional, int max_positional,
                     int *positional_count)
{
	*positional_count = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (arg[0] != '-' || arg[1] == '\0') {
			if (*positional_count >= max_positional)
				return runc_error("%s: unexpected argument \"%s\"", argv[0], arg);
			positional[(*positional_count)++] = argv[i];
			continue;
		}
		arg += arg[1] == '-' ? 2 : 1;
		struct flag *flag = NULL;
		const char *equals = strchr(arg, '=');
		size_t length = equals ? (size_t)(equals - arg) : strlen(arg);
		for (struct flag *f = flags; f->name != NULL && flag == NULL; f++)
			if (strlen(f->name) == length && strncmp(f->name, arg, length) == 0)
				flag = f;
		if (flag == NULL)
			return runc_error("%s: unknown flag %s", argv[0], argv[i]);
		if (!flag->takes_value) {
			*flag->set = equals == NULL || strcmp(equals + 1, "true") == 0;
			continue;
		}
		if (equals != NULL)
			*flag->value = equals + 1;
		else if (i + 1 < argc)
			*flag->value = argv[++i];
		else
			return runc_error("%s: %s needs a value", argv[0], argv[i]);
	}
	return 0;
}

/* One ID positional argument and nothing else. */
static int parse_id(int argc, char **argv, struct flag *flags, const char **id)
{
	char *positional[1];
	int count;

	if (runc_parse_flags(argc, argv, flags, positional, 1, &count) != 0)
		return 1;
	if (count != 1)
		return runc_error("%s: expects exactly one container id", argv[0]);
	*id = positional[0];
	return 0;
}

/* bundle/config.json's text: a regular file of at most CONTAINERV_OCI_CONFIG_MAX bytes. */
static int read_config(const char *bundle, char **text)
{
	char path[PATH_MAX + 16];
	struct stat st;
	FILE *file;
	size_t length;

	snprintf(path, sizeof path, "%s/config.json", bundle);
	file = fopen(path, "re");
	if (file == NULL)
		return runc_error("%s: %s", path, strerror(errno));
	if (fstat(fileno(file), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONTAINERV_OCI_CONFIG_MAX) {
		fclose(file);
		return runc_error("%s: not a regular file of at most %d bytes", path, CONTAINERV_OCI_CONFIG_MAX);
	}
	*text = malloc((size_t)st.st_size + 1);
	if (*text == NULL) {
		fclose(file);
		return runc_error("%s: out of memory", path);
	}
	length = fread(*text, 1, (size_t)st.st_size, file);
	(*text)[length] = '\0';
	fclose(file);
	return 0;
}

/* The kept hooks of phase with the container's state now on stdin; see runc_hooks_run for fatal. */
static int run_phase_hooks(struct containerv_container *container, const char *phase, bool fatal)
{
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	json_t *kept = runc_hooks_of(container), *state;
	int ret = 0;

	if (kept == NULL)
		return 0;
	if (containerv_inspect(container, &info) < 0) {
		json_decref(kept);
		return fatal ? runc_library_error(phase) : 0;
	}
	state = runc_state_json(container, &info);
	ret = state != NULL ? runc_hooks_run(kept, phase, state, fatal) : 1;
	json_decref(state);
	json_decref(kept);
	return ret;
}

/*
 * Releases a created container and runs its poststart hooks with the state start made: "running", the
 * pid it had. A short process may already have ended when they run; the state they get is start's, not
 * whatever came after it (the specification: poststart is called after the process started).
 */
static int start_with_hooks(struct containerv_container *container, const char *id)
{
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	json_t *kept, *state = NULL;

	if (containerv_inspect(container, &info) < 0 || containerv_start(container) < 0)
		return runc_library_error(id);
	kept = runc_hooks_of(container);
	if (kept != NULL)
		state = runc_state_json(container, &info);
	if (state != NULL) {
		json_object_set_new(state, "status", json_string("running"));
		runc_hooks_run(kept, "poststart", state, false);
	}
	json_decref(state);
	json_decref(kept);
	return 0;
}

/* prestart (deprecated, still run), then createRuntime: the container is created, its process not run. */
static int run_create_hooks(struct containerv_container *container)
{
	return run_phase_hooks(container, "prestart", true) != 0 ||
	                       run_phase_hooks(container, "createRuntime", true) != 0
	               ? 1
	               : 0;
}

/* Removes the container, then runs its poststop hooks (with the state it had: they may clean up after it). */
static int remove_with_hooks(struct containerv_container *container, const char *id)
{
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	json_t *kept = runc_hooks_of(container), *state = NULL;

	if (kept != NULL && containerv_inspect(container, &info) == 0)
		state = runc_state_json(container, &info);
	if (containerv_remove(container, 0) < 0) {
		json_decref(kept);
		json_decref(state);
		return runc_library_error(id);
	}
	if (kept != NULL && state != NULL) {
		json_object_set_new(state, "status", json_string("stopped"));
		runc_hooks_run(kept, "poststop", state, false);
	}
	json_decref(kept);
	json_decref(state);
	return 0;
}

struct create_flags {
	const char *bundle, *pid_file, *console_socket, *preserve_fds;
	bool no_pivot, no_new_keyring, detach;
};

/*
 * The container, held: config.json translated (refusals name the field), the process's rlimits and OOM
 * score applied to ourselves so the init inherits them, our stdio handed to the process (the engine's
 * pipes), the terminal's master sent to the console socket.
 */
static int create_held(const char *id, const struct create_flags *flags, struct containerv_container **out)
{
	struct containerv_oci_process process = CONTAINERV_OCI_PROCESS_INIT;
	struct containerv_options *options = NULL;
	struct containerv_container *container = NULL;
	char bundle[PATH_MAX], label[PATH_MAX + 64], rlimits[1024];
	char *text = NULL, *hooks_label = NULL;
	json_t *config = NULL;
	int ret = 1;

	process.run_hooks = 1;
	if (realpath(flags->bundle ? flags->bundle : ".", bundle) == NULL)
		return runc_error("bundle %s: %s", flags->bundle ? flags->bundle : ".", strerror(errno));
	if (flags->preserve_fds != NULL && strcmp(flags->preserve_fds, "0") != 0)
		return runc_error("--preserve-fds: passing extra descriptors into the container is not supported");
	if (containerv_options_new(&options) < 0)
		return runc_library_error("create");
	/* One reading of config.json for the library's translation and for the hooks it checked. */
	if (read_config(bundle, &text) != 0)
		goto done;
	if (containerv_oci_config_parse(options, text, bundle, &process) < 0) {
		ret = runc_error("%s", containerv_last_error());
		goto done;
	}
	config = json_loads(text, 0, NULL);
	if (config == NULL || runc_hooks_label(config, &hooks_label) != 0)
		goto done;
	if (process.terminal && flags->console_socket == NULL) {
		ret = runc_error("process.terminal is set: --console-socket is required");
		goto done;
	}
	if (!process.terminal && flags->console_socket != NULL) {
		ret = runc_error("--console-socket given, but process.terminal is not set");
		goto done;
	}
	snprintf(label, sizeof label, "%s%s", RUNC_BUNDLE_LABEL, bundle);
	runc_rlimits_label(&process, rlimits, sizeof rlimits);
	if (containerv_options_set_name(options, id) < 0 || containerv_options_add_label(options, label) < 0 ||
	    containerv_options_add_label(options, rlimits) < 0 || containerv_options_set_hold(options, 1) < 0 ||
	    (hooks_label != NULL && containerv_options_add_label(options, hooks_label) < 0) ||
	    (!process.terminal && containerv_options_set_stdio(options, 0, 1, 2) < 0)) {
		ret = runc_library_error("create");
		goto done;
	}
	if (runc_apply_process(&process) != 0)
		goto done;
	if (containerv_create(options, &container) < 0) {
		ret = runc_library_error("create");
		goto done;
	}
	if (process.terminal) {
		containerv_fd_t fds[3] = {-1, -1, -1};
		containerv_take_stdio(container, fds);
		int sent = fds[0] >= 0 ? runc_send_console(flags->console_socket, fds[0])
		                       : runc_error("create: no terminal was made for the container");
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		if (sent != 0) {
			containerv_remove(container, 0);
			container = NULL;
			goto done;
		}
	}
	if (flags->pid_file != NULL) {
		struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
		if (containerv_inspect(container, &info) < 0 ||
		    runc_write_pid_file(flags->pid_file, (long)info.pid) != 0) {
			if (info.pid == 0)
				runc_library_error("create");
			containerv_remove(container, 0);
			container = NULL;
			goto done;
		}
	}
	if (run_create_hooks(container) != 0) {
		containerv_remove(container, 0);
		container = NULL;
		goto done;
	}
	*out = container;
	container = NULL;
	ret = 0;
done:
	containerv_close(container);
	containerv_options_delete(options);
	json_decref(config);
	free(text);
	free(hooks_label);
	return ret;
}

int runc_create(int argc, char **argv)
{
	struct create_flags flags = {0};
	struct flag table[] = {
	        {"bundle", true, &flags.bundle, NULL},
	        {"b", true, &flags.bundle, NULL},
	        {"pid-file", true, &flags.pid_file, NULL},
	        {"console-socket", true, &flags.console_socket, NULL},
	        {"preserve-fds", true, &flags.preserve_fds, NULL},
	        {"no-pivot", false, NULL, &flags.no_pivot},
	        {"no-new-keyring", false, NULL, &flags.no_new_keyring},
	        {NULL, false, NULL, NULL},
	};
	struct containerv_container *container = NULL;
	const char *id = NULL;

	if (parse_id(argc, argv, table, &id) != 0 || create_held(id, &flags, &container) != 0)
		return 1;
	containerv_close(container);
	return 0;
}

int runc_start(int argc, char **argv)
{
	struct flag table[] = {{NULL, false, NULL, NULL}};
	struct containerv_container *container = NULL;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	const char *id = NULL;
	int ret = 0;

	if (parse_id(argc, argv, table, &id) != 0 || runc_open(id, &container) != 0)
		return 1;
	if (containerv_inspect(container, &info) < 0)
		ret = runc_library_error(id);
	else if (info.state != CV_STATE_HELD)
		ret = runc_error("%s: cannot start a container that is %s", id, runc_status(&info));
	else
		ret = start_with_hooks(container, id);
	containerv_close(container);
	return ret;
}

int runc_run(int argc, char **argv)
{
	struct create_flags flags = {0};
	struct flag table[] = {
	        {"bundle", true, &flags.bundle, NULL},
	        {"b", true, &flags.bundle, NULL},
	        {"pid-file", true, &flags.pid_file, NULL},
	        {"console-socket", true, &flags.console_socket, NULL},
	        {"preserve-fds", true, &flags.preserve_fds, NULL},
	        {"no-pivot", false, NULL, &flags.no_pivot},
	        {"no-new-keyring", false, NULL, &flags.no_new_keyring},
	        {"detach", false, NULL, &flags.detach},
	        {"d", false, NULL, &flags.detach},
	        {NULL, false, NULL, NULL},
	};
	struct containerv_container *container = NULL;
	struct containerv_exit status = {0};
	const char *id = NULL;

	if (parse_id(argc, argv, table, &id) != 0 || create_held(id, &flags, &container) != 0)
		return 1;
	if (start_with_hooks(container, id) != 0) {
		remove_with_hooks(container, id);
		return 1;
	}
	if (flags.detach) {
		containerv_close(container);
		return 0;
	}
	/* Attached: the exit status is ours, and the container goes with it, as runc run does. */
	if (containerv_wait(container, &status) < 0) {
		int ret = runc_library_error(id);
		containerv_close(container);
		return ret;
	}
	if (remove_with_hooks(container, id) != 0)
		return 1;
	return status.code;
}

static char *format_time(int64_t ns)
{
	static char text[64];
	time_t seconds = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&seconds, &tm);
	size_t used = strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(text + used, sizeof text - used, ".%09lldZ", (long long)(ns % 1000000000));
	return text;
}

/* The bundle recorded at create (a label); "" when none. */
static const char *bundle_of(struct containerv_container *container, char *buffer, size_t size)
{
	char **labels = NULL;

	buffer[0] = '\0';
	if (containerv_get_strings(container, CV_STRINGS_LABELS, &labels, NULL) == 0)
		for (size_t i = 0; labels[i] != NULL; i++)
			if (strncmp(labels[i], RUNC_BUNDLE_LABEL, strlen(RUNC_BUNDLE_LABEL)) == 0)
				snprintf(buffer, size, "%s", labels[i] + strlen(RUNC_BUNDLE_LABEL));
	containerv_strings_free(labels);
	return buffer;
}

/* The OCI state of a container (runtime.md's "State"), with runc's extra members. */
json_t *runc_state_json(struct containerv_container *container, const struct containerv_info *info)
{
	char bundle[PATH_MAX];
	const char *status = runc_status(info);
	bool alive = strcmp(status, "stopped") != 0;
	json_t *kept = runc_hooks_of(container), *annotations = json_object_get(kept, "annotations");
	json_t *state =
	        json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:o}", "ociVersion", CONTAINERV_OCI_VERSION, "id",
	                  containerv_name(container), "status", status, "pid", (json_int_t)(alive ? info->pid : 0),
	                  "bundle", bundle_of(container, bundle, sizeof bundle), "rootfs", info->rootfs, "created",
	                  format_time(info->created_ns), "owner", "", "annotations",
	                  json_is_object(annotations) ? json_incref(annotations) : json_object());

	json_decref(kept);
	return state;
}

int runc_state(int argc, char **argv)
{
	struct flag table[] = {{NULL, false, NULL, NULL}};
	struct containerv_container *container = NULL;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	const char *id = NULL;
	int ret = 0;

	if (parse_id(argc, argv, table, &id) != 0 || runc_open(id, &container) != 0)
		return 1;
	if (containerv_inspect(container, &info) < 0) {
		ret = runc_library_error(id);
	} else {
		json_t *state = runc_state_json(container, &info);
		char *text = state ? json_dumps(state, JSON_INDENT(2)) : NULL;
		if (text == NULL)
			ret = runc_error("%s: out of memory", id);
		else
			printf("%s\n", text);
		free(text);
		json_decref(state);
	}
	containerv_close(container);
	return ret;
}

/*
 * kill --all with a signal other than SIGKILL: every process of the container but containerv's init (which
 * would forward it to the process a second time), while the cgroup is frozen so that no process forks away
 * from the list or exits to have its pid reused before it is signalled, as runc does. A container already
 * paused stays so.
 */
static int kill_all(struct containerv_container *container, const struct containerv_info *info, int signal,
                    const char *id)
{
	struct containerv_process_info processes[1024];
	size_t count = 0;
	bool froze = !info->paused && containerv_pause(container) == 0;
	int ret = 0;

	if (containerv_get_processes(container, processes, 1024, &count) < 0)
		ret = runc_library_error(id);
	for (size_t i = 0; ret == 0 && i < count && i < 1024; i++)
		if (processes[i].pid != info->pid && kill(processes[i].pid, signal) < 0 && errno != ESRCH)
			ret = runc_error("%s: kill process %ld: %s", id, (long)processes[i].pid, strerror(errno));
	if (froze && containerv_resume(container) < 0 && ret == 0)
		ret = runc_library_error(id);
	return ret;
}

int runc_kill(int argc, char **argv)
{
	bool all = false;
	struct flag table[] = {{"all", false, NULL, &all}, {"a", false, NULL, &all}, {NULL, false, NULL, NULL}};
	struct containerv_container *container = NULL;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	char *positional[2];
	int count, signal, ret = 0;

	if (runc_parse_flags(argc, argv, table, positional, 2, &count) != 0)
		return 1;
	if (count < 1)
		return runc_error("kill: expects a container id and a signal");
	signal = runc_signal_number(count == 2 ? positional[1] : "TERM");
	if (signal < 0)
		return runc_error("kill: unknown signal \"%s\"", positional[1]);
	if (runc_open(positional[0], &container) != 0)
		return 1;
	if (containerv_inspect(container, &info) < 0)
		ret = runc_library_error(positional[0]);
	else if (strcmp(runc_status(&info), "stopped") == 0)
		ret = runc_error("%s: container not running", positional[0]);
	/* SIGKILL reaches every process of the container (the cgroup) anyway; others go to its process. */
	else if (all && signal != SIGKILL && info.state == CV_STATE_RUNNING)
		ret = kill_all(container, &info, signal, positional[0]);
	else if (containerv_kill(container, signal) < 0)
		ret = runc_library_error(positional[0]);
	containerv_close(container);
	return ret;
}

int runc_delete(int argc, char **argv)
{
	bool force = false;
	struct flag table[] = {{"force", false, NULL, &force}, {"f", false, NULL, &force}, {NULL, false, NULL, NULL}};
	struct containerv_container *container = NULL;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	const char *id = NULL;

	if (parse_id(argc, argv, table, &id) != 0)
		return 1;
	if (runc_open(id, &container) != 0)
		return force ? 0 : 1; /* --force of a container that is gone succeeds, as runc's does */
	if (containerv_inspect(container, &info) < 0) {
		containerv_close(container);
		return runc_library_error(id);
	}
	/* A created (held) container may be deleted: nothing of it ever ran. A running one needs --force. */
	if (info.state == CV_STATE_RUNNING && !force) {
		containerv_close(container);
		return runc_error("%s: cannot delete a running container (use --force)", id);
	}
	return remove_with_hooks(container, id);
}

static int freeze(int argc, char **argv, bool pause)
{
	struct flag table[] = {{NULL, false, NULL, NULL}};
	struct containerv_container *container = NULL;
	const char *id = NULL;
	int ret = 0;

	if (parse_id(argc, argv, table, &id) != 0 || runc_open(id, &container) != 0)
		return 1;
	if ((pause ? containerv_pause(container) : containerv_resume(container)) < 0)
		ret = runc_library_error(id);
	containerv_close(container);
	return ret;
}

int runc_pause(int argc, char **argv)
{
	return freeze(argc, argv, true);
}

int runc_resume(int argc, char **argv)
{
	return freeze(argc, argv, false);
}

struct list_state {
	json_t *array;
	bool json, quiet;
};

static int list_one(const struct containerv_info *info, void *user)
{
	struct list_state *state = user;
	struct containerv_container *container = NULL;
	char bundle[PATH_MAX];

	/* Only ours: containers whose name is their OCI id. */
	if (containerv_open(info->id, &container) < 0)
		return 0;
	bundle_of(container, bundle, sizeof bundle);
	if (state->json) {
		json_array_append_new(state->array, runc_state_json(container, info));
	} else if (state->quiet) {
		printf("%s\n", info->name);
	} else {
		printf("%-20s %-8ld %-8s %-40s %s\n", info->name,
		       strcmp(runc_status(info), "stopped") ? (long)info->pid : 0L, runc_status(info), bundle,
		       format_time(info->created_ns));
	}
	containerv_close(container);
	return 0;
}

int runc_list(int argc, char **argv)
{
	const char *format = "table";
	bool quiet = false;
	struct flag table[] = {{"format", true, &format, NULL},
	                       {"f", true, &format, NULL},
	                       {"quiet", false, NULL, &quiet},
	                       {"q", false, NULL, &quiet},
	                       {NULL, false, NULL, NULL}};
	struct list_state state = {.array = json_array(), .json = false};
	char *positional[1];
	int count;

	if (runc_parse_flags(argc, argv, table, positional, 0, &count) != 0) {
		json_decref(state.array);
		return 1;
	}
	state.json = strcmp(format, "json") == 0;
	state.quiet = quiet;
	if (!state.json && !quiet)
		printf("%-20s %-8s %-8s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
	if (containerv_list(list_one, &state) < 0) {
		json_decref(state.array);
		return runc_library_error("list");
	}
	if (state.json) {
		char *text = json_dumps(state.array, JSON_COMPACT);
		printf("%s\n", text ? text : "[]");
		free(text);
	}
	json_decref(state.array);
	return 0;
}

int runc_ps(int argc, char **argv)
{
	const char *format = "table";
	struct flag table[] = {{"format", true, &format, NULL}, {"f", true, &format, NULL}, {NULL, false, NULL, NULL}};
	struct containerv_process_info processes[1024];
	struct containerv_container *container = NULL;
	char *positional[1];
	size_t count = 0;
	int positional_count, ret = 0;

	if (runc_parse_flags(argc, argv, table, positional, 1, &positional_count) != 0)
		return 1;
	if (positional_count != 1)
		return runc_error("ps: expects a container id");
	if (runc_open(positional[0], &container) != 0)
		return 1;
	if (containerv_get_processes(container, processes, 1024, &count) < 0) {
		ret = runc_library_error(positional[0]);
	} else if (strcmp(format, "json") == 0) {
		json_t *pids = json_array();
		for (size_t i = 0; i < count && i < 1024; i++)
			json_array_append_new(pids, json_integer(processes[i].pid));
		char *text = json_dumps(pids, JSON_COMPACT);
		printf("%s\n", text ? text : "[]");
		free(text);
		json_decref(pids);
	} else {
		printf("%-8s %-8s %s\n", "PID", "UID", "CMD");
		for (size_t i = 0; i < count && i < 1024; i++)
			printf("%-8ld %-8ld %s\n", (long)processes[i].pid, (long)processes[i].uid,
			       processes[i].command);
	}
	containerv_close(container);
	return ret;
}
