/*
 * Internal: a client of one registry speaking the OCI distribution API v2
 * (CNCF distribution, Docker Hub, and the like).
 *
 * cv_registry_open() pings /v2/ once: that decides the scheme (https, or
 * plain http when TLS verification is off) and the auth scheme from the
 * WWW-Authenticate challenge. Every request then carries basic credentials
 * or a bearer token for its scopes; a 401 on the way re-authenticates once.
 * Redirects are followed by hand and never carry the registry's credentials
 * to another origin. Every answer is hostile: bodies are capped, digests and
 * sizes verified.
 */
#ifndef CV_IMAGE_REGISTRY_H
#define CV_IMAGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "image/auth.h"
#include "image/http.h"

/* Docker's limit: a manifest or index larger than this is refused. */
#define CV_MANIFEST_MAX (4 * 1024 * 1024)

/* The same as image/store.h's (which may be included too). */
#ifndef CV_MEDIA_OCI_MANIFEST
#define CV_MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define CV_MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define CV_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define CV_MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#endif

struct cv_registry_options {
	bool tls_verify;      /* false: no certificate check, and plain http is allowed */
	const char *cert_dir; /* *.crt files to trust; NULL: /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST */
	const char *username; /* with password: overrides the auth files */
	const char *password;
	const char *auth_file; /* NULL: the usual auth files (auth.h) */
	long timeout;          /* seconds; 0: $CONTAINERV_REGISTRY_TIMEOUT or 30 */
};

struct cv_registry {
	char *name;     /* as in references: "docker.io", "127.0.0.1:5000" */
	char base[600]; /* "https://registry-1.docker.io" */
	struct cv_tls_config tls;
	struct cv_credentials credentials;
	struct cv_auth_challenge challenge;
	char *token_scopes; /* the scopes the cached token is for */
	char *token;
};

struct cv_registry_manifest {
	char *body;
	size_t length;
	char media_type[128];
	char digest[72];
};

int cv_registry_open(const char *name, const struct cv_registry_options *options, struct cv_registry **out);
void cv_registry_free(struct cv_registry *registry);

/* NULL-ended scope lists for a repository: "repository:REPO:pull" (push adds ",push"). */
int cv_registry_scopes(const char *repository, bool push, const char *mount_from, char ***scopes);

/* Fresh token for scopes after a 401 (or first use); challenge_header may be NULL. */
int cv_registry_authenticate(struct cv_registry *registry, char *const *scopes, bool force);
/* The Authorization header line for scopes, or NULL for none (fresh string in *header). */
int cv_registry_authorization(struct cv_registry *registry, char *const *scopes, char **header);

/*
 * One request to url (absolute) with the registry's auth for scopes and extra
 * header lines (may be NULL); setup (may be NULL) adjusts the transfer before
 * each send (body sinks, uploads). Re-authenticates once on 401 and follows
 * redirects (without credentials to another origin). Returns 0 when an HTTP
 * answer came (any status: the caller judges it), -1 on transport errors.
 * The caller clears t.
 */
typedef int (*cv_registry_setup_fn)(struct cv_http_transfer *t, void *user);
int cv_registry_send(struct cv_registry *registry, struct cv_http_transfer *t, const char *method, const char *url,
                     char *const *scopes, const char *const *headers, size_t body_max, cv_registry_setup_fn setup,
                     void *user, const char *what);

/* The error for an unexpected status, with a hint for 401 (credentials wrong or missing). -1. */
int cv_registry_status_error(const struct cv_registry *registry, const struct cv_http_transfer *t, const char *what);

/*
 * GET /v2/REPO/manifests/REFERENCE with every manifest media type in Accept.
 * Checks the size cap, and the digest when reference is one (or the
 * registry's Docker-Content-Digest). The media type is the answer's
 * Content-Type. 0 or -1 ("registry R: manifest REPO:REF: 404 not found (...)").
 */
int cv_registry_get_manifest(struct cv_registry *registry, const char *repository, const char *reference,
                             struct cv_registry_manifest *out);
void cv_registry_manifest_clear(struct cv_registry_manifest *manifest);

/* A small blob (a config) into memory, verified against digest and size. */
int cv_registry_get_blob(struct cv_registry *registry, const char *repository, const char *digest, uint64_t size,
                         size_t max, char **data);

/* One blob download of cv_registry_fetch_blobs(). */
struct cv_blob_fetch {
	const char *digest;
	uint64_t size;
	int fd; /* the partial file, opened O_APPEND; offset bytes already in it */
	uint64_t offset;
	void *user; /* the caller's */

	uint64_t received; /* bytes in fd now, offset included */
	bool done;
	bool corrupt; /* digest or size mismatch: the partial is bad, drop it */
	bool failed;
	struct cv_error_saved failure; /* why it failed: each fetch keeps its own first error */
};
typedef void (*cv_blob_progress_fn)(struct cv_blob_fetch *fetch, void *user);

/*
 * Downloads blobs in parallel (at most max_parallel at once, libcurl multi),
 * each appended to its fd after the resumed prefix (Range), hashed (the
 * prefix included) and counted while it streams. A cut connection resumes
 * where it stopped, twice at most. done (may be NULL) is called as soon as
 * one is complete and verified, while the others go on. 0 when all are complete and verified,
 * else -1 with the first failure as the last error (each fetch has its own).
 */
int cv_registry_fetch_blobs(struct cv_registry *registry, const char *repository, struct cv_blob_fetch *fetches,
                            size_t count, unsigned max_parallel, cv_blob_progress_fn progress, cv_blob_progress_fn done,
                            void *user);

/* HEAD of a blob: 1 present (its size in *size if not NULL), 0 absent, -1 error. */
int cv_registry_blob_exists(struct cv_registry *registry, const char *repository, const char *digest, uint64_t *size);
/*
 * Uploads size bytes of fd as blob digest: a cross-repository mount from
 * mount_from first when not NULL, then monolithic (chunk_size 0 or >= size)
 * or chunked PATCHes of chunk_size bytes. on_data reports bytes sent.
 * 1 when mounted, 0 when uploaded, -1 on error.
 */
int cv_registry_upload_blob(struct cv_registry *registry, const char *repository, const char *digest, int fd,
                            uint64_t size, const char *mount_from, uint64_t chunk_size,
                            void (*on_data)(uint64_t sent, void *user), void *user);
int cv_registry_put_manifest(struct cv_registry *registry, const char *repository, const char *reference,
                             const char *media_type, const char *body, size_t length);

/* The public options' registry part (tls, certificates, credentials). */
struct containerv_registry_options;
void cv_pull_registry_options(const struct containerv_registry_options *options, struct cv_registry_options *out);

/* Tags of a repository / repositories of the registry (NULL-ended lists). */
int cv_registry_list_tags(struct cv_registry *registry, const char *repository, char ***tags);
int cv_registry_catalog(struct cv_registry *registry, char ***repositories);

#endif
