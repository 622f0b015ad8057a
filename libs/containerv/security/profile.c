/*
 * Security profiles: the four levels, the setters of the public API, and the
 * JSON form kept in a container's config.json. The table of what each level
 * grants is in docs/security.md; the code below is its source of truth.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/util.h"
#include "security/security-internal.h"

#define CAP(name) CV_CAP_BIT(cv_capability_number(#name))

/* docker's default set (moby's oci/caps/defaults.go), the starting point of Permissive and Restricted. */
static uint64_t docker_default_capabilities(void)
{
	return CAP(CHOWN) | CAP(DAC_OVERRIDE) | CAP(FSETID) | CAP(FOWNER) | CAP(MKNOD) | CAP(NET_RAW) | CAP(SETGID) |
	       CAP(SETUID) | CAP(SETFCAP) | CAP(SETPCAP) | CAP(NET_BIND_SERVICE) | CAP(SYS_CHROOT) | CAP(KILL) |
	       CAP(AUDIT_WRITE);
}

/* Strict keeps what an ordinary service needs to start and drop to its user. */
static uint64_t strict_capabilities(void)
{
	return CAP(CHOWN) | CAP(DAC_OVERRIDE) | CAP(FOWNER) | CAP(FSETID) | CAP(SETGID) | CAP(SETUID) |
	       CAP(NET_BIND_SERVICE) | CAP(KILL);
}

static const char *const level_names[] = {"permissive", "restricted", "strict", "paranoid"};

const char *containerv_security_level_name(enum containerv_security_level level)
{
	return (unsigned)level < sizeof level_names / sizeof level_names[0] ? level_names[level] : NULL;
}

int containerv_security_level_parse(const char *name, enum containerv_security_level *level)
{
	cv_error_clear();
	for (size_t i = 0; name != NULL && i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*level = (enum containerv_security_level)i;
			return 0;
		}
	}
	return cv_error_errno(EINVAL, "unknown security level \"%s\" (permissive, restricted, strict or paranoid)",
	                      name ? name : "");
}

static int set_paths(char ***paths, const char *const *defaults, const char *const *extra)
{
	cv_strv_free(*paths);
	*paths = cv_strv_dup(defaults);
	if (*paths == NULL)
		return -1;
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		if (cv_strv_append(paths, extra[i]) < 0)
			return -1;
	return 0;
}

int cv_security_init_level(struct containerv_security *s, enum containerv_security_level level)
{
	/* Paranoid also hides what tells a process about the host it runs on. */
	static const char *const paranoid_masked[] = {"/proc/kallsyms",    "/proc/modules",  "/proc/slabinfo",
	                                              "/proc/vmallocinfo", "/proc/zoneinfo", NULL};

	if (containerv_security_level_name(level) == NULL)
		return cv_error_errno(EINVAL, "unknown security level %d", (int)level);
	s->level = level;
	s->seccomp_mode = CV_SECCOMP_LEVEL;
	/*
	 * Restricted (the default) drops NET_RAW from docker's set: raw and packet sockets let a
	 * container spoof ARP and send router advertisements to its neighbours. ping still works,
	 * through the ICMP echo sockets net.ipv4.ping_group_range opens in the container's namespace.
	 */
	s->capabilities = level == CV_SECURITY_PERMISSIVE   ? docker_default_capabilities()
	                  : level == CV_SECURITY_RESTRICTED ? docker_default_capabilities() & ~CAP(NET_RAW)
	                  : level == CV_SECURITY_STRICT     ? strict_capabilities()
	                                                    : 0;
	s->no_new_privileges = level >= CV_SECURITY_RESTRICTED;
	s->read_only_rootfs = level >= CV_SECURITY_STRICT;
	s->landlock = level == CV_SECURITY_PARANOID;
	s->no_network = level == CV_SECURITY_PARANOID;
	s->user_namespace = level == CV_SECURITY_PARANOID;
	if (set_paths(&s->masked_paths, cv_default_masked_paths,
	              level == CV_SECURITY_PARANOID ? paranoid_masked : NULL) < 0 ||
	    set_paths(&s->readonly_paths, cv_default_readonly_paths, NULL) < 0)
		return -1;
	return 0;
}

