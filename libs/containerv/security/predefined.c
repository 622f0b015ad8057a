/*
 * Predefined profiles for common workloads, and user profiles from a JSON
 * file that extend a level or a predefined profile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/util.h"
#include "common/yaml.h"
#include "security/security-internal.h"

struct predefined {
	const char *name;
	const char *description;
	enum containerv_security_level level;
	const char *const *cap_drop;
	const char *const *cap_add;
	int read_only_rootfs; /* -1: the level's */
};

static const char *const database_drop[] = {"NET_RAW",    "MKNOD",       "SETFCAP", "SETPCAP",
                                            "SYS_CHROOT", "AUDIT_WRITE", NULL};
static const char *const database_add[] = {"IPC_LOCK", NULL};

static const struct predefined predefined_profiles[] = {
        {"permissive", "docker's default: its capabilities and seccomp profile, setuid binaries work",
         CV_SECURITY_PERMISSIVE, NULL, NULL, -1},
        {"restricted",
         "docker's default without NET_RAW (ping still works), plus no_new_privileges (the default level)",
         CV_SECURITY_RESTRICTED, NULL, NULL, -1},
        {"strict", "8 capabilities, no raw sockets or mknod, stricter seccomp, read-only root filesystem",
         CV_SECURITY_STRICT, NULL, NULL, -1},
        {"paranoid", "no capabilities, strictest seccomp, loopback only, read-only root, Landlock",
         CV_SECURITY_PARANOID, NULL, NULL, -1},
        {"web-server", "a network service: binds low ports, drops to its own user, read-only root (strict)",
         CV_SECURITY_STRICT, NULL, NULL, -1},
        {"database", "a data store: writes its files, may lock memory (IPC_LOCK), no raw sockets or mknod",
         CV_SECURITY_RESTRICTED, database_drop, database_add, 0},
        {"build", "a build or CI job: installs packages and changes ownership, writable root (restricted)",
         CV_SECURITY_RESTRICTED, NULL, NULL, 0},
        {"untrusted", "code you do not trust: everything paranoid has", CV_SECURITY_PARANOID, NULL, NULL, -1},
};

#define PREDEFINED_COUNT (sizeof predefined_profiles / sizeof predefined_profiles[0])

int containerv_security_list_profiles(int (*callback)(const char *name, const char *description, void *user),
                                      void *user)
{
	cv_error_clear();
	if (callback == NULL)
		return cv_error_errno(EINVAL, "security profiles: no callback");
	for (size_t i = 0; i < PREDEFINED_COUNT; i++) {
		int ret = callback(predefined_profiles[i].name, predefined_profiles[i].description, user);
		if (ret != 0)
			return ret;
	}
	return 0;
}

