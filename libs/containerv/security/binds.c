/*
 * Sensitive bind mounts: which host paths hand the host over when bound into
 * a container, the refusal of those below the permissive level, and the
 * classification the audit reports.
 *
 * A source is judged by where the kernel will really mount from: symlinks
 * resolved, "//", "." and ".." folded (realpath of the longest existing
 * prefix, the rest folded by hand since a missing directory is made as a
 * plain one). Comparing strings as given missed "/etc/", "//", "/usr/../"
 * and a symlink to /etc. A source is sensitive when it IS such a path, lies
 * INSIDE one (/etc/shadow in /etc, /sys/fs/cgroup in /sys) or CONTAINS one
 * (/ contains everything, /var contains /var/lib/containerv and /var/run's
 * sockets, /tmp contains a state root under /tmp).
 *
 * The escape that made this a refusal: with -v /sys/fs/cgroup:/cg a
 * container writes its pid into /cg/pids/tasks (the host's root cgroup) and
 * leaves its pids and memory limits, and writes notify_on_release of the
 * shared containerv parent (a release agent runs as host root on v1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/util.h"
#include "security/security-internal.h"

struct sensitive_path {
	const char *path;
	const char *why;
	bool writable_only; /* a read-only bind of it (or of what is in it) is harmless */
};

/*
 * /home is not here: a project directory under it is what docker users bind
 * most. /root is: root's ssh keys and the shell startup files host root runs.
 */
static const struct sensitive_path sensitive_paths[] = {
        {"/proc", "the host's processes and kernel settings", false},
        {"/sys", "the host kernel's interfaces (cgroups, devices, firmware, kernel parameters)", false},
        {"/dev", "the host's devices", false},
        {"/run", "the host daemons' sockets (docker, containerd, systemd, dbus) and run-time state", false},
        {"/var/run", "the host daemons' sockets (docker, containerd, systemd, dbus) and run-time state", false},
        {"/etc", "the host's configuration and credentials (shadow, sudoers, ssh keys, cron)", false},
        {"/boot", "the host's kernel and boot loader", false},
        {"/lib/modules", "the host's kernel modules", false},
        {"/root", "host root's home, with its ssh keys and the shell startup files root runs", false},
        {"/var/lib/containerv", "containerv's default state, with other containers' files and configuration", false},
        {"/var/lib/docker", "docker's state, with its containers' files and secrets", false},
        {"/var/lib/containerd", "containerd's state, with its containers' files and secrets", false},
        {"/var/lib/containers", "podman's state, with its containers' files and secrets", false},
        {"/var/lib/kubelet", "the kubelet's state, with pods' secrets and service account tokens", false},
        {"/var/spool/cron", "the host's crontabs, which cron runs (root's as root)", false},
        {"/var/spool/at", "the host's at jobs, which atd runs as their owner (root's as root)", false},
        {"/var/lib/dpkg", "dpkg's database, whose maintainer scripts host root runs at the next upgrade", true},
        {"/var/lib/rpm", "rpm's database, which host root's package manager trusts", true},
        {"/usr", "the host's programs and libraries, which host root runs", true},
        {"/bin", "the host's programs, which host root runs", true},
        {"/sbin", "the host's programs, which host root runs", true},
        {"/lib", "the host's libraries, which host root runs", true},
        {"/lib64", "the host's libraries, which host root runs", true},
};

/*
 * Files of /etc that hold credentials: never the harmless read-only file
 * (/etc/localtime, /etc/resolv.conf, /etc/hosts are).
 */
static const char *const etc_credentials[] = {
        "shadow", "shadow-",     "gshadow",     "gshadow-",         "sudoers",    "sudoers.d",
        "ssh",    "ssl/private", "krb5.keytab", "security/opasswd", "containerv", NULL,
};

/* Appends one component to an absolute, folded path; ".." removes the last one. */
static int append_component(char *path, size_t size, const char *component, size_t length)
{
	size_t used = strlen(path);

	if (length == 0 || (length == 1 && component[0] == '.'))
		return 0;
	if (length == 2 && component[0] == '.' && component[1] == '.') {
		char *slash = strrchr(path, '/');
		if (slash == path)
			path[1] = '\0';
		else
			*slash = '\0';
		return 0;
	}
	if (used + 1 + length >= size)
		return cv_error_errno(ENAMETOOLONG, "path too long");
	if (used > 1)
		path[used++] = '/';
	memcpy(path + used, component, length);
	path[used + length] = '\0';
	return 0;
}

