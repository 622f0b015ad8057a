/*
 * The audit: what a profile (or a container's whole configuration) lets
 * through, each finding with its severity, why it matters and how to fix
 * it, and a score from 100 (nothing found) down to 0. Each finding costs
 * points by severity; the weights say how much of a wall is missing, not how
 * likely an attack is.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <chef/containerv/container.h>

#include "common/error.h"
#include "common/mount.h"
#include "common/util.h"
#include "security/security-internal.h"

struct finding {
	enum containerv_severity severity;
	char *id, *what, *why, *fix;
};

struct containerv_audit {
	struct finding *findings;
	size_t count;
	int score;
	bool failed;
};

static const int severity_cost[] = {0, 3, 7, 15, 30};

static void add(struct containerv_audit *audit, enum containerv_severity severity, const char *id, const char *why,
                const char *fix, const char *what_format, ...) CV_PRINTF(6, 7);
static void add(struct containerv_audit *audit, enum containerv_severity severity, const char *id, const char *why,
                const char *fix, const char *what_format, ...)
{
	struct finding *grown;
	va_list args;
	char *what = NULL;

	if (audit->failed)
		return;
	va_start(args, what_format);
	if (vasprintf(&what, what_format, args) < 0)
		what = NULL;
	va_end(args);
	grown = realloc(audit->findings, (audit->count + 1) * sizeof *grown);
	if (what == NULL || grown == NULL) {
		free(what);
		audit->failed = true;
		return;
	}
	audit->findings = grown;
	grown[audit->count] = (struct finding){severity, strdup(id), what, strdup(why), strdup(fix)};
	if (grown[audit->count].id == NULL || grown[audit->count].why == NULL || grown[audit->count].fix == NULL)
		audit->failed = true;
	audit->count++;
}

/* Capabilities that matter, most dangerous first. */
static const struct {
	const char *name;
	enum containerv_severity severity;
	const char *why;
} risky_capabilities[] = {
        {"SYS_ADMIN", CV_SEVERITY_CRITICAL,
         "mount, namespaces, bpf and dozens of other privileged calls: the usual escape route"},
        {"SYS_MODULE", CV_SEVERITY_CRITICAL, "loads kernel modules: code in the host kernel"},
        {"SYS_RAWIO", CV_SEVERITY_CRITICAL, "raw I/O ports and /dev/mem access to host hardware"},
        {"DAC_READ_SEARCH", CV_SEVERITY_HIGH, "open_by_handle_at reads any host file by handle (the 'shocker' escape)"},
        {"SYS_PTRACE", CV_SEVERITY_HIGH, "traces and injects code into other processes"},
        {"NET_ADMIN", CV_SEVERITY_HIGH, "reconfigures interfaces, routes and firewall rules of its network"},
        {"SYS_TIME", CV_SEVERITY_HIGH, "sets the host's clock, which is not namespaced"},
        {"MAC_ADMIN", CV_SEVERITY_HIGH, "changes the LSM policy"},
        {"MAC_OVERRIDE", CV_SEVERITY_HIGH, "overrides the LSM policy"},
        {"BPF", CV_SEVERITY_HIGH, "loads eBPF programs into the host kernel"},
        {"PERFMON", CV_SEVERITY_MEDIUM, "observes host-wide performance events"},
        {"SYSLOG", CV_SEVERITY_MEDIUM, "reads the kernel log with its addresses"},
        {"SYS_BOOT", CV_SEVERITY_MEDIUM, "reboot (contained by the PID namespace, kexec is not)"},
        {"NET_RAW", CV_SEVERITY_MEDIUM, "raw and packet sockets: ARP and DNS spoofing of neighbours"},
        {"SYS_RESOURCE", CV_SEVERITY_MEDIUM, "overrides resource limits and quotas"},
        {"LINUX_IMMUTABLE", CV_SEVERITY_LOW, "sets immutable and append-only flags"},
        {"MKNOD", CV_SEVERITY_LOW, "creates device nodes (opening them still needs the device allow-list)"},
        {"SETFCAP", CV_SEVERITY_LOW, "gives files capabilities"},
        {"AUDIT_WRITE", CV_SEVERITY_LOW, "writes to the host's audit log"},
};

