#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/registry.h"

#define PING_BODY_MAX (64 * 1024)
#define ERROR_BODY_MAX (64 * 1024)
#define CA_FILE_MAX (1024 * 1024)
#define REDIRECTS_MAX 5

void cv_registry_free(struct cv_registry *registry)
{
	if (registry == NULL)
		return;
	free(registry->name);
	free(registry->tls.ca_bundle);
	if (registry->tls.share != NULL)
		curl_share_cleanup(registry->tls.share);
	cv_credentials_clear(&registry->credentials);
	cv_auth_challenge_clear(&registry->challenge);
	free(registry->token_scopes);
	free(registry->token);
	free(registry);
}

/* Appends every *.crt file of dir to the registry's CA bundle; a missing DIR is fine. */
static int load_ca_dir(struct cv_registry *registry, const char *dir, bool must_exist)
{
	cleanup_dir DIR *stream = opendir(dir);
	struct dirent *entry;

	if (stream == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return cv_error_sys("certificate directory %s", dir);
	}
	while ((entry = readdir(stream)) != NULL) {
		size_t length = strlen(entry->d_name);
		cleanup_free char *path = NULL;
		cleanup_free char *text = NULL;
		size_t text_length;
		if (length < 5 || strcmp(entry->d_name + length - 4, ".crt") != 0)
			continue;
		if (cv_asprintf(&path, "%s/%s", dir, entry->d_name) < 0 ||
		    cv_read_file(path, &text, &text_length, CA_FILE_MAX) < 0)
			return cv_error_prefix("certificate %s/%s", dir, entry->d_name);
		char *grown = realloc(registry->tls.ca_bundle, registry->tls.ca_length + text_length + 2);
		if (grown == NULL)
			return cv_error_errno(ENOMEM, "out of memory");
		memcpy(grown + registry->tls.ca_length, text, text_length);
		registry->tls.ca_length += text_length;
		grown[registry->tls.ca_length++] = '\n';
		grown[registry->tls.ca_length] = '\0';
		registry->tls.ca_bundle = grown;
	}
	return 0;
}

static int load_certificates(struct cv_registry *registry, const char *cert_dir)
{
	char path[PATH_MAX];

	if (cert_dir != NULL)
		return load_ca_dir(registry, cert_dir, true);
	snprintf(path, sizeof path, "/etc/containers/certs.d/%s", registry->name);
	if (load_ca_dir(registry, path, false) < 0)
		return -1;
	snprintf(path, sizeof path, "/etc/docker/certs.d/%s", registry->name);
	return load_ca_dir(registry, path, false);
}

/* GET /v2/ without credentials: the scheme that works and the challenge. */
static int ping(struct cv_registry *registry, bool allow_http)
{
	const char *host = strcmp(registry->name, "docker.io") == 0 ? "registry-1.docker.io" : registry->name;
	char url[700], what[400];
	struct cv_http_transfer t;
	int result;

	snprintf(what, sizeof what, "registry %s", registry->name);
	snprintf(registry->base, sizeof registry->base, "https://%s", host);
	snprintf(url, sizeof url, "%s/v2/", registry->base);
	if (cv_http_transfer_init(&t, &registry->tls, "GET", url, NULL, PING_BODY_MAX) < 0)
		return -1;
	result = cv_http_perform(&t, what);
	if (result < 0 && allow_http && errno != ECONNREFUSED && errno != ETIMEDOUT) {
		/* No TLS there (an http server answers a ClientHello with garbage): plain http, as asked. */
		cv_http_transfer_clear(&t);
		snprintf(registry->base, sizeof registry->base, "http://%s", host);
		snprintf(url, sizeof url, "%s/v2/", registry->base);
		if (cv_http_transfer_init(&t, &registry->tls, "GET", url, NULL, PING_BODY_MAX) < 0)
			return -1;
		result = cv_http_perform(&t, what);
	} else if (result < 0 && !allow_http && cv_http_peer_is_not_tls(&t)) {
		result = cv_error_code(CONTAINERV_E_TLS, EPROTO,
		                       "registry %s: no TLS there (plain http? --tls-verify=false allows it)",
		                       registry->name);
	} else if (result < 0 && cv_http_certificate_failed(&t)) {
		struct cv_error_saved reason;
		cv_error_save(&reason);
		result = cv_error_code(CONTAINERV_E_TLS, EACCES,
		                       "%s (trust its CA with --cert-dir, or --tls-verify=false)", reason.message);
	}
	if (result == 0) {
		if (t.status == 401 && t.authenticate != NULL) {
			if (cv_auth_challenge_parse(t.authenticate, &registry->challenge) < 0)
				result = cv_error_prefix("%s", what);
		} else if (t.status == 401) {
			result = cv_error_code(CONTAINERV_E_AUTH, EACCES,
			                       "%s: 401 without a WWW-Authenticate challenge", what);
		} else if (t.status != 200) {
			result = cv_registry_status_error(registry, &t, what);
		}
	}
	cv_http_transfer_clear(&t);
	return result;
}

