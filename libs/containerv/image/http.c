#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/http.h"

#define USER_AGENT "containerv/" CONTAINERV_VERSION_STRING

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_result;

static void global_init(void)
{
	global_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int cv_http_global_init(void)
{
	pthread_once(&global_once, global_init);
	if (global_result != CURLE_OK)
		return cv_error_errno(EIO, "libcurl: %s", curl_easy_strerror(global_result));
	return 0;
}

static void set_header(char **field, const char *value, size_t length)
{
	free(*field);
	*field = strndup(value, length);
}

/* Header lines arrive one by one, with their CRLF; a status line starts a new response. */
static size_t header_callback(char *data, size_t size, size_t count, void *user)
{
	struct cv_http_transfer *t = user;
	size_t length = size * count, name_length;
	const char *colon, *value, *end = data + length;

	if (length >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		cv_http_transfer_reset_response(t);
		return length;
	}
	colon = memchr(data, ':', length);
	if (colon == NULL)
		return length;
	name_length = (size_t)(colon - data);
	value = colon + 1;
	while (value < end && (*value == ' ' || *value == '\t'))
		value++;
	while (end > value && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
#define IS(name) (name_length == strlen(name) && strncasecmp(data, name, name_length) == 0)
	if (IS("Content-Type"))
		set_header(&t->content_type, value, (size_t)(end - value));
	else if (IS("Docker-Content-Digest"))
		set_header(&t->docker_digest, value, (size_t)(end - value));
	else if (IS("Location"))
		set_header(&t->location, value, (size_t)(end - value));
	else if (IS("Retry-After"))
		set_header(&t->retry_after, value, (size_t)(end - value));
	else if (IS("Content-Length")) {
		char *number = strndup(value, (size_t)(end - value));
		char *rest;
		long long parsed = number ? strtoll(number, &rest, 10) : -1;
		t->content_length = (number && rest != number && *rest == '\0' && parsed >= 0) ? parsed : -1;
		free(number);
	} else if (IS("WWW-Authenticate")) {
		bool bearer = (size_t)(end - value) >= 7 && strncasecmp(value, "Bearer ", 7) == 0;
		if (t->authenticate == NULL || (bearer && strncasecmp(t->authenticate, "Bearer ", 7) != 0))
			set_header(&t->authenticate, value, (size_t)(end - value));
	}
#undef IS
	return length;
}

static bool status_is_success(long status)
{
	return status >= 200 && status < 300;
}

static size_t to_memory(struct cv_http_transfer *t, const char *data, size_t length)
{
	if (length > t->body_max - t->body_length) {
		t->body_too_large = true;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	char *grown = realloc(t->body, t->body_length + length + 1);
	if (grown == NULL) {
		t->write_errno = ENOMEM;
		return 0;
	}
	t->body = grown;
	memcpy(t->body + t->body_length, data, length);
	t->body_length += length;
	t->body[t->body_length] = '\0';
	return length;
}

/* The server ignored our Range and sends the whole blob: start the file and the hash again. */
static int restart_file(struct cv_http_transfer *t)
{
	if (ftruncate(t->fd, 0) < 0) {
		t->write_errno = errno;
		return -1;
	}
	t->written = 0;
	t->resume_from = 0;
	if (t->digester != NULL) {
		cv_digester_free(t->digester);
		t->digester = NULL;
		if (cv_digester_new(&t->digester) < 0) {
			t->write_errno = ENOMEM;
			return -1;
		}
	}
	return 0;
}

static size_t body_callback(char *data, size_t size, size_t count, void *user)
{
	struct cv_http_transfer *t = user;
	size_t length = size * count;

	if (t->fd < 0 || !status_is_success(t->status))
		return to_memory(t, data, length);
	if (!t->body_started) {
		t->body_started = true;
		if (t->resume_from > 0 && t->status != 206 && restart_file(t) < 0)
			return 0;
	}
	if (length > t->limit - t->written) {
		t->too_long = true;
		return 0;
	}
	if (t->digester != NULL && cv_digester_update(t->digester, data, length) < 0) {
		t->write_errno = EIO;
		return 0;
	}
	if (cv_write_all(t->fd, data, length) < 0) {
		t->write_errno = errno;
		return 0;
	}
	t->written += length;
	if (t->on_data != NULL)
		t->on_data(t, t->user);
	return length;
}

static size_t read_callback(char *buffer, size_t size, size_t count, void *user)
{
	struct cv_http_transfer *t = user;
	size_t want = size * count;
	uint64_t left = t->upload_length - t->uploaded;

	if (want > left)
		want = (size_t)left;
	if (want == 0)
		return 0;
	if (t->upload_data != NULL) {
		memcpy(buffer, t->upload_data + t->uploaded, want);
	} else {
		ssize_t got;
		do
			got = pread(t->upload_fd, buffer, want, (off_t)(t->upload_offset + t->uploaded));
		while (got < 0 && errno == EINTR);
		if (got <= 0) {
			t->write_errno = got < 0 ? errno : EIO;
			return CURL_READFUNC_ABORT;
		}
		want = (size_t)got;
	}
	t->uploaded += want;
	if (t->on_data != NULL)
		t->on_data(t, t->user);
	return want;
}

void cv_http_transfer_reset_response(struct cv_http_transfer *t)
{
	t->status = 0;
	free(t->content_type);
	free(t->docker_digest);
	free(t->location);
	free(t->authenticate);
	free(t->retry_after);
	free(t->body);
	t->content_type = t->docker_digest = t->location = t->authenticate = t->retry_after = t->body = NULL;
	t->content_length = -1;
	t->body_length = 0;
	t->body_too_large = false;
	t->body_started = false;
}

/* The status of the response whose headers are arriving. */
static size_t header_status_callback(char *data, size_t size, size_t count, void *user)
{
	struct cv_http_transfer *t = user;
	size_t length = header_callback(data, size, count, user);
	if (t->status == 0 && size * count >= 12 && strncmp(data, "HTTP/", 5) == 0) {
		const char *space = memchr(data, ' ', size * count);
		if (space != NULL)
			t->status = strtol(space + 1, NULL, 10);
	}
	return length;
}

int cv_http_transfer_init(struct cv_http_transfer *t, const struct cv_tls_config *tls, const char *method,
                          const char *url, struct curl_slist *headers, size_t body_max)
{
	memset(t, 0, sizeof *t);
	t->fd = -1;
	t->upload_fd = -1;
	t->content_length = -1;
	t->headers = headers;
	t->body_max = body_max;
	t->timeout = tls->timeout;
	if (strlen(url) >= sizeof t->url) {
		curl_slist_free_all(headers);
		t->headers = NULL;
		return cv_error_errno(ENAMETOOLONG, "URL too long");
	}
	strcpy(t->url, url);
	if (cv_http_global_init() < 0)
		return -1;
	t->curl = curl_easy_init();
	if (t->curl == NULL)
		return cv_error_errno(ENOMEM, "curl_easy_init");

	CURL *c = t->curl;
	curl_easy_setopt(c, CURLOPT_URL, t->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->curl_error);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* we follow, without credentials */
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_status_callback);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_callback);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, tls->timeout);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, tls->timeout);
	curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, tls->verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, tls->verify ? 2L : 0L);
	if (tls->ca_bundle != NULL) {
		struct curl_blob blob = {.data = tls->ca_bundle, .len = tls->ca_length, .flags = CURL_BLOB_COPY};
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (headers != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	if (tls->share != NULL)
		curl_easy_setopt(c, CURLOPT_SHARE, tls->share);

	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0 || strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, read_callback);
		curl_easy_setopt(c, CURLOPT_READDATA, t);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
		if (strcmp(method, "PUT") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	return 0;
}

void cv_http_transfer_clear(struct cv_http_transfer *t)
{
	if (t->curl != NULL) {
		cv_http_transfer_reset_response(t);
		curl_easy_cleanup(t->curl);
	}
	curl_slist_free_all(t->headers);
	t->curl = NULL;
	t->headers = NULL;
}

/* The public code of a transfer that libcurl failed; errno alone cannot tell TLS from the network. */
static enum containerv_error_code curl_error_code(CURLcode code, int err)
{
	switch (code) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return CONTAINERV_E_TLS;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return CONTAINERV_E_NETWORK;
	default:
		return cv_error_code_from_errno(err);
	}
}

