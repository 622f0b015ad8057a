/*
 * Internal: the Linux side of a security profile. The parent turns the
 * profile into a plan (capability masks, a compiled seccomp program, flags)
 * before the clone; the child applies it with raw system calls and no
 * allocation, in the order the kernel requires (see cv_security_apply).
 */
#ifndef CV_LINUX_SECURITY_LINUX_H
#define CV_LINUX_SECURITY_LINUX_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct containerv_security;
struct containerv_options;

struct cv_bpf {
	struct sock_filter *filter; /* NULL: no filter */
	unsigned short length;
};

/* seccomp.c: compiles the profile's filter for its capability set (cached); out->filter NULL when unconfined. */
int cv_seccomp_compile(const struct containerv_security *security, struct cv_bpf *out);
void cv_bpf_clear(struct cv_bpf *bpf);
/* In the child: installs the program (no allocation). */
int cv_seccomp_load(const struct cv_bpf *bpf);

struct cv_security_plan {
	bool privileged;       /* keep everything: no capability change, no filter */
	uint64_t capabilities; /* bounding, permitted and effective for root; bounding for other users */
	bool capability_sets;  /* the sets below as given (an OCI config's), instead of derived from the above */
	uint64_t effective, permitted, inheritable, ambient;
	int last_capability; /* the kernel's highest, read by the parent (reading it in the child allocates) */
	bool no_new_privileges;
	struct cv_bpf seccomp;
	bool landlock;                  /* where the kernel has it: read and execute only, but for ... */
	const char **landlock_writable; /* ... these paths of the container (NULL-terminated, owned) */
	const char *apparmor_profile;   /* applied at execve through /proc/thread-self/attr (the config's strings) */
	const char *selinux_label;
};

/* security.c: the parent's half, from a container's config (its profile and writable mounts). */
int cv_security_plan_prepare(const struct containerv_options *config, struct cv_security_plan *plan);
void cv_security_plan_clear(struct cv_security_plan *plan);
/* Refuses what this host cannot give: an AppArmor profile or SELinux label without that LSM. */
int cv_security_check_host(const struct containerv_security *security);

/*
 * The child's half, right before execve: drops the bounding set, switches to
 * uid/gid (switch_user: the caller's raw set*id helper), sets the capability
 * sets, no_new_privileges, Landlock, and seccomp last. Without
 * no_new_privileges the kernel only lets a holder of CAP_SYS_ADMIN install a
 * filter, so then the filter goes in before the user and capability changes
 * (and must allow them, as every profile we ship does).
 */
int cv_security_apply(const struct cv_security_plan *plan, uid_t uid, gid_t gid,
                      int (*switch_user)(uid_t uid, gid_t gid, void *arg), void *arg);

#endif
