/*
 * Internal: the security profile as a plain struct, the seccomp profile
 * model shared by the built-in profiles and the docker/OCI JSON parser, and
 * the capability names. Platform-neutral: capability numbers follow Linux's
 * numbering, which the Windows backend will translate or ignore.
 */
#ifndef CV_SECURITY_INTERNAL_H
#define CV_SECURITY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/security.h>

struct json_t;
struct cv_mount;

/* The highest capability number we know by name (CAP_CHECKPOINT_RESTORE). */
#define CV_CAP_LAST 40
#define CV_CAP_BIT(number) (UINT64_C(1) << (number))
#define CV_CAPS_ALL ((CV_CAP_BIT(CV_CAP_LAST) << 1) - 1)

enum cv_seccomp_mode {
	CV_SECCOMP_LEVEL = 0,      /* the level's built-in profile */
	CV_SECCOMP_UNCONFINED = 1, /* no filter */
	CV_SECCOMP_CUSTOM = 2,     /* a docker/OCI profile given by the user (its JSON text is kept) */
};

struct containerv_security {
	enum containerv_security_level level;
	char *name;            /* the predefined profile or file it came from, for inspect and audit */
	uint64_t capabilities; /* the bounding set */
	/*
	 * An OCI config's five sets, when given (capability_sets): effective, permitted, inheritable and
	 * ambient as written. Otherwise they derive from the bounding set: the same permitted and effective
	 * for uid 0, nothing for other users, inheritable and ambient empty.
	 */
	bool capability_sets;
	uint64_t effective_capabilities;
	uint64_t permitted_capabilities;
	uint64_t inheritable_capabilities;
	uint64_t ambient_capabilities;
	bool no_new_privileges;
	bool read_only_rootfs;
	bool privileged;
	bool landlock;       /* Paranoid: a Landlock ruleset where the kernel has it */
	bool no_network;     /* Paranoid: the container gets loopback only, whatever the network options say */
	bool user_namespace; /* Paranoid: a user namespace of leased ids (--userns=auto) unless maps are given */
	enum cv_seccomp_mode seccomp_mode;
	char *seccomp_json; /* CV_SECCOMP_CUSTOM */
	char **masked_paths;
	char **readonly_paths;
	char *apparmor_profile;
	char *selinux_label;
	char *mount_label;      /* SELinux context of the container's mounts (OCI linux.mountLabel) */
	char **sensitive_binds; /* host paths a sensitive bind of which is allowed below permissive (binds.c) */
};

/* Fills a zeroed struct with a level's settings. */
int cv_security_init_level(struct containerv_security *security, enum containerv_security_level level);
void cv_security_clear(struct containerv_security *security);
int cv_security_copy_into(struct containerv_security *dest, const struct containerv_security *src);

/* config.json form (also the public JSON form). */
struct json_t *cv_security_to_json_object(const struct containerv_security *security);
int cv_security_from_json_object(struct json_t *object, struct containerv_security *security);

/* Whether two profiles give a process the same capabilities (all five sets). */
bool cv_security_same_capabilities(const struct containerv_security *a, const struct containerv_security *b);

/* Capability names: "CAP_NET_ADMIN", "net_admin", ... -> number; -1 when unknown. */
int cv_capability_number(const char *name);
/* "CAP_NET_ADMIN" for a known number, NULL otherwise. */
const char *cv_capability_name(int number);

/* The seccomp profile model. */
enum cv_seccomp_action {
	CV_SECCOMP_ALLOW = 0,
	CV_SECCOMP_ERRNO = 1,
	CV_SECCOMP_KILL_THREAD = 2,
	CV_SECCOMP_KILL_PROCESS = 3,
	CV_SECCOMP_TRAP = 4,
	CV_SECCOMP_LOG = 5,
	CV_SECCOMP_TRACE = 6,
	CV_SECCOMP_NOTIFY = 7, /* refused: nobody listens */
};

