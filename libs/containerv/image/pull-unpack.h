/*
 * Internal: layers unpacked by worker threads while the pull still
 * downloads (pull-unpack.c). Only an acceleration: the pull's final
 * cv_store_unpack_image() does whatever is left and reports errors.
 */
#ifndef CV_IMAGE_PULL_UNPACK_H
#define CV_IMAGE_PULL_UNPACK_H

#include <stddef.h>

struct cv_store;
struct cv_manifest;
struct cv_unpack_pool;

/* Starts the workers for manifest's layers (chain ids from config). 0, or -1 (then pull without them). */
int cv_unpack_pool_start(struct cv_store *store, const struct cv_manifest *manifest, const char *config,
                         size_t config_length, struct cv_unpack_pool **out);
/* The blob digest is verified in blobs/: unpack the layers made of it. Accepts a NULL pool. */
void cv_unpack_pool_blob_ready(struct cv_unpack_pool *pool, const char *digest);
/* Waits for the queued layers and frees the pool. Accepts NULL. */
void cv_unpack_pool_finish(struct cv_unpack_pool *pool);

#endif