void cv_security_clear(struct containerv_security *s)
{
	free(s->name);
	free(s->seccomp_json);
	cv_strv_free(s->masked_paths);
	cv_strv_free(s->readonly_paths);
	free(s->apparmor_profile);
	free(s->selinux_label);
	free(s->mount_label);
	cv_strv_free(s->sensitive_binds);
	memset(s, 0, sizeof *s);
}

static int dup_optional(char **dest, const char *src)
{
	*dest = NULL;
	if (src != NULL && (*dest = cv_strdup(src)) == NULL)
		return -1;
	return 0;
}

int cv_security_copy_into(struct containerv_security *d, const struct containerv_security *s)
{
	*d = *s;
	d->name = d->seccomp_json = d->apparmor_profile = d->selinux_label = d->mount_label = NULL;
	d->masked_paths = d->readonly_paths = d->sensitive_binds = NULL;
	if (dup_optional(&d->name, s->name) < 0 || dup_optional(&d->seccomp_json, s->seccomp_json) < 0 ||
	    dup_optional(&d->apparmor_profile, s->apparmor_profile) < 0 ||
	    dup_optional(&d->selinux_label, s->selinux_label) < 0 ||
	    dup_optional(&d->mount_label, s->mount_label) < 0 ||
	    (s->masked_paths && (d->masked_paths = cv_strv_dup((const char *const *)s->masked_paths)) == NULL) ||
	    (s->readonly_paths && (d->readonly_paths = cv_strv_dup((const char *const *)s->readonly_paths)) == NULL) ||
	    (s->sensitive_binds &&
	     (d->sensitive_binds = cv_strv_dup((const char *const *)s->sensitive_binds)) == NULL)) {
		cv_security_clear(d);
		return -1;
	}
	return 0;
}

bool cv_security_same_capabilities(const struct containerv_security *a, const struct containerv_security *b)
{
	if (a->capabilities != b->capabilities || a->capability_sets != b->capability_sets)
		return false;
	return !a->capability_sets || (a->effective_capabilities == b->effective_capabilities &&
	                               a->permitted_capabilities == b->permitted_capabilities &&
	                               a->inheritable_capabilities == b->inheritable_capabilities &&
	                               a->ambient_capabilities == b->ambient_capabilities);
}

int containerv_security_new(enum containerv_security_level level, struct containerv_security **security)
{
	struct containerv_security *s;

	cv_error_clear();
	if (security == NULL)
		return cv_error_errno(EINVAL, "security_new: NULL out-parameter");
	s = cv_malloc0(sizeof *s);
	if (s == NULL)
		return -1;
	if (cv_security_init_level(s, level) < 0 ||
	    (s->name = cv_strdup(containerv_security_level_name(level))) == NULL) {
		containerv_security_delete(s);
		return -1;
	}
	*security = s;
	return 0;
}

void containerv_security_delete(struct containerv_security *security)
{
	if (security == NULL)
		return;
	cv_security_clear(security);
	free(security);
}

int containerv_security_copy(const struct containerv_security *security, struct containerv_security **copy)
{
	struct containerv_security *c;

	cv_error_clear();
	if (security == NULL || copy == NULL)
		return cv_error_errno(EINVAL, "security_copy: NULL argument");
	c = cv_malloc0(sizeof *c);
	if (c == NULL)
		return -1;
	if (cv_security_copy_into(c, security) < 0) {
		free(c);
		return -1;
	}
	*copy = c;
	return 0;
}

int containerv_security_network_allowed(const struct containerv_security *security)
{
	return security == NULL || !security->no_network;
}

enum containerv_security_level containerv_security_level(const struct containerv_security *security)
{
	return security ? security->level : CV_SECURITY_RESTRICTED;
}

/* "ALL" is every capability; else one name. */
static int capability_mask(const char *name, uint64_t *mask)
{
	int number;

	if (name != NULL && strcasecmp(name, "ALL") == 0) {
		*mask = CV_CAPS_ALL;
		return 0;
	}
	number = cv_capability_number(name);
	if (number < 0)
		return cv_error_errno(EINVAL, "unknown capability \"%s\"", name ? name : "");
	*mask = CV_CAP_BIT(number);
	return 0;
}

