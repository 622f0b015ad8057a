/*
 * Internal to the image store's files (store.c, store-index.c, unpack*.c).
 */
#ifndef CV_IMAGE_STORE_PRIVATE_H
#define CV_IMAGE_STORE_PRIVATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct cv_store {
	int dir_fd;  /* <root>/images */
	int lock_fd; /* <root>/images/lock */
	char path[PATH_MAX];
};

/* "<prefix><pid>-<counter>-<random>": unique across processes and threads. */
int cv_store_temporary_name(const char *prefix, char *name, size_t size);
/* Durable atomic write (fsync, then rename; with exclusive, link so an existing file stays). */
int cv_store_write_durable(int dir_fd, const char *name, const void *content, size_t length, bool exclusive);
/* flock retrying on EINTR; -1 with errno. */
int cv_store_flock(int fd, int operation);
/*
 * A blob without hashing it again: what is in blobs/ was verified on its way in (ingest commit, put
 * blob) and only root writes there. For the start of a container, which must not pay for hashing (and
 * for loading libcrypto); the commands that hand blobs on (save, push) read them verified.
 */
int cv_store_read_trusted_blob(struct cv_store *store, const char *digest, size_t max, char **data, size_t *length);
/* "blobs/sha256/<hex>" for a valid digest. */
void cv_store_blob_relative(const char *digest, char path[96]);

#endif
