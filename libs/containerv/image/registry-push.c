/*
 * Push side of the registry client: HEAD to skip blobs the registry has,
 * cross-repository mounts, monolithic and chunked uploads, manifests.
 *
 * distribution 2.8 quirks handled here: the upload Location may be absolute
 * and already carry a query (the digest is appended with '&'); PATCH takes
 * "Content-Range: start-end" without a unit; every answer carries the next
 * Location to use.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/registry.h"

#define ANSWER_MAX (64 * 1024)

struct upload {
	const char *data;
	int fd;
	uint64_t offset;
	uint64_t length;
	uint64_t base; /* bytes of the blob sent before this request */
	void (*on_data)(uint64_t sent, void *user);
	void *user;
};

static void upload_progress(struct cv_http_transfer *t, void *user)
{
	struct upload *upload = user;
	if (upload->on_data != NULL)
		upload->on_data(upload->base + t->uploaded, upload->user);
}

static int upload_setup(struct cv_http_transfer *t, void *user)
{
	struct upload *upload = user;
	t->upload_data = upload->data;
	t->upload_fd = upload->fd;
	t->upload_offset = upload->offset;
	t->upload_length = upload->length;
	t->uploaded = 0;
	t->on_data = upload_progress;
	t->user = upload;
	curl_easy_setopt(t->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)upload->length);
	return 0;
}

int cv_registry_blob_exists(struct cv_registry *registry, const char *repository, const char *digest, uint64_t *size)
{
	cleanup_strv char **scopes = NULL;
	struct cv_http_transfer t;
	char url[2048], what[600];
	int result = -1;

	snprintf(what, sizeof what, "registry %s: blob %s of %s", registry->name, digest, repository);
	snprintf(url, sizeof url, "%s/v2/%s/blobs/%s", registry->base, repository, digest);
	if (cv_registry_scopes(repository, true, NULL, &scopes) < 0)
		return -1;
	if (cv_registry_send(registry, &t, "HEAD", url, scopes, NULL, ANSWER_MAX, NULL, NULL, what) == 0) {
		if (t.status == 200) {
			if (size != NULL)
				*size = t.content_length >= 0 ? (uint64_t)t.content_length : 0;
			result = 1;
		} else if (t.status == 404) {
			result = 0;
		} else {
			cv_registry_status_error(registry, &t, what);
		}
	}
	cv_http_transfer_clear(&t);
	return result;
}

/* The next upload URL from an answer's Location: resolved, and on the registry's own origin. */
static int next_location(struct cv_registry *registry, const struct cv_http_transfer *t, const char *what, char *out,
                         size_t size)
{
	if (t->location == NULL)
		return cv_error_errno(EBADMSG, "%s: upload answer without a Location", what);
	if (cv_http_resolve(t->url, t->location, out, size) < 0)
		return cv_error_prefix("%s", what);
	/* Our credentials go with every upload request: never to another origin. */
	if (!cv_http_same_origin(out, registry->base))
		return cv_error_errno(EBADMSG, "%s: upload Location on another host (%.100s)", what, out);
	return 0;
}

static int append_digest(char *url, size_t size, const char *digest, const char *what)
{
	size_t length = strlen(url);
	/* "sha256:<hex>" with the colon escaped. */
	if (snprintf(url + length, size - length, "%cdigest=sha256%%3A%s", strchr(url, '?') ? '&' : '?',
	             cv_digest_hex(digest)) >= (int)(size - length))
		return cv_error_errno(ENAMETOOLONG, "%s: upload URL too long", what);
	return 0;
}

/* POST to start an upload (or mount): 1 when the mount made it, 0 with the upload URL in location. */
static int start_upload(struct cv_registry *registry, const char *repository, const char *digest,
                        const char *mount_from, char *const *scopes, const char *what, char *location, size_t size)
{
	struct cv_http_transfer t;
	struct upload empty = {.fd = -1};
	const char *const headers[] = {"Content-Type: application/octet-stream", NULL};
	char url[2048];
	int result = -1;

	if (mount_from != NULL)
		snprintf(url, sizeof url, "%s/v2/%s/blobs/uploads/?mount=sha256%%3A%s&from=%s", registry->base,
		         repository, cv_digest_hex(digest), mount_from);
	else
		snprintf(url, sizeof url, "%s/v2/%s/blobs/uploads/", registry->base, repository);
	if (cv_registry_send(registry, &t, "POST", url, scopes, headers, ANSWER_MAX, upload_setup, &empty, what) < 0)
		goto out;
	if (t.status == 201 && mount_from != NULL) {
		result = 1;
	} else if (t.status == 202) {
		result = next_location(registry, &t, what, location, size);
	} else {
		cv_registry_status_error(registry, &t, what);
	}
out:
	cv_http_transfer_clear(&t);
	return result;
}

