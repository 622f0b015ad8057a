/*
 * Internal: sha256 content digests ("sha256:<64 lowercase hex>"), the
 * identity of every blob, layer and image in the store. The digester is the
 * platform's (common/digest.c: OpenSSL EVP; platform/windows/digest.c:
 * BCrypt), the rest is common/digest-text.c.
 */
#ifndef CV_COMMON_DIGEST_H
#define CV_COMMON_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

/* "sha256:" + 64 hex digits + NUL. */
#define CV_DIGEST_SIZE 72

struct cv_digester;

/* A fresh sha256 context. */
int cv_digester_new(struct cv_digester **out);
int cv_digester_update(struct cv_digester *d, const void *data, size_t length);
/* Writes "sha256:<64 hex>" to out; the digester cannot be updated afterwards. */
int cv_digester_final(struct cv_digester *d, char out[72]);
/* Accepts NULL. */
void cv_digester_free(struct cv_digester *d);

/* "sha256:" and the 64 hex digits of 32 raw bytes into out. */
void cv_digest_format(const unsigned char raw[32], char out[72]);

/* One-shot digest of a buffer. */
int cv_digest_buffer(const void *data, size_t length, char out[72]);

/* "sha256:" + exactly 64 lowercase hex digits, nothing else. */
bool cv_digest_is_valid(const char *digest);

/* The 64 hex digits of a valid digest (a pointer into it). */
const char *cv_digest_hex(const char *digest);

#endif
