/*
 * Starts a container's supervisor (core/supervise.c): the containerv-supervise
 * helper, forked and executed at once, so that nothing of the caller (its
 * threads' locks, its allocator, a sanitizer's state) lives on in a forked
 * copy that keeps running the library. Daemonized: the middle child exits at
 * once and is reaped here, the helper has its own session, /dev/null as
 * stdio, and no other descriptor of the caller.
 *
 * Where the helper is: $CONTAINERV_SUPERVISE, else next to the library's own
 * file (the build tree, and a library installed with its helper beside it),
 * else CONTAINERV_HELPER_DIR (the installed libexec directory).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "core/context.h"
#include "core/supervise-state.h"
#include "platform/linux/container-private.h"

#define HELPER_NAME "containerv-supervise"

static int find_helper(char *path, size_t size)
{
	const char *configured = getenv("CONTAINERV_SUPERVISE");
	Dl_info self;

	if (configured != NULL && configured[0] == '/') {
		snprintf(path, size, "%s", configured);
		return access(path, X_OK) == 0 ? 0 : cv_error_sys("supervisor helper %s", path);
	}
	if (dladdr((void *)find_helper, &self) != 0 && self.dli_fname != NULL && self.dli_fname[0] == '/') {
		char library[PATH_MAX];
		snprintf(library, sizeof library, "%s", self.dli_fname);
		if (snprintf(path, size, "%s/" HELPER_NAME, dirname(library)) < (int)size && access(path, X_OK) == 0)
			return 0;
	}
#ifdef CONTAINERV_HELPER_DIR
	if (snprintf(path, size, "%s/" HELPER_NAME, CONTAINERV_HELPER_DIR) < (int)size && access(path, X_OK) == 0)
		return 0;
#endif
#ifdef CONTAINERV_HELPER_BUILD_DIR
	if (snprintf(path, size, "%s/" HELPER_NAME, CONTAINERV_HELPER_BUILD_DIR) < (int)size && access(path, X_OK) == 0)
		return 0;
#endif
	return cv_error_errno(ENOENT, "the supervisor helper " HELPER_NAME " was not found (set CONTAINERV_SUPERVISE)");
}

int cv_supervisor_spawn(struct containerv_container *c)
{
	char helper[PATH_MAX];
	const char *root = cv_context_root(c->context);
	pid_t middle;

	if (find_helper(helper, sizeof helper) < 0)
		return cv_error_prefix("supervise %.12s", c->id);
	middle = fork();
	if (middle < 0)
		return cv_error_sys("fork the supervisor of %.12s", c->id);
	if (middle == 0) {
		/* Only async-signal-safe calls from here to the exec: the caller may have threads. */
		char *const argv[] = {(char *)HELPER_NAME, (char *)root, c->id, NULL};
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		setsid();
		for (int fd = 0; fd < 3; fd++)
			dup2(devnull, fd);
		close_range(3, ~0U, 0);
		if (fork() == 0) {
			execv(helper, argv);
			_exit(127);
		}
		_exit(0);
	}
	while (waitpid(middle, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}
