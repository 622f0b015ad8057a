/*
 * config.json's hooks (prestart, createRuntime, poststart, poststop), run by the runtime in its own
 * namespaces as the runtime specification says, with the container's state on stdin.
 *
 * A hook is a host program run as root from a config that may be hostile: its path is absolute (checked by
 * the loader), it gets exactly the config's arguments and environment, no descriptor of ours but its
 * stdin (the state), stdout and stderr (our stderr), and it is killed (its whole process group) when its
 * timeout passes. The hooks and annotations are kept with the container as a label, so that start and
 * delete run what create was given, not what config.json says by then.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runc.h"

/* A hook without a timeout may still not hang the runtime (and the engine calling it) forever. */
#define HOOK_DEFAULT_TIMEOUT_S 120

int runc_hooks_label(json_t *config, char **label)
{
	json_t *hooks = json_object_get(config, "hooks"), *annotations = json_object_get(config, "annotations");
	json_t *kept;
	char *text;

	*label = NULL;
	if (!json_is_object(hooks) && !json_is_object(annotations))
		return 0;
	kept = json_pack("{s:O?,s:O?}", "hooks", json_is_object(hooks) ? hooks : NULL, "annotations",
	                 json_is_object(annotations) ? annotations : NULL);
	text = kept != NULL ? json_dumps(kept, JSON_COMPACT) : NULL;
	json_decref(kept);
	if (text == NULL)
		return runc_error("create: cannot encode the hooks");
	if (asprintf(label, "%s%s", RUNC_HOOKS_LABEL, text) < 0) {
		free(text);
		return runc_error("create: out of memory");
	}
	free(text);
	return 0;
}

json_t *runc_hooks_of(struct containerv_container *container)
{
	char **labels = NULL;
	json_t *kept = NULL;

	if (containerv_get_strings(container, CV_STRINGS_LABELS, &labels, NULL) < 0)
		return NULL;
	for (size_t i = 0; labels[i] != NULL && kept == NULL; i++)
		if (strncmp(labels[i], RUNC_HOOKS_LABEL, strlen(RUNC_HOOKS_LABEL)) == 0)
			kept = json_loads(labels[i] + strlen(RUNC_HOOKS_LABEL), 0, NULL);
	containerv_strings_free(labels);
	return kept;
}

/* A NULL-terminated copy of a JSON array of strings (the loader checked the types); fallback when absent. */
static char **string_vector(json_t *array, const char *fallback)
{
	size_t count = json_is_array(array) ? json_array_size(array) : 0, i;
	char **vector = calloc(count + 2, sizeof *vector);
	json_t *entry;

	if (vector == NULL)
		return NULL;
	json_array_foreach(array, i, entry) vector[i] = (char *)json_string_value(entry);
	if (count == 0 && fallback != NULL)
		vector[0] = (char *)fallback;
	return vector;
}

static void __attribute__((noreturn)) exec_hook(const char *path, char **argv, char **env, int state_fd)
{
	setpgid(0, 0);
	if (dup2(state_fd, 0) < 0 || dup2(2, 1) < 0)
		_exit(126);
	/* Nothing else of ours: the container's descriptors, the log, the engine's pipes stay here. */
	closefrom(3);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(path, argv, env);
	dprintf(2, "containerv-runc: hook %s: %s\n", path, strerror(errno));
	_exit(127);
}

/* Waits for pid until timeout seconds; then its process group is killed. Returns its wait status, or -1. */
static int wait_hook(pid_t pid, long timeout, bool *timed_out)
{
	struct timespec start, now, pause = {0, 5 * 1000 * 1000};
	int status;

	*timed_out = false;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t done = waitpid(pid, &status, WNOHANG);
		if (done == pid)
			return status;
		if (done < 0 && errno != EINTR)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= timeout) {
			*timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return status;
		}
		nanosleep(&pause, NULL);
	}
}

/* One hook; 0 when it ran and exited 0, else 1 with the reason said (as an error or a warning). */
static int run_hook(json_t *hook, const char *phase, const char *state, bool fatal)
{
	const char *path = json_string_value(json_object_get(hook, "path"));
	json_t *timeout_value = json_object_get(hook, "timeout");
	long timeout =
	        json_is_integer(timeout_value) ? (long)json_integer_value(timeout_value) : HOOK_DEFAULT_TIMEOUT_S;
	char **argv = string_vector(json_object_get(hook, "args"), path);
	char **env = string_vector(json_object_get(hook, "env"), NULL);
	int pipe_fds[2], status = -1, ret = 1;
	bool timed_out = false;
	pid_t pid;

	if (path == NULL || path[0] != '/' || argv == NULL || env == NULL || pipe2(pipe_fds, O_CLOEXEC) < 0) {
		free(argv);
		free(env);
		return fatal ? runc_error("%s hook: cannot run it", phase) : 1;
	}
	pid = fork();
	if (pid == 0)
		exec_hook(path, argv, env, pipe_fds[0]);
	close(pipe_fds[0]);
	if (pid > 0) {
		/* A hook that does not read its stdin must not stop us (SIGPIPE is ignored for the write). */
		void (*previous)(int) = signal(SIGPIPE, SIG_IGN);
		size_t length = strlen(state);
		for (size_t done = 0; done < length;) {
			ssize_t n = write(pipe_fds[1], state + done, length - done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			done += (size_t)n;
		}
		close(pipe_fds[1]);
		signal(SIGPIPE, previous);
		status = wait_hook(pid, timeout, &timed_out);
	} else {
		close(pipe_fds[1]);
	}
	free(argv);
	free(env);
	if (pid > 0 && status >= 0 && !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		ret = 0;
	else if (fatal)
		timed_out ? runc_error("%s hook %s: timed out after %ld s", phase, path, timeout)
		          : runc_error("%s hook %s: failed (%s %d)", phase, path,
		                       status >= 0 && WIFSIGNALED(status) ? "signal" : "exit status",
		                       status < 0            ? -1
		                       : WIFSIGNALED(status) ? WTERMSIG(status)
		                                             : WEXITSTATUS(status));
	else
		fprintf(stderr, "containerv-runc: warning: %s hook %s failed%s\n", phase, path,
		        timed_out ? " (timed out)" : "");
	return ret;
}

int runc_hooks_run(json_t *kept, const char *phase, json_t *state, bool fatal)
{
	json_t *list = json_object_get(json_object_get(kept, "hooks"), phase), *hook;
	char *text;
	size_t i;
	int ret = 0;

	if (json_array_size(list) == 0)
		return 0;
	text = json_dumps(state, JSON_COMPACT);
	if (text == NULL)
		return runc_error("%s hooks: cannot encode the state", phase);
	runc_debug("running the %s hooks", phase);
	json_array_foreach(list, i, hook)
	{
		/* A failed prestart or createRuntime hook ends the create; the others warn and go on. */
		if (run_hook(hook, phase, text, fatal) != 0 && fatal) {
			ret = 1;
			break;
		}
	}
	free(text);
	return ret;
}
