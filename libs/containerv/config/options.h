/*
 * Internal: the parsed, validated configuration of a container. The same
 * struct holds what containerv_options_* collect and what config.json holds
 * on disk, so a container opened later runs exactly as it was created.
 *
 * The config/ layer: above common/, security/ and network/, whose parts it
 * holds (a profile, a struct cv_network_config); below image/ and spec/,
 * which fill it in, and the backend (linux/), which runs it.
 */
#ifndef CV_CONFIG_OPTIONS_H
#define CV_CONFIG_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <chef/containerv/container.h>
#include <chef/containerv/limits.h>
#include <chef/containerv/volume.h>

#include "common/mount.h"
#include "network/network-internal.h"

struct json_t;
struct containerv_audit;
struct containerv_security;

struct cv_idmap {
	bool set;
	uint32_t host_start;
	uint32_t child_start;
	uint32_t count;
};

/* The namespaces a container may join (containerv_options_join_namespace), in this order. */
enum cv_join { CV_JOIN_NET, CV_JOIN_IPC, CV_JOIN_UTS, CV_JOIN_PID, CV_JOIN_COUNT };
/* CV_NS_* bit and name of each. */
extern const struct cv_join_type {
	unsigned int bit;
	const char *name;
} cv_join_types[CV_JOIN_COUNT];

struct containerv_options {
	char **layers; /* lowest first; a plain rootfs is a single layer */
	char *name;
	char *hostname;
	char *cgroup_path;               /* NULL: containerv/<id>; see containerv_options_set_cgroup_path */
	char *join_paths[CV_JOIN_COUNT]; /* namespaces joined, not made (containerv_options_join_namespace) */
	char **argv;                     /* NULL: the init idles */
	char **env;
	char *workdir;
	uid_t uid;
	gid_t gid;
	gid_t supplementary_groups[CONTAINERV_SUPPLEMENTARY_GROUPS_MAX];
	size_t supplementary_group_count;
	struct cv_idmap uid_map;
	struct cv_idmap gid_map;
	bool userns_auto; /* a leased range (--userns=auto); the maps above hold it once created */
	unsigned int namespaces;
	struct containerv_limits limits;
	char **labels;
	bool autostart;
	bool hold;               /* create stops with the workload not executed (not persisted: create-time only) */
	bool autoremove;         /* whoever finds it ended removes it */
	bool autoremove_monitor; /* and a monitor process is started to be that one */
	struct cv_mount *mounts;
	size_t mount_count;
	bool readonly_rootfs;
	char **sysctls;                   /* "key=value", validated as namespaced (containerv_options_add_sysctl) */
	bool rootfs_in_place;             /* the single layer is the root itself: no overlay (an OCI bundle's rootfs) */
	struct cv_network_config network; /* network/config.c; its setters: config/network-options.c */
	bool tty;
	unsigned short tty_rows, tty_columns; /* not persisted: the creator's terminal size */
	struct containerv_security *security; /* NULL in options until set: the default level; always set in a config */
	/* containerv_options_set_image() (image/image-options.c); persisted under "image" in config.json. */
	char *image;                          /* the normalized name it was resolved from */
	char *image_digest;                   /* its manifest digest: what rmi and GC look for */
	char **image_entrypoint, **image_cmd; /* argv = entrypoint + (argv or cmd), at create */
	char **image_volumes;                 /* anonymous volumes at create, where no mount is */
	int stop_signal;                      /* the image's StopSignal; 0: SIGTERM */
	bool user_set;                        /* containerv_options_set_user() was called */
	bool entrypoint_set;                  /* containerv_options_set_entrypoint() was called */
	uint64_t log_max_size;                /* containerv_options_set_log_limits(); 0: the default */
	unsigned int log_max_files;           /* 0: the default */
	int perf_profile;                     /* enum containerv_perf_profile (config/perf-profile.c) */
	bool thp_disable;                     /* resolved from the profile at create: PR_SET_THP_DISABLE in the init */
	/*
	 * Not persisted: our duplicates of the creator's descriptors for the main command (closed by clear), or
	 * CONTAINERV_STDIO_* values. Set in a container's config only while its creating handle may take the
	 * caller's ends (a tty's master included): a later start from elsewhere logs instead.
	 */
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

/* mounts.c: the mounts part of options and config.json. */
void cv_mounts_free(struct cv_mount *mounts, size_t count);
struct json_t *cv_mounts_to_json(const struct cv_mount *mounts, size_t count);
int cv_mounts_from_json(struct json_t *array, struct cv_mount **mounts, size_t *count);

/* config/perf-profile.c: the profile and its THP flag in config.json (absent: none). */
int cv_perf_config_to_json(const struct containerv_options *options, struct json_t *root);
void cv_perf_config_from_json(struct json_t *root, struct containerv_options *options);

/* config/security-options.c: the security part of config.json (the default level when absent). */
int cv_security_config_to_json(const struct containerv_security *security, struct json_t *root);
int cv_security_config_from_json(struct json_t *root, struct containerv_security **security);
/* cv_security_check_bind (security/binds.c) for every bind of a container's options. */
int cv_security_check_binds(const struct containerv_options *options, const char *state_root);
/* The audit (security/audit.c) of a container's whole configuration; STATE_ROOT is the live one. */
int cv_audit_config(const struct containerv_options *config, const char *state_root, struct containerv_audit **out);

/* The namespace (CV_NS_NET or CV_NS_IPC) a namespaced sysctl KEY belongs to; 0 for any other key. */
unsigned int cv_sysctl_namespace(const char *key);

/* Looks up KEY in a KEY=VALUE vector; NULL when absent. */
const char *cv_env_get(char *const *env, const char *key);

#endif
