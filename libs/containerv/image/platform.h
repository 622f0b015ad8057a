/*
 * Internal: platforms (os/architecture/variant) and their selection from an
 * OCI image index or a Docker manifest list.
 */
#ifndef CV_IMAGE_PLATFORM_H
#define CV_IMAGE_PLATFORM_H

#include <stddef.h>

struct cv_platform {
	char os[32];
	char architecture[32];
	char variant[32]; /* "" when none */
};

/* The host's platform in OCI terms (x86_64 -> amd64, aarch64 -> arm64/v8, armv7l -> arm/v7...). */
void cv_platform_host(struct cv_platform *out);

/*
 * Fills the wanted platform: the given parts (NULL or "" for the host's).
 * "linux/arm64/v8" style text is split by cv_platform_parse(). 0 or -1.
 */
int cv_platform_wanted(const char *os, const char *architecture, const char *variant, struct cv_platform *out);
int cv_platform_parse(const char *text, struct cv_platform *out);

/*
 * Picks the manifest for platform from an index/list (hostile JSON): its
 * digest, media type and size. A variant is matched when asked for; else an
 * entry with the host's default variant or none is preferred. ENOENT naming
 * the platforms there are when none matches. 0 or -1.
 */
int cv_platform_select(const char *index, size_t length, const struct cv_platform *platform, char digest[72],
                       char *media_type, size_t media_type_size, long long *size);

#endif
