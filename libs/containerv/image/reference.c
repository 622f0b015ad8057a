/*
 * Image reference grammar (distribution/reference, as docker applies it):
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [domain "/"] component ("/" component)*
 *   domain     := label ("." label)* [":" port]
 *   component  := alnum+ (separator alnum+)*   separator := "." | "_" | "__" | "-"+
 *   tag        := [\w][\w.-]{0,127}
 *
 * Everything is validated before anything is allocated, and every part is
 * bounded: references come from command lines, manifests, archives.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/reference.h"

#define NAME_MAX_LENGTH 255
#define TAG_MAX_LENGTH 128

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

/* One path component of length n: alnum runs joined by ".", "_", "__" or "-"+. */
static bool component_is_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		size_t start = i;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		/* A separator is always followed by an alnum (no "._", no "___"). */
		if (i >= n || !is_lower_alnum(s[i]) || i == start)
			return false;
	}
	return true;
}

/* label ("." label)* [":" digits], labels [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?. */
static bool domain_is_valid(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t host = colon != NULL ? (size_t)(colon - s) : n;
	size_t i = 0;

	if (host == 0)
		return false;
	while (i < host) {
		size_t start = i;
		while (i < host && s[i] != '.')
			i++;
		if (i == start || !is_alnum(s[start]) || !is_alnum(s[i - 1]))
			return false;
		for (size_t j = start; j < i; j++) {
			if (!is_alnum(s[j]) && s[j] != '-')
				return false;
		}
		if (i < host) {
			i++;
			if (i == host)
				return false; /* trailing dot */
		}
	}
	if (colon != NULL) {
		size_t digits = n - host - 1;
		if (digits == 0 || digits > 5)
			return false;
		for (size_t j = host + 1; j < n; j++) {
			if (s[j] < '0' || s[j] > '9')
				return false;
		}
	}
	return true;
}

static bool tag_is_valid(const char *s, size_t n)
{
	if (n == 0 || n > TAG_MAX_LENGTH || !is_word(s[0]))
		return false;
	for (size_t i = 1; i < n; i++) {
		if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	}
	return true;
}

static bool path_is_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return false;
	while (i <= n) {
		size_t start = i;
		while (i < n && s[i] != '/')
			i++;
		if (!component_is_valid(s + start, i - start))
			return false;
		i++;
	}
	return true;
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z')
			return true;
	}
	return false;
}

static bool is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

static char *dup_n(const char *s, size_t n)
{
	char *copy = cv_malloc0(n + 1);

	if (copy != NULL)
		memcpy(copy, s, n);
	return copy;
}

/* The error quotes at most 200 characters of the text, control and non-ASCII bytes as '?': one clean line. */
static int invalid(const char *text, const char *why)
{
	char shown[201];
	size_t i;

	for (i = 0; i < sizeof shown - 1 && text[i] != '\0'; i++)
		shown[i] = (unsigned char)text[i] < ' ' || (unsigned char)text[i] >= 0x7f ? '?' : text[i];
	shown[i] = '\0';
	return cv_error_errno(EINVAL, "invalid reference \"%s%s\": %s", shown, text[i] != '\0' ? "..." : "", why);
}

