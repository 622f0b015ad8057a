/*
 * Internal to the image API files (image-*.c).
 */
#ifndef CV_IMAGE_IMAGE_PRIVATE_H
#define CV_IMAGE_IMAGE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

struct cv_store;
struct cv_store_name;
struct cv_image_user;
struct containerv_image_info;

/* Opens the store and takes its lock (LOCK_SH or LOCK_EX). */
int cv_image_open_store(struct cv_store **store, int lock);
/* Bytes on disk under path (blocks; no link followed, no other mount crossed). */
uint64_t cv_image_disk_usage(const char *path);
/* info of one manifest, with its names and the containers using it. */
int cv_image_fill_info(struct cv_store *store, const char *manifest_digest, struct containerv_image_info *info,
                       const struct cv_store_name *names, size_t name_count, const struct cv_image_user *users,
                       size_t user_count);
/* The host's OCI platform: "amd64", "arm64", ... */
const char *cv_image_host_architecture(void);

#endif
