/*
 * The sha256 digester of common/digest.h on Windows: BCrypt's (bcrypt.dll, Windows' own; OpenSSL
 * has no mingw build in Debian). The text form and the one-shot are common/digest-text.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <windows.h>
#include <bcrypt.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"

struct cv_digester {
	BCRYPT_ALG_HANDLE algorithm;
	BCRYPT_HASH_HANDLE hash;
	bool finished;
};

int cv_digester_new(struct cv_digester **out)
{
	struct cv_digester *d = cv_malloc0(sizeof *d);
	NTSTATUS status;

	if (d == NULL)
		return -1;
	status = BCryptOpenAlgorithmProvider(&d->algorithm, BCRYPT_SHA256_ALGORITHM, NULL, 0);
	if (BCRYPT_SUCCESS(status))
		status = BCryptCreateHash(d->algorithm, &d->hash, NULL, 0, NULL, 0, 0);
	if (!BCRYPT_SUCCESS(status)) {
		cv_digester_free(d);
		return cv_error_errno(ENOMEM, "sha256: BCrypt cannot make a hash (status 0x%08lx)",
		                      (unsigned long)status);
	}
	*out = d;
	return 0;
}

int cv_digester_update(struct cv_digester *d, const void *data, size_t length)
{
	const unsigned char *bytes = data;

	if (d->finished)
		return cv_error_errno(EINVAL, "sha256: digest already finished");
	while (length > 0) {
		ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
		NTSTATUS status = BCryptHashData(d->hash, (PUCHAR)bytes, chunk, 0);
		if (!BCRYPT_SUCCESS(status))
			return cv_error_errno(EIO, "sha256: digest update failed (status 0x%08lx)",
			                      (unsigned long)status);
		bytes += chunk;
		length -= chunk;
	}
	return 0;
}

int cv_digester_final(struct cv_digester *d, char out[72])
{
	unsigned char raw[32];
	NTSTATUS status;

	if (d->finished)
		return cv_error_errno(EINVAL, "sha256: digest already finished");
	d->finished = true;
	status = BCryptFinishHash(d->hash, raw, sizeof raw, 0);
	if (!BCRYPT_SUCCESS(status))
		return cv_error_errno(EIO, "sha256: digest final failed (status 0x%08lx)", (unsigned long)status);
	cv_digest_format(raw, out);
	return 0;
}

void cv_digester_free(struct cv_digester *d)
{
	if (d == NULL)
		return;
	if (d->hash != NULL)
		BCryptDestroyHash(d->hash);
	if (d->algorithm != NULL)
		BCryptCloseAlgorithmProvider(d->algorithm, 0);
	free(d);
}
