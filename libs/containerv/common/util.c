#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "error.h"
#include "util.h"

void cv_freep(void *pointer)
{
	free(*(void **)pointer);
}

void cv_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

void cv_fclosep(FILE **file)
{
	if (*file != NULL)
		fclose(*file);
}

void cv_closedirp(DIR **dir)
{
	if (*dir != NULL)
		closedir(*dir);
}

void cv_strv_freep(char ***strv)
{
	cv_strv_free(*strv);
}

void *cv_malloc0(size_t size)
{
	void *pointer = calloc(1, size ? size : 1);

	if (pointer == NULL)
		cv_error_errno(ENOMEM, "out of memory");
	return pointer;
}

char *cv_strdup(const char *text)
{
	char *copy = strdup(text);

	if (copy == NULL)
		cv_error_errno(ENOMEM, "out of memory");
	return copy;
}

int cv_replace_string(char **slot, const char *value)
{
	char *copy = NULL;

	if (value != NULL && (copy = cv_strdup(value)) == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

int cv_asprintf(char **out, const char *format, ...)
{
	va_list args;
	int ret;

	va_start(args, format);
	ret = vasprintf(out, format, args);
	va_end(args);
	if (ret < 0) {
		*out = NULL;
		return cv_error_errno(ENOMEM, "out of memory");
	}
	return 0;
}

size_t cv_strv_length(char *const *strv)
{
	size_t n = 0;

	while (strv != NULL && strv[n] != NULL)
		n++;
	return n;
}

void cv_strv_free(char **strv)
{
	if (strv == NULL)
		return;
	for (size_t i = 0; strv[i] != NULL; i++)
		free(strv[i]);
	free(strv);
}

char **cv_strv_dup(const char *const *strv)
{
	size_t n = cv_strv_length((char *const *)strv);
	char **copy = cv_malloc0((n + 1) * sizeof *copy);

	if (copy == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		copy[i] = cv_strdup(strv[i]);
		if (copy[i] == NULL) {
			cv_strv_free(copy);
			return NULL;
		}
	}
	return copy;
}

int cv_strv_append(char ***strv, const char *text)
{
	size_t n = cv_strv_length(*strv);
	char *copy = cv_strdup(text);
	char **grown;

	if (copy == NULL)
		return -1;
	grown = realloc(*strv, (n + 2) * sizeof *grown);
	if (grown == NULL) {
		free(copy);
		return cv_error_errno(ENOMEM, "out of memory");
	}
	grown[n] = copy;
	grown[n + 1] = NULL;
	*strv = grown;
	return 0;
}

char *cv_strv_join(char *const *strv, const char *sep)
{
	size_t total = 1, seplen = strlen(sep);
	char *out, *p;

	for (size_t i = 0; strv != NULL && strv[i] != NULL; i++)
		total += strlen(strv[i]) + seplen;
	out = cv_malloc0(total);
	if (out == NULL)
		return NULL;
	p = out;
	for (size_t i = 0; strv != NULL && strv[i] != NULL; i++) {
		if (i > 0) {
			memcpy(p, sep, seplen);
			p += seplen;
		}
		size_t len = strlen(strv[i]);
		memcpy(p, strv[i], len);
		p += len;
	}
	*p = '\0';
	return out;
}

ssize_t cv_write_all(int fd, const void *buffer, size_t length)
{
	const char *p = buffer;
	size_t done = 0;

	while (done < length) {
		ssize_t n = write(fd, p + done, length - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t cv_read_all(int fd, void *buffer, size_t length)
{
	char *p = buffer;
	size_t done = 0;

	while (done < length) {
		ssize_t n = read(fd, p + done, length - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int cv_read_fd(int fd, const char *path, char **content, size_t *length, size_t max)
{
	cleanup_free char *buffer = NULL;
	size_t size = 0, capacity = 4096;

	buffer = cv_malloc0(capacity + 1);
	if (buffer == NULL)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buffer + size, capacity - size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cv_error_sys("read %s", path);
		}
		if (n == 0)
			break;
		size += (size_t)n;
		if (size > max)
			return cv_error_errno(EFBIG, "read %s: larger than %zu bytes", path, max);
		if (size == capacity) {
			char *grown = realloc(buffer, capacity * 2 + 1);
			if (grown == NULL)
				return cv_error_errno(ENOMEM, "out of memory");
			buffer = grown;
			capacity *= 2;
		}
	}
	buffer[size] = '\0';
	if (length != NULL)
		*length = size;
	*content = cv_steal_pointer(&buffer);
	return 0;
}

int cv_random_hex(char *buffer, size_t bytes)
{
	unsigned char random[64];

	if (bytes > sizeof random)
		bytes = sizeof random;
	if (cv_random_bytes(random, bytes) < 0)
		return -1;
	for (size_t i = 0; i < bytes; i++)
		snprintf(buffer + 2 * i, 3, "%02x", random[i]);
	return 0;
}

int64_t cv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t cv_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool cv_cgroup_path_is_plain(const char *path)
{
	size_t length = strlen(path), component = 0;

	if (length == 0 || length > CV_CGROUP_PATH_MAX || strcmp(path, "/") == 0)
		return false;
	for (const char *p = path[0] == '/' ? path + 1 : path;; p++) {
		if (*p == '/' || *p == '\0') {
			const char *start = p - component;
			if (component == 0 || (component == 1 && start[0] == '.') ||
			    (component == 2 && start[0] == '.' && start[1] == '.'))
				return false;
			if (*p == '\0')
				return true;
			component = 0;
			continue;
		}
		bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
		if (!alnum && *p != '_' && *p != '.' && *p != '-' && *p != ':' && *p != '@')
			return false;
		component++;
	}
}

bool cv_name_is_valid(const char *name, size_t max)
{
	size_t length = strlen(name);

	if (length == 0 || length > max)
		return false;
	for (size_t i = 0; i < length; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (i == 0 && !alnum)
			return false;
		if (!alnum && c != '_' && c != '.' && c != '-')
			return false;
	}
	return true;
}

/* The length of the well-formed UTF-8 sequence at p (RFC 3629's table), 0 when there is none. */
static size_t utf8_sequence_length(const unsigned char *p)
{
	unsigned char lead = p[0];
	unsigned char low = 0x80, high = 0xBF; /* the second byte's range */
	size_t length;

	if (lead < 0x80)
		return 1;
	if (lead >= 0xC2 && lead <= 0xDF)
		length = 2;
	else if (lead >= 0xE0 && lead <= 0xEF) {
		length = 3;
		low = lead == 0xE0 ? 0xA0 : 0x80;  /* no overlong form */
		high = lead == 0xED ? 0x9F : 0xBF; /* no surrogate */
	} else if (lead >= 0xF0 && lead <= 0xF4) {
		length = 4;
		low = lead == 0xF0 ? 0x90 : 0x80;  /* no overlong form */
		high = lead == 0xF4 ? 0x8F : 0xBF; /* nothing above U+10FFFF */
	} else
		return 0;
	if (p[1] < low || p[1] > high)
		return 0;
	for (size_t i = 2; i < length; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return length;
}

void cv_utf8_repair(char *text)
{
	unsigned char *p = (unsigned char *)text;

	while (*p != '\0') {
		size_t length = utf8_sequence_length(p);
		if (length == 0) {
			*p++ = '?';
			continue;
		}
		p += length;
	}
}

int cv_cgroup_file_name_check(const char *key)
{
	/* cgroup.freeze: the runtime owns freezing (pause); the init cloned into a frozen cgroup hangs the start. */
	static const char *const refused[] = {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control",
	                                      "cgroup.kill",  "cgroup.type",    "cgroup.freeze"};
	const char *dot = key != NULL ? strchr(key, '.') : NULL;

	if (key == NULL || key[0] == '\0' || strlen(key) > 255 || strcmp(key, ".") == 0 || strcmp(key, "..") == 0 ||
	    strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(key))
		return cv_error_errno(EINVAL, "cgroup file \"%s\": not a plain file name", key != NULL ? key : "");
	if (dot == NULL || dot == key || dot[1] == '\0')
		return cv_error_errno(EINVAL, "cgroup file \"%s\": not <controller>.<name>", key);
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if (strcmp(key, refused[i]) == 0)
			return cv_error_errno(
			        EPERM, "cgroup file \"%s\": moves processes, changes the tree or freezes: refused",
			        key);
	return 0;
}
