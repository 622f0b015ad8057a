/*
 * Internal: a commit as image/ sees it. The container's part (what changed,
 * in OCI's layer form) comes from the backend through write_layer, so the
 * store never reads a backend's directories (linux/commit.c fills it in
 * from the overlay upper directory).
 */
#ifndef CV_IMAGE_COMMIT_H
#define CV_IMAGE_COMMIT_H

#include <chef/containerv/image.h>

struct cv_commit_source {
	const char *name;         /* the container, for messages */
	const char *image_digest; /* the manifest digest it was created from; NULL: a root filesystem (refused) */
	/*
	 * Writes the container's changes to FD as an uncompressed OCI layer tar (whiteouts as ".wh."
	 * entries); 0, or -1 with the error set.
	 */
	int (*write_layer)(void *user, int fd);
	void *user;
};

/* containerv_image_commit's store part: the layer, config, manifest and NAME; DIGEST (72 bytes) may be NULL. */
int cv_image_commit(const struct cv_commit_source *source, const char *name,
                    const struct containerv_import_options *changes, char *digest);

#endif
