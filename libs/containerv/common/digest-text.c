/*
 * The platform-independent half of common/digest.h: the "sha256:<hex>" text form and the one-shot
 * digest, over the platform's digester (common/digest.c: OpenSSL; platform/windows/digest.c: BCrypt).
 */
#include <stdbool.h>
#include <string.h>

#include "common/digest.h"

void cv_digest_format(const unsigned char raw[32], char out[72])
{
	static const char hex[] = "0123456789abcdef";

	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[raw[i] >> 4];
		out[8 + 2 * i] = hex[raw[i] & 15];
	}
	out[71] = '\0';
}

int cv_digest_buffer(const void *data, size_t length, char out[72])
{
	struct cv_digester *d = NULL;
	int ret;

	if (cv_digester_new(&d) != 0)
		return -1;
	ret = cv_digester_update(d, data, length);
	if (ret == 0)
		ret = cv_digester_final(d, out);
	cv_digester_free(d);
	return ret;
}

bool cv_digest_is_valid(const char *digest)
{
	if (digest == NULL || strncmp(digest, "sha256:", 7) != 0)
		return false;
	for (int i = 0; i < 64; i++) {
		char c = digest[7 + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return digest[71] == '\0';
}

const char *cv_digest_hex(const char *digest)
{
	return digest + 7;
}
