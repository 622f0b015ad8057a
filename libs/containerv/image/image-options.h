/*
 * Internal: the image half of a container's options (containerv_options_set_image)
 * and what containerv_create does with it.
 */
#ifndef CV_IMAGE_IMAGE_OPTIONS_H
#define CV_IMAGE_IMAGE_OPTIONS_H

#include <sys/types.h>

struct json_t;

struct containerv_options;
struct cv_store;

/*
 * At create, on the container's own copy of the options: when they name an
 * image, opens the store with a shared lock (so GC cannot sweep the layers
 * before config.json names them), checks the layers are still there and
 * completes the config: argv = Entrypoint + (the caller's command, else
 * Cmd), an anonymous volume for each image Volume no mount covers.
 * *store is NULL when there is no image.
 */
int cv_image_create_begin(struct containerv_options *config, struct cv_store **store);
/* Drops the lock; accepts NULL. */
void cv_image_create_end(struct cv_store *store);

/* "uid[:gid]" or "name[:group]", names looked up in the image's /etc/passwd and /etc/group. */
int cv_image_parse_user(char *const *layers, const char *user, uid_t *uid, gid_t *gid);

/* A gid, or a group name looked up in the image's /etc/group (read as cv_image_parse_user reads it). */
int cv_image_parse_group(char *const *layers, const char *group, gid_t *gid);

/* "SIGTERM", "TERM", "15" -> 15; -1 when unknown. */
int cv_signal_from_name(const char *name);

/* image-import.c: the changes' ExposedPorts into a config object, and their check (import and commit). */
struct containerv_import_options;
void cv_image_config_set_exposed(struct json_t *config, const struct containerv_import_options *changes);
void cv_image_config_set_labels(struct json_t *config, const struct containerv_import_options *changes);
/* The changes' version and values (EXPOSE ports, LABEL KEY=VALUE); -1 with the error prefixed by what. */
int cv_image_changes_check(const struct containerv_import_options *changes, const char *what);

#endif
