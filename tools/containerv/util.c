/*
 * Small helpers every command uses: allocation, cleanup, opening a
 * container with an error line, signal and number parsing.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "output.h"

void cli_freep(void *pointer)
{
	free(*(void **)pointer);
}

void cli_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

void cli_container_closep(struct containerv_container **container)
{
	containerv_close(*container);
}

void cli_options_deletep(struct containerv_options **options)
{
	containerv_options_delete(*options);
}

static void out_of_memory(void)
{
	fputs("containerv: out of memory\n", stderr);
	exit(EXIT_CLI_ERROR);
}

void *xmalloc(size_t size)
{
	void *pointer = calloc(1, size != 0 ? size : 1);

	if (pointer == NULL)
		out_of_memory();
	return pointer;
}

void *xrealloc(void *pointer, size_t size)
{
	pointer = realloc(pointer, size != 0 ? size : 1);
	if (pointer == NULL)
		out_of_memory();
	return pointer;
}

char *xstrdup(const char *text)
{
	char *copy = strdup(text);

	if (copy == NULL)
		out_of_memory();
	return copy;
}

int cli_open(const char *reference, struct containerv_container **container)
{
	if (containerv_open(reference, container) == 0)
		return 0;
	if (errno == ENOENT)
		cli_fail(0, "No such container: %s", reference);
	else
		cli_fail_library(0, "open %s", reference);
	return -1;
}

int cli_exec_exit_code(void)
{
	if (containerv_last_error_code() != CONTAINERV_E_EXEC)
		return EXIT_CLI_ERROR;
	return errno == ENOENT ? EXIT_COMMAND_NOT_FOUND : EXIT_CANNOT_EXECUTE;
}

const char *cli_state_name(enum containerv_state state)
{
	return containerv_state_name(state == CV_STATE_HELD ? CV_STATE_CREATED : state);
}

const char *cli_info_state_name(const struct containerv_info *info)
{
	return info->state == CV_STATE_RUNNING && info->paused ? "paused" : cli_state_name(info->state);
}

int cli_parse_int64(const char *text, int64_t *value)
{
	char *end;
	long long parsed;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	parsed = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*value = parsed;
	return 0;
}

int cli_parse_signal(const char *text)
{
	int64_t number;

	if (cli_parse_int64(text, &number) == 0)
		return number > 0 && number < NSIG ? (int)number : -1;
	if (strncasecmp(text, "SIG", 3) == 0)
		text += 3;
	/* sigabbrev_np() knows every name glibc does, real-time ones aside. */
	for (int signal = 1; signal < SIGRTMIN; signal++) {
		const char *name = sigabbrev_np(signal);

		if (name != NULL && strcasecmp(name, text) == 0)
			return signal;
	}
	return -1;
}

int cli_get_strings(struct containerv_container *container, enum containerv_strings which, char ***strings)
{
	return containerv_get_strings(container, which, strings, NULL);
}

void cli_strings_free(char **strings)
{
	containerv_strings_free(strings);
}
