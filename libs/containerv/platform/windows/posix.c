/*
 * The few POSIX functions the portable layers call that the Windows C runtime lacks (declared in
 * compat.h): each on its Windows counterpart.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *realpath(const char *path, char *resolved)
{
	char *full = _fullpath(resolved, path, _MAX_PATH);
	struct _stat64 st;

	if (full == NULL)
		return NULL;
	if (_stat64(full, &st) < 0) { /* realpath fails for a missing path */
		if (resolved == NULL)
			free(full);
		return NULL;
	}
	return full;
}

void *memrchr(const void *memory, int byte, size_t length)
{
	const unsigned char *bytes = memory;

	while (length-- > 0)
		if (bytes[length] == (unsigned char)byte)
			return (void *)(bytes + length);
	return NULL;
}

time_t timegm(struct tm *tm)
{
	return _mkgmtime(tm);
}

ssize_t getline(char **line, size_t *capacity, FILE *stream)
{
	size_t length = 0;
	int c;

	if (line == NULL || capacity == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (*line == NULL || *capacity == 0) {
		*capacity = 128;
		if ((*line = realloc(*line, *capacity)) == NULL)
			return -1;
	}
	while ((c = fgetc(stream)) != EOF) {
		if (length + 2 > *capacity) {
			size_t bigger = *capacity * 2;
			char *grown = realloc(*line, bigger);
			if (grown == NULL)
				return -1;
			*line = grown;
			*capacity = bigger;
		}
		(*line)[length++] = (char)c;
		if (c == '\n')
			break;
	}
	if (length == 0)
		return -1;
	(*line)[length] = '\0';
	return (ssize_t)length;
}

int lstat(const char *path, struct stat *st)
{
	return stat(path, st); /* no POSIX symbolic links: a reparse point is seen through */
}

const char *strerrordesc_np(int error)
{
	return strerror(error); /* the C runtime's text, in a per-thread buffer */
}