static int apply_capability_list(struct containerv_security *s, const char *const *names, bool add)
{
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		int ret = add ? containerv_security_add_capability(s, names[i])
		              : containerv_security_drop_capability(s, names[i]);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int load_predefined(const struct predefined *p, struct containerv_security **out)
{
	struct containerv_security *s = NULL;

	if (containerv_security_new(p->level, &s) < 0)
		return -1;
	free(s->name);
	s->name = cv_strdup(p->name);
	if (s->name == NULL || apply_capability_list(s, p->cap_drop, false) < 0 ||
	    apply_capability_list(s, p->cap_add, true) < 0) {
		containerv_security_delete(s);
		return -1;
	}
	if (p->read_only_rootfs >= 0)
		s->read_only_rootfs = p->read_only_rootfs != 0;
	*out = s;
	return 0;
}

static const struct predefined *find_predefined(const char *name)
{
	for (size_t i = 0; i < PREDEFINED_COUNT; i++)
		if (strcasecmp(predefined_profiles[i].name, name) == 0)
			return &predefined_profiles[i];
	return NULL;
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t length = strlen(name), suffix_length = strlen(suffix);

	return length > suffix_length && strcmp(name + length - suffix_length, suffix) == 0;
}

static bool is_yaml(const char *name)
{
	return has_suffix(name, ".yaml") || has_suffix(name, ".yml");
}

static bool is_path(const char *name)
{
	return strchr(name, '/') != NULL || has_suffix(name, ".json") || is_yaml(name);
}

static int json_string_list(json_t *value, const char *key, const char ***out)
{
	size_t i, count;
	json_t *item;

	*out = NULL;
	if (value == NULL)
		return 0;
	if (!json_is_array(value))
		return cv_error_errno(EINVAL, "\"%s\" must be a list of strings", key);
	count = json_array_size(value);
	*out = cv_malloc0((count + 1) * sizeof **out);
	if (*out == NULL)
		return -1;
	json_array_foreach(value, i, item)
	{
		if (!json_is_string(item)) {
			free(*out);
			*out = NULL;
			return cv_error_errno(EINVAL, "\"%s\" must be a list of strings", key);
		}
		(*out)[i] = json_string_value(item);
	}
	return 0;
}

static int json_bool_field(json_t *object, const char *key, int (*set)(struct containerv_security *, int),
                           struct containerv_security *s)
{
	json_t *value = json_object_get(object, key);

	if (value == NULL)
		return 0;
	if (!json_is_boolean(value))
		return cv_error_errno(EINVAL, "\"%s\" must be true or false", key);
	return set(s, json_is_true(value));
}

static int apply_user_paths(struct containerv_security *s, json_t *root, const char *key,
                            int (*add)(struct containerv_security *, const char *))
{
	const char **paths = NULL;

	if (json_string_list(json_object_get(root, key), key, &paths) < 0)
		return -1;
	for (size_t i = 0; paths != NULL && paths[i] != NULL; i++) {
		if (add(s, paths[i]) < 0) {
			free(paths);
			return -1;
		}
	}
	free(paths);
	return 0;
}

static int apply_user_capabilities(struct containerv_security *s, json_t *root, const char *key, bool add)
{
	const char **names = NULL;
	int ret;

	if (json_string_list(json_object_get(root, key), key, &names) < 0)
		return -1;
	ret = apply_capability_list(s, names, add);
	free(names);
	return ret;
}

/* The user profile's settings on top of what it extends; the file's own keys only. */
static int apply_user_profile(struct containerv_security *s, json_t *root, const char *directory)
{
	static const char *const known[] = {"extends",
	                                    "description",
	                                    "cap_add",
	                                    "cap_drop",
	                                    "seccomp",
	                                    "read_only_rootfs",
	                                    "no_new_privileges",
	                                    "masked_paths",
	                                    "readonly_paths",
	                                    "allow_sensitive_binds",
	                                    NULL};
	const char *key;
	json_t *value;

	json_object_foreach(root, key, value)
	{
		size_t i = 0;
		while (known[i] != NULL && strcmp(known[i], key) != 0)
			i++;
		if (known[i] == NULL)
			return cv_error_errno(EINVAL, "unknown key \"%s\"", key);
	}
	if (apply_user_capabilities(s, root, "cap_drop", false) < 0 ||
	    apply_user_capabilities(s, root, "cap_add", true) < 0 ||
	    json_bool_field(root, "read_only_rootfs", containerv_security_set_read_only_rootfs, s) < 0 ||
	    json_bool_field(root, "no_new_privileges", containerv_security_set_no_new_privileges, s) < 0 ||
	    apply_user_paths(s, root, "masked_paths", containerv_security_add_masked_path) < 0 ||
	    apply_user_paths(s, root, "readonly_paths", containerv_security_add_readonly_path) < 0 ||
	    apply_user_paths(s, root, "allow_sensitive_binds", containerv_security_allow_sensitive_bind) < 0)
		return -1;
	value = json_object_get(root, "seccomp");
	if (value != NULL) {
		const char *seccomp = json_string_value(value);
		cleanup_free char *resolved = NULL;
		if (seccomp == NULL)
			return cv_error_errno(EINVAL, "\"seccomp\" must be a string");
		/* A relative profile path is relative to the file that names it. */
		if (strcmp(seccomp, "default") != 0 && strcmp(seccomp, "unconfined") != 0 && seccomp[0] != '/' &&
		    cv_asprintf(&resolved, "%s/%s", directory, seccomp) < 0)
			return -1;
		if (containerv_security_set_seccomp(s, resolved ? resolved : seccomp) < 0)
			return -1;
	}
	return 0;
}

static int load_file(const char *path, int depth, struct containerv_security **out);

static int load_any(const char *name, int depth, struct containerv_security **out)
{
	const struct predefined *p;

	if (name == NULL || name[0] == '\0')
		return cv_error_errno(EINVAL, "security profile: empty name");
	if (is_path(name))
		return load_file(name, depth, out);
	p = find_predefined(name);
	if (p == NULL)
		return cv_error_errno(ENOENT, "unknown security profile \"%s\" (see `containerv security profiles`)",
		                      name);
	return load_predefined(p, out);
}

static int load_file(const char *path, int depth, struct containerv_security **out)
{
	cleanup_free char *text = NULL, *directory = NULL;
	struct containerv_security *s = NULL;
	json_error_t error;
	json_t *root;
	const char *extends;
	int ret = -1;

	/* A profile that extends itself, directly or not, must not recurse forever. */
	if (depth > 8)
		return cv_error_errno(ELOOP, "security profile %s: \"extends\" nests too deep", path);
	if (cv_read_file(path, &text, NULL, 1024 * 1024) < 0)
		return cv_error_prefix("security profile %s", path);
	if (is_yaml(path)) {
		if (cv_yaml_to_json(text, strlen(text), &root) < 0)
			return cv_error_prefix("security profile %s", path);
	} else {
		root = json_loads(text, JSON_REJECT_DUPLICATES, &error);
		if (root == NULL)
			return cv_error_errno(EINVAL, "security profile %s: line %d: %s", path, error.line, error.text);
	}
	if (!json_is_object(root)) {
		cv_error_errno(EINVAL, "security profile %s: not a JSON object", path);
		goto done;
	}
	extends = json_string_value(json_object_get(root, "extends"));
	if (cv_asprintf(&directory, "%s", path) < 0)
		goto done;
	char *slash = strrchr(directory, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		strcpy(directory, ".");
	if (load_any(extends ? extends : "restricted", depth + 1, &s) < 0 ||
	    apply_user_profile(s, root, directory) < 0) {
		cv_error_prefix("security profile %s", path);
		goto done;
	}
	free(s->name);
	s->name = cv_strdup(path);
	if (s->name == NULL)
		goto done;
	*out = cv_steal_pointer(&s);
	ret = 0;
done:
	containerv_security_delete(s);
	json_decref(root);
	return ret;
}

int containerv_security_load(const char *name_or_path, struct containerv_security **security)
{
	cv_error_clear();
	if (security == NULL)
		return cv_error_errno(EINVAL, "security_load: NULL out-parameter");
	return load_any(name_or_path, 0, security);
}
