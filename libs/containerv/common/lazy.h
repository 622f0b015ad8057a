/*
 * Internal: lazy binding of optional shared libraries (see
 * cmake/lazy-stubs.sh, which generates the trampolines and tables).
 */
#ifndef CV_COMMON_LAZY_H
#define CV_COMMON_LAZY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct cv_lazy_library {
	const char *soname;
	const char *const *names;
	void **table; /* one entry per name: a thunk until loaded, then the function */
	size_t count;
	pthread_mutex_t lock;
	bool loaded;
};

#define CV_LAZY_LIBRARY(soname, names, table, count)                                                                   \
	{                                                                                                              \
		soname, names, table, count, PTHREAD_MUTEX_INITIALIZER, false                                          \
	}

/*
 * Loads the library on first use and fills its table; returns the function
 * at index. A library that cannot be loaded is fatal, as it would have been
 * for the dynamic loader at start-up: the message goes to stderr.
 */
void *cv_lazy_resolve(struct cv_lazy_library *library, size_t index);

/* Loads the library now if it is not yet: 0, or -1 with the reason (EMFILE, ENOMEM...) as the error. */
int cv_lazy_load(struct cv_lazy_library *library);

/*
 * cv_lazy_load of libseccomp, generated with the trampolines (cmake/lazy-stubs.sh); NULL (weak) where
 * the library is linked directly. Called before the first seccomp_* call of an operation, so that a
 * library that cannot be loaded then (no descriptor left) is that operation's error, not an abort.
 */
int cv_lazy_seccomp_load(void) __attribute__((weak));

#endif
