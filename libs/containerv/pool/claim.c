/*
 * Claims (pool-internal.h): claims/<id> flock'ed by whoever owns a pooled container that is still held.
 * A take holds its claim from before it unlinks ready/<id> until the release (containerv_pool_start); a
 * sweep removes a held container only under its claim. So a sweep never removes a taken container, and a
 * take never gets one a sweep is removing; a take that died frees its claim with its descriptors.
 *
 * The lock file is unlinked by its holder before it closes it; a locker that got the lock on a file
 * unlinked meanwhile sees another inode at the path and tries again (the usual flock-and-unlink dance).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "pool/pool-internal.h"

static void claim_path(char *path, size_t size, const char *id)
{
	snprintf(path, size, "claims/%s", id);
}

int cv_pool_claim(int dirfd, const char *id)
{
	char path[96];
	struct stat opened, named;

	claim_path(path, sizeof path, id);
	for (int attempt = 0; attempt < 8; attempt++) {
		int fd = openat(dirfd, path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return -1;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int saved = errno;
			close(fd);
			errno = saved;
			return -1; /* EWOULDBLOCK: someone owns it */
		}
		if (fstat(fd, &opened) == 0 && fstatat(dirfd, path, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
		    opened.st_dev == named.st_dev && opened.st_ino == named.st_ino)
			return fd;
		close(fd); /* its holder unlinked it after our open: the lock is on a file no one else sees */
	}
	errno = EWOULDBLOCK;
	return -1;
}

void cv_pool_unclaim(int dirfd, const char *id, int fd)
{
	char path[96];

	if (fd < 0)
		return;
	claim_path(path, sizeof path, id);
	unlinkat(dirfd, path, 0); /* before the close: the lock covers the unlink */
	close(fd);
}

/* ---- The claims a process holds between its takes and their releases ---- */

#define HELD_CLAIMS_MAX 64

static struct held_claim {
	char id[65];
	int dirfd;
	int fd;
} held_claims[HELD_CLAIMS_MAX];
static pthread_mutex_t held_claims_lock = PTHREAD_MUTEX_INITIALIZER;

int cv_pool_claim_keep(int dirfd, const char *id, int fd)
{
	int ret = cv_error_errno(EMFILE, "pool take: more than %d containers taken and not started", HELD_CLAIMS_MAX);

	pthread_mutex_lock(&held_claims_lock);
	for (size_t i = 0; i < HELD_CLAIMS_MAX; i++) {
		if (held_claims[i].id[0] != '\0')
			continue;
		held_claims[i].dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
		if (held_claims[i].dirfd < 0) {
			ret = cv_error_sys("pool take");
			break;
		}
		snprintf(held_claims[i].id, sizeof held_claims[i].id, "%s", id);
		held_claims[i].fd = fd;
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&held_claims_lock);
	if (ret == 0)
		cv_error_clear();
	return ret;
}

int cv_pool_claim_drop(const char *id)
{
	int dirfd = -1;

	pthread_mutex_lock(&held_claims_lock);
	for (size_t i = 0; i < HELD_CLAIMS_MAX; i++) {
		if (held_claims[i].id[0] == '\0' || strcmp(held_claims[i].id, id) != 0)
			continue;
		cv_pool_unclaim(held_claims[i].dirfd, id, held_claims[i].fd);
		dirfd = held_claims[i].dirfd;
		memset(&held_claims[i], 0, sizeof held_claims[i]);
		break;
	}
	pthread_mutex_unlock(&held_claims_lock);
	return dirfd;
}

int cv_pool_lock_sweep(int dirfd, int operation)
{
	int fd = openat(dirfd, "sweep.lock", O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return cv_error_sys("pool: sweep.lock");
	while (flock(fd, operation) < 0) {
		if (errno != EINTR) {
			int saved = errno;
			close(fd);
			return cv_error_errno(saved, "pool: sweep.lock");
		}
	}
	return fd;
}