/* Is name in $CONTAINERV_INSECURE_REGISTRIES ("host[:port],host[:port]...")? Then it is used as with
 * --tls-verify=false. */
static bool is_insecure(const char *name)
{
	const char *list = getenv("CONTAINERV_INSECURE_REGISTRIES");
	size_t length = strlen(name);

	for (const char *p = list; p != NULL && *p != '\0';) {
		size_t item = strcspn(p, ", ");
		if (item == length && strncmp(p, name, length) == 0)
			return true;
		p += item;
		p += strspn(p, ", ");
	}
	return false;
}

int cv_registry_open(const char *name, const struct cv_registry_options *options, struct cv_registry **out)
{
	struct cv_registry *registry = cv_malloc0(sizeof *registry);
	const char *timeout = getenv("CONTAINERV_REGISTRY_TIMEOUT");

	if (registry == NULL)
		return -1;
	registry->name = cv_strdup(name);
	if (registry->name == NULL)
		goto fail;
	bool tls_verify = options->tls_verify && !is_insecure(name);
	registry->tls.verify = tls_verify;
	registry->tls.timeout = options->timeout > 0 ? options->timeout : 30;
	if (options->timeout <= 0 && timeout != NULL && atol(timeout) > 0)
		registry->tls.timeout = atol(timeout);
	if (load_certificates(registry, options->cert_dir) < 0 || cv_http_global_init() < 0) {
		cv_error_prefix("registry %s", name); /* its errors name it: pull and push add nothing */
		goto fail;
	}
	/* One connection pool for every request to this registry: no new TCP and TLS handshake each time. */
	registry->tls.share = curl_share_init();
	if (registry->tls.share != NULL) {
		curl_share_setopt(registry->tls.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
		curl_share_setopt(registry->tls.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
		curl_share_setopt(registry->tls.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	}
	if (options->username != NULL && options->password != NULL) {
		registry->credentials.username = cv_strdup(options->username);
		registry->credentials.password = cv_strdup(options->password);
		if (registry->credentials.username == NULL || registry->credentials.password == NULL)
			goto fail;
	} else if (cv_authfile_lookup(options->auth_file, name, &registry->credentials) < 0) {
		cv_error_prefix("registry %s: credentials", name);
		goto fail;
	}
	if (ping(registry, !tls_verify) < 0)
		goto fail;
	*out = registry;
	return 0;
fail:
	cv_registry_free(registry);
	return -1;
}

int cv_registry_scopes(const char *repository, bool push, const char *mount_from, char ***scopes)
{
	cleanup_strv char **list = NULL;
	cleanup_free char *scope = NULL;
	cleanup_free char *mount_scope = NULL;

	if (cv_asprintf(&scope, "repository:%s:%s", repository, push ? "pull,push" : "pull") < 0 ||
	    cv_strv_append(&list, scope) < 0)
		return -1;
	if (mount_from != NULL &&
	    (cv_asprintf(&mount_scope, "repository:%s:pull", mount_from) < 0 || cv_strv_append(&list, mount_scope) < 0))
		return -1;
	*scopes = cv_steal_pointer(&list);
	return 0;
}

int cv_registry_authenticate(struct cv_registry *registry, char *const *scopes, bool force)
{
	cleanup_free char *joined = scopes ? cv_strv_join(scopes, " ") : cv_strdup("");
	char *token = NULL;

	if (joined == NULL)
		return -1;
	if (registry->challenge.scheme != CV_AUTH_BEARER)
		return 0;
	if (!force && registry->token != NULL && strcmp(registry->token_scopes, joined) == 0)
		return 0;
	/* The registry's own CAs (certs.d) are for the registry: a token server elsewhere is checked
	 * against the system's. */
	struct cv_tls_config token_tls = registry->tls;
	if (!cv_http_same_origin(registry->challenge.realm, registry->base)) {
		token_tls.ca_bundle = NULL;
		token_tls.ca_length = 0;
	}
	if (cv_auth_fetch_token(&token_tls, &registry->challenge, scopes,
	                        registry->credentials.username ? &registry->credentials : NULL, registry->name,
	                        &token) < 0)
		return -1;
	free(registry->token);
	free(registry->token_scopes);
	registry->token = token;
	registry->token_scopes = cv_steal_pointer(&joined);
	return 0;
}

int cv_registry_authorization(struct cv_registry *registry, char *const *scopes, char **header)
{
	*header = NULL;
	switch (registry->challenge.scheme) {
	case CV_AUTH_NONE:
		return 0;
	case CV_AUTH_BASIC:
		if (registry->credentials.username == NULL)
			return 0;
		return cv_auth_basic_header(&registry->credentials, header);
	case CV_AUTH_BEARER:
		if (cv_registry_authenticate(registry, scopes, false) < 0)
			return -1;
		return cv_asprintf(header, "Authorization: Bearer %s", registry->token);
	}
	return 0;
}

static int build_headers(const char *const *headers, const char *authorization, struct curl_slist **out)
{
	struct curl_slist *list = NULL, *grown;

	for (const char *const *line = headers; line && *line; line++) {
		grown = curl_slist_append(list, *line);
		if (grown == NULL)
			goto fail;
		list = grown;
	}
	if (authorization != NULL) {
		grown = curl_slist_append(list, authorization);
		if (grown == NULL)
			goto fail;
		list = grown;
	}
	*out = list;
	return 0;
fail:
	curl_slist_free_all(list);
	return cv_error_errno(ENOMEM, "out of memory");
}

static bool is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

int cv_registry_send(struct cv_registry *registry, struct cv_http_transfer *t, const char *method, const char *url,
                     char *const *scopes, const char *const *headers, size_t body_max, cv_registry_setup_fn setup,
                     void *user, const char *what)
{
	char current[sizeof t->url];
	bool reauthenticated = false, credentials = true;
	int redirects = 0;

	if (strlen(url) >= sizeof current)
		return cv_error_errno(ENAMETOOLONG, "%s: URL too long", what);
	strcpy(current, url);
	memset(t, 0, sizeof *t);
	for (;;) {
		cleanup_free char *authorization = NULL;
		struct curl_slist *list = NULL;

		if (credentials && cv_registry_authorization(registry, scopes, &authorization) < 0)
			return cv_error_prefix("%s", what);
		if (build_headers(headers, authorization, &list) < 0)
			return -1;
		if (authorization != NULL)
			explicit_bzero(authorization, strlen(authorization));
		cv_http_transfer_clear(t);
		if (cv_http_transfer_init(t, &registry->tls, method, current, list, body_max) < 0)
			return -1;
		if (setup != NULL && setup(t, user) < 0)
			return -1;
		if (cv_http_perform(t, what) < 0)
			return -1;
		if (t->status == 401 && credentials && !reauthenticated &&
		    registry->challenge.scheme == CV_AUTH_BEARER) {
			reauthenticated = true;
			if (cv_registry_authenticate(registry, scopes, true) < 0)
				return cv_error_prefix("%s", what);
			continue;
		}
		if (is_redirect(t->status) && t->location != NULL &&
		    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
			char next[sizeof t->url];
			if (++redirects > REDIRECTS_MAX)
				return cv_error_errno(ELOOP, "%s: too many redirects", what);
			if (cv_http_resolve(current, t->location, next, sizeof next) < 0)
				return cv_error_prefix("%s", what);
			/* Object-store redirects point elsewhere: the registry's credentials stay with the registry. */
			if (!cv_http_same_origin(next, current))
				credentials = false;
			strcpy(current, next);
			continue;
		}
		return 0;
	}
}

int cv_registry_status_error(const struct cv_registry *registry, const struct cv_http_transfer *t, const char *what)
{
	if (t->status == 401 && registry->credentials.username != NULL)
		return cv_error_code(CONTAINERV_E_AUTH, EACCES,
		                     "%s: 401 unauthorized (wrong user name or password, or no access)", what);
	if (t->status == 401)
		return cv_error_code(CONTAINERV_E_AUTH, EACCES,
		                     "%s: 401 unauthorized (log in with `containerv login` or give --creds)", what);
	return cv_http_status_error(t, what);
}