bool cv_http_certificate_failed(const struct cv_http_transfer *t)
{
	return t->result == CURLE_PEER_FAILED_VERIFICATION || t->result == CURLE_SSL_CACERT_BADFILE ||
	       t->result == CURLE_SSL_ISSUER_ERROR || t->result == CURLE_SSL_INVALIDCERTSTATUS;
}

bool cv_http_peer_is_not_tls(const struct cv_http_transfer *t)
{
	/*
	 * libcurl has one code for every failed handshake; only the TLS library's own text
	 * (OpenSSL's SSL_R_WRONG_VERSION_NUMBER) tells a server that answered in plain http.
	 */
	return t->result == CURLE_SSL_CONNECT_ERROR && strstr(t->curl_error, "wrong version number") != NULL;
}

int cv_http_check_result(struct cv_http_transfer *t, CURLcode code, const char *what)
{
	t->result = code;
	if (code == CURLE_OK)
		return 0;
	if (t->body_too_large)
		return cv_error_errno(EFBIG, "%s: answer larger than %zu bytes", what, t->body_max);
	if (t->too_long)
		return cv_error_errno(EBADMSG, "%s: more data than its size of %llu bytes", what,
		                      (unsigned long long)t->limit);
	if (t->write_errno != 0)
		return cv_error_errno(t->write_errno, "%s: writing: %s", what, strerrordesc_np(t->write_errno));
	int err = EIO;
	if (code == CURLE_OPERATION_TIMEDOUT)
		return cv_error_errno(ETIMEDOUT, "%s: timed out (no data for %ld s)", what, t->timeout);
	else if (code == CURLE_COULDNT_CONNECT)
		err = ECONNREFUSED;
	else if (code == CURLE_COULDNT_RESOLVE_HOST)
		err = EHOSTUNREACH;
	return cv_error_code(curl_error_code(code, err), err, "%s: %s", what,
	                     t->curl_error[0] ? t->curl_error : curl_easy_strerror(code));
}

