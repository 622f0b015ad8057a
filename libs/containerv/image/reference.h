/*
 * Internal: image references, parsed and normalized as docker does
 * (distribution/reference): "busybox" is docker.io/library/busybox:latest,
 * "localhost:5000/ns/x:1@sha256:..." keeps all four parts.
 */
#ifndef CV_IMAGE_REFERENCE_H
#define CV_IMAGE_REFERENCE_H

/* Longest accepted reference text; the repository name (domain/path) is at most 255. */
#define CV_REFERENCE_MAX 512

struct cv_reference {
	char *domain; /* "docker.io", "localhost:5000" */
	char *path;   /* "library/busybox" */
	char *tag;    /* "latest"; NULL when there is a digest and no tag */
	char *digest; /* "sha256:<hex>" or NULL */
};

/*
 * Parses and validates text: lowercase path components separated by '/',
 * each [a-z0-9]+ joined by '.', '_', '__' or runs of '-'; tag
 * [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; a sha256 digest; a domain of
 * dot-separated labels with an optional :port. The first component is a
 * domain only when it holds '.' or ':' or is "localhost" (docker's rule).
 * "index.docker.io" becomes "docker.io"; docker.io names without a
 * namespace get "library/". The tag defaults to "latest" only when there
 * is no digest. On failure out is all NULL and the error names the text.
 */
int cv_reference_parse(const char *text, struct cv_reference *out);

/* Frees the parts; accepts a cleared or zeroed struct. */
void cv_reference_clear(struct cv_reference *ref);

/* "domain/path[:tag][@digest]" into a fresh string. */
int cv_reference_format(const struct cv_reference *ref, char **out);

/* "domain/path" into a fresh string (the repository, without tag or digest). */
int cv_reference_repository(const struct cv_reference *ref, char **out);

#endif
