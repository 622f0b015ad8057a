/*
 * containerv: security profiles and the audit.
 *
 * A security profile says which walls a container gets: its capability set,
 * its seccomp filter, no_new_privileges, masked and read-only paths, a
 * read-only root filesystem, the device allow-list, and LSM labels. Every
 * profile starts from one of four levels (see docs/security.md for the
 * table) and may be changed from there:
 *
 *   PERMISSIVE  docker's default: its capabilities and seccomp profile
 *   RESTRICTED  the same without NET_RAW (ping works through ICMP
 *               echo sockets), plus no_new_privileges (the default)
 *   STRICT      fewer capabilities (no NET_RAW, MKNOD, ...), a stricter
 *               seccomp filter, read-only root filesystem
 *   PARANOID    no capabilities, the strictest filter, no network,
 *               Landlock where the kernel has it
 *
 * Predefined profiles for common workloads ("web-server", "database",
 * "build", "untrusted") and user profiles in a JSON file extend a level.
 * The audit scores a profile (or a container's configuration) from 0 to 100
 * and explains each weakness it finds.
 */
#ifndef CHEF_CONTAINERV_SECURITY_H
#define CHEF_CONTAINERV_SECURITY_H

#include <stddef.h>

#include <chef/containerv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct containerv_options;
struct containerv_container;

/* An opaque, mutable security profile. */
struct containerv_security;

enum containerv_security_level {
	CV_SECURITY_PERMISSIVE = 0,
	CV_SECURITY_RESTRICTED = 1,
	CV_SECURITY_STRICT = 2,
	CV_SECURITY_PARANOID = 3,
};

/* Makes a profile at one of the four levels. */
CONTAINERV_API int containerv_security_new(enum containerv_security_level level, struct containerv_security **security);

/*
 * Loads a predefined profile by name ("permissive", "restricted", "strict",
 * "paranoid", "web-server", "database", "build", "untrusted") or a user
 * profile from a JSON or YAML file (a path: it contains a '/' or ends in
 * ".json", ".yaml" or ".yml"; YAML when it ends in ".yaml" or ".yml").
 * The file's format is in docs/security.md: {"extends": LEVEL-OR-PROFILE,
 * "cap_add": [...], "cap_drop": [...], "seccomp": "default"|"unconfined"|PATH,
 * "no_new_privileges": BOOL, "read_only_rootfs": BOOL, "masked_paths": [...],
 * "readonly_paths": [...]}. Unknown keys are refused.
 */
CONTAINERV_API int containerv_security_load(const char *name_or_path, struct containerv_security **security);

/* Frees a profile; NULL is ignored. */
CONTAINERV_API void containerv_security_delete(struct containerv_security *security);

/* A deep copy. */
CONTAINERV_API int containerv_security_copy(const struct containerv_security *security,
                                            struct containerv_security **copy);

/* The level the profile started from. */
CONTAINERV_API enum containerv_security_level containerv_security_level(const struct containerv_security *security);

/* "permissive", "restricted", "strict", "paranoid"; NULL for an unknown level. */
CONTAINERV_API const char *containerv_security_level_name(enum containerv_security_level level);

/* Parses a level name (case-insensitive). */
CONTAINERV_API int containerv_security_level_parse(const char *name, enum containerv_security_level *level);

/*
 * Adds or drops one capability: "NET_ADMIN", "CAP_NET_ADMIN" (any case), or
 * "ALL". Applied in order, like docker's --cap-add/--cap-drop.
 */
CONTAINERV_API int containerv_security_add_capability(struct containerv_security *security, const char *name);
CONTAINERV_API int containerv_security_drop_capability(struct containerv_security *security, const char *name);

/* Whether the profile grants a capability (name as above, not ALL); 1 yes, 0 no, -1 unknown name. */
CONTAINERV_API int containerv_security_has_capability(const struct containerv_security *security, const char *name);

/*
 * The seccomp filter: NULL or "default" for the level's built-in profile,
 * "unconfined" for none, else the path of a docker/OCI seccomp profile
 * (JSON). A file is read and checked now; its contents are kept in the
 * profile, so the file may change or go away afterwards.
 */
CONTAINERV_API int containerv_security_set_seccomp(struct containerv_security *security, const char *profile);

/* no_new_privileges: setuid binaries and file capabilities grant nothing. */
CONTAINERV_API int containerv_security_set_no_new_privileges(struct containerv_security *security, int enabled);

/* Mounts the container's root filesystem read-only. */
CONTAINERV_API int containerv_security_set_read_only_rootfs(struct containerv_security *security, int enabled);

/*
 * Privileged: every capability, no seccomp filter, no masked or read-only
 * paths, every device. The walls are down; the audit says so.
 */
CONTAINERV_API int containerv_security_set_privileged(struct containerv_security *security, int enabled);

/* Adds a path of the container to mask (an empty read-only file or directory over it). */
CONTAINERV_API int containerv_security_add_masked_path(struct containerv_security *security, const char *path);

/* Adds a path of the container to mount read-only. */
CONTAINERV_API int containerv_security_add_readonly_path(struct containerv_security *security, const char *path);

