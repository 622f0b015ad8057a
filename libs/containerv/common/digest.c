/*
 * sha256 digests through OpenSSL's EVP interface (which picks the CPU's
 * SHA extensions when present: pull and unpack hash every byte). The
 * Windows build's digester is BCrypt's (platform/windows/digest.c); the
 * text form and the one-shot are common/digest-text.c.
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
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int length = 0;

	if (d->finished)
		return cv_error_errno(EINVAL, "sha256: digest already finished");
	d->finished = true;
	if (EVP_DigestFinal_ex(d->context, raw, &length) != 1 || length != 32)
		return cv_error_errno(EIO, "sha256: digest final failed");
	cv_digest_format(raw, out);
	return 0;
}

void cv_digester_free(struct cv_digester *d)
{
	if (d == NULL)
		return;
	EVP_MD_CTX_free(d->context);
	free(d);
}
