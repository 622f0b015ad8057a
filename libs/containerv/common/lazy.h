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

#endif
