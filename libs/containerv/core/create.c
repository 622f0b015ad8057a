/*
 * Create, whatever the platform: the options validated completely, an id and
 * a name (unique per state root), the state directory (a spare one when
 * there is), the image's layers held, config.json written, then the
 * backend's prepare (its host resources: Linux leases user-namespace ids
 * and makes volumes) and, unless autostart is off, its start. On any
 * failure the backend's destroy takes back everything: nothing is left.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/log-file.h"
#include "common/state-files.h"
#include "common/util.h"
#include "config/options.h"
#include "core/backend.h"
#include "core/container.h"
#include "core/events-journal.h"
#include "core/spare-dirs.h"
#include "image/image-options.h"
#include "security/security-internal.h"

int cv_container_write_config(struct containerv_container *c)
{
	cleanup_free char *json = NULL;

	if (cv_options_to_json(&c->config, &json) < 0)
		return -1;
	return cv_write_file_atomic_in(c->dir, "config.json", CV_SPARE_CONFIG, json, strlen(json), 0600);
}

/* A level without network (paranoid) gets loopback only: a network asked for anyway is refused. */
static int check_network_allowed(const struct containerv_container *c)
{
	if (c->config.security->no_network && c->config.network.mode != CV_NETWORK_NONE)
		return cv_error_errno(EPERM, "the %s security level allows no network: use --network none",
		                      containerv_security_level_name(c->config.security->level));
	return 0;
}

/* The lock (cv_dir_lock) of a new directory made (or a spare taken) at path, or -1 with errno. */
static int make_locked(const char *containers, const char *path)
{
	if (cv_spare_take(containers, path) < 0 && cv_mkdir_p(path, 0700) < 0)
		return -1;
	return cv_dir_lock(path, true);
}

/*
 * The container's directory, made under a dot name and flock'ed (the flock the backend's lock takes)
 * before it appears under its id: a directory there without config.json and without that lock is a
 * create that was killed, which a list, and a create wanting its name, reclaim at once (a ".creating-"
 * one too). The backend adopts the descriptor as the container's lock (depth 1).
 */
static int make_locked_dir(struct containerv_container *c, const char *containers)
{
	char creating[PATH_MAX];

	snprintf(creating, sizeof creating, "%s/.creating-%s", containers, c->id);
	/* A list may take the unlocked ".creating-" for a killed create's before our flock: then again. */
	for (int attempt = 0; attempt < 3; attempt++) {
		int fd = make_locked(containers, creating);
		if (fd >= 0 && rename(creating, c->dir) == 0) {
			cv_backend()->adopt_lock(c, fd);
			return 0;
		}
		int saved = errno;
		cv_rm_rf(creating);
		cv_dir_unlock(fd);
		if (saved != ENOENT)
			return cv_error_errno(saved, "create %s", c->dir);
	}
	return cv_error_errno(ENOENT, "create %s", c->dir);
}

/* --pid/--ipc container:NAME: the container named, by its id from now on (a rename or a new one of that name is not
 * it). */
static int resolve_joined_containers(struct containerv_container *c)
{
	for (int i = 0; i < CV_JOIN_COUNT; i++) {
		struct containerv_container *joined = NULL;
		if (c->config.join_containers[i] == NULL)
			continue;
		if (containerv_open_in(c->context, c->config.join_containers[i], &joined) < 0)
			return cv_error_prefix("join the %s namespace of container %s", cv_join_types[i].name,
			                       c->config.join_containers[i]);
		int ret = cv_replace_string(&c->config.join_containers[i], containerv_id(joined));
		containerv_close(joined);
		if (ret < 0)
			return -1;
	}
	return 0;
}

int containerv_create_in(struct containerv_context *context, const struct containerv_options *options,
                         struct containerv_container **container)
{
	const struct cv_backend_ops *backend = cv_backend();
	char containers[PATH_MAX];
	struct containerv_container *c;
	struct cv_store *image_store = NULL;

	cv_error_clear();
	if (options == NULL || container == NULL)
		return cv_error_errno(EINVAL, "create: missing argument");
	context = cv_context_or_current(context);
	CV_CONTEXT_SCOPE(context);
	if (cv_options_validate(options) < 0 || backend->check_host(options) < 0 ||
	    cv_security_check_binds(options, cv_context_root(context)) < 0 ||
	    cv_security_check_host_access(options) < 0)
		return cv_error_prefix("create%s%s", options->name ? " " : "", options->name ? options->name : "");
	if (cv_state_containers_dir(context, containers, sizeof containers) < 0)
		return -1;
	c = cv_container_alloc(context);
	if (c == NULL)
		return -1;
	if (cv_state_new_id(c->id) < 0 || cv_options_copy(&c->config, options) < 0 ||
	    resolve_joined_containers(c) < 0 || cv_perf_profile_place(&c->config) < 0)
		goto fail;
	snprintf(c->name, sizeof c->name, "%s", options->name ? options->name : "");
	snprintf(c->dir, sizeof c->dir, "%s/%s", containers, c->id);
	snprintf(c->log_path, sizeof c->log_path, "%s/" CV_LOG_DIR "/" CV_LOG_FILE, c->dir);
	/* The directory first, locked: a name whose holder has none (or an unlocked one) is free again. */
	if (make_locked_dir(c, containers) < 0)
		goto fail;
	if (c->name[0] != '\0' && cv_state_reserve_name(c->context, c->name, c->id) < 0)
		goto fail_dir;
	c->state.status = CV_STATE_CREATED;
	c->state.created_ns = cv_now_ns();
	/* An image's layers stay locked (shared) until the config that names them is on disk. */
	if (cv_image_create_begin(&c->config, &image_store) < 0)
		goto fail_dir;
	/* With autostart the start writes the first state.json: one file write less on the way. */
	if (check_network_allowed(c) < 0 || backend->prepare(c) < 0 || cv_container_write_config(c) < 0 ||
	    (!options->autostart && !options->hold && cv_state_save(c) < 0))
		goto fail_dir;
	cv_image_create_end(image_store);
	image_store = NULL;
	/* Still under make_locked_dir's lock: a concurrent rm by name (visible already) waits for the start. */
	if ((options->autostart || options->hold) && backend->start(c, options->hold) < 0)
		goto fail_dir;
	backend->unlock(c);
	/* The init has its own copies now; ours would keep the caller's pipes and terminal open. */
	cv_options_release_stdio(&c->config);
	cv_journal_container(c, "create", NULL);
	if (options->autostart && !options->hold)
		cv_journal_container(c, "start", NULL);
	*container = c;
	return 0;
fail_dir : {
	struct cv_error_saved saved;
	cv_error_save(&saved);
	cv_image_create_end(image_store);
	/* Under the lock to the end: a list must not take the removal for an abandoned create. */
	backend->destroy(c, true); /* releases the name if it is ours */
	backend->unlock(c);
	cv_error_restore(&saved);
}
fail:
	containerv_close(c);
	return -1;
}

int containerv_create(const struct containerv_options *options, struct containerv_container **container)
{
	return containerv_create_in(NULL, options, container);
}
