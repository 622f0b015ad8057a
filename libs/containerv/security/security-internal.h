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
	char *name; /* the predefined profile or file it came from, for inspect and audit */
	uint64_t capabilities;
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
};

/* Fills a zeroed struct with a level's settings. */
int cv_security_init_level(struct containerv_security *security, enum containerv_security_level level);
void cv_security_clear(struct containerv_security *security);
int cv_security_copy_into(struct containerv_security *dest, const struct containerv_security *src);

/* config.json form (also the public JSON form). */
struct json_t *cv_security_to_json_object(const struct containerv_security *security);
int cv_security_from_json_object(struct json_t *object, struct containerv_security *security);

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

/* audit.c: the audit of a container's whole configuration. */
struct containerv_options;
int cv_audit_config(const struct containerv_options *config, struct containerv_audit **out);

/* security/paths.c: docker's masked and read-only paths. */
extern const char *const cv_default_masked_paths[];
extern const char *const cv_default_readonly_paths[];

#endif
