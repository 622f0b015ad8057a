/*
 * Applying a security profile on Linux: capabilities, no_new_privileges,
 * Landlock and seccomp, with raw system calls in the child (it is a clone
 * of a possibly multi-threaded caller and must not allocate, so libcap's
 * allocating cap_set_proc() is not usable there; the sets are plain masks).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "config/options.h"
#include "common/util.h"
#include "platform/linux/container-private.h"
#include "platform/linux/security-linux.h"
#include "security/security-internal.h"

/*
 * The kernel's highest capability, which may be below or above the ones we know by name. Read by the
 * parent: the child is a clone of a possibly multi-threaded caller and must not allocate (a lock held
 * by another thread at the clone would never be released).
 */
static int kernel_last_capability(void)
{
	uint64_t value;
	int last = cv_read_u64("/proc/sys/kernel/cap_last_cap", &value) == 0 && value < 64 ? (int)value : CV_CAP_LAST;

	cv_error_clear();
	return last;
}

static bool lsm_enabled(const char *name)
{
	cleanup_free char *list = NULL;

	/* securityfs lists the active LSMs; without it, look for the LSM's own interface. */
	if (cv_read_file("/sys/kernel/security/lsm", &list, NULL, 4096) == 0) {
		for (char *save = NULL, *item = strtok_r(list, ",\n", &save); item; item = strtok_r(NULL, ",\n", &save))
			if (strcmp(item, name) == 0)
				return true;
		return false;
	}
	cv_error_clear();
	if (strcmp(name, "apparmor") == 0) {
		cleanup_free char *enabled = NULL;
		bool on = cv_read_file("/sys/module/apparmor/parameters/enabled", &enabled, NULL, 16) == 0 &&
		          enabled[0] == 'Y';
		cv_error_clear();
		return on;
	}
	return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

/* securityfs lists the loaded profiles as "NAME (MODE)" lines. */
static bool apparmor_profile_loaded(const char *profile)
{
	cleanup_free char *list = NULL;
	size_t length = strlen(profile);
	bool found = false;

	if (cv_read_file("/sys/kernel/security/apparmor/profiles", &list, NULL, 16 * 1024 * 1024) < 0) {
		cv_error_clear();
		return true; /* cannot tell: the exec will fail if it is not */
	}
	for (char *line = list; line != NULL && !found; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		found = strncmp(line, profile, length) == 0 && line[length] == ' ';
	return found;
}

int cv_security_check_host(const struct containerv_security *s)
{
	if (s == NULL)
		return 0;
	if (s->apparmor_profile != NULL && !lsm_enabled("apparmor"))
		return cv_error_errno(EOPNOTSUPP,
		                      "apparmor profile \"%s\" requested, but AppArmor is not enabled on this host "
		                      "(refusing to run unconfined)",
		                      s->apparmor_profile);
	if (s->selinux_label != NULL && !lsm_enabled("selinux"))
		return cv_error_errno(EOPNOTSUPP,
		                      "selinux label \"%s\" requested, but SELinux is not enabled on this host "
		                      "(refusing to run unconfined)",
		                      s->selinux_label);
	/* Without SELinux no mount has a context: the label changes nothing, as under runc and crun. */
	if (s->mount_label != NULL && lsm_enabled("selinux"))
		return cv_error_errno(EOPNOTSUPP,
		                      "mount label \"%s\" requested: SELinux is enabled on this host and labelling the "
		                      "container's mounts is not implemented",
		                      s->mount_label);
	if (s->apparmor_profile != NULL && !apparmor_profile_loaded(s->apparmor_profile))
		return cv_error_errno(ENOENT, "apparmor profile \"%s\" is not loaded (apparmor_parser -r FILE)",
		                      s->apparmor_profile);
	return 0;
}

int cv_security_plan_prepare(const struct containerv_options *config, struct cv_security_plan *plan)
{
	const struct containerv_security *s = config->security;
	size_t count = 0;

	memset(plan, 0, sizeof *plan);
	plan->last_capability = kernel_last_capability();
	if (s->privileged) {
		plan->privileged = true;
		return 0;
	}
	plan->capabilities = s->capabilities;
	plan->capability_sets = s->capability_sets;
	plan->effective = s->effective_capabilities;
	plan->permitted = s->permitted_capabilities;
	plan->inheritable = s->inheritable_capabilities;
	plan->ambient = s->ambient_capabilities;
	plan->no_new_privileges = s->no_new_privileges;
	plan->landlock = s->landlock;
	plan->apparmor_profile = s->apparmor_profile;
	plan->selinux_label = s->selinux_label;
	if (plan->landlock) {
		plan->landlock_writable = cv_malloc0((config->mount_count + 1) * sizeof *plan->landlock_writable);
		if (plan->landlock_writable == NULL)
			return -1;
		for (size_t i = 0; i < config->mount_count; i++)
			if (!(config->mounts[i].flags & CV_MOUNT_READONLY))
				plan->landlock_writable[count++] = config->mounts[i].target;
	}
	if (cv_seccomp_compile(s, &plan->seccomp) < 0) {
		cv_security_plan_clear(plan);
		return -1;
	}
	return 0;
}

void cv_security_plan_clear(struct cv_security_plan *plan)
{
	cv_bpf_clear(&plan->seccomp);
	free(plan->landlock_writable);
	plan->landlock_writable = NULL;
}

static int drop_bounding_set(uint64_t keep, int last)
{
	for (int cap = 0; cap <= last; cap++) {
		if (cap < 64 && (keep & CV_CAP_BIT(cap)))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return cv_error_sys("drop capability %d from the bounding set", cap);
	}
	return 0;
}

/*
 * Permitted, effective and inheritable, then ambient (which must be in both permitted and inheritable).
 * Derived sets: the bounding set for root, nothing for other users (as docker does), inheritable empty.
 */
static int set_capabilities(const struct cv_security_plan *plan, uid_t uid)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	uint64_t derived = uid == 0 ? plan->capabilities : 0;
	uint64_t effective = plan->capability_sets ? plan->effective : derived;
	uint64_t permitted = plan->capability_sets ? plan->permitted : derived;
	uint64_t inheritable = plan->capability_sets ? plan->inheritable : 0;

	memset(data, 0, sizeof data);
	data[0].effective = (uint32_t)effective;
	data[1].effective = (uint32_t)(effective >> 32);
	data[0].permitted = (uint32_t)permitted;
	data[1].permitted = (uint32_t)(permitted >> 32);
	data[0].inheritable = (uint32_t)inheritable;
	data[1].inheritable = (uint32_t)(inheritable >> 32);
	if (syscall(SYS_capset, &header, data) < 0)
		return cv_error_sys("set capabilities");
	/* Ambient capabilities survive the exec of an unprivileged program: only those asked for. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return cv_error_sys("clear ambient capabilities");
	for (int cap = 0; plan->capability_sets && cap <= CV_CAP_LAST; cap++)
		if ((plan->ambient & CV_CAP_BIT(cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return cv_error_sys("raise ambient capability %d", cap);
	return 0;
}

#define LANDLOCK_READ (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* Every filesystem right of Landlock ABI 1 (kernel 5.13), which every Landlock kernel handles. */
#define LANDLOCK_ALL_V1 ((LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1)

static int landlock_allow(int ruleset, const char *path, uint64_t rights)
{
	struct landlock_path_beneath_attr rule = {.allowed_access = rights};
	int ret = 0;

	struct stat st;

	rule.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (rule.parent_fd < 0)
		return errno == ENOENT ? 0 : cv_error_sys("landlock: open %s", path);
	/* A file takes only the rights that apply to files. */
	if (fstat(rule.parent_fd, &st) == 0 && !S_ISDIR(st.st_mode))
		rule.allowed_access &=
		        LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0)
		ret = cv_error_sys("landlock: allow %s", path);
	close(rule.parent_fd);
	return ret;
}

/*
 * Paranoid's extra wall: whatever the mounts say, the workload can only read and execute, except
 * in /dev (null, pts, shm) and its writable mounts. A kernel without Landlock gets the other walls only.
 */
static int restrict_landlock(const struct cv_security_plan *plan)
{
	struct landlock_ruleset_attr attributes = {.handled_access_fs = LANDLOCK_ALL_V1};
	int ruleset, ret = -1;

	if (!plan->landlock)
		return 0;
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attributes, sizeof attributes, 0);
	if (ruleset < 0)
		return errno == ENOSYS || errno == EOPNOTSUPP ? 0 : cv_error_sys("landlock_create_ruleset");
	if (landlock_allow(ruleset, "/", LANDLOCK_READ) < 0 || landlock_allow(ruleset, "/dev", LANDLOCK_ALL_V1) < 0)
		goto done;
	for (size_t i = 0; plan->landlock_writable != NULL && plan->landlock_writable[i] != NULL; i++)
		if (landlock_allow(ruleset, plan->landlock_writable[i], LANDLOCK_ALL_V1) < 0)
			goto done;
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) {
		cv_error_sys("landlock_restrict_self");
		goto done;
	}
	ret = 0;
