/*
 * The pool's sweep (pool-internal.h): finds the pool's containers by their label and removes those no one
 * may use any more. What a killed keeper, a take that died before its release, or a reboot leaves.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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

/* claims/ entries no one holds (a take that died, its container gone since): unlinked under their lock. */
static void drop_stale_claims(int dirfd)
{
	int fd = openat(dirfd, "claims", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *entry;

	while (dir != NULL && (entry = readdir(dir)) != NULL) {
		int claim;
		if (entry->d_name[0] == '.' || strlen(entry->d_name) != 64)
			continue;
		claim = cv_pool_claim(dirfd, entry->d_name);
		if (claim >= 0)
			cv_pool_unclaim(dirfd, entry->d_name, claim);
	}
	if (dir != NULL)
		closedir(dir);
	else if (fd >= 0)
		close(fd);
}

/* Whether the container is one to remove now (its claim held: no take owns it, its state is current). */
static bool to_sweep(int dirfd, const char *name, struct containerv_container *container, bool everything)
{
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	const char *id = containerv_id(container);

	if (!cv_pool_owns(container, name) || containerv_inspect(container, &info) < 0)
		return false;
	bool unused = info.state == CV_STATE_HELD || info.state == CV_STATE_CREATED;
	bool ready = has_entry(dirfd, "ready", id);
	if (everything)
		return unused || has_entry(dirfd, "remove", id);
	return unused && (!ready || info.state != CV_STATE_HELD);
}

/*
 * everything (pool rm): ready, half-made and given-for-removal containers all go, a running one killed.
 * Else (a keeper's rounds): held or created ones that are not ready go (half-made, or a dead take's), and
 * ready entries whose init has died. Never a claimed one (a take between its claim and its release: it is
 * the take's), nor a taken one without --rm (the user's). The decisions are made under sweep.lock and each
 * container's claim; the removals, which take long, after sweep.lock is given back.
 */
void cv_pool_sweep(int dirfd, const char *name, bool everything)
{
	struct candidates c = {NULL};
	struct doomed {
		struct containerv_container *container;
		int claim;
	} *doomed = NULL;
	size_t count = 0, n = 0;
	int sweep = cv_pool_lock_sweep(dirfd, LOCK_EX);

	if (sweep < 0)
		return;
	mkdirat(dirfd, "claims", 0700); /* a pool made before claims */
	containerv_list(collect, &c);
	count = cv_strv_length(c.ids);
	doomed = calloc(count + 1, sizeof *doomed);
	for (size_t i = 0; doomed != NULL && i < count; i++) {
		struct containerv_container *container = NULL;
		const char *id = c.ids[i];
		int claim;

		if (containerv_open(id, &container) < 0)
			continue;
		claim = cv_pool_claim(dirfd, id);
		if (claim < 0 || !to_sweep(dirfd, name, container, everything)) {
			if (claim >= 0)
				cv_pool_unclaim(dirfd, id, claim);
			containerv_close(container);
			continue;
		}
		doomed[n++] = (struct doomed){container, claim};
	}
	close(sweep);
	for (size_t i = 0; i < n; i++) {
		char id[65], path[96];

		snprintf(id, sizeof id, "%s", containerv_id(doomed[i].container));
		snprintf(path, sizeof path, "ready/%s", id);
		unlinkat(dirfd, path, 0);
		containerv_remove(doomed[i].container, CV_REMOVE_VOLUMES);
		if (everything) {
			snprintf(path, sizeof path, "remove/%s", id);
			unlinkat(dirfd, path, 0);
		}
		cv_pool_unclaim(dirfd, id, doomed[i].claim);
	}
	free(doomed);
	cv_strv_free(c.ids);
	drop_stale_claims(dirfd);
	cv_error_clear();
}
