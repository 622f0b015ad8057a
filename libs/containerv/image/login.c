/*
 * containerv_registry_login / logout / tags: credentials checked against
 * the registry before they are written (mode 0600) to the login file.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chef/containerv/registry.h>

#include "common/error.h"
#include "common/util.h"
#include "image/auth.h"
#include "image/reference.h"
#include "image/registry.h"

/* "https://host:port/" -> "host:port"; only host name characters and a port. */
static int registry_name(const char *text, char *out, size_t size)
{
	if (text == NULL || text[0] == '\0')
		return cv_error_errno(EINVAL, "no registry given");
	if (strncmp(text, "https://", 8) == 0)
		text += 8;
	else if (strncmp(text, "http://", 7) == 0)
		text += 7;
	size_t length = strcspn(text, "/");
	if (length == 0 || length >= size)
		return cv_error_errno(EINVAL, "registry %.100s: invalid name", text);
	for (size_t i = 0; i < length; i++)
		if (!isalnum((unsigned char)text[i]) && strchr(".-:[]", text[i]) == NULL)
			return cv_error_errno(EINVAL, "registry %.100s: invalid name", text);
	memcpy(out, text, length);
	out[length] = '\0';
	/* Docker's names for the hub all mean docker.io. */
	if (strcmp(out, "index.docker.io") == 0 || strcmp(out, "registry-1.docker.io") == 0)
		snprintf(out, size, "docker.io");
	return 0;
}

/* Are these credentials good? The registry (basic) or its token server (bearer) says. */
static int check_credentials(struct cv_registry *registry)
{
	struct cv_http_transfer t;
	char url[700], what[400];
	int result = -1;

	snprintf(what, sizeof what, "registry %s: login", registry->name);
	if (registry->challenge.scheme == CV_AUTH_NONE)
		return 0; /* nothing to check: the registry is open */
	if (registry->challenge.scheme == CV_AUTH_BEARER)
		return cv_registry_authenticate(registry, NULL, true) < 0 ? cv_error_prefix("%s", what) : 0;
	snprintf(url, sizeof url, "%s/v2/", registry->base);
	if (cv_registry_send(registry, &t, "GET", url, NULL, NULL, 64 * 1024, NULL, NULL, what) == 0) {
		if (t.status == 200)
			result = 0;
		else if (t.status == 401)
			cv_error_code(CONTAINERV_E_AUTH, EACCES, "%s: wrong user name or password", what);
		else
			cv_registry_status_error(registry, &t, what);
	}
	cv_http_transfer_clear(&t);
	return result;
}

CONTAINERV_API int containerv_registry_login(const char *registry, const char *username, const char *password,
                                             const struct containerv_registry_options *options)
{
	const struct containerv_registry_options defaults = CONTAINERV_REGISTRY_OPTIONS_INIT;
	struct cv_registry_options registry_options;
	struct cv_registry *client = NULL;
	cleanup_free char *path = NULL;
	char name[256];

	cv_error_clear();
	if (options == NULL)
		options = &defaults;
	if (registry_name(registry, name, sizeof name) < 0)
		return cv_error_prefix("login");
	if (username == NULL || username[0] == '\0' || password == NULL || strchr(username, ':') != NULL)
		return cv_error_errno(EINVAL, "login %s: a user name (without ':') and a password are needed", name);
	cv_pull_registry_options(options, &registry_options);
	registry_options.username = username;
	registry_options.password = password;
	if (cv_registry_open(name, &registry_options, &client) < 0)
		return cv_error_prefix("login %s", name);
	int checked = check_credentials(client);
	cv_registry_free(client);
	if (checked < 0)
		return -1;
	if (cv_authfile_login_path(options->auth_file, &path) < 0 ||
	    cv_authfile_store(path, name, username, password) < 0)
		return cv_error_prefix("login %s", name);
	return 0;
}

CONTAINERV_API int containerv_registry_logout(const char *registry, const char *auth_file)
{
	cleanup_free char *path = NULL;
	char name[256];
	int removed;

	cv_error_clear();
	if (registry_name(registry, name, sizeof name) < 0)
		return cv_error_prefix("logout");
	if (cv_authfile_login_path(auth_file, &path) < 0)
		return cv_error_prefix("logout %s", name);
	removed = cv_authfile_remove(path, name);
	if (removed < 0)
		return cv_error_prefix("logout %s", name);
	if (removed == 0)
		return cv_error_errno(ENOENT, "logout %s: not logged in (%s)", name, path);
	return 0;
}

CONTAINERV_API int containerv_registry_tags(const char *reference, const struct containerv_registry_options *options,
                                            char ***tags)
{
	const struct containerv_registry_options defaults = CONTAINERV_REGISTRY_OPTIONS_INIT;
	struct cv_registry_options registry_options;
	struct cv_reference parsed = {0};
	struct cv_registry *client = NULL;
	int result = -1;

	cv_error_clear();
	if (options == NULL)
		options = &defaults;
	if (reference == NULL || tags == NULL)
		return cv_error_errno(EINVAL, "tags: no reference");
	if (cv_reference_parse(reference, &parsed) < 0) {
		cv_error_prefix("tags %s", reference);
		goto out;
	}
	cv_pull_registry_options(options, &registry_options);
	if (cv_registry_open(parsed.domain, &registry_options, &client) == 0)
		result = cv_registry_list_tags(client, parsed.path, tags);
out:
	cv_registry_free(client);
	cv_reference_clear(&parsed);
	return result;
}