enum cv_seccomp_op {
	CV_SECCOMP_OP_NE = 1,
	CV_SECCOMP_OP_LT,
	CV_SECCOMP_OP_LE,
	CV_SECCOMP_OP_EQ,
	CV_SECCOMP_OP_GE,
	CV_SECCOMP_OP_GT,
	CV_SECCOMP_OP_MASKED_EQ,
};

enum cv_seccomp_arch {
	CV_ARCH_X86_64 = 1u << 0,
	CV_ARCH_X86 = 1u << 1,
	CV_ARCH_X32 = 1u << 2,
	CV_ARCH_AARCH64 = 1u << 3,
	CV_ARCH_ARM = 1u << 4,
};

struct cv_seccomp_arg {
	unsigned int index;
	uint64_t value;
	uint64_t value_two;
	enum cv_seccomp_op op;
};

struct cv_seccomp_rule {
	char **names;
	enum cv_seccomp_action action;
	int errno_ret;  /* CV_SECCOMP_ERRNO (and TRACE's message) */
	bool has_errno; /* else the profile's default errno */
	struct cv_seccomp_arg args[6];
	unsigned int arg_count;
	uint64_t caps_all;   /* applies only when the container has all of these */
	uint64_t caps_none;  /* ... and none of these */
	unsigned int arches; /* only on these architectures (0: all) */
	unsigned int not_arches;
};

struct cv_seccomp_profile {
	enum cv_seccomp_action default_action;
	int default_errno;
	unsigned int arches; /* the architectures the filter covers; 0: the native one and its compat ABIs */
	struct cv_seccomp_rule *rules;
	size_t rule_count;
	/*
	 * Calls the profile does not know (newer than it) get ENOSYS rather than the default
	 * action, so that programs fall back to older calls (what glibc does on ENOSYS).
	 */
	bool unknown_enosys;
};

void cv_seccomp_profile_clear(struct cv_seccomp_profile *profile);

/* seccomp-json.c: a docker/OCI seccomp profile (JSON text) into the model; the error names the problem. */
int cv_seccomp_profile_parse(const char *json, struct cv_seccomp_profile *profile);

/* seccomp-default.c: the built-in profile of a level. */
int cv_seccomp_profile_for_level(enum containerv_security_level level, struct cv_seccomp_profile *profile);

/* The profile a container's security settings call for; *enabled false when unconfined or privileged. */
int cv_seccomp_profile_of(const struct containerv_security *security, struct cv_seccomp_profile *profile,
                          bool *enabled);

/*
 * What the audit of a whole container reads of its configuration. config/
 * fills it from the options (cv_audit_config), so security/ needs no
 * knowledge of the options, which sit above it.
 */
/* A --device of the subject (the config's strings). */
struct cv_audit_device {
	const char *host, *container, *permissions;
};

/* The namespaces a container may join (config's cv_join order): net, ipc, uts, pid. */
#define CV_AUDIT_JOINS 4

struct cv_audit_subject {
	const struct containerv_security *security; /* always set in a created container's config */
	unsigned int namespaces;                    /* CV_NS_*: a bit absent and nothing joined is the host's */
	const char *joined[CV_AUDIT_JOINS];         /* the namespace file joined (another container's), or NULL */
	const struct cv_audit_device *devices;
	size_t device_count;
	bool runs_as_root;    /* uid 0 (of its user namespace, when it has one) */
	int64_t memory_bytes; /* <= 0: no limit */
	int64_t pids_max;     /* <= 0: no limit */
	const struct cv_mount *mounts;
	size_t mount_count;
};

/* isolation.c: how far a --device reaches into the host. */
enum cv_device_risk {
	CV_DEVICE_ORDINARY = 0, /* a character device (a sound card, a serial port, /dev/fuse, /dev/kvm) */
	CV_DEVICE_BLOCK = 1,    /* a disk or partition: raw access under every filesystem permission */
	CV_DEVICE_STORAGE = 2,  /* a character device to the host's disks (sg, bsg, NVMe, tape, loop-control) */
	CV_DEVICE_CONSOLE = 3,  /* the host's consoles, terminals, screens or keyboards (tty1, console, input) */
	CV_DEVICE_CPU = 4,      /* the CPUs' registers or microcode (cpu/N/msr, cpu/N/cpuid) */
	CV_DEVICE_KERNEL = 5,   /* the kernel's memory, I/O ports or log, firmware, the watchdog */
};

