/*
 * Fuzz harness: what the registry client parses from a registry's answers.
 * The first byte picks the parser, the rest is its input:
 *   'c' a WWW-Authenticate challenge   'b' base64 (auth file entries)
 *   'p' an image index (platform selection)   'l' a Location header
 *   't' a token server's answer            'e' an error answer's body
 * Whatever is accepted must be well-formed (a bearer challenge has a realm,
 * a selected digest is valid, a resolved Location is http(s), a token is
 * printable without spaces, an error detail is one printable line that fits);
 * nothing may crash or leak (the replay runs under ASan in CI).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "image/auth.h"
#include "image/http.h"
#include "image/platform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_token(const char *text, size_t length)
{
	char *token = NULL;

	if (cv_auth_token_parse(text, length, &token) < 0)
		return;
	if (token == NULL || token[0] == '\0')
		abort();
	for (const char *p = token; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p))
			abort();
	free(token);
}

static void check_error_detail(char *text, size_t length)
{
	struct cv_http_transfer transfer;
	char detail[300];

	memset(&transfer, 0, sizeof transfer);
	transfer.body = text;
	transfer.body_length = length;
	if (cv_http_error_detail(&transfer, detail, sizeof detail) != detail || strlen(detail) >= sizeof detail)
		abort();
	for (const char *p = detail; *p != '\0'; p++)
		if (!isprint((unsigned char)*p))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cv_auth_challenge challenge;
	struct cv_platform platform;
	char digest[72], media_type[128], url[4096], *decoded;
	long long manifest_size;
	size_t length;
	char *text;

	if (size == 0)
		return 0;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0]) {
	case 'c':
		if (cv_auth_challenge_parse(text, &challenge) == 0) {
			if (challenge.scheme == CV_AUTH_BEARER &&
			    (challenge.realm == NULL || challenge.realm[0] == '\0'))
				abort();
			cv_auth_challenge_clear(&challenge);
		}
		break;
	case 'b':
		if (cv_base64_decode(text, &decoded, &length) == 0)
			free(decoded);
		break;
	case 'p':
		if (cv_platform_parse("linux/arm64", &platform) == 0 &&
		    cv_platform_select(text, size - 1, &platform, digest, media_type, sizeof media_type,
		                       &manifest_size) == 0 &&
		    (!cv_digest_is_valid(digest) || manifest_size < 0))
			abort();
		break;
	case 'l':
		if (cv_http_resolve("http://127.0.0.1:5000/v2/x/blobs/uploads/", text, url, sizeof url) == 0 &&
		    strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
			abort();
		break;
	case 't':
		check_token(text, size - 1);
		break;
	case 'e':
		check_error_detail(text, size - 1);
		break;
	default:
		break;
	}
	free(text);
	return 0;
}
