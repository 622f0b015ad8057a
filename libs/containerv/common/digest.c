/*
 * sha256 digests through OpenSSL's EVP interface (which picks the CPU's
 * SHA extensions when present: pull and unpack hash every byte).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"

struct cv_digester {
	EVP_MD_CTX *context;
	bool finished;
};

int cv_digester_new(struct cv_digester **out)
{
	struct cv_digester *d = cv_malloc0(sizeof *d);

	if (d == NULL)
		return -1;
	d->context = EVP_MD_CTX_new();
	if (d->context == NULL || EVP_DigestInit_ex(d->context, EVP_sha256(), NULL) != 1) {
		cv_digester_free(d);
		return cv_error_errno(ENOMEM, "sha256: cannot initialize a digest context");
	}
	*out = d;
	return 0;
}

int cv_digester_update(struct cv_digester *d, const void *data, size_t length)
{
	if (d->finished)
		return cv_error_errno(EINVAL, "sha256: digest already finished");
	if (length > 0 && EVP_DigestUpdate(d->context, data, length) != 1)
		return cv_error_errno(EIO, "sha256: digest update failed");
	return 0;
}

int cv_digester_final(struct cv_digester *d, char out[72])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int length = 0;

	if (d->finished)
		return cv_error_errno(EINVAL, "sha256: digest already finished");
	d->finished = true;
	if (EVP_DigestFinal_ex(d->context, raw, &length) != 1 || length != 32)
		return cv_error_errno(EIO, "sha256: digest final failed");
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[raw[i] >> 4];
		out[8 + 2 * i] = hex[raw[i] & 15];
	}
	out[71] = '\0';
	return 0;
}

void cv_digester_free(struct cv_digester *d)
{
	if (d == NULL)
		return;
	EVP_MD_CTX_free(d->context);
	free(d);
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