/* A device node's type and numbers, and the name its major has in /proc/devices. */
struct cv_device_identity {
	char type; /* 'c' or 'b' */
	unsigned int major, minor;
	unsigned int permissions; /* the node's permission bits */
	char driver[32];          /* "bsg", "nvme-generic", ...; "" when the major is not listed */
};
/*
 * Platform seam (platform/linux/device-identity.c; ENOTSUP elsewhere): stats HOST_PATH (symlinks
 * followed: the device is what the path reaches) and fills IDENTITY; -1 with the error when the path
 * is missing or no character or block device.
 */
int cv_device_identify(const char *host_path, struct cv_device_identity *identity);

/* What a device is, by its numbers (the kernel's devices.txt), never by its path. */
struct cv_device_class {
	enum cv_device_risk risk;
	const char *what; /* "SCSI generic (/dev/sg*)"; NULL for an ordinary device */
	const char *why;  /* what it reaches, for the refusal and the audit */
};
void cv_device_classify(const struct cv_device_identity *identity, struct cv_device_class *class);
/*
 * Refuses (EPERM, one line naming the device, what it is and the level that allows it) a device the
 * level of SECURITY forbids: any at strict and paranoid, all but ordinary ones at restricted, none at
 * permissive or with --privileged. Called at create and again at each start with the numbers read then.
 */
int cv_security_check_device(const struct containerv_security *security, const char *host_path,
                             const struct cv_device_identity *identity);
/*
 * Refuses (EPERM, with the flag and the level that would allow it in the error) what the subject's
 * security level forbids of the host's namespaces and devices (docs/security.md, "Host namespaces and
 * devices"): --pid host below permissive, --ipc host at strict and paranoid, --uts host and --cgroupns
 * host at paranoid; a block or kernel device below permissive, any device at strict and paranoid.
 */
int cv_security_check_isolation(const struct cv_audit_subject *subject);

/* audit.c: the audit of a container's whole configuration; STATE_ROOT is the live one. */
int cv_audit_subject(const struct cv_audit_subject *subject, const char *state_root, struct containerv_audit **out);

/* binds.c: sensitive bind mounts. */
enum cv_bind_risk {
	CV_BIND_ORDINARY = 0,
	CV_BIND_HOST_FILE = 1, /* a read-only regular file of /etc holding no credential: reported, never refused */
	CV_BIND_SENSITIVE = 2, /* refused below permissive unless allowed; the audit's critical finding */
};

struct cv_bind_check {
	enum cv_bind_risk risk;
	char resolved[4096]; /* the source as the kernel will find it */
	char reason[512];    /* CV_BIND_SENSITIVE: "it is inside /sys (...)" */
};

/*
 * An absolute host path with symlinks resolved and "//", ".", ".." folded:
 * realpath of its longest existing prefix, the missing rest folded by hand.
 */
int cv_resolve_host_path(const char *path, char *resolved, size_t size);
/* How dangerous a bind of SOURCE is; STATE_ROOT is the live one (NULL: none). */
int cv_bind_classify(const char *source, bool read_only, const char *state_root, struct cv_bind_check *check);
/* RESOLVED is exactly one of the profile's allow-sensitive-bind paths (resolved too). */
bool cv_security_bind_allowed(const struct containerv_security *security, const char *resolved);
/*
 * Refuses (EPERM, the reason in the error) a sensitive bind below permissive
 * that the profile does not allow; RESOLVED (may be NULL) gets the path to mount.
 */
int cv_security_check_bind(const struct containerv_security *security, const char *source, bool read_only,
                           const char *state_root, char *resolved, size_t size);

/* security/paths.c: docker's masked and read-only paths. */
extern const char *const cv_default_masked_paths[];
extern const char *const cv_default_readonly_paths[];

#endif
