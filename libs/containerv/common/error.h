/*
 * Internal: the thread-local last error and logging.
 *
 * Every failing internal function records why with cv_error() (which keeps
 * errno) and returns -1; callers add context on the way up with
 * cv_error_prefix() instead of logging at each level.
 */
#ifndef CV_COMMON_ERROR_H
#define CV_COMMON_ERROR_H

#include <chef/containerv/common.h>

/* Records "<formatted>" as the last error, with errno set to err; returns -1. */
int cv_error_errno(int err, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Records "<formatted>: strerror(errno)" and keeps errno; returns -1. */
int cv_error_sys(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Prepends "<formatted>: " to the last error, keeping errno; returns -1. */
int cv_error_prefix(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Clears the last error (the start of each public call). */
void cv_error_clear(void);

/* Sends a message to the caller's log callback, if any. */
void cv_log(enum containerv_log_level level, const char *format, ...) __attribute__((format(printf, 2, 3)));

#endif
