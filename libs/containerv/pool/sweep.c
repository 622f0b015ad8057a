/*
 * The pool's sweep (pool-internal.h): finds the pool's containers by their label and removes those no one
 * may use any more. What a killed keeper, a take that died before its release, or a reboot leaves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "pool/pool-internal.h"

struct candidates {
	char **ids;
};

/* Containers that may be the pool's: held or created ones (ready, half-made) and every other for remove/. */
static int collect(const struct containerv_info *info, void *user)
{
	struct candidates *c = user;

	cv_strv_append(&c->ids, info->id);
	return 0;
}

static bool has_entry(int dirfd, const char *sub, const char *id)
{
	char path[96];

	snprintf(path, sizeof path, "%s/%s", sub, id);
	return faccessat(dirfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/*
 * everything (pool rm): ready, half-made and given-for-removal containers all go, a running one killed.
 * Else (a keeper's first round): held or created ones that are not ready go (half-made, or a dead take's),
 * and ready entries whose init has died. Taken containers without --rm are the user's: they stay.
 */
void cv_pool_sweep(int dirfd, const char *name, bool everything)
{
	struct candidates c = {NULL};

	containerv_list(collect, &c);
	for (size_t i = 0; c.ids != NULL && c.ids[i] != NULL; i++) {
		struct containerv_container *container = NULL;
		struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
		const char *id = c.ids[i];
		char path[96];

		if (containerv_open(id, &container) < 0)
			continue;
		if (!cv_pool_owns(container, name) || containerv_inspect(container, &info) < 0) {
			containerv_close(container);
			continue;
		}
		bool unused = info.state == CV_STATE_HELD || info.state == CV_STATE_CREATED;
		bool ready = has_entry(dirfd, "ready", id), to_remove = has_entry(dirfd, "remove", id);
		bool go = everything ? unused || to_remove : unused && (!ready || info.state != CV_STATE_HELD);
		if (!go) {
			containerv_close(container);
			continue;
		}
		snprintf(path, sizeof path, "ready/%s", id);
		unlinkat(dirfd, path, 0);
		containerv_remove(container, CV_REMOVE_VOLUMES);
		if (everything) {
			snprintf(path, sizeof path, "remove/%s", id);
			unlinkat(dirfd, path, 0);
		}
	}
	cv_strv_free(c.ids);
	cv_error_clear();
}