int containerv_security_add_capability(struct containerv_security *security, const char *name)
{
	uint64_t mask = 0;

	cv_error_clear();
	if (security == NULL)
		return cv_error_errno(EINVAL, "cap-add: no profile");
	if (capability_mask(name, &mask) < 0)
		return -1;
	security->capabilities |= mask;
	return 0;
}

int containerv_security_drop_capability(struct containerv_security *security, const char *name)
{
	uint64_t mask = 0;

	cv_error_clear();
	if (security == NULL)
		return cv_error_errno(EINVAL, "cap-drop: no profile");
	if (capability_mask(name, &mask) < 0)
		return -1;
	security->capabilities &= ~mask;
	security->effective_capabilities &= ~mask;
	security->permitted_capabilities &= ~mask;
	security->inheritable_capabilities &= ~mask;
	security->ambient_capabilities &= ~mask;
	return 0;
}

int containerv_security_has_capability(const struct containerv_security *security, const char *name)
{
	int number = cv_capability_number(name);

	cv_error_clear();
	if (security == NULL || number < 0)
		return cv_error_errno(EINVAL, "unknown capability \"%s\"", name ? name : "");
	return security->privileged || (security->capabilities & CV_CAP_BIT(number)) != 0;
}

int containerv_security_set_seccomp(struct containerv_security *security, const char *profile)
{
	struct cv_seccomp_profile parsed = {0};
	cleanup_free char *text = NULL;

	cv_error_clear();
	if (security == NULL)
		return cv_error_errno(EINVAL, "seccomp: no profile");
	if (profile == NULL || strcmp(profile, "default") == 0 || strcmp(profile, "unconfined") == 0) {
		free(security->seccomp_json);
		security->seccomp_json = NULL;
		security->seccomp_mode =
		        profile && strcmp(profile, "unconfined") == 0 ? CV_SECCOMP_UNCONFINED : CV_SECCOMP_LEVEL;
		return 0;
	}
	if (cv_read_file(profile, &text, NULL, 4 * 1024 * 1024) < 0)
		return cv_error_prefix("seccomp profile %s", profile);
	if (cv_seccomp_profile_parse(text, &parsed) < 0)
		return cv_error_prefix("seccomp profile %s", profile);
	cv_seccomp_profile_clear(&parsed);
	free(security->seccomp_json);
	security->seccomp_json = cv_steal_pointer(&text);
	security->seccomp_mode = CV_SECCOMP_CUSTOM;
	return 0;
}

int containerv_security_set_no_new_privileges(struct containerv_security *security, int enabled)
{
	cv_error_clear();
	if (security == NULL)
		return cv_error_errno(EINVAL, "no-new-privileges: no profile");
	security->no_new_privileges = enabled != 0;
	return 0;
}

int containerv_security_set_read_only_rootfs(struct containerv_security *security, int enabled)
{
	cv_error_clear();
	if (security == NULL)
		return cv_error_errno(EINVAL, "read-only: no profile");
	security->read_only_rootfs = enabled != 0;
	return 0;
}

int containerv_security_set_privileged(struct containerv_security *security, int enabled)
{
	cv_error_clear();
	if (security == NULL)
		return cv_error_errno(EINVAL, "privileged: no profile");
	security->privileged = enabled != 0;
	return 0;
}

/* An absolute path without "." or ".." components: it names one place in the container. */
static int check_container_path(const char *path)
{
	if (path == NULL || path[0] != '/' || strlen(path) >= 4096)
		return cv_error_errno(EINVAL, "\"%s\" is not an absolute path", path ? path : "");
	for (const char *p = path; (p = strchr(p, '/')) != NULL; p++) {
		if ((p[1] == '.' && (p[2] == '/' || p[2] == '\0')) ||
		    (p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == '\0')))
			return cv_error_errno(EINVAL, "path \"%s\" has a . or .. component", path);
	}
	return 0;
}

int containerv_security_add_masked_path(struct containerv_security *security, const char *path)
{
	cv_error_clear();
	if (security == NULL)
		return cv_error_errno(EINVAL, "masked path: no profile");
	if (check_container_path(path) < 0)
		return -1;
	return cv_strv_append(&security->masked_paths, path);
}

