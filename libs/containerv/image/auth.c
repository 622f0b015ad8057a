#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/util.h"
#include "image/auth.h"

/* Bounds on hostile input. */
#define CHALLENGE_MAX 4096
#define TOKEN_ANSWER_MAX (1024 * 1024)
#define TOKEN_MAX (64 * 1024)

void cv_auth_challenge_clear(struct cv_auth_challenge *challenge)
{
	free(challenge->realm);
	free(challenge->service);
	free(challenge->scope);
	memset(challenge, 0, sizeof *challenge);
}

void cv_credentials_clear(struct cv_credentials *credentials)
{
	if (credentials->password != NULL)
		explicit_bzero(credentials->password, strlen(credentials->password));
	free(credentials->username);
	free(credentials->password);
	credentials->username = credentials->password = NULL;
}

static bool is_token_char(char c)
{
	/* (strchr finds the terminator too: NUL must not count.) */
	return c != '\0' && (isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* One auth-param value: a token or a quoted string with backslash escapes. */
static int parse_value(const char **cursor, char **out)
{
	const char *p = *cursor;
	size_t length = 0;
	char *value = malloc(strlen(p) + 1);

	if (value == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\0') {
				free(value);
				return cv_error_errno(EBADMSG, "unterminated quoted string");
			}
			if (*p == '\\' && p[1] != '\0')
				p++;
			if ((unsigned char)*p < 0x20) {
				free(value);
				return cv_error_errno(EBADMSG, "control character in a quoted string");
			}
			value[length++] = *p;
		}
		p++;
	} else {
		while (is_token_char(*p) || *p == '/' || *p == ':' || *p == '=')
			value[length++] = *p++;
	}
	value[length] = '\0';
	*cursor = p;
	*out = value;
	return 0;
}

int cv_auth_challenge_parse(const char *header, struct cv_auth_challenge *out)
{
	const char *p = header;

	memset(out, 0, sizeof *out);
	if (strlen(header) > CHALLENGE_MAX)
		return cv_error_errno(EBADMSG, "WWW-Authenticate header too long");
	if (strncasecmp(p, "Bearer", 6) == 0 && (p[6] == ' ' || p[6] == '\0')) {
		out->scheme = CV_AUTH_BEARER;
		p += 6;
	} else if (strncasecmp(p, "Basic", 5) == 0 && (p[5] == ' ' || p[5] == '\0')) {
		out->scheme = CV_AUTH_BASIC;
		p += 5;
	} else {
		return cv_error_errno(ENOTSUP, "unsupported authentication scheme in \"%.40s\"", header);
	}
	for (;;) {
		char name[32];
		size_t length = 0;
		char *value = NULL;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		while (is_token_char(*p)) {
			if (length + 1 >= sizeof name) {
				cv_auth_challenge_clear(out);
				return cv_error_errno(EBADMSG, "malformed WWW-Authenticate header");
			}
			name[length++] = *p++;
		}
		name[length] = '\0';
		if (length == 0 || *p != '=') {
			cv_auth_challenge_clear(out);
			return cv_error_errno(EBADMSG, "malformed WWW-Authenticate header");
		}
		p++;
		if (parse_value(&p, &value) < 0) {
			cv_auth_challenge_clear(out);
			return cv_error_prefix("malformed WWW-Authenticate header");
		}
		char **slot = strcasecmp(name, "realm") == 0     ? &out->realm
		              : strcasecmp(name, "service") == 0 ? &out->service
		              : strcasecmp(name, "scope") == 0   ? &out->scope
		                                                 : NULL;
		if (slot != NULL && *slot == NULL)
			*slot = value;
		else
			free(value);
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ',' && *p != '\0') {
			cv_auth_challenge_clear(out);
			return cv_error_errno(EBADMSG, "malformed WWW-Authenticate header");
		}
	}
	if (out->scheme == CV_AUTH_BEARER && (out->realm == NULL || out->realm[0] == '\0')) {
		cv_auth_challenge_clear(out);
		return cv_error_errno(EBADMSG, "bearer challenge without a realm");
	}
	return 0;
}