int cv_reference_parse(const char *text, struct cv_reference *out)
{
	const char *at, *slash, *colon, *name_end, *domain_end = NULL;
	const char *path_start;
	size_t length, name_length, domain_length, path_length;
	bool library = false;

	memset(out, 0, sizeof *out);
	if (text == NULL || text[0] == '\0')
		return cv_error_errno(EINVAL, "invalid reference: empty");
	length = strnlen(text, CV_REFERENCE_MAX + 1);
	if (length > CV_REFERENCE_MAX)
		return invalid(text, "too long");
	for (size_t i = 0; i < length; i++) {
		if ((unsigned char)text[i] <= ' ' || (unsigned char)text[i] >= 0x7f)
			return invalid(text, "contains a space, a control or a non-ASCII character");
	}

	/* name[:tag][@digest]: the digest after the first '@', the tag after a ':' past the last '/'. */
	at = strchr(text, '@');
	if (at != NULL && !cv_digest_is_valid(at + 1))
		return invalid(text, "the digest must be sha256: and 64 lowercase hex digits");
	name_end = at != NULL ? at : text + length;
	slash = memrchr(text, '/', (size_t)(name_end - text));
	colon = memrchr(slash != NULL ? slash : text, ':', (size_t)(name_end - (slash != NULL ? slash : text)));
	if (colon != NULL && !tag_is_valid(colon + 1, (size_t)(name_end - colon - 1)))
		return invalid(text, "the tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
	if (colon != NULL)
		name_end = colon;
	name_length = (size_t)(name_end - text);
	if (name_length == 0)
		return invalid(text, "no repository name");

	/* docker's rule: the first component is a domain if it has '.' or ':', is localhost, or has capitals. */
	slash = memchr(text, '/', name_length);
	if (slash != NULL) {
		size_t first = (size_t)(slash - text);
		if (memchr(text, '.', first) != NULL || memchr(text, ':', first) != NULL ||
		    (first == 9 && memcmp(text, "localhost", 9) == 0) || has_upper(text, first))
			domain_end = slash;
	}
	if (domain_end != NULL) {
		domain_length = (size_t)(domain_end - text);
		if (!domain_is_valid(text, domain_length))
			return invalid(text, "the registry domain is not a valid host[:port]");
		path_start = domain_end + 1;
	} else {
		if (is_hex64(text, name_length))
			return invalid(text, "a 64-digit hexadecimal name is ambiguous with an image id");
		domain_length = 0;
		path_start = text;
	}
	path_length = (size_t)(name_end - path_start);
	if (has_upper(path_start, path_length))
		return invalid(text, "the repository name must be lowercase");
	if (!path_is_valid(path_start, path_length))
		return invalid(text, "the repository name must be lowercase components [a-z0-9] joined by '.', '_', "
		                     "'__' or '-', separated by '/'");

	if (domain_length == 0 || (domain_length == 15 && memcmp(text, "index.docker.io", 15) == 0) ||
	    (domain_length == 9 && memcmp(text, "docker.io", 9) == 0)) {
		out->domain = cv_strdup("docker.io");
		library = memchr(path_start, '/', path_length) == NULL;
	} else {
		out->domain = dup_n(text, domain_length);
	}
	if (out->domain == NULL)
		goto nomem;
	if (library) {
		out->path = cv_malloc0(path_length + 9);
		if (out->path == NULL)
			goto nomem;
		memcpy(out->path, "library/", 8);
		memcpy(out->path + 8, path_start, path_length);
	} else {
		out->path = dup_n(path_start, path_length);
		if (out->path == NULL)
			goto nomem;
	}
	if (strlen(out->domain) + 1 + strlen(out->path) > NAME_MAX_LENGTH) {
		cv_reference_clear(out);
		return invalid(text, "the repository name is longer than 255 characters");
	}
	if (colon != NULL)
		out->tag = dup_n(colon + 1, (size_t)((at != NULL ? at : text + length) - colon - 1));
	else if (at == NULL)
		out->tag = cv_strdup("latest");
	if (colon != NULL || at == NULL) {
		if (out->tag == NULL)
			goto nomem;
	}
	if (at != NULL) {
		out->digest = cv_strdup(at + 1);
		if (out->digest == NULL)
			goto nomem;
	}
	return 0;
nomem:
	cv_reference_clear(out);
	return -1;
}

void cv_reference_clear(struct cv_reference *ref)
{
	if (ref == NULL)
		return;
	free(ref->domain);
	free(ref->path);
	free(ref->tag);
	free(ref->digest);
	memset(ref, 0, sizeof *ref);
}

int cv_reference_format(const struct cv_reference *ref, char **out)
{
	return cv_asprintf(out, "%s/%s%s%s%s%s", ref->domain, ref->path, ref->tag != NULL ? ":" : "",
	                   ref->tag != NULL ? ref->tag : "", ref->digest != NULL ? "@" : "",
	                   ref->digest != NULL ? ref->digest : "");
}

int cv_reference_repository(const struct cv_reference *ref, char **out)
{
	return cv_asprintf(out, "%s/%s", ref->domain, ref->path);
}
