/*
 * containerv: docker's syntax, translated into a container's options.
 *
 * One place for each piece of docker's dialect (-v, --mount, --tmpfs, -e,
 * --env-file, --user, the resource flags, --pull and what IMAGE means), so
 * that the CLI, a compose engine or any other front end give the same
 * meaning and the same error to the same text. Each function parses the
 * text completely, then adds the result to the options (or a limits
 * structure); on failure nothing is added, errno is EINVAL (or the system
 * error) and containerv_last_error() is one line naming the bad text, e.g.
 * `invalid -v "a:b:c:d": expected [SOURCE:]TARGET[:OPTIONS]`.
 *
 * The -p, --expose, --dns and --add-host values are already docker text in
 * containerv_options_add_port() and its neighbours (network.h).
 */
#ifndef CHEF_CONTAINERV_SPEC_H
#define CHEF_CONTAINERV_SPEC_H

#include <chef/containerv/common.h>
#include <chef/containerv/limits.h>
#include <chef/containerv/registry.h>

#ifdef __cplusplus
extern "C" {
#endif

struct containerv_options;

/* docker's default PATH, for a root filesystem that brings no environment of its own. */
#define CONTAINERV_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The longest -v, --mount or --tmpfs text accepted (longer: "invalid -v: too long"). */
#define CONTAINERV_SPEC_MOUNT_TEXT_MAX 4095

/*
 * docker's -v: "SOURCE:TARGET[:OPTIONS]" or "TARGET". A SOURCE starting
 * with "/" is a host directory (made when missing, as docker's -v does),
 * anything else a volume name; "TARGET" alone is an anonymous volume.
 * OPTIONS: ro, rw, [r]private, [r]slave, [r]shared, z, Z, nocopy.
 */
CONTAINERV_API int containerv_spec_add_volume(struct containerv_options *options, const char *text);

/*
 * docker's --mount: comma-separated key=value fields: type (bind, volume,
 * tmpfs; default volume), source/src, target/destination/dst,
 * readonly/ro[=true|false|1|0], bind-propagation, tmpfs-size, tmpfs-mode
 * (octal). A bind source must exist.
 */
CONTAINERV_API int containerv_spec_add_mount(struct containerv_options *options, const char *text);

/* docker's --tmpfs: "TARGET[:size=64m,mode=1777,uid=N,gid=N,ro,rw,nosuid,nodev,noexec]". */
CONTAINERV_API int containerv_spec_add_tmpfs(struct containerv_options *options, const char *text);

/*
 * docker's -e: "KEY=VALUE", or "KEY" alone for this process's own value of
 * KEY (nothing is added when it is unset). A later KEY replaces an earlier one.
 */
CONTAINERV_API int containerv_spec_add_env(struct containerv_options *options, const char *entry);

/*
 * docker's --env-file: one -e entry per line; blank lines and lines
 * starting with "#" (after leading blanks) are skipped. Errors name the
 * file. The entries before a bad line stay added: check the file first
 * (or discard the options) when that matters.
 */
CONTAINERV_API int containerv_spec_add_env_file(struct containerv_options *options, const char *path);

/*
 * An --env-file read alone (exec's): its entries, as containerv_spec_add_env_file()
 * reads them (a later KEY replaces an earlier one), in *entries, NULL-terminated
 * (free with containerv_strings_free()).
 */
CONTAINERV_API int containerv_spec_read_env_file(const char *path, char ***entries);

/* docker's --sysctl KEY=VALUE: containerv_options_add_sysctl()'s rules (namespaced keys only). */
CONTAINERV_API int containerv_spec_add_sysctl(struct containerv_options *options, const char *text);

/*
 * docker's --ulimit NAME=SOFT[:HARD] ("nofile=1024:2048", "core=0"): HARD is
 * SOFT when absent; -1 or "unlimited" for no limit (containerv_options_add_ulimit()).
 */
CONTAINERV_API int containerv_spec_add_ulimit(struct containerv_options *options, const char *text);

/*
 * docker's --device HOST[:CONTAINER][:PERMISSIONS] ("/dev/fuse",
 * "/dev/snd/controlC0:/dev/snd0:r") (containerv_options_add_host_device()).
 */
CONTAINERV_API int containerv_spec_add_device(struct containerv_options *options, const char *text);

/*
 * docker's --group-add GROUP: a gid, or a name looked up in the root
 * filesystem's /etc/group (as --user's; the image or --rootfs must be set
 * first). Added to the supplementary groups of the main command and of
 * every exec'd process.
 */
CONTAINERV_API int containerv_spec_add_group(struct containerv_options *options, const char *text);

/*
 * docker's --pid, --ipc, --uts and --cgroupns (KIND "pid", "ipc", "uts",
 * "cgroupns"): "host" shares the host's namespace (refused at levels that
 * forbid it, see docs/security.md), "container:NAME" (pid and ipc) joins
 * another container's, "private" and "" (every kind) and "shareable" (ipc)
 * are the default (a namespace of its own), "none" (ipc) is its own without
 * a /dev/shm.
 */
CONTAINERV_API int containerv_spec_set_namespace_mode(struct containerv_options *options, const char *kind,
                                                      const char *mode);

/* docker's --stop-signal: a name ("SIGUSR1", "USR1", "RTMIN+3") or a number; replaces the image's. */
CONTAINERV_API int containerv_spec_set_stop_signal(struct containerv_options *options, const char *text);

/*
 * docker's --user: "UID", "UID:GID" (a bare UID gets group 0), or with names
 * ("name", "name:group", "UID:group") looked up in the root filesystem's
 * /etc/passwd and /etc/group (the topmost layer that has them; a symlinked
 * /etc or file is never followed): call it after the image or rootfs is set.
 * ENOENT: no such user or group there.
 */
CONTAINERV_API int containerv_spec_set_user(struct containerv_options *options, const char *text);

#define CONTAINERV_SPEC_LIMIT_FLAGS_VERSION 2 /* 2: cpu_period, cpu_quota, memory_reservation, oom_kill_disable */

/*
 * The resource flags of docker run as typed; NULL means not given.
 * Initialise with CONTAINERV_SPEC_LIMIT_FLAGS_INIT.
 */
struct containerv_spec_limit_flags {
	unsigned int version;     /* CONTAINERV_SPEC_LIMIT_FLAGS_VERSION */
	const char *memory;       /* --memory: a size ("64m") */
	const char *memory_swap;  /* --memory-swap: a size at least --memory, or "-1" (unlimited swap) */
	const char *cpus;         /* --cpus: "0.5" */
	const char *cpu_shares;   /* --cpu-shares: 2 to 262144 */
	const char *cpuset_cpus;  /* --cpuset-cpus: "0-3,5" */
	const char *cpuset_mems;  /* --cpuset-mems */
	const char *pids_limit;   /* --pids-limit: -1 (or 0) for none */
	const char *blkio_weight; /* --blkio-weight: 0 or 10 to 1000 */
	/* Version 2: */
	const char *cpu_period;         /* --cpu-period: 1000 to 1000000 microseconds; not with --cpus */
	const char *cpu_quota;          /* --cpu-quota: microseconds per period, -1 none; not with --cpus */
	const char *memory_reservation; /* --memory-reservation: a size at most --memory */
	int oom_kill_disable;           /* --oom-kill-disable: 1 (cgroup v1 only, needs --memory) */
};

#define CONTAINERV_SPEC_LIMIT_FLAGS_INIT                                                                               \
	{                                                                                                              \
		CONTAINERV_SPEC_LIMIT_FLAGS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
		        0                                                                                              \
	}

/*
 * Parses the flags given into limits (other fields are left alone) and
 * validates the result whole (containerv_limits_validate).
 */
CONTAINERV_API int containerv_spec_parse_limits(const struct containerv_spec_limit_flags *flags,
                                                struct containerv_limits *limits);

/* docker's --pull. */
enum containerv_pull_policy {
	CONTAINERV_PULL_MISSING = 0, /* the default: pull when the store lacks it */
	CONTAINERV_PULL_ALWAYS = 1,  /* pull first (a registry round trip even when present) */
	CONTAINERV_PULL_NEVER = 2,   /* the store, the built-in image or a rootfs directory only */
};

/* "missing", "always" or "never"; NULL is "missing". */
CONTAINERV_API int containerv_spec_parse_pull_policy(const char *text, enum containerv_pull_policy *policy);

/*
 * Whether IMAGE is a directory path rather than an image name: it starts
 * with "/", "./" or "../", or is ".". Returns 1 or 0; never fails.
 */
CONTAINERV_API int containerv_spec_image_is_path(const char *image);

/*
 * A host directory as the root filesystem (docker's --rootfs, or a path
 * given as IMAGE): resolved to its real path, which must be a directory.
 * Without a command (has_command 0) the container runs /bin/sh.
 */
CONTAINERV_API int containerv_spec_set_rootfs(struct containerv_options *options, const char *directory,
                                              int has_command);

#define CONTAINERV_SPEC_IMAGE_OPTIONS_VERSION 1

/* How containerv_spec_set_image() finds an image. Initialise with CONTAINERV_SPEC_IMAGE_OPTIONS_INIT. */
struct containerv_spec_image_options {
	unsigned int version; /* CONTAINERV_SPEC_IMAGE_OPTIONS_VERSION */
	enum containerv_pull_policy pull;
	/*
	 * Colon-separated directories holding root filesystems: "busybox" there
	 * is the built-in image, and (as before images existed) a NAME without a
	 * tag other than latest may be a directory there. NULL: none.
	 */
	const char *rootfs_search_path;
	/* The caller sets a command or an entrypoint: the image need not have one. */
	int has_command;
	/* For pulls (progress callback, TLS, credentials); NULL: the defaults. */
	const struct containerv_registry_options *registry;
};

#define CONTAINERV_SPEC_IMAGE_OPTIONS_INIT                                                                             \
	{                                                                                                              \
		CONTAINERV_SPEC_IMAGE_OPTIONS_VERSION, CONTAINERV_PULL_MISSING, NULL, 0, NULL                          \
	}

/*
 * docker's IMAGE, resolved in this order: a directory path
 * (containerv_spec_set_rootfs); with CONTAINERV_PULL_ALWAYS a pull first;
 * an image of the store; the built-in busybox (any spelling of
 * docker.io/library/busybox:latest), imported from "busybox" in the search
 * path on first use; a rootfs directory NAME in the search path; with
 * CONTAINERV_PULL_MISSING a pull from its registry. Then, unless
 * has_command, the image must have an Entrypoint or a Cmd. When nothing
 * has it: ENOENT and the store's reason ("image docker.io/library/x:latest:
 * not found"), or after a failed pull its errno and "REASON (pull: WHY)".
 */
CONTAINERV_API int containerv_spec_set_image(struct containerv_options *options, const char *image,
                                             const struct containerv_spec_image_options *spec);

#ifdef __cplusplus
}
#endif

#endif
