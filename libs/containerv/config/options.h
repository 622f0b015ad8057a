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

/* A health check as docker's config holds it (config/supervise-options.c). test NULL: none set. */
struct cv_health_config {
	char **test; /* {"CMD", argv...}, {"CMD-SHELL", command}, {"NONE"}, {"HTTP", url, words...} or {"TCP", port} */
	int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns; /* 0: the defaults */
	int retries;                                                         /* 0: the default */
};

/* One --ulimit (containerv_options_add_ulimit): docker's name, values with -1 for unlimited. */
struct cv_ulimit {
	char name[16];
	int64_t soft, hard;
};

/* One --device (containerv_options_add_host_device); the numbers are read from the host path at each start. */
struct cv_option_device {
	char *host_path;
	char *container_path;
	char permissions[4]; /* a subset of "rwm" */
};

/* docker's --ulimit names, in the order the backend maps them (NULL-terminated). */
extern const char *const cv_ulimit_names[];

struct containerv_options {
	char **layers; /* lowest first; a plain rootfs is a single layer */
	char *name;
	char *hostname;
	char *cgroup_path;                    /* NULL: containerv/<id>; see containerv_options_set_cgroup_path */
	char *join_paths[CV_JOIN_COUNT];      /* namespaces joined, not made (containerv_options_join_namespace) */
	char *join_containers[CV_JOIN_COUNT]; /* another container's, by reference, by id once created */
	char **argv;                          /* NULL: the init idles */
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
	char **sysctls;        /* "key=value", validated as namespaced (containerv_options_add_sysctl) */
	bool rootfs_in_place;  /* the single layer is the root itself: no overlay (an OCI bundle's rootfs) */
	char **devices;        /* "TYPE MAJOR MINOR MODE UID GID PATH" (containerv_options_add_device) */
	char **device_rules;   /* "TYPE MAJOR:MINOR ACCESS", before the defaults (containerv_options_allow_device) */
	char **cgroup_unified; /* "KEY=VALUE": cgroup v2 files written at create (containerv_options_set_cgroup_file) */
	int umask;             /* the main command's file mode creation mask; -1: the caller's */
	int personality;       /* enum containerv_personality of the main command */
	int root_propagation;  /* enum containerv_mount_propagation of the root mount */
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
	/* config/supervise-options.c; persisted under "healthcheck", "image_healthcheck" and "restart". */
	struct cv_health_config health;       /* containerv_options_set_healthcheck() */
	struct cv_health_config image_health; /* the image's Healthcheck */
	int restart_policy;                   /* enum containerv_restart_policy */
	int restart_max_retries;
	int64_t restart_delay_ns;  /* containerv_options_set_restart_timing(): 0, docker's back-off */
	int64_t restart_window_ns; /* 0: every restart counts toward restart_max_retries */
	int stop_timeout;          /* seconds containerv_stop() waits by default; -1: 10 */
	struct cv_ulimit ulimits[CONTAINERV_ULIMITS_MAX];
	size_t ulimit_count;
	int64_t shm_size;       /* /dev/shm's size; 0: 64 MiB; -1: no /dev/shm (--ipc none) */
	bool oom_score_adj_set; /* containerv_options_set_oom_score_adj() */
	int oom_score_adj;
	int io_priority;            /* ioprio_set(2)'s value (class << 13 | level); 0: inherited */
	int64_t time_offsets[2][2]; /* CV_NS_TIME: monotonic and boottime, seconds and nanoseconds */
	bool scheduler_set;         /* containerv_options_set_scheduler() */
	struct containerv_scheduler scheduler;
	char *domainname;
	/*
	 * create -i: a start through a handle that set no stdio (a detached start, logging its output) gives
	 * the main process a stdin pipe whose write end that handle takes (containerv_take_stdio).
	 */
	bool open_stdin;
	struct cv_option_device *host_devices; /* containerv_options_add_host_device() */
	size_t host_device_count;
	uint64_t log_max_size;      /* containerv_options_set_log_limits(); 0: the default */
	unsigned int log_max_files; /* 0: the default */
	int perf_profile;           /* enum containerv_perf_profile (config/perf-profile.c) */
	bool thp_disable;           /* resolved from the profile at create: PR_SET_THP_DISABLE in the init */
	/*
	 * Not persisted: our duplicates of the creator's descriptors for the main command (closed by clear), or
	 * CONTAINERV_STDIO_* values. Set in a container's config only while its creating handle may take the
	 * caller's ends (a tty's master included): a later start from elsewhere logs instead.
	 */
	bool stdio_set;
	int stdio[3];
};