int containerv_security_add_readonly_path(struct containerv_security *security, const char *path)
{
	cv_error_clear();
	if (security == NULL)
		return cv_error_errno(EINVAL, "read-only path: no profile");
	if (check_container_path(path) < 0)
		return -1;
	return cv_strv_append(&security->readonly_paths, path);
}

/* A label or profile name: printable, no spaces or control characters, bounded. */
static int set_label(char **field, const char *value, const char *what)
{
	if (value == NULL || value[0] == '\0' || strlen(value) > 255)
		return cv_error_errno(EINVAL, "%s: empty or too long", what);
	for (const char *p = value; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return cv_error_errno(EINVAL, "%s \"%s\": invalid character", what, value);
	free(*field);
	*field = cv_strdup(value);
	return *field ? 0 : -1;
}

int containerv_security_set_apparmor_profile(struct containerv_security *security, const char *profile)
{
	cv_error_clear();
	if (security == NULL)
		return cv_error_errno(EINVAL, "apparmor: no profile");
	return set_label(&security->apparmor_profile, profile, "apparmor profile");
}

int containerv_security_set_selinux_label(struct containerv_security *security, const char *label)
{
	cv_error_clear();
	if (security == NULL)
		return cv_error_errno(EINVAL, "selinux: no profile");
	return set_label(&security->selinux_label, label, "selinux label");
}

int containerv_security_set_mount_label(struct containerv_security *security, const char *label)
{
	cv_error_clear();
	if (security == NULL)
		return cv_error_errno(EINVAL, "mount label: no profile");
	return set_label(&security->mount_label, label, "mount label");
}

/* JSON */

static json_t *capabilities_to_json(uint64_t capabilities)
{
	json_t *array = json_array();

	for (int i = 0; i <= CV_CAP_LAST; i++)
		if (capabilities & CV_CAP_BIT(i))
			json_array_append_new(array, json_string(cv_capability_name(i)));
	return array;
}

static json_t *strv_to_json_array(char *const *strv)
{
	json_t *array = json_array();

	for (size_t i = 0; strv != NULL && strv[i] != NULL; i++)
		json_array_append_new(array, json_string(strv[i]));
	return array;
}

static const char *const seccomp_mode_names[] = {"default", "unconfined", "custom"};

json_t *cv_security_to_json_object(const struct containerv_security *s)
{
	json_t *object =
	        json_pack("{s:s,s:s?,s:o,s:b,s:b,s:b,s:b,s:b,s:b,s:s,s:s?,s:o,s:o,s:s?,s:s?,s:s?}", "level",
	                  containerv_security_level_name(s->level), "name", s->name, "capabilities",
	                  capabilities_to_json(s->privileged ? CV_CAPS_ALL : s->capabilities), "no_new_privileges",
	                  s->no_new_privileges, "read_only_rootfs", s->read_only_rootfs, "privileged", s->privileged,
	                  "landlock", s->landlock, "no_network", s->no_network, "user_namespace", s->user_namespace,
	                  "seccomp", seccomp_mode_names[s->seccomp_mode], "seccomp_profile", s->seccomp_json,
	                  "masked_paths", strv_to_json_array(s->masked_paths), "readonly_paths",
	                  strv_to_json_array(s->readonly_paths), "apparmor_profile", s->apparmor_profile,
	                  "selinux_label", s->selinux_label, "mount_label", s->mount_label);

	if (object != NULL && s->capability_sets &&
	    json_object_set_new(object, "capability_sets",
	                        json_pack("{s:o,s:o,s:o,s:o}", "effective",
	                                  capabilities_to_json(s->effective_capabilities), "permitted",
	                                  capabilities_to_json(s->permitted_capabilities), "inheritable",
	                                  capabilities_to_json(s->inheritable_capabilities), "ambient",
	                                  capabilities_to_json(s->ambient_capabilities))) < 0) {
		json_decref(object);
		return NULL;
	}
	/* Only when set: a profile without allowances stays as it was written before they existed. */
	if (object != NULL && s->sensitive_binds != NULL && s->sensitive_binds[0] != NULL &&
	    json_object_set_new(object, "allow_sensitive_binds", strv_to_json_array(s->sensitive_binds)) < 0) {
		json_decref(object);
		return NULL;
	}
	return object;
}

static uint64_t capabilities_from_json(json_t *array)
{
	uint64_t mask = 0;
	json_t *value;
	size_t i;

	json_array_foreach(array, i, value)
	{
		int number = cv_capability_number(json_string_value(value));
		if (number >= 0)
			mask |= CV_CAP_BIT(number);
	}
	return mask;
}

static int strv_from_json_array(json_t *array, char ***strv)
{
	size_t i;
	json_t *value;

	*strv = cv_malloc0(sizeof **strv);
	if (*strv == NULL)
		return -1;
	json_array_foreach(array, i, value)
	{
		if (!json_is_string(value) || cv_strv_append(strv, json_string_value(value)) < 0)
			return -1;
	}
	return 0;
}

static int optional_string(json_t *object, const char *key, char **out)
{
	json_t *value = json_object_get(object, key);

	return dup_optional(out, json_is_string(value) ? json_string_value(value) : NULL);
}

int cv_security_from_json_object(json_t *o, struct containerv_security *s)
{
	json_t *value;
	const char *seccomp = json_string_value(json_object_get(o, "seccomp"));

	memset(s, 0, sizeof *s);
	if (containerv_security_level_parse(json_string_value(json_object_get(o, "level")), &s->level) < 0)
		return -1;
	s->capabilities = capabilities_from_json(json_object_get(o, "capabilities"));
	value = json_object_get(o, "capability_sets");
	if (json_is_object(value)) {
		s->capability_sets = true;
		s->effective_capabilities = capabilities_from_json(json_object_get(value, "effective"));
		s->permitted_capabilities = capabilities_from_json(json_object_get(value, "permitted"));
		s->inheritable_capabilities = capabilities_from_json(json_object_get(value, "inheritable"));
		s->ambient_capabilities = capabilities_from_json(json_object_get(value, "ambient"));
	}
	s->no_new_privileges = json_is_true(json_object_get(o, "no_new_privileges"));
	s->read_only_rootfs = json_is_true(json_object_get(o, "read_only_rootfs"));
	s->privileged = json_is_true(json_object_get(o, "privileged"));
	s->landlock = json_is_true(json_object_get(o, "landlock"));
	s->no_network = json_is_true(json_object_get(o, "no_network"));
	s->user_namespace = json_is_true(json_object_get(o, "user_namespace"));
	for (size_t m = 0; seccomp != NULL && m < 3; m++)
		if (strcmp(seccomp, seccomp_mode_names[m]) == 0)
			s->seccomp_mode = (enum cv_seccomp_mode)m;
	if (optional_string(o, "name", &s->name) < 0 || optional_string(o, "seccomp_profile", &s->seccomp_json) < 0 ||
	    optional_string(o, "apparmor_profile", &s->apparmor_profile) < 0 ||
	    optional_string(o, "selinux_label", &s->selinux_label) < 0 ||
	    optional_string(o, "mount_label", &s->mount_label) < 0 ||
	    strv_from_json_array(json_object_get(o, "masked_paths"), &s->masked_paths) < 0 ||
	    strv_from_json_array(json_object_get(o, "readonly_paths"), &s->readonly_paths) < 0 ||
	    (json_object_get(o, "allow_sensitive_binds") != NULL &&
	     strv_from_json_array(json_object_get(o, "allow_sensitive_binds"), &s->sensitive_binds) < 0)) {
		cv_security_clear(s);
		return cv_error_errno(EINVAL, "config: bad security section");
	}
	if (s->seccomp_mode == CV_SECCOMP_CUSTOM && s->seccomp_json == NULL) {
		cv_security_clear(s);
		return cv_error_errno(EINVAL, "config: custom seccomp without a profile");
	}
	return 0;
}

int containerv_security_to_json(const struct containerv_security *security, char **json)
{
	json_t *object;

	cv_error_clear();
	if (security == NULL || json == NULL)
		return cv_error_errno(EINVAL, "security_to_json: NULL argument");
	object = cv_security_to_json_object(security);
	*json = object ? json_dumps(object, JSON_INDENT(2)) : NULL;
	json_decref(object);
	return *json ? 0 : cv_error_errno(ENOMEM, "security: cannot encode");
}