/*
 * Allows a bind mount of HOST_PATH (exactly that path, symlinks resolved on
 * both sides) although it is a sensitive host path: /, /proc, /sys, /dev,
 * /run, /etc, /boot, /lib/modules, /root, other runtimes' state, the state
 * root, or a writable bind of /usr, /bin, /sbin, /lib, or what contains or
 * lies inside one of them. Below the permissive level such a bind is
 * otherwise refused at create and start; the audit reports it as critical
 * either way. The CLI's --security-opt allow-sensitive-bind=PATH.
 */
CONTAINERV_API int containerv_security_allow_sensitive_bind(struct containerv_security *security,
                                                            const char *host_path);

/*
 * Checks HOST_PATH as the source of a read-only bind mount under SECURITY
 * (NULL: the default level): 0 when such a bind would be accepted, else -1
 * with EPERM and the reason (a sensitive host path below the permissive
 * level, not allowed above). For host files copied into a container instead
 * of bound (compose's secrets and configs), so that a copy brings in nothing
 * a bind may not. STATE_ROOT: the state root in use (its files are
 * sensitive), or NULL.
 */
CONTAINERV_API int containerv_security_check_host_source(const struct containerv_security *security,
                                                         const char *host_path, const char *state_root);

/*
 * An AppArmor profile name, or an SELinux label ("user:role:type:level").
 * Creating a container with one fails with EOPNOTSUPP on a host without that
 * LSM enabled: containerv never runs unconfined when confinement was asked for.
 */
CONTAINERV_API int containerv_security_set_apparmor_profile(struct containerv_security *security, const char *profile);
CONTAINERV_API int containerv_security_set_selinux_label(struct containerv_security *security, const char *label);

/*
 * The SELinux context of the container's own mounts (OCI linux.mountLabel).
 * On a host without SELinux there is nothing a label could be given to: it is
 * kept and has no effect, as under runc and crun. On a host with SELinux,
 * creating the container fails with EOPNOTSUPP: mount labelling is not
 * implemented, and a mount without its label would be labelled differently
 * from what was asked.
 */
CONTAINERV_API int containerv_security_set_mount_label(struct containerv_security *security, const char *label);

/*
 * 1 when the profile lets the container have a network beyond loopback, 0
 * when not (paranoid): creating such a container with a bridge, host or
 * static network fails with EPERM.
 */
CONTAINERV_API int containerv_security_network_allowed(const struct containerv_security *security);

/* Uses a copy of the profile for a container (replaces the default, RESTRICTED). */
CONTAINERV_API int containerv_options_set_security(struct containerv_options *options,
                                                   const struct containerv_security *security);

/* The profile a container was created with (a copy, for containerv_security_delete). */
CONTAINERV_API int containerv_get_security(struct containerv_container *container,
                                           struct containerv_security **security);

/* Calls callback for each predefined profile, with its name and a one-line description. */
CONTAINERV_API int
containerv_security_list_profiles(int (*callback)(const char *name, const char *description, void *user), void *user);

/*
 * The JSON form of a profile (what the CLI's `security profiles --format
 * json` and `inspect` print): level, capabilities, seccomp, paths, flags.
 * Free *json with free().
 */
CONTAINERV_API int containerv_security_to_json(const struct containerv_security *security, char **json);

/* The audit. */
enum containerv_severity {
	CV_SEVERITY_INFO = 0,
	CV_SEVERITY_LOW = 1,
	CV_SEVERITY_MEDIUM = 2,
	CV_SEVERITY_HIGH = 3,
	CV_SEVERITY_CRITICAL = 4,
};

/* One finding; the strings belong to the audit. */
struct containerv_finding {
	enum containerv_severity severity;
	const char *id;   /* stable identifier, e.g. "cap-sys-admin" */
	const char *what; /* what the configuration lets through */
	const char *why;  /* why that matters */
	const char *fix;  /* how to close it */
};

struct containerv_audit;

/* Audits a profile. */
CONTAINERV_API int containerv_security_audit(const struct containerv_security *security,
                                             struct containerv_audit **audit);

/* Audits a container's whole configuration (its profile plus mounts, namespaces and limits). */
CONTAINERV_API int containerv_audit_container(struct containerv_container *container, struct containerv_audit **audit);

/* 0 (no walls) to 100 (nothing found). */
CONTAINERV_API int containerv_audit_score(const struct containerv_audit *audit);

/* The number of findings, most severe first. */
CONTAINERV_API size_t containerv_audit_count(const struct containerv_audit *audit);

/* Finding i (0-based); EINVAL past the end. */
CONTAINERV_API int containerv_audit_finding(const struct containerv_audit *audit, size_t i,
                                            struct containerv_finding *finding);

/* "info", "low", "medium", "high", "critical". */
CONTAINERV_API const char *containerv_severity_name(enum containerv_severity severity);

/* Frees an audit; NULL is ignored. */
CONTAINERV_API void containerv_audit_delete(struct containerv_audit *audit);

#ifdef __cplusplus
}
#endif

#endif
