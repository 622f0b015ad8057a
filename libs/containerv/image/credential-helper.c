/*
 * docker's credential helpers: an auth file with "credHelpers": {"HOST":
 * "NAME"} or "credsStore": "NAME" keeps the secret outside the file, and
 * `docker-credential-NAME get` prints it ({"Username": ..., "Secret": ...})
 * for the server URL written to its stdin. Run only when a file names a
 * helper; its answer is hostile input like any other (bounded, parsed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "image/auth.h"

#define HELPER_ANSWER_MAX (64 * 1024)
#define HELPER_TIMEOUT_MS 10000

extern char **environ;

static bool helper_name_is_valid(const char *name)
{
	if (name[0] == '\0' || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_' || *p == '.'))
			return false;
	return true;
}

/* Runs `docker-credential-NAME get` with server on stdin; its stdout (at most HELPER_ANSWER_MAX) in *answer. */
static int run_helper(const char *name, const char *server, char **answer, size_t *length)
{
	char program[96];
	char *const argv[] = {program, "get", NULL};
	int in[2] = {-1, -1}, out[2] = {-1, -1};
	posix_spawn_file_actions_t actions;
	cleanup_free char *buffer = NULL;
	size_t used = 0;
	pid_t pid;
	int status, err;

	snprintf(program, sizeof program, "docker-credential-%s", name);
	/* stdin is a socket so that writing to a helper that is gone is EPIPE, never SIGPIPE. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		err = cv_error_sys("credential helper %s", program);
		goto close_pipes;
	}
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
	err = posix_spawnp(&pid, program, &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	if (err != 0) {
		errno = err;
		err = cv_error_sys("credential helper %s", program);
		goto close_pipes;
	}
	/* The server URL is short: it fits the socket buffer. A helper gone already: its status tells. */
	while (send(in[1], server, strlen(server), MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
	close(in[1]);
	in[1] = -1;
	buffer = malloc(HELPER_ANSWER_MAX + 1);
	if (buffer == NULL) {
		err = cv_error_errno(ENOMEM, "out of memory");
		kill(pid, SIGKILL);
	} else {
		int64_t deadline = cv_monotonic_ns() + (int64_t)HELPER_TIMEOUT_MS * 1000000;
		for (;;) {
			struct pollfd poller = {.fd = out[0], .events = POLLIN};
			int64_t left = (deadline - cv_monotonic_ns()) / 1000000;
			if (left <= 0 || poll(&poller, 1, (int)left) == 0) {
				kill(pid, SIGKILL);
				err = cv_error_errno(ETIMEDOUT, "credential helper %s: no answer", program);
				break;
			}
			ssize_t got = read(out[0], buffer + used, HELPER_ANSWER_MAX - used);
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				err = 0;
				break;
			}
			used += (size_t)got;
			if (used == HELPER_ANSWER_MAX) {
				kill(pid, SIGKILL);
				err = cv_error_errno(EFBIG, "credential helper %s: answer too long", program);
				break;
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (err == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		err = cv_error_code(CONTAINERV_E_AUTH, EACCES, "credential helper %s: failed for %s", program, server);
	if (err == 0) {
		buffer[used] = '\0';
		*answer = cv_steal_pointer(&buffer);
		*length = used;
	}
close_pipes:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return err == 0 ? 0 : -1;
}

int cv_credential_helper_get(const char *helper, const char *server, struct cv_credentials *out)
{
	cleanup_free char *answer = NULL;
	size_t length = 0;
	json_t *root;
	const char *user, *secret;
	int result = 0;

	if (!helper_name_is_valid(helper))
		return cv_error_errno(EINVAL, "credential helper \"%.64s\": invalid name", helper);
	if (run_helper(helper, server, &answer, &length) < 0)
		return -1;
	root = json_loadb(answer, length, 0, NULL);
	explicit_bzero(answer, length);
	user = json_string_value(json_object_get(root, "Username"));
	secret = json_string_value(json_object_get(root, "Secret"));
	if (user == NULL || secret == NULL) {
		result = cv_error_errno(EINVAL, "credential helper docker-credential-%s: malformed answer", helper);
	} else if (strcmp(user, "<token>") != 0) { /* identity tokens are not supported: anonymous */
		out->username = cv_strdup(user);
		out->password = cv_strdup(secret);
		result = out->username && out->password ? 1 : -1;
		if (result < 0)
			cv_credentials_clear(out);
	}
	json_decref(root);
	return result;
}