done:
	close(ruleset);
	return ret;
}

/* Writes an LSM's exec attribute: the label the next execve runs under. */
static int write_exec_attribute(const char *const *paths, const char *prefix, const char *label)
{
	char text[300];
	int length = snprintf(text, sizeof text, "%s%s", prefix, label);

	for (size_t i = 0; paths[i] != NULL; i++) {
		int fd = open(paths[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t written = write(fd, text, (size_t)length);
		int saved = errno;
		close(fd);
		if (written == length)
			return 0;
		errno = saved;
		return cv_error_sys("set the exec label \"%s\"", label);
	}
	return cv_error_sys("no %s to set the exec label \"%s\"", paths[0], label);
}

/* AppArmor profile or SELinux label, effective at the workload's execve. */
static int set_lsm_labels(const struct cv_security_plan *plan)
{
	static const char *const apparmor[] = {"/proc/thread-self/attr/apparmor/exec", "/proc/thread-self/attr/exec",
	                                       NULL};
	static const char *const selinux[] = {"/proc/thread-self/attr/exec", NULL};

	if (plan->apparmor_profile != NULL && write_exec_attribute(apparmor, "exec ", plan->apparmor_profile) < 0)
		return -1;
	if (plan->selinux_label != NULL && write_exec_attribute(selinux, "", plan->selinux_label) < 0)
		return -1;
	return 0;
}

int cv_security_apply(const struct cv_security_plan *plan, uid_t uid, gid_t gid,
                      int (*switch_user)(uid_t uid, gid_t gid, void *arg), void *arg)
{
	if (plan->privileged)
		return switch_user(uid, gid, arg);
	if (set_lsm_labels(plan) < 0 || drop_bounding_set(plan->capabilities, plan->last_capability) < 0)
		return -1;
	if (!plan->no_new_privileges && cv_seccomp_load(&plan->seccomp) < 0)
		return -1;
	/* A user other than root keeps its permitted set across the switch only when it asks to. */
	if (plan->capability_sets && uid != 0 && plan->permitted != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return cv_error_sys("keep capabilities across the user switch");
	if (switch_user(uid, gid, arg) < 0 || set_capabilities(plan, uid) < 0)
		return -1;
	if (plan->no_new_privileges) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return cv_error_sys("set no_new_privileges");
		if (restrict_landlock(plan) < 0 || cv_seccomp_load(&plan->seccomp) < 0)
			return -1;
	}
	return 0;
}

int containerv_get_security(struct containerv_container *container, struct containerv_security **security)
{
	cv_error_clear();
	if (container == NULL || security == NULL)
		return cv_error_errno(EINVAL, "get_security: NULL argument");
	return containerv_security_copy(container->config.security, security);
}

int containerv_audit_container(struct containerv_container *container, struct containerv_audit **audit)
{
	cv_error_clear();
	if (container == NULL || audit == NULL)
		return cv_error_errno(EINVAL, "audit: NULL argument");
	CV_CONTEXT_SCOPE(container->context);
	if (cv_audit_config(&container->config, cv_context_root(container->context), audit) < 0)
		return cv_error_prefix("audit %s", containerv_name(container));
	return 0;
}
