/*
 * restart, rename and prune, whatever the platform: a restart is docker's
 * stop then start under one call; a rename moves the name's link in the
 * store (<root>/names/) and the name recorded in config.json, under the
 * container's lock so that a concurrent start or rename sees one or the
 * other, never half of each; a prune removes the stopped containers, each
 * decided under its lock (one started meanwhile stays).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "core/backend.h"
#include "core/container.h"
#include "core/events-journal.h"

int containerv_restart(struct containerv_container *container, int stop_signal, unsigned int timeout_seconds)
{
	cv_error_clear();
	if (container == NULL)
		return cv_error_errno(EINVAL, "restart: no container");
	CV_CONTEXT_SCOPE(container->context);
	if (containerv_stop(container, stop_signal, timeout_seconds) < 0)
		return cv_error_prefix("restart %s", containerv_name(container));
	if (containerv_start(container) < 0)
		return cv_error_prefix("restart");
	cv_journal_container(container, "restart", NULL);
	return 0;
}

/* The new name in config.json; the old one back in the handle on failure. */
static int record_name(struct containerv_container *c, const char *name)
{
	char *copy = strdup(name);
	char *old = c->config.name;

	if (copy == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	c->config.name = copy;
	if (cv_container_write_config(c) < 0) {
		c->config.name = old;
		free(copy);
		return -1;
	}
	free(old);
	snprintf(c->name, sizeof c->name, "%s", name);
	return 0;
}

int containerv_rename(struct containerv_container *container, const char *name)
{
	const struct cv_backend_ops *backend = cv_backend();
	char old[sizeof container->name];
	int ret = -1;

	cv_error_clear();
	if (container == NULL || name == NULL)
		return cv_error_errno(EINVAL, "rename: missing argument");
	CV_CONTEXT_SCOPE(container->context);
	if (!cv_name_is_valid(name, sizeof container->name - 1))
		return cv_error_errno(
		        EINVAL, "invalid container name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
	if (backend->lock(container) < 0)
		return cv_error_prefix("rename");
	snprintf(old, sizeof old, "%s", container->name);
	if (strcmp(old, name) == 0) {
		cv_error_errno(EINVAL, "the new name is the same as the old one");
		goto out;
	}
	if (cv_state_reserve_name(container->context, name, container->id) < 0)
		goto out;
	if (record_name(container, name) < 0) {
		cv_state_release_name(container->context, name, container->id);
		goto out;
	}
	if (old[0] != '\0')
		cv_state_release_name(container->context, old, container->id);
	ret = 0;
out:
	backend->unlock(container);
	if (ret < 0)
		cv_error_prefix("rename %s", old[0] != '\0' ? old : container->id);
	return ret;
}

struct prune_walk {
	unsigned int flags;
	void (*callback)(const char *id, void *user);
	void *user;
	struct cv_error_saved first_failure;
	bool failed;
};

static int prune_one(const struct containerv_info *info, void *user)
{
	struct prune_walk *walk = user;
	struct containerv_container *container = NULL;

	if (info->state != CV_STATE_CREATED && info->state != CV_STATE_EXITED)
		return 0;
	if (containerv_open(info->id, &container) < 0 ||
	    containerv_remove(container, (walk->flags & CV_REMOVE_VOLUMES) | CV_REMOVE_IF_STOPPED) < 0) {
		/* Gone meanwhile (another prune, an autoremove) or started meanwhile: not a failure. */
		if (errno != ENOENT && errno != EBUSY && !walk->failed) {
			cv_error_save(&walk->first_failure);
			walk->failed = true;
		}
		return 0;
	}
	if (walk->callback != NULL)
		walk->callback(info->id, walk->user);
	return 0;
}

int containerv_prune(unsigned int flags, void (*callback)(const char *id, void *user), void *user)
{
	struct prune_walk walk = {.flags = flags, .callback = callback, .user = user};

	cv_error_clear();
	if (containerv_list(prune_one, &walk) < 0)
		return cv_error_prefix("prune");
	if (walk.failed) {
		cv_error_restore(&walk.first_failure);
		return cv_error_prefix("prune");
	}
	return 0;
}
