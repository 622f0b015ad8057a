/*
 * Internal: the parsed, validated configuration of a container. The same
 * struct holds what containerv_options_* collect and what config.json holds
 * on disk, so a container opened later runs exactly as it was created.
 */
#ifndef CV_COMMON_OPTIONS_H
#define CV_COMMON_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <chef/containerv/container.h>
#include <chef/containerv/limits.h>

struct cv_idmap {
	bool set;
	uint32_t host_start;
	uint32_t child_start;
	uint32_t count;
};

struct containerv_options {
	char **layers; /* lowest first; a plain rootfs is a single layer */
	char *name;
	char *hostname;
	char **argv; /* NULL: the init idles */
	char **env;
	char *workdir;
	uid_t uid;
	gid_t gid;
	struct cv_idmap uid_map;
	struct cv_idmap gid_map;
	unsigned int namespaces;
	struct containerv_limits limits;
	char **labels;
	bool autostart;
	bool autoremove;
	bool tty;
	/* Not persisted: our duplicates of the creator's descriptors for the main command (closed by clear). */
	bool stdio_set;
	int stdio[3];
};

/* Fills defaults into a zeroed struct. */
void cv_options_init(struct containerv_options *options);
/* Frees the members (not the struct). */
void cv_options_clear(struct containerv_options *options);
/* Deep copy; the copy gets its own duplicates of the stdio descriptors (release with cv_options_release_stdio). */
int cv_options_copy(struct containerv_options *dest, const struct containerv_options *src);
/* Closes the descriptors a copy duplicated (after the start that needed them). */
void cv_options_release_stdio(struct containerv_options *options);
/* Complete validation before anything is created. */
int cv_options_validate(const struct containerv_options *options);

/* config.json <-> options (jansson). */
int cv_options_to_json(const struct containerv_options *options, char **json);
int cv_options_from_json(const char *json, struct containerv_options *options);

/* Looks up KEY in a KEY=VALUE vector; NULL when absent. */
const char *cv_env_get(char *const *env, const char *key);

#endif