static void audit_capabilities(struct containerv_audit *audit, const struct containerv_security *s)
{
	for (size_t i = 0; i < sizeof risky_capabilities / sizeof risky_capabilities[0]; i++) {
		char id[48], fix[96];
		int number = cv_capability_number(risky_capabilities[i].name);

		if (!(s->capabilities & CV_CAP_BIT(number)))
			continue;
		snprintf(id, sizeof id, "cap-%s", risky_capabilities[i].name);
		for (char *p = id; *p; p++)
			*p = *p == '_' ? '-' : (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
		snprintf(fix, sizeof fix, "--cap-drop %s, unless the workload needs it", risky_capabilities[i].name);
		add(audit, risky_capabilities[i].severity, id, risky_capabilities[i].why, fix,
		    "capability CAP_%s is granted", risky_capabilities[i].name);
	}
}

static bool has_path(char *const *paths, const char *path)
{
	for (size_t i = 0; paths != NULL && paths[i] != NULL; i++)
		if (strcmp(paths[i], path) == 0)
			return true;
	return false;
}

static void audit_profile(struct containerv_audit *audit, const struct containerv_security *s)
{
	if (s->privileged) {
		add(audit, CV_SEVERITY_CRITICAL, "privileged",
		    "every capability, every device, no seccomp filter and no masked paths: root in the container is "
		    "root on "
		    "the host",
		    "drop --privileged; add only the capabilities and devices the workload needs",
		    "the container is privileged");
		return;
	}
	audit_capabilities(audit, s);
	if (s->seccomp_mode == CV_SECCOMP_UNCONFINED)
		add(audit, CV_SEVERITY_HIGH, "seccomp-unconfined",
		    "every system call reaches the kernel, including the rarely used ones most kernel exploits go "
		    "through",
		    "remove --security-opt seccomp=unconfined", "no seccomp filter");
	else if (s->seccomp_mode == CV_SECCOMP_CUSTOM)
		add(audit, CV_SEVERITY_INFO, "seccomp-custom", "containerv cannot judge a profile it did not write",
		    "review the profile against the default one", "a custom seccomp profile is used");
	if (!s->no_new_privileges)
		add(audit, CV_SEVERITY_MEDIUM, "no-new-privileges-off",
		    "setuid binaries and file capabilities in the image can raise a process's privileges",
		    "--security-opt no-new-privileges", "no_new_privileges is off");
	if (!s->read_only_rootfs)
		add(audit, CV_SEVERITY_LOW, "rootfs-writable",
		    "an intruder can change the container's binaries and persist",
		    "--read-only, with volumes or --tmpfs for the paths that must be written",
		    "the root filesystem is writable");
	for (size_t i = 0; cv_default_masked_paths[i] != NULL; i++)
		if (!has_path(s->masked_paths, cv_default_masked_paths[i]))
			add(audit, CV_SEVERITY_MEDIUM, "path-unmasked", "it exposes host kernel state to the container",
			    "keep the default masked paths", "%s is not masked", cv_default_masked_paths[i]);
	for (size_t i = 0; cv_default_readonly_paths[i] != NULL; i++)
		if (!has_path(s->readonly_paths, cv_default_readonly_paths[i]))
			add(audit, CV_SEVERITY_MEDIUM, "path-writable",
			    "root in the container can change host kernel settings", "keep the default read-only paths",
			    "%s is writable", cv_default_readonly_paths[i]);
	if (s->apparmor_profile == NULL && s->selinux_label == NULL)
		add(audit, CV_SEVERITY_INFO, "no-lsm", "an LSM adds a policy wall the kernel enforces on every access",
		    "on a host with AppArmor or SELinux, --security-opt apparmor=PROFILE or label=...",
		    "no AppArmor profile or SELinux label");
}

/*
 * Binds of sensitive host paths (binds.c says which): critical whatever the
 * level or an allowance says, since the allowance only records that someone
 * chose to open the wall.
 */
static void audit_mounts(struct containerv_audit *audit, const struct cv_audit_subject *config, const char *state_root)
{
	for (size_t i = 0; i < config->mount_count; i++) {
		const struct cv_mount *m = &config->mounts[i];
		bool readonly = (m->flags & CV_MOUNT_READONLY) != 0;
		struct cv_bind_check check;

		if (m->type != CV_MOUNT_TYPE_BIND || m->source == NULL)
			continue;
		if (cv_bind_classify(m->source, readonly, state_root, &check) < 0) {
			/* Unresolvable now (a dangling link, no permission): say so rather than guess. */
			add(audit, CV_SEVERITY_HIGH, "bind-unresolved", containerv_last_error(),
			    "bind a path that exists and resolves", "host path %s bound at %s cannot be resolved",
			    m->source, m->target);
			cv_error_clear();
			continue;
		}
		if (check.risk == CV_BIND_HOST_FILE)
			add(audit, CV_SEVERITY_LOW, "host-file-bind",
			    "a host file the container can read; it holds no credential and cannot be written",
			    "copy the file into the image if it need not follow the host's",
			    "host file %s is bound read-only at %s", check.resolved, m->target);
		if (check.risk != CV_BIND_SENSITIVE)
			continue;
		bool allowed = cv_security_bind_allowed(config->security, check.resolved);
		add(audit, CV_SEVERITY_CRITICAL, "sensitive-bind", check.reason,
		    "bind only the directories the workload needs", "host path %s%s%s%s is bound at %s%s%s", m->source,
		    strcmp(m->source, check.resolved) != 0 ? " (" : "",
		    strcmp(m->source, check.resolved) != 0 ? check.resolved : "",
		    strcmp(m->source, check.resolved) != 0 ? ")" : "", m->target, readonly ? " (read-only)" : "",
		    allowed ? ", allowed by allow-sensitive-bind" : "");
	}
}

/* --device: each one a way past the device allow-list, as severe as what the device reaches. */
static void audit_devices(struct containerv_audit *audit, const struct cv_audit_subject *config)
{
	for (size_t i = 0; i < config->device_count; i++) {
		const struct cv_audit_device *d = &config->devices[i];
		struct cv_device_identity identity;
		struct cv_device_class class;

		if (cv_device_identify(d->host, &identity) < 0) {
			cv_error_clear();
			add(audit, CV_SEVERITY_HIGH, "device-unresolved", "the node given at create is gone or changed",
			    "recreate the container with the device it needs", "host device %s cannot be read",
			    d->host);
			continue;
		}
		cv_device_classify(&identity, &class);
		add(audit,
		    class.risk == CV_DEVICE_KERNEL || class.risk == CV_DEVICE_CPU ? CV_SEVERITY_CRITICAL
		    : class.risk != CV_DEVICE_ORDINARY                            ? CV_SEVERITY_HIGH
		                                                                  : CV_SEVERITY_MEDIUM,
		    "device", class.why,
		    "pass only the devices the workload needs, without m and w where it only reads",
		    "host device %s is at %s (%s)%s%s", d->host, d->container, d->permissions, class.what ? ": " : "",
		    class.what ? class.what : "");
	}
}

static void audit_config(struct containerv_audit *audit, const struct cv_audit_subject *config, const char *state_root)
{
	static const struct {
		unsigned int flag;
		const char *name;
		enum containerv_severity severity;
		const char *why;
	} namespaces[] = {
	        {CV_NS_PID, "pid", CV_SEVERITY_HIGH, "the container sees and signals the host's processes"},
	        {CV_NS_MOUNT, "mount", CV_SEVERITY_CRITICAL, "the container shares the host's mounts"},
	        {CV_NS_NET, "net", CV_SEVERITY_HIGH, "the container uses the host's network stack and its services"},
	        {CV_NS_IPC, "ipc", CV_SEVERITY_MEDIUM, "the container shares the host's System V IPC and POSIX queues"},
	        {CV_NS_UTS, "uts", CV_SEVERITY_LOW, "the container can change the host's hostname"},
	        {CV_NS_CGROUP, "cgroup", CV_SEVERITY_LOW, "the container sees the host's cgroup paths"},
	};
	static const char *const join_names[CV_AUDIT_JOINS] = {"network", "IPC", "UTS", "PID"};

	audit_profile(audit, config->security);
	for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
		if (!(config->namespaces & namespaces[i].flag))
			add(audit, namespaces[i].severity, "namespace-shared", namespaces[i].why,
			    "give the container its own namespace", "no %s namespace", namespaces[i].name);
	for (size_t i = 0; i < CV_AUDIT_JOINS; i++)
		if (config->joined[i] != NULL)
			add(audit, i == 3 ? CV_SEVERITY_MEDIUM : CV_SEVERITY_LOW, "namespace-joined",
			    "the containers sharing it see (and for PID signal) each other's processes or resources",
			    "give the container its own namespace unless it must share", "joins the %s namespace %s",
			    join_names[i], config->joined[i]);
	audit_devices(audit, config);
	if (!(config->namespaces & CV_NS_USER))
		add(audit, CV_SEVERITY_MEDIUM, "no-user-namespace",
		    "root in the container is uid 0 on the host: an escape lands as host root",
		    "--userns with an unprivileged id range, or the paranoid level", "no user namespace");
	else if (config->runs_as_root)
		add(audit, CV_SEVERITY_INFO, "root-in-userns", "root inside maps to an unprivileged host id",
		    "-u to run as a user", "the workload runs as root of its user namespace");
	if (!(config->namespaces & CV_NS_USER) && config->runs_as_root)
		add(audit, CV_SEVERITY_LOW, "runs-as-root",
		    "a compromise has root's power over every file of the container",
		    "-u UID:GID to run as an unprivileged user", "the workload runs as root");
	if (config->memory_bytes <= 0)
		add(audit, CV_SEVERITY_LOW, "no-memory-limit", "the container can take the host's memory from others",
		    "--memory SIZE", "no memory limit");
	if (config->pids_max <= 0)
		add(audit, CV_SEVERITY_MEDIUM, "no-pids-limit",
		    "a fork bomb in the container exhausts the host's process table", "--pids-limit N",
		    "no process limit");
	audit_mounts(audit, config, state_root);
}

static int compare_findings(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;

	if (x->severity != y->severity)
		return (int)y->severity - (int)x->severity;
	return strcmp(x->id, y->id);
}

static int finish(struct containerv_audit *audit, struct containerv_audit **out)
{
	int score = 100;

	if (audit->failed) {
		containerv_audit_delete(audit);
		return cv_error_errno(ENOMEM, "audit: out of memory");
	}
	if (audit->count > 1)
		qsort(audit->findings, audit->count, sizeof *audit->findings, compare_findings);
	for (size_t i = 0; i < audit->count; i++)
		score -= severity_cost[audit->findings[i].severity];
	audit->score = score < 0 ? 0 : score;
	*out = audit;
	return 0;
}

int containerv_security_audit(const struct containerv_security *security, struct containerv_audit **out)
{
	struct containerv_audit *audit;

	cv_error_clear();
	if (security == NULL || out == NULL)
		return cv_error_errno(EINVAL, "audit: NULL argument");
	audit = cv_malloc0(sizeof *audit);
	if (audit == NULL)
		return -1;
	audit_profile(audit, security);
	return finish(audit, out);
}

int cv_audit_subject(const struct cv_audit_subject *config, const char *state_root, struct containerv_audit **out)
{
	struct containerv_audit *audit = cv_malloc0(sizeof *audit);

	if (audit == NULL)
		return -1;
	audit_config(audit, config, state_root);
	return finish(audit, out);
}

int containerv_audit_score(const struct containerv_audit *audit)
{
	return audit ? audit->score : 0;
}

size_t containerv_audit_count(const struct containerv_audit *audit)
{
	return audit ? audit->count : 0;
}

int containerv_audit_finding(const struct containerv_audit *audit, size_t i, struct containerv_finding *finding)
{
	cv_error_clear();
	if (audit == NULL || finding == NULL || i >= audit->count)
		return cv_error_errno(EINVAL, "audit: no finding %zu", i);
	const struct finding *f = &audit->findings[i];
	*finding = (struct containerv_finding){f->severity, f->id, f->what, f->why, f->fix};
	return 0;
}

const char *containerv_severity_name(enum containerv_severity severity)
{
	static const char *const names[] = {"info", "low", "medium", "high", "critical"};

	return (unsigned)severity < sizeof names / sizeof names[0] ? names[severity] : "unknown";
}

void containerv_audit_delete(struct containerv_audit *audit)
{
	if (audit == NULL)
		return;
	for (size_t i = 0; i < audit->count; i++) {
		free(audit->findings[i].id);
		free(audit->findings[i].what);
		free(audit->findings[i].why);
		free(audit->findings[i].fix);
	}
	free(audit->findings);
	free(audit);
}
