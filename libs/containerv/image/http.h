/*
 * Internal: HTTP transfers over libcurl for the registry client.
 *
 * One struct cv_http_transfer is one request and its response: the headers
 * the distribution API needs are captured, the body goes to memory (with a
 * cap: every answer is hostile) or, for blobs, to a file descriptor while it
 * is hashed and counted. Redirects are never followed by curl: the caller
 * follows them itself so that it can drop the registry's credentials
 * (cv_http_resolve()). The same transfer works with curl_easy_perform() and
 * inside a curl multi handle.
 */
#ifndef CV_IMAGE_HTTP_H
#define CV_IMAGE_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cv_digester;

/* How TLS is checked for one registry. */
struct cv_tls_config {
	bool verify;     /* false: no certificate or host name check (--tls-verify=false) */
	char *ca_bundle; /* PEM certificates to trust instead of the system's (certs.d), or NULL */
	size_t ca_length;
	long timeout;  /* seconds without progress (and to connect) before a transfer fails */
	CURLSH *share; /* connections, DNS and TLS sessions shared by one registry's transfers, or NULL */
};

struct cv_http_transfer {
	CURL *curl;
	struct curl_slist *headers;
	char url[4096];
	char curl_error[CURL_ERROR_SIZE];
	CURLcode result; /* of the last cv_http_check_result(): which way the transfer failed */
	long timeout;    /* seconds, for the error text */

	/* Response (reset for every response head, so a 100 Continue does not count). */
	long status;
	char *content_type;
	char *docker_digest; /* Docker-Content-Digest */
	char *location;
	char *authenticate; /* WWW-Authenticate: the first Bearer challenge, else the first one */
	char *retry_after;
	int64_t content_length; /* -1 when not sent */

	/* Body in memory: always for answers that are not 2xx, and for 2xx when fd < 0. */
	char *body;
	size_t body_length;
	size_t body_max;
	bool body_too_large;

	/* Body to a file (2xx answers only), hashed with digester (may be NULL). */
	int fd;
	struct cv_digester *digester;
	uint64_t resume_from; /* bytes already in fd (and in digester) before this request */
	uint64_t written;     /* bytes in fd, the resumed prefix included */
	uint64_t limit;       /* more than this in fd is an error (the descriptor's size) */
	bool too_long;
	int write_errno;
	bool body_started;

	/* Upload: from memory, or from fd_in at an offset. */
	const char *upload_data;
	int upload_fd;
	uint64_t upload_offset;
	uint64_t upload_length;
	uint64_t uploaded;

	/* Called after each chunk written to fd, for progress. */
	void (*on_data)(struct cv_http_transfer *transfer, void *user);
	void *user;
};

/* curl_global_init once per process. */
int cv_http_global_init(void);

/*
 * Prepares t for method (GET, HEAD, PUT, POST, PATCH, DELETE) on url with
 * extra headers (may be NULL; ownership moves to t). The body goes to memory
 * up to body_max bytes unless t->fd is set afterwards. 0 or -1.
 */
int cv_http_transfer_init(struct cv_http_transfer *t, const struct cv_tls_config *tls, const char *method,
                          const char *url, struct curl_slist *headers, size_t body_max);
/* Frees what t holds (never the caller's fd); t can be initialized again. */
void cv_http_transfer_clear(struct cv_http_transfer *t);
/* Drops the captured response so the same handle can be sent again. */
void cv_http_transfer_reset_response(struct cv_http_transfer *t);

/* curl_easy_perform; a curl failure (connection, TLS, timeout) becomes the last error naming what. */
int cv_http_perform(struct cv_http_transfer *t, const char *what);
/* After a multi transfer ended with code: the same error text as cv_http_perform(). */
int cv_http_check_result(struct cv_http_transfer *t, CURLcode code, const char *what);

/*
 * Whether the last transfer failed because the server does not speak TLS
 * at all (a plain http server answers a ClientHello with garbage).
 */
bool cv_http_peer_is_not_tls(const struct cv_http_transfer *t);

/* Whether the last transfer failed because the server's certificate was not trusted or not valid. */
bool cv_http_certificate_failed(const struct cv_http_transfer *t);

/* Resolves a Location against base into out (absolute http/https URLs only). 0 or -1. */
int cv_http_resolve(const char *base, const char *location, char *out, size_t size);
/* Same scheme, host and port? (Credentials go only to the origin they are for.) */
bool cv_http_same_origin(const char *a, const char *b);

/* The registry's error text from a JSON body ({"errors":[{"code","message"}]}), or "" ; never NULL. */
const char *cv_http_error_detail(const struct cv_http_transfer *t, char *buffer, size_t size);
/*
 * Records the error for an unexpected status: "<what>: 404 not found (MANIFEST_UNKNOWN: ...)";
 * errno from the status (EACCES for 401/403, ENOENT for 404, EAGAIN for 429, EIO otherwise). -1.
 */
int cv_http_status_error(const struct cv_http_transfer *t, const char *what);

#endif