int cv_resolve_host_path(const char *path, char *resolved, size_t size)
{
	char prefix[PATH_MAX];
	size_t end;

	if (path == NULL || path[0] != '/' || strlen(path) >= sizeof prefix)
		return cv_error_errno(EINVAL, "\"%s\" is not an absolute path", path ? path : "");
	/* The longest prefix that exists, resolved by the kernel's rules; "/" always exists. */
	snprintf(prefix, sizeof prefix, "%s", path);
	for (end = strlen(prefix);; end = (size_t)(strrchr(prefix, '/') - prefix)) {
		prefix[end] = '\0';
		char *real = realpath(end == 0 ? "/" : prefix, NULL);
		if (real != NULL) {
			int n = snprintf(resolved, size, "%s", real);
			free(real);
			if (n < 0 || (size_t)n >= size)
				return cv_error_errno(ENAMETOOLONG, "%s: path too long", path);
			break;
		}
		if (errno != ENOENT && errno != ENOTDIR)
			return cv_error_sys("resolve %s", path);
		/* A dangling link is not a missing directory: where it points is not ours to guess. */
		struct stat st;
		if (end > 0 && lstat(prefix, &st) == 0 && S_ISLNK(st.st_mode))
			return cv_error_errno(ELOOP, "%s: %s is a dangling symbolic link", path, prefix);
		if (end == 0)
			return cv_error_sys("resolve %s", path);
	}
	/* The missing rest becomes plain directories (CV_MOUNT_CREATE): fold it by hand. */
	for (const char *p = path + end; *p != '\0';) {
		while (*p == '/')
			p++;
		size_t length = strcspn(p, "/");
		if (append_component(resolved, size, p, length) < 0)
			return cv_error_prefix("%s", path);
		p += length;
	}
	return 0;
}

/* PATH is ANCESTOR or lies inside it (both resolved). */
static bool path_within(const char *path, const char *ancestor)
{
	size_t length = strlen(ancestor);

	if (strcmp(ancestor, "/") == 0)
		return true;
	return strncmp(path, ancestor, length) == 0 && (path[length] == '\0' || path[length] == '/');
}

/* The sensitive path as the host has it (/var/run is /run, /lib/modules /usr/lib/modules here). */
static void resolve_sensitive(const char *path, char *resolved, size_t size)
{
	if (cv_resolve_host_path(path, resolved, size) < 0) {
		cv_error_clear();
		snprintf(resolved, size, "%s", path);
	}
}

/*
 * Every local user may read RESOLVED (a path without links): the file is readable by others and
 * every directory above it searchable by them. What the host keeps from its own unprivileged users
 * is a credential whatever its name: /etc/kubernetes/admin.conf, k3s.yaml, /etc/wireguard's and
 * letsencrypt's keys, /etc/docker/key.json, ceph keyrings are 0600 or in 0700 directories.
 */
static bool readable_by_everyone(const char *resolved, const struct stat *st)
{
	char directory[PATH_MAX];
	struct stat dir_st;

	if (!(st->st_mode & S_IROTH))
		return false;
	snprintf(directory, sizeof directory, "%s", resolved);
	for (char *slash = strrchr(directory, '/'); slash != NULL; slash = strrchr(directory, '/')) {
		if (slash == directory)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(directory, &dir_st) < 0 || !(dir_st.st_mode & S_IXOTH))
			return false;
		if (slash == directory)
			break;
	}
	return true;
}

/*
 * A read-only bind of one regular file of /etc that holds no credential (one every local user can
 * read, not in a credential store): a low finding, never refused.
 */
static bool is_harmless_etc_file(const char *resolved, bool read_only)
{
	struct stat st;

	if (!read_only || !path_within(resolved, "/etc") || strcmp(resolved, "/etc") == 0)
		return false;
	if (stat(resolved, &st) < 0 || !S_ISREG(st.st_mode) || !readable_by_everyone(resolved, &st))
		return false;
	for (size_t i = 0; etc_credentials[i] != NULL; i++) {
		char credential[64];
		snprintf(credential, sizeof credential, "/etc/%s", etc_credentials[i]);
		if (path_within(resolved, credential))
			return false;
	}
	return true;
}

/* Sets the match when SOURCE is, lies inside or contains SENSITIVE; true when it does. */
static bool match_one(const char *source, const char *given, const char *resolved_sensitive, const char *why,
                      struct cv_bind_check *check)
{
	if (path_within(source, resolved_sensitive)) {
		snprintf(check->reason, sizeof check->reason, "%s %s, %s",
		         strcmp(source, resolved_sensitive) == 0 ? "it is" : "it lies inside", given, why);
		return true;
	}
	if (path_within(resolved_sensitive, source)) {
		snprintf(check->reason, sizeof check->reason, "it contains %s, %s", given, why);
		return true;
	}
	return false;
}