int cv_http_perform(struct cv_http_transfer *t, const char *what)
{
	t->curl_error[0] = '\0';
	return cv_http_check_result(t, curl_easy_perform(t->curl), what);
}

int cv_http_resolve(const char *base, const char *location, char *out, size_t size)
{
	CURLU *url = curl_url();
	char *full = NULL, *scheme = NULL;
	int result = -1;

	if (url == NULL)
		return cv_error_errno(ENOMEM, "curl_url");
	if (curl_url_set(url, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(url, CURLUPART_URL, location, 0) != CURLUE_OK ||
	    curl_url_get(url, CURLUPART_URL, &full, 0) != CURLUE_OK ||
	    curl_url_get(url, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		cv_error_errno(EBADMSG, "bad Location \"%.100s\"", location);
	} else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		cv_error_errno(EBADMSG, "Location \"%.100s\" is not http or https", location);
	} else if (strlen(full) >= size) {
		cv_error_errno(ENAMETOOLONG, "Location too long");
	} else {
		strcpy(out, full);
		result = 0;
	}
	curl_free(full);
	curl_free(scheme);
	curl_url_cleanup(url);
	return result;
}

static char *origin_of(const char *text)
{
	CURLU *url = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *origin = NULL;

	if (url != NULL && curl_url_set(url, CURLUPART_URL, text, 0) == CURLUE_OK &&
	    curl_url_get(url, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(url, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(url, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		if (asprintf(&origin, "%s://%s:%s", scheme, host, port) < 0)
			origin = NULL;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(url);
	return origin;
}

bool cv_http_same_origin(const char *a, const char *b)
{
	cleanup_free char *origin_a = origin_of(a);
	cleanup_free char *origin_b = origin_of(b);
	return origin_a != NULL && origin_b != NULL && strcasecmp(origin_a, origin_b) == 0;
}

/* Printable, one line, bounded: registry text goes into our error messages. */
static void sanitize(char *text)
{
	for (; *text; text++)
		if (!isprint((unsigned char)*text))
			*text = ' ';
}

const char *cv_http_error_detail(const struct cv_http_transfer *t, char *buffer, size_t size)
{
	json_t *root, *errors, *first;
	const char *code, *message;

	buffer[0] = '\0';
	if (t->body == NULL || t->body_length == 0)
		return buffer;
	root = json_loadb(t->body, t->body_length, 0, NULL);
	errors = root ? json_object_get(root, "errors") : NULL;
	first = json_is_array(errors) ? json_array_get(errors, 0) : NULL;
	if (json_is_object(first)) {
		code = json_string_value(json_object_get(first, "code"));
		message = json_string_value(json_object_get(first, "message"));
		snprintf(buffer, size, "%.64s%s%.200s", code ? code : "", code && message ? ": " : "",
		         message ? message : "");
		sanitize(buffer);
	}
	json_decref(root);
	return buffer;
}

static const char *status_text(long status)
{
	switch (status) {
	case 400:
		return "bad request";
	case 401:
		return "unauthorized";
	case 403:
		return "denied";
	case 404:
		return "not found";
	case 405:
		return "method not allowed";
	case 416:
		return "range not satisfiable";
	case 429:
		return "too many requests";
	case 500:
		return "internal server error";
	case 502:
		return "bad gateway";
	case 503:
		return "service unavailable";
	case 504:
		return "gateway timeout";
	default:
		return "unexpected status";
	}
}

int cv_http_status_error(const struct cv_http_transfer *t, const char *what)
{
	char detail[300];
	int err = EIO;

	if (t->status == 401 || t->status == 403)
		err = EACCES;
	else if (t->status == 404)
		err = ENOENT;
	else if (t->status == 429)
		err = EAGAIN;
	cv_http_error_detail(t, detail, sizeof detail);
	if (t->status == 429 && t->retry_after != NULL && detail[0] == '\0') {
		snprintf(detail, sizeof detail, "retry after %.32s", t->retry_after);
		sanitize(detail);
	}
	/* A registry's 401 and 403 refuse the credentials (or their absence), not this host's permissions. */
	return cv_error_code(err == EACCES ? CONTAINERV_E_AUTH : cv_error_code_from_errno(err), err, "%s: %ld %s%s%s%s",
	                     what, t->status, status_text(t->status), detail[0] ? " (" : "", detail,
	                     detail[0] ? ")" : "");
}
