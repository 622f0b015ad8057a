#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/util.h"
#include "image/auth.h"

#define AUTH_FILE_MAX (1024 * 1024)

/* The keys docker, podman and skopeo use for one registry in "auths". */
static int registry_keys(const char *registry, char keys[6][300])
{
	bool hub = strcmp(registry, "docker.io") == 0 || strcmp(registry, "index.docker.io") == 0 ||
	           strcmp(registry, "registry-1.docker.io") == 0;
	int count = 0;
	snprintf(keys[count++], 300, "%s", registry);
	snprintf(keys[count++], 300, "https://%s", registry);
	snprintf(keys[count++], 300, "http://%s", registry);
	if (hub) {
		snprintf(keys[count++], 300, "https://index.docker.io/v1/");
		snprintf(keys[count++], 300, "docker.io");
		snprintf(keys[count++], 300, "index.docker.io");
	}
	return count;
}

/* "https://host/v1/" and "host/" name host too. */
static bool key_matches(const char *key, const char *registry)
{
	if (strncmp(key, "https://", 8) == 0)
		key += 8;
	else if (strncmp(key, "http://", 7) == 0)
		key += 7;
	size_t length = strlen(registry);
	return strncmp(key, registry, length) == 0 && (key[length] == '\0' || key[length] == '/');
}

static int load(const char *path, json_t **root)
{
	cleanup_free char *text = NULL;
	size_t length;
	json_error_t error;

	*root = NULL;
	if (cv_read_file(path, &text, &length, AUTH_FILE_MAX) < 0) {
		if (errno == ENOENT)
			return 0;
		return cv_error_prefix("auth file %s", path);
	}
	*root = json_loadb(text, length, 0, &error);
	explicit_bzero(text, length);
	if (!json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		return cv_error_errno(EINVAL, "auth file %s: not a JSON object (line %d: %s)", path, error.line,
		                      error.text);
	}
	return 1;
}

static int entry_credentials(const char *path, json_t *entry, struct cv_credentials *out)
{
	const char *auth = json_string_value(json_object_get(entry, "auth"));
	cleanup_free char *decoded = NULL;
	size_t length;
	char *colon;

	if (auth == NULL || auth[0] == '\0')
		return 0; /* e.g. only an identity token or a credential helper: not supported */
	if (cv_base64_decode(auth, &decoded, &length) < 0 || strlen(decoded) != length ||
	    (colon = strchr(decoded, ':')) == NULL)
		return cv_error_errno(EINVAL, "auth file %s: malformed \"auth\" entry", path);
	*colon = '\0';
	out->username = cv_strdup(decoded);
	out->password = cv_strdup(colon + 1);
	explicit_bzero(decoded, length);
	if (out->username == NULL || out->password == NULL) {
		cv_credentials_clear(out);
		return -1;
	}
	return 1;
}

/* docker's credHelpers (per registry) and credsStore (any registry), when the file names them. */
static int helper_credentials(json_t *root, const char *registry, struct cv_credentials *out)
{
	json_t *helpers = json_object_get(root, "credHelpers");
	const char *store = json_string_value(json_object_get(root, "credsStore"));
	const char *helper = NULL;
	char keys[6][300];
	int count = registry_keys(registry, keys);
	/* What docker hands the helper: the hub's old URL, else the host. */
	const char *server = strcmp(keys[count - 1], "index.docker.io") == 0 ? "https://index.docker.io/v1/" : registry;

	for (int i = 0; i < count && helper == NULL && json_is_object(helpers); i++)
		helper = json_string_value(json_object_get(helpers, keys[i]));
	if (helper != NULL)
		return cv_credential_helper_get(helper, server, out);
	if (store != NULL && store[0] != '\0') {
		/* A store helper knows some registries, not all: "not found" is no credentials. */
		int found = cv_credential_helper_get(store, server, out);
		return found < 0 ? 0 : found;
	}
	return 0;
}

static int lookup_in(const char *path, const char *registry, struct cv_credentials *out)
{
	json_t *root, *auths, *entry;
	const char *key;
	char keys[6][300];
	int result, count;

	result = load(path, &root);
	if (result <= 0)
		return result;
	result = 0;
	auths = json_object_get(root, "auths");
	if (json_is_object(auths)) {
		count = registry_keys(registry, keys);
		for (int i = 0; i < count && result == 0; i++) {
			entry = json_object_get(auths, keys[i]);
			if (json_is_object(entry))
				result = entry_credentials(path, entry, out);
		}
		json_object_foreach(auths, key, entry)
		{
			if (result != 0)
				break;
			if (json_is_object(entry) && key_matches(key, registry))
				result = entry_credentials(path, entry, out);
		}
	}
	if (result == 0)
		result = helper_credentials(root, registry, out);
	json_decref(root);
	return result;
}

