/*
 * Internal: registry authentication. The WWW-Authenticate challenge a
 * registry answers with (Basic or Bearer), the token request of Docker's
 * token auth spec, and credentials from auth files (authfile.c): docker's
 * ~/.docker/config.json, podman's auth.json, REGISTRY_AUTH_FILE and
 * containerv's own file written by `containerv login`.
 */
#ifndef CV_IMAGE_AUTH_H
#define CV_IMAGE_AUTH_H

#include "image/http.h"

enum cv_auth_scheme {
	CV_AUTH_NONE = 0,
	CV_AUTH_BASIC,
	CV_AUTH_BEARER,
};

struct cv_auth_challenge {
	enum cv_auth_scheme scheme;
	char *realm;
	char *service;
	char *scope;
};

struct cv_credentials {
	char *username;
	char *password;
};

/*
 * Parses one WWW-Authenticate header value (hostile text): the scheme and
 * realm/service/scope parameters, quoted or not. An unknown scheme is an
 * error. 0 or -1.
 */
int cv_auth_challenge_parse(const char *header, struct cv_auth_challenge *out);
void cv_auth_challenge_clear(struct cv_auth_challenge *challenge);

void cv_credentials_clear(struct cv_credentials *credentials);

/* "Authorization: Basic <base64(user:password)>" in a fresh string. */
int cv_auth_basic_header(const struct cv_credentials *credentials, char **header);

/*
 * Asks the challenge's realm for a bearer token covering scopes (a NULL-ended
 * list like "repository:library/busybox:pull"), with basic credentials when
 * there are some. Errors name the token server, not the registry (the
 * caller adds that). 0 or -1.
 */
int cv_auth_fetch_token(const struct cv_tls_config *tls, const struct cv_auth_challenge *challenge, char *const *scopes,
                        const struct cv_credentials *credentials, const char *registry, char **token);

/*
 * The token of a token server's answer (hostile JSON: "token", else "access_token"), in a fresh string:
 * printable, no space, bounded. -1 with EBADMSG when there is none such.
 */
int cv_auth_token_parse(const char *body, size_t length, char **token);

/* base64 of data in a fresh string / decoding of text (NUL-terminated result). 0 or -1. */
int cv_base64_encode(const void *data, size_t length, char **out);
int cv_base64_decode(const char *text, char **out, size_t *length);

/*
 * Credentials for registry ("host[:port]") from the first auth file that has
 * them: auth_file when not NULL (only that one), else $REGISTRY_AUTH_FILE,
 * containerv's login file, $XDG_RUNTIME_DIR/containers/auth.json,
 * $DOCKER_CONFIG/config.json or ~/.docker/config.json. Returns 1 when found,
 * 0 when no file has any, -1 on an unreadable or malformed file.
 */
int cv_authfile_lookup(const char *auth_file, const char *registry, struct cv_credentials *out);
/*
 * Asks docker's credential helper docker-credential-HELPER for server's
 * credentials: 1 found, 0 none (an identity token), -1 on error.
 */
int cv_credential_helper_get(const char *helper, const char *server, struct cv_credentials *out);

/* The file `containerv login` writes: auth_file, else $REGISTRY_AUTH_FILE, else ~/.config/containerv/auth.json. */
int cv_authfile_login_path(const char *auth_file, char **path);
/* Stores (password != NULL) or removes (password == NULL) registry's entry, atomically, mode 0600. */
int cv_authfile_store(const char *path, const char *registry, const char *username, const char *password);
/* 1 when there was an entry and it was removed, 0 when there was none, -1 on error. */
int cv_authfile_remove(const char *path, const char *registry);

#endif