static int send_chunk(struct cv_registry *registry, const char *method, char *url, size_t url_size,
                      struct upload *upload, char *const *scopes, const char *what, long expected)
{
	struct cv_http_transfer t;
	char range[96];
	const char *headers[] = {"Content-Type: application/octet-stream", "Expect:", NULL, NULL};
	int result = -1;

	if (strcmp(method, "PATCH") == 0) {
		/* distribution wants "start-end", inclusive, without "bytes ". */
		snprintf(range, sizeof range, "Content-Range: %llu-%llu", (unsigned long long)upload->base,
		         (unsigned long long)(upload->base + upload->length - 1));
		headers[2] = range;
	}
	if (cv_registry_send(registry, &t, method, url, scopes, headers, ANSWER_MAX, upload_setup, upload, what) < 0)
		goto out;
	if (t.status != expected) {
		cv_registry_status_error(registry, &t, what);
		goto out;
	}
	result = 0;
	if (expected == 202)
		result = next_location(registry, &t, what, url, url_size);
out:
	cv_http_transfer_clear(&t);
	return result;
}

int cv_registry_upload_blob(struct cv_registry *registry, const char *repository, const char *digest, int fd,
                            uint64_t size, const char *mount_from, uint64_t chunk_size,
                            void (*on_data)(uint64_t sent, void *user), void *user)
{
	cleanup_strv char **scopes = NULL;
	char location[4096], what[600];
	struct upload upload = {.fd = fd, .on_data = on_data, .user = user};
	int started;

	snprintf(what, sizeof what, "registry %s: upload of blob %s to %s", registry->name, digest, repository);
	if (cv_registry_scopes(repository, true, mount_from, &scopes) < 0)
		return -1;
	started = start_upload(registry, repository, digest, mount_from, scopes, what, location, sizeof location);
	if (started != 0)
		return started; /* mounted (1) or failed */

	if (chunk_size == 0 || chunk_size >= size) {
		upload.length = size;
		if (append_digest(location, sizeof location, digest, what) < 0)
			return -1;
		return send_chunk(registry, "PUT", location, sizeof location, &upload, scopes, what, 201);
	}
	for (uint64_t done = 0; done < size; done += upload.length) {
		upload.base = upload.offset = done;
		upload.length = size - done < chunk_size ? size - done : chunk_size;
		if (send_chunk(registry, "PATCH", location, sizeof location, &upload, scopes, what, 202) < 0)
			return -1;
	}
	struct upload finish = {.fd = -1, .data = "", .length = 0};
	if (append_digest(location, sizeof location, digest, what) < 0)
		return -1;
	return send_chunk(registry, "PUT", location, sizeof location, &finish, scopes, what, 201);
}

int cv_registry_put_manifest(struct cv_registry *registry, const char *repository, const char *reference,
                             const char *media_type, const char *body, size_t length)
{
	cleanup_strv char **scopes = NULL;
	cleanup_free char *content_type = NULL;
	struct upload upload = {.data = body, .fd = -1, .length = length};
	struct cv_http_transfer t;
	char url[2048], what[600], digest[72];
	int result = -1;

	snprintf(what, sizeof what, "registry %s: manifest %s%s%s", registry->name, repository,
	         cv_digest_is_valid(reference) ? "@" : ":", reference);
	snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", registry->base, repository, reference);
	if (cv_digest_buffer(body, length, digest) < 0 || cv_registry_scopes(repository, true, NULL, &scopes) < 0 ||
	    cv_asprintf(&content_type, "Content-Type: %s", media_type) < 0)
		return -1;
	const char *const headers[] = {content_type, "Expect:", NULL};
	if (cv_registry_send(registry, &t, "PUT", url, scopes, headers, ANSWER_MAX, upload_setup, &upload, what) < 0)
		goto out;
	if (t.status != 201) {
		cv_registry_status_error(registry, &t, what);
		goto out;
	}
	if (t.docker_digest != NULL && strcmp(t.docker_digest, digest) != 0) {
		cv_error_errno(EBADMSG, "%s: the registry stored %.80s, we sent %s", what, t.docker_digest, digest);
		goto out;
	}
	result = 0;
out:
	cv_http_transfer_clear(&t);
	return result;
}