static char *home_path(const char *relative)
{
	const char *home = getenv("HOME");
	char *path;
	if (home == NULL || home[0] == '\0')
		return NULL;
	return cv_asprintf(&path, "%s/%s", home, relative) < 0 ? NULL : path;
}

int cv_authfile_login_path(const char *auth_file, char **path)
{
	const char *env = getenv("REGISTRY_AUTH_FILE");
	const char *config = getenv("XDG_CONFIG_HOME");

	if (auth_file != NULL)
		return (*path = cv_strdup(auth_file)) ? 0 : -1;
	if (env != NULL && env[0] != '\0')
		return (*path = cv_strdup(env)) ? 0 : -1;
	if (config != NULL && config[0] == '/')
		return cv_asprintf(path, "%s/containerv/auth.json", config);
	*path = home_path(".config/containerv/auth.json");
	if (*path == NULL)
		return cv_error_errno(ENOENT, "no auth file: HOME is not set");
	return 0;
}

int cv_authfile_lookup(const char *auth_file, const char *registry, struct cv_credentials *out)
{
	cleanup_free char *own = NULL;
	cleanup_free char *runtime_file = NULL;
	cleanup_free char *docker_file = NULL;
	const char *env = getenv("REGISTRY_AUTH_FILE");
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	const char *docker_config = getenv("DOCKER_CONFIG");
	const char *candidates[5];
	size_t count = 0;

	memset(out, 0, sizeof *out);
	if (auth_file != NULL)
		return lookup_in(auth_file, registry, out);
	if (env != NULL && env[0] != '\0')
		candidates[count++] = env;
	if (cv_authfile_login_path(NULL, &own) == 0 && (env == NULL || strcmp(own, env) != 0))
		candidates[count++] = own;
	if (runtime != NULL && runtime[0] == '/' && cv_asprintf(&runtime_file, "%s/containers/auth.json", runtime) == 0)
		candidates[count++] = runtime_file;
	if (docker_config != NULL && docker_config[0] != '\0')
		cv_asprintf(&docker_file, "%s/config.json", docker_config);
	else
		docker_file = home_path(".docker/config.json");
	if (docker_file != NULL)
		candidates[count++] = docker_file;
	for (size_t i = 0; i < count; i++) {
		int result = lookup_in(candidates[i], registry, out);
		if (result != 0)
			return result;
	}
	return 0;
}

static int save(const char *path, json_t *root)
{
	cleanup_free char *copy = cv_strdup(path);
	cleanup_free char *text = NULL;
	cleanup_close int dirfd = -1;
	const char *name;

	if (copy == NULL)
		return -1;
	char *slash = strrchr(copy, '/');
	if (slash == NULL) {
		dirfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		name = path;
	} else {
		*slash = '\0';
		name = slash + 1;
		if (copy[0] != '\0' && cv_mkdir_p(copy, 0700) < 0)
			return cv_error_prefix("auth file %s", path);
		dirfd = open(copy[0] ? copy : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (dirfd < 0)
		return cv_error_sys("auth file %s: opening its directory", path);
	text = json_dumps(root, JSON_INDENT(2));
	if (text == NULL)
		return cv_error_errno(ENOMEM, "auth file %s: out of memory", path);
	int result = cv_write_file_atomic_at(dirfd, name, text, strlen(text), 0600);
	explicit_bzero(text, strlen(text));
	if (result < 0)
		return cv_error_prefix("auth file %s", path);
	return 0;
}

int cv_authfile_store(const char *path, const char *registry, const char *username, const char *password)
{
	cleanup_free char *pair = NULL;
	cleanup_free char *encoded = NULL;
	json_t *root, *auths;
	int result;

	if (load(path, &root) < 0)
		return -1;
	if (root == NULL && (root = json_object()) == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	auths = json_object_get(root, "auths");
	if (!json_is_object(auths)) {
		auths = json_object();
		json_object_set_new(root, "auths", auths);
	}
	if (cv_asprintf(&pair, "%s:%s", username, password) < 0 || cv_base64_encode(pair, strlen(pair), &encoded) < 0) {
		json_decref(root);
		return -1;
	}
	explicit_bzero(pair, strlen(pair));
	json_object_set_new(auths, registry, json_pack("{s:s}", "auth", encoded));
	explicit_bzero(encoded, strlen(encoded));
	result = save(path, root);
	json_decref(root);
	return result;
}

int cv_authfile_remove(const char *path, const char *registry)
{
	json_t *root, *auths, *entry;
	const char *key;
	void *safe;
	int removed = 0, result;

	result = load(path, &root);
	if (result <= 0)
		return result;
	auths = json_object_get(root, "auths");
	if (json_is_object(auths)) {
		json_object_foreach_safe(auths, safe, key, entry)
		{
			if (key_matches(key, registry)) {
				json_object_del(auths, key);
				removed = 1;
			}
		}
	}
	result = removed ? save(path, root) : 0;
	json_decref(root);
	return result < 0 ? -1 : removed;
}
