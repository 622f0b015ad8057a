/*
 * Unpacking while the pull downloads: as soon as a layer blob is verified
 * and in blobs/, a worker thread unpacks it into layers/<chainid>/ with the
 * store's own cv_unpack_layer() (atomic: a temporary directory renamed into
 * place). Layers are independent directories, so they unpack in parallel
 * and overlap the downloads still running.
 *
 * This only saves time: a layer that fails here is left to the pull's final
 * cv_store_unpack_image(), which unpacks whatever is missing and reports
 * errors. Workers touch nothing but their own layer's temporary directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/manifest.h"
#include "image/pull-unpack.h"
#include "image/store.h"
#include "image/unpack.h"

#define WORKERS_MAX 4

struct cv_unpack_pool {
	struct cv_store *store;
	int layers_fd;
	char layers_path[PATH_MAX];
	size_t count;
	char (*layer_digests)[72];
	char (*chain_ids)[72];
	char (*diff_ids)[72];
	bool *queued;
	size_t *queue;
	size_t head, tail;
	bool closing;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t threads[WORKERS_MAX];
	unsigned thread_count;
};

static void unpack_one(struct cv_unpack_pool *pool, size_t index)
{
	struct cv_unpack_limits limits = CV_UNPACK_LIMITS_DEFAULT;
	char path[PATH_MAX];
	struct stat st;
	cleanup_close int blob_fd = -1;

	if (fstatat(pool->layers_fd, cv_digest_hex(pool->chain_ids[index]), &st, AT_SYMLINK_NOFOLLOW) == 0)
		return; /* there already (shared with another image, or another process was first) */
	if (cv_store_blob_path(pool->store, pool->layer_digests[index], path, sizeof path) < 0)
		return;
	blob_fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (blob_fd < 0)
		return;
	/* Errors stay in this thread's last error: the final cv_store_unpack_image() reports them. */
	cv_unpack_layer(pool->layers_fd, pool->layers_path, blob_fd, pool->chain_ids[index], pool->diff_ids[index],
	                &limits, NULL);
}

static void *worker(void *argument)
{
	struct cv_unpack_pool *pool = argument;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (pool->head == pool->tail && !pool->closing)
			pthread_cond_wait(&pool->wake, &pool->lock);
		if (pool->head == pool->tail)
			break;
		size_t index = pool->queue[pool->head++];
		pthread_mutex_unlock(&pool->lock);
		unpack_one(pool, index);
		pthread_mutex_lock(&pool->lock);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

int cv_unpack_pool_start(struct cv_store *store, const struct cv_manifest *manifest, const char *config,
                         size_t config_length, struct cv_unpack_pool **out)
{
	struct cv_image_config parsed;
	struct cv_unpack_pool *pool;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t count = manifest->layer_count;

	*out = NULL;
	if (count == 0 || cv_image_config_parse(config, config_length, &parsed) < 0)
		return -1;
	if (parsed.diff_id_count != count) {
		cv_image_config_clear(&parsed);
		return cv_error_errno(EINVAL, "config: %zu diff_ids for %zu layers", parsed.diff_id_count, count);
	}
	pool = cv_malloc0(sizeof *pool);
	if (pool == NULL) {
		cv_image_config_clear(&parsed);
		return -1;
	}
	pool->store = store;
	pool->layers_fd = -1;
	pool->count = count;
	pool->layer_digests = calloc(count, sizeof *pool->layer_digests);
	pool->chain_ids = calloc(count + 1, sizeof *pool->chain_ids);
	pool->diff_ids = calloc(count, sizeof *pool->diff_ids);
	pool->queued = calloc(count, sizeof *pool->queued);
	pool->queue = calloc(count, sizeof *pool->queue);
	bool allocated = pool->layer_digests && pool->chain_ids && pool->diff_ids && pool->queued && pool->queue;
	if (allocated) {
		memcpy(pool->diff_ids, parsed.diff_ids, count * sizeof *pool->diff_ids);
		for (size_t i = 0; i < count; i++)
			memcpy(pool->layer_digests[i], manifest->layers[i].digest, sizeof pool->layer_digests[i]);
	}
	cv_image_config_clear(&parsed);
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	snprintf(pool->layers_path, sizeof pool->layers_path, "%s/layers", cv_store_path(store));
	if (allocated)
		pool->layers_fd =
		        openat(cv_store_dirfd(store), "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (!allocated || pool->layers_fd < 0 || cv_chain_ids(pool->diff_ids, count, pool->chain_ids) < 0) {
		cv_unpack_pool_finish(pool);
		return -1;
	}
	unsigned wanted = cpus > 1 ? (unsigned)(cpus < WORKERS_MAX ? cpus : WORKERS_MAX) : 1;
	for (unsigned i = 0; i < wanted; i++)
		if (pthread_create(&pool->threads[pool->thread_count], NULL, worker, pool) == 0)
			pool->thread_count++;
	if (pool->thread_count == 0) {
		cv_unpack_pool_finish(pool);
		return cv_error_errno(EAGAIN, "no unpack thread");
	}
	*out = pool;
	return 0;
}

void cv_unpack_pool_blob_ready(struct cv_unpack_pool *pool, const char *digest)
{
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	for (size_t i = 0; i < pool->count; i++) {
		if (!pool->queued[i] && strcmp(pool->layer_digests[i], digest) == 0) {
			pool->queued[i] = true;
			pool->queue[pool->tail++] = i;
		}
	}
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
}

void cv_unpack_pool_finish(struct cv_unpack_pool *pool)
{
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->closing = true;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (unsigned i = 0; i < pool->thread_count; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->wake);
	if (pool->layers_fd >= 0)
		close(pool->layers_fd);
	free(pool->layer_digests);
	free(pool->chain_ids);
	free(pool->diff_ids);
	free(pool->queued);
	free(pool->queue);
	free(pool);
}
