/*
 * Internal: the thread-local last error and logging.
 *
 * Every failing internal function records why with cv_error_errno() or
 * cv_error_sys() (which keep errno) and returns -1; callers add context on
 * the way up with cv_error_prefix() instead of logging at each level. Each
 * record also sets the public error code (containerv_last_error_code()):
 * from errno, or given explicitly with cv_error_code() where errno cannot
 * tell (a registry's refusal from a TLS failure, a command that could not
 * be executed from a missing rootfs).
 */
#ifndef CV_COMMON_ERROR_H
#define CV_COMMON_ERROR_H

#include <chef/containerv/common.h>

/*
 * printf-style checking of a function's format and arguments. mingw-w64's gcc reads
 * format(printf) as the Microsoft C runtime's dialect (no %zu); the Windows build uses mingw's
 * C99 printf (__USE_MINGW_ANSI_STDIO), whose dialect is gnu_printf.
 */
#if defined(__MINGW32__)
#define CV_PRINTF(format_index, first_argument) __attribute__((format(gnu_printf, format_index, first_argument)))
#else
#define CV_PRINTF(format_index, first_argument) __attribute__((format(printf, format_index, first_argument)))
#endif

/* The longest message kept, its terminating NUL included. */
#define CV_ERROR_MAX 1024

/* Records "<formatted>" as the last error, with errno set to err and the code that err maps to; returns -1. */
int cv_error_errno(int err, const char *format, ...) CV_PRINTF(2, 3);

/* Records "<formatted>: strerror(errno)" and keeps errno; returns -1. */
int cv_error_sys(const char *format, ...) CV_PRINTF(1, 2);

/* Records "<formatted>" with an explicit code (errno set to err); returns -1. */
int cv_error_code(enum containerv_error_code code, int err, const char *format, ...) CV_PRINTF(3, 4);

/* The code errno value err maps to when no explicit one is given (ENOENT: not found ...). */
enum containerv_error_code cv_error_code_from_errno(int err);

/* Prepends "<formatted>: " to the last error, keeping errno and the code; returns -1. */
int cv_error_prefix(const char *format, ...) CV_PRINTF(1, 2);

/* Clears the last error (the start of each public call). */
void cv_error_clear(void);

/*
 * The last error (message, code and errno), put aside while a failed step
 * cleans up with calls that may record errors of their own, so that the
 * first error is the one reported (libgit2's git_error_save/restore):
 *
 *	struct cv_error_saved saved;
 *	cv_error_save(&saved);
 *	undo_what_was_done();
 *	return cv_error_restore(&saved);
 *
 * No allocation: usable in a cloned child and on paths out of memory.
 */
struct cv_error_saved {
	enum containerv_error_code code;
	int err;
	char message[CV_ERROR_MAX];
};

/* Copies the last error and errno into saved. */
void cv_error_save(struct cv_error_saved *saved);

/* Makes saved the last error again and sets errno to its value; returns -1. */
int cv_error_restore(const struct cv_error_saved *saved);

/*
 * A log callback and its payload. Who owns one (a context, in core/) makes it
 * the thread's with cv_log_use() for as long as a call acts for it; common/
 * never needs to know what owns it (layers point down).
 */
struct cv_log_target {
	containerv_log_fn callback; /* NULL: fall back to the process-wide one */
	void *user;
};

/* Makes target the one cv_log() sends to on this thread (NULL: the process-wide one). */
void cv_log_use(const struct cv_log_target *target);

/*
 * Sends a message to the log callback in force on this thread (the context of
 * the call under way, cv_log_use), else to the process-wide one
 * (containerv_set_log), else nowhere.
 */
void cv_log(enum containerv_log_level level, const char *format, ...) CV_PRINTF(2, 3);

#endif
