#include "platform/windows/quote.h"

#include <stdlib.h>
#include <string.h>

static size_t quoted(const char *argument, char *out)
{
	size_t n = 0;
	int needs = argument[0] == '\0' || strpbrk(argument, " \t\n\v\"") != NULL;

	if (!needs) {
		if (out != NULL)
			memcpy(out, argument, strlen(argument));
		return strlen(argument);
	}
	if (out != NULL)
		out[n] = '"';
	n++;
	for (const char *p = argument;; p++) {
		size_t backslashes = 0;
		while (*p == '\\') {
			backslashes++;
			p++;
		}
		/* before a quote or the closing quote: each backslash doubled */
		size_t copies = *p == '\0' ? backslashes * 2 : *p == '"' ? backslashes * 2 + 1 : backslashes;
		for (size_t i = 0; i < copies; i++) {
			if (out != NULL)
				out[n] = '\\';
			n++;
		}
		if (*p == '\0')
			break;
		if (out != NULL)
			out[n] = *p;
		n++;
	}
	if (out != NULL)
		out[n] = '"';
	return n + 1;
}

char *cv_windows_command_line(const char *const *argv)
{
	size_t size = 1;
	char *line;

	for (size_t i = 0; argv[i] != NULL; i++)
		size += quoted(argv[i], NULL) + 1;
	if ((line = malloc(size)) == NULL)
		return NULL;
	size = 0;
	for (size_t i = 0; argv[i] != NULL; i++) {
		if (i > 0)
			line[size++] = ' ';
		size += quoted(argv[i], line + size);
	}
	line[size] = '\0';
	return line;
}