/* An absolute path without "." or ".." components, shorter than 4096 (config/mounts.c). */
bool cv_is_clean_absolute_path(const char *path);

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

/* config/process-options.c: --ulimit, --device, ... in config.json ("process"). */
void cv_devices_free(struct cv_option_device *devices, size_t count);
int cv_process_options_to_json(const struct containerv_options *options, struct json_t *root);
int cv_process_options_from_json(struct json_t *root, struct containerv_options *options);

/* The JSON of containerv_get_host_config() (docker's names). */
int cv_options_host_config_json(const struct containerv_options *options, char **json);
/* config/perf-profile.c: the profile and its THP flag in config.json (absent: none). */
int cv_perf_config_to_json(const struct containerv_options *options, struct json_t *root);
void cv_perf_config_from_json(struct json_t *root, struct containerv_options *options);

/* config/security-options.c: the security part of config.json (the default level when absent). */
int cv_security_config_to_json(const struct containerv_security *security, struct json_t *root);
int cv_security_config_from_json(struct json_t *root, struct containerv_security **security);
/* cv_security_check_bind (security/binds.c) for every bind of a container's options. */
int cv_security_check_binds(const struct containerv_options *options, const char *state_root);
/* cv_security_check_isolation (security/isolation.c): host namespaces and devices the level refuses. */
int cv_security_check_host_access(const struct containerv_options *options);
/* The audit (security/audit.c) of a container's whole configuration; STATE_ROOT is the live one. */
int cv_audit_config(const struct containerv_options *config, const char *state_root, struct containerv_audit **out);

/* config/supervise-options.c: the supervision part of config.json, and its checks. */
void cv_health_config_clear(struct cv_health_config *health);
struct json_t *cv_health_config_to_json(const struct cv_health_config *health);
/* probes: containerv's HTTP and TCP tests are allowed (a container's own check; never an image's). */
int cv_health_config_from_json(struct json_t *object, struct cv_health_config *health, bool probes);
/* An HTTP test's URL, parsed (cv_health_http_parse): an address literal (127.0.0.1 when none), port, path. */
#define CV_HEALTH_BODY_MAX 1024
struct cv_health_http {
	char host[64];
	bool ipv6;
	uint16_t port;
	char path[2048];
};
int cv_health_http_parse(const char *url, struct cv_health_http *http);
/* A TCP test's port (1 to 65535). */
int cv_health_port_parse(const char *text, uint16_t *port);
int cv_supervise_config_to_json(const struct containerv_options *options, struct json_t *root);
int cv_supervise_config_from_json(struct json_t *root, struct containerv_options *options);
int cv_supervise_config_validate(const struct containerv_options *options);
/* The check that runs (the container's, else the image's), or NULL: none, or disabled with NONE. */
const struct cv_health_config *cv_health_effective(const struct containerv_options *options);
/* A supervisor is wanted at each start: a health check or a restart policy. */
bool cv_supervision_wanted(const struct containerv_options *options);

/* The namespace (CV_NS_NET or CV_NS_IPC) a namespaced sysctl KEY belongs to; 0 for any other key. */
unsigned int cv_sysctl_namespace(const char *key);

/* Looks up KEY in a KEY=VALUE vector; NULL when absent. */
const char *cv_env_get(char *const *env, const char *key);

#endif