int cv_base64_encode(const void *data, size_t length, char **out)
{
	char *text = malloc(4 * ((length + 2) / 3) + 1);
	if (text == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	EVP_EncodeBlock((unsigned char *)text, data, (int)length);
	*out = text;
	return 0;
}

int cv_base64_decode(const char *text, char **out, size_t *length)
{
	size_t text_length = strlen(text);
	if (text_length % 4 != 0 || text_length > 1024 * 1024)
		return cv_error_errno(EBADMSG, "invalid base64");
	unsigned char *data = malloc(text_length / 4 * 3 + 1);
	if (data == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	int decoded = EVP_DecodeBlock(data, (const unsigned char *)text, (int)text_length);
	if (decoded < 0) {
		free(data);
		return cv_error_errno(EBADMSG, "invalid base64");
	}
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	for (size_t i = text_length; i > 0 && text[i - 1] == '=' && decoded > 0; i--)
		decoded--;
	data[decoded] = '\0';
	*out = (char *)data;
	*length = (size_t)decoded;
	return 0;
}

int cv_auth_basic_header(const struct cv_credentials *credentials, char **header)
{
	cleanup_free char *pair = NULL;
	cleanup_free char *encoded = NULL;

	if (cv_asprintf(&pair, "%s:%s", credentials->username, credentials->password) < 0)
		return -1;
	int result = cv_base64_encode(pair, strlen(pair), &encoded);
	explicit_bzero(pair, strlen(pair));
	if (result < 0)
		return -1;
	return cv_asprintf(header, "Authorization: Basic %s", encoded);
}

/* A token goes into a header line: printable, no spaces, bounded. */
static bool token_is_sane(const char *token)
{
	size_t length = strlen(token);
	if (length == 0 || length > TOKEN_MAX)
		return false;
	for (; *token; token++)
		if (!isgraph((unsigned char)*token))
			return false;
	return true;
}

int cv_auth_token_parse(const char *body, size_t length, char **token)
{
	json_t *root = body != NULL ? json_loadb(body, length, 0, NULL) : NULL;
	const char *value = json_string_value(json_object_get(root, "token"));

	if (value == NULL || value[0] == '\0')
		value = json_string_value(json_object_get(root, "access_token"));
	if (value == NULL || !token_is_sane(value)) {
		json_decref(root);
		return cv_error_errno(EBADMSG, "no usable token in the answer");
	}
	*token = cv_strdup(value);
	json_decref(root);
	return *token != NULL ? 0 : -1;
}

static int append_query(char **url, const char *name, const char *value, CURL *curl)
{
	char *escaped = curl_easy_escape(curl, value, 0);
	char *grown;
	if (escaped == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	int result = cv_asprintf(&grown, "%s%c%s=%s", *url, strchr(*url, '?') ? '&' : '?', name, escaped);
	curl_free(escaped);
	if (result < 0)
		return -1;
	free(*url);
	*url = grown;
	return 0;
}

int cv_auth_fetch_token(const struct cv_tls_config *tls, const struct cv_auth_challenge *challenge, char *const *scopes,
                        const struct cv_credentials *credentials, const char *registry, char **token)
{
	cleanup_free char *url = NULL;
	cleanup_free char *authorization = NULL;
	struct curl_slist *headers = NULL;
	struct cv_http_transfer t;
	char what[512];
	int result = -1;

	if (strncasecmp(challenge->realm, "https://", 8) != 0 && strncasecmp(challenge->realm, "http://", 7) != 0)
		return cv_error_errno(EBADMSG, "token realm \"%.100s\" is not an http(s) URL", challenge->realm);
	url = cv_strdup(challenge->realm);
	if (url == NULL)
		return -1;
	snprintf(what, sizeof what, "token from %.200s", challenge->realm);
	if (cv_http_global_init() < 0)
		return -1;
	CURL *escaper = curl_easy_init();
	if (escaper == NULL)
		return cv_error_errno(ENOMEM, "curl_easy_init");
	if (challenge->service != NULL && append_query(&url, "service", challenge->service, escaper) < 0)
		goto out_escaper;
	for (char *const *scope = scopes; scope && *scope; scope++)
		if (append_query(&url, "scope", *scope, escaper) < 0)
			goto out_escaper;
	if (credentials != NULL && credentials->username != NULL) {
		if (append_query(&url, "account", credentials->username, escaper) < 0 ||
		    cv_auth_basic_header(credentials, &authorization) < 0)
			goto out_escaper;
		headers = curl_slist_append(headers, authorization);
		explicit_bzero(authorization, strlen(authorization));
	}
	curl_easy_cleanup(escaper);
	escaper = NULL;

	if (cv_http_transfer_init(&t, tls, "GET", url, headers, TOKEN_ANSWER_MAX) < 0)
		return -1;
	if (cv_http_perform(&t, what) < 0)
		goto out;
	if (t.status == 401 || t.status == 403) {
		cv_error_code(CONTAINERV_E_AUTH, EACCES, "authentication failed: %s",
		              credentials && credentials->username ? "wrong user name or password"
		                                                   : "the token server wants credentials");
		goto out;
	}
	if (t.status != 200) {
		cv_http_status_error(&t, what);
		goto out;
	}
	result = cv_auth_token_parse(t.body, t.body_length, token) < 0 ? cv_error_prefix("%s", what) : 0;
out:
	cv_http_transfer_clear(&t);
	return result;
out_escaper:
	curl_easy_cleanup(escaper);
	curl_slist_free_all(headers);
	return -1;
}
