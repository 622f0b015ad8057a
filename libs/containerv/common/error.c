#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

#define CV_ERROR_MAX 1024

static _Thread_local char last_error[CV_ERROR_MAX];
static containerv_log_fn log_callback;
static void *log_user;

const char *containerv_last_error(void)
{
	return last_error;
}

void cv_error_clear(void)
{
	last_error[0] = '\0';
}

static void record(const char *format, va_list args)
{
	vsnprintf(last_error, sizeof last_error, format, args);
}

int cv_error_errno(int err, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	record(format, args);
	va_end(args);
	errno = err;
	return -1;
}

int cv_error_sys(const char *format, ...)
{
	int saved = errno;
	size_t used;
	va_list args;

	va_start(args, format);
	record(format, args);
	va_end(args);
	used = strlen(last_error);
	/*
	 * strerrordesc_np, not strerror: no locale lookup and so no lock, which matters in the
	 * container's init (a clone of a possibly multi-threaded caller, where a lock may be held forever).
	 */
	const char *description = strerrordesc_np(saved);
	if (description != NULL)
		snprintf(last_error + used, sizeof last_error - used, ": %s", description);
	else
		snprintf(last_error + used, sizeof last_error - used, ": error %d", saved);
	errno = saved;
	return -1;
}

int cv_error_prefix(const char *format, ...)
{
	int saved = errno;
	char previous[CV_ERROR_MAX];
	size_t used;
	va_list args;

	memcpy(previous, last_error, sizeof previous);
	va_start(args, format);
	record(format, args);
	va_end(args);
	used = strlen(last_error);
	snprintf(last_error + used, sizeof last_error - used, ": %s", previous);
	errno = saved;
	return -1;
}

void containerv_set_log(containerv_log_fn callback, void *user)
{
	log_callback = callback;
	log_user = user;
}

void cv_log(enum containerv_log_level level, const char *format, ...)
{
	char message[CV_ERROR_MAX];
	va_list args;

	if (log_callback == NULL)
		return;
	va_start(args, format);
	vsnprintf(message, sizeof message, format, args);
	va_end(args);
	log_callback(level, message, log_user);
}
