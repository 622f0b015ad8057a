/*
 * Internal: import with a config (the built-in busybox image gets Cmd and Env).
 */
#ifndef CV_IMAGE_IMAGE_IMPORT_H
#define CV_IMAGE_IMAGE_IMPORT_H

struct cv_import_config {
	const char *const *cmd; /* NULL-terminated or NULL */
	const char *const *env;
};

int cv_image_import(const char *path, const char *name, const struct cv_import_config *extra, char *digest);
/* A directory as a pax tar written to fd. */
int cv_image_tar_directory(const char *directory, int fd);

#endif
