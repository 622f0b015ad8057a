#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static _Thread_local char last_error[CV_ERROR_MAX];
static _Thread_local enum containerv_error_code last_code;
static struct cv_log_target process_log;
static _Thread_local const struct cv_log_target *thread_log;

const char *containerv_last_error(void)
{
	return last_error;
}

enum containerv_error_code containerv_last_error_code(void)
{
	return last_code;
}

void cv_error_clear(void)
{
	last_error[0] = '\0';
	last_code = CONTAINERV_OK;
}

enum containerv_error_code cv_error_code_from_errno(int err)
{
	switch (err) {
	case ENOENT:
		return CONTAINERV_E_NOT_FOUND;
	case EEXIST:
		return CONTAINERV_E_EXISTS;
	case EBUSY:
	case ETXTBSY:
		return CONTAINERV_E_IN_USE;
	case EINVAL:
	case ERANGE:
	case ENAMETOOLONG:
	case E2BIG:
		return CONTAINERV_E_INVALID;
	case EPERM:
	case EACCES:
		return CONTAINERV_E_PERMISSION;
	case ECONNREFUSED:
	case ECONNRESET:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENETDOWN:
		return CONTAINERV_E_NETWORK;
	case ETIMEDOUT:
		return CONTAINERV_E_TIMEOUT;
	case ENOSYS:
	case ENOTSUP: /* EOPNOTSUPP on Linux */
		return CONTAINERV_E_UNSUPPORTED;
	case ENOSPC:
#ifdef EDQUOT /* not in Windows' errno.h */
	case EDQUOT:
#endif
		return CONTAINERV_E_NO_SPACE;
	case ESRCH:
		return CONTAINERV_E_NOT_RUNNING;
	case EBADMSG:
		return CONTAINERV_E_CORRUPT;
	default:
		return CONTAINERV_E_ERROR;
	}
}

static void record(enum containerv_error_code code, const char *format, va_list args)
{
	vsnprintf(last_error, sizeof last_error, format, args);
	last_code = code;
}

int cv_error_errno(int err, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	record(cv_error_code_from_errno(err), format, args);
	va_end(args);
	errno = err;
	return -1;
}

int cv_error_code(enum containerv_error_code code, int err, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	record(code, format, args);
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
	record(cv_error_code_from_errno(saved), format, args);
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
	/* Nothing recorded yet (a bare failing call): the code follows errno, as for a record. */
	enum containerv_error_code code = last_code != CONTAINERV_OK ? last_code : cv_error_code_from_errno(saved);
	size_t used;
	va_list args;

	memcpy(previous, last_error, sizeof previous);
	va_start(args, format);
	record(code, format, args);
	va_end(args);
	used = strlen(last_error);
	snprintf(last_error + used, sizeof last_error - used, ": %s", previous);
	errno = saved;
	return -1;
}

void cv_error_save(struct cv_error_saved *saved)
{
	saved->err = errno;
	saved->code = last_code;
	memcpy(saved->message, last_error, sizeof saved->message);
}

int cv_error_restore(const struct cv_error_saved *saved)
{
	memcpy(last_error, saved->message, sizeof last_error);
	last_code = saved->code;
	errno = saved->err;
	return -1;
}

void containerv_set_log(containerv_log_fn callback, void *user)
{
	process_log.callback = callback;
	process_log.user = user;
}

void cv_log_use(const struct cv_log_target *target)
{
	thread_log = target;
}

void cv_log(enum containerv_log_level level, const char *format, ...)
{
	const struct cv_log_target *target =
	        thread_log != NULL && thread_log->callback != NULL ? thread_log : &process_log;
	char message[CV_ERROR_MAX];
	va_list args;

	if (target->callback == NULL)
		return;
	va_start(args, format);
	vsnprintf(message, sizeof message, format, args);
	va_end(args);
	target->callback(level, message, target->user);
}
