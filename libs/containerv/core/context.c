/*
 * Contexts: the state root as an object (containerv_context_open) instead of
 * a process-wide static, and the default context that the root-less API and
 * containerv_set_root() keep using.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "core/context.h"

static struct containerv_context default_context = {.is_default = true};
static _Thread_local struct containerv_context *current_context;

struct containerv_context *cv_context_default(void)
{
	return &default_context;
}

struct containerv_context *cv_context_current(void)
{
	return current_context != NULL ? current_context : &default_context;
}

const char *cv_context_root(struct containerv_context *context)
{
	if (context->root[0] == '\0') {
		const char *env = getenv("CONTAINERV_ROOT");
		snprintf(context->root, sizeof context->root, "%s",
		         env != NULL && cv_path_is_absolute(env) ? env : cv_default_state_root());
	}
	return context->root;
}

struct containerv_context *cv_context_enter(struct containerv_context *context)
{
	struct containerv_context *previous = current_context;

	current_context = context;
	cv_log_use(context != NULL ? &context->log : NULL);
	return previous;
}

void cv_context_leave(struct containerv_context **previous)
{
	current_context = *previous;
	cv_log_use(current_context != NULL ? &current_context->log : NULL);
}

/* An absolute path short enough for every file under it. */
static int check_root(const char *path)
{
	if (path == NULL || !cv_path_is_absolute(path))
		return cv_error_errno(EINVAL, "state root \"%s\": must be an absolute path", path ? path : "(null)");
	if (strlen(path) >= PATH_MAX - 128)
		return cv_error_errno(ENAMETOOLONG, "state root \"%s\": too long", path);
	return 0;
}

int containerv_set_root(const char *path)
{
	cv_error_clear();
	if (check_root(path) < 0)
		return -1;
	snprintf(default_context.root, sizeof default_context.root, "%s", path);
	return 0;
}

const char *containerv_root(void)
{
	return cv_context_root(cv_context_current());
}

int containerv_context_open(const char *root, struct containerv_context **context)
{
	struct containerv_context *opened;

	cv_error_clear();
	if (context == NULL)
		return cv_error_errno(EINVAL, "context: missing argument");
	if (check_root(root) < 0)
		return -1;
	opened = cv_malloc0(sizeof *opened);
	if (opened == NULL)
		return -1;
	snprintf(opened->root, sizeof opened->root, "%s", root);
	*context = opened;
	return 0;
}

void containerv_context_close(struct containerv_context *context)
{
	if (context == NULL || context->is_default)
		return;
	cv_context_events_free(context->events);
	free(context);
}

struct containerv_context *containerv_context_enter(struct containerv_context *context)
{
	return cv_context_enter(context);
}

void containerv_context_leave(struct containerv_context *previous)
{
	cv_context_leave(&previous);
}

void containerv_context_set_log(struct containerv_context *context, containerv_log_fn callback, void *user)
{
	if (context == NULL || context->is_default) {
		containerv_set_log(callback, user);
		return;
	}
	context->log.callback = callback;
	context->log.user = user;
}

const char *containerv_context_root(struct containerv_context *context)
{
	return cv_context_root(context != NULL ? context : &default_context);
}