int cv_bind_classify(const char *source, bool read_only, const char *state_root, struct cv_bind_check *check)
{
	char sensitive[PATH_MAX];

	memset(check, 0, sizeof *check);
	if (cv_resolve_host_path(source, check->resolved, sizeof check->resolved) < 0)
		return -1;
	if (is_harmless_etc_file(check->resolved, read_only)) {
		check->risk = CV_BIND_HOST_FILE;
		return 0;
	}
	if (strcmp(check->resolved, "/") == 0) {
		snprintf(check->reason, sizeof check->reason,
		         "it is the host's root directory, every file of the host");
		check->risk = CV_BIND_SENSITIVE;
		return 0;
	}
	if (state_root != NULL && state_root[0] == '/') {
		resolve_sensitive(state_root, sensitive, sizeof sensitive);
		if (match_one(check->resolved, "containerv's state root", sensitive,
		              "with every container's files, configuration and exit status", check)) {
			check->risk = CV_BIND_SENSITIVE;
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof sensitive_paths / sizeof sensitive_paths[0]; i++) {
		if (sensitive_paths[i].writable_only && read_only)
			continue;
		resolve_sensitive(sensitive_paths[i].path, sensitive, sizeof sensitive);
		if (match_one(check->resolved, sensitive_paths[i].path, sensitive, sensitive_paths[i].why, check)) {
			check->risk = CV_BIND_SENSITIVE;
			return 0;
		}
	}
	check->risk = CV_BIND_ORDINARY;
	return 0;
}

bool cv_security_bind_allowed(const struct containerv_security *security, const char *resolved)
{
	char allowed[PATH_MAX];

	for (size_t i = 0; security != NULL && security->sensitive_binds != NULL && security->sensitive_binds[i]; i++) {
		if (cv_resolve_host_path(security->sensitive_binds[i], allowed, sizeof allowed) < 0) {
			cv_error_clear();
			continue;
		}
		if (strcmp(allowed, resolved) == 0)
			return true;
	}
	return false;
}

int cv_security_check_bind(const struct containerv_security *security, const char *source, bool read_only,
                           const char *state_root, char *resolved, size_t size)
{
	struct cv_bind_check check;
	enum containerv_security_level level = security ? security->level : CV_SECURITY_RESTRICTED;

	if (cv_bind_classify(source, read_only, state_root, &check) < 0)
		return cv_error_prefix("bind mount source %s", source);
	if (check.risk == CV_BIND_SENSITIVE && level > CV_SECURITY_PERMISSIVE &&
	    !cv_security_bind_allowed(security, check.resolved))
		return cv_error_errno(EPERM,
		                      "bind mount source %s%s%s%s is sensitive: %s; refused at the %s level "
		                      "(--security-opt allow-sensitive-bind=%s allows it)",
		                      source, strcmp(source, check.resolved) ? " (" : "",
		                      strcmp(source, check.resolved) ? check.resolved : "",
		                      strcmp(source, check.resolved) ? ")" : "", check.reason,
		                      containerv_security_level_name(level), source);
	if (resolved != NULL && (size_t)snprintf(resolved, size, "%s", check.resolved) >= size)
		return cv_error_errno(ENAMETOOLONG, "bind mount source %s: path too long", source);
	return 0;
}

int containerv_security_allow_sensitive_bind(struct containerv_security *security, const char *host_path)
{
	cv_error_clear();
	if (security == NULL)
		return cv_error_errno(EINVAL, "allow-sensitive-bind: no profile");
	if (host_path == NULL || host_path[0] != '/' || strlen(host_path) >= PATH_MAX)
		return cv_error_errno(EINVAL, "allow-sensitive-bind \"%s\": use an absolute host path",
		                      host_path ? host_path : "");
	return cv_strv_append(&security->sensitive_binds, host_path);
}

int containerv_security_check_host_source(const struct containerv_security *security, const char *host_path,
                                          const char *state_root)
{
	cv_error_clear();
	if (host_path == NULL || host_path[0] != '/')
		return cv_error_errno(EINVAL, "host file \"%s\": use an absolute host path",
		                      host_path ? host_path : "");
	return cv_security_check_bind(security, host_path, true, state_root, NULL, 0);
}
