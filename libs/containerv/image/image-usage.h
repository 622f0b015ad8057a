/*
 * Internal: which containers use which images and layers (read from
 * each container's config.json), for rmi, GC and `images`.
 */
#ifndef CV_IMAGE_IMAGE_USAGE_H
#define CV_IMAGE_IMAGE_USAGE_H

#include <stddef.h>

struct cv_image_user {
	char id[65];
	char *image_digest; /* manifest digest; NULL when created from a rootfs */
	char **layers;      /* layer paths of its config */
};

/* Every container with a readable config.json (a container half-created or half-removed is skipped). */
int cv_image_users(struct cv_image_user **users, size_t *count);
void cv_image_users_free(struct cv_image_user *users, size_t count);

#endif
