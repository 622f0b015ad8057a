#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/platform.h"
#include "image/registry.h"

#define INDEX_ENTRIES_MAX 1024

static void copy(char *out, size_t size, const char *text)
{
	snprintf(out, size, "%s", text ? text : "");
}

void cv_platform_host(struct cv_platform *out)
{
	static const struct {
		const char *machine, *architecture, *variant;
	} table[] = {
	        {"x86_64", "amd64", ""},
	        {"aarch64", "arm64", "v8"},
	        {"armv7l", "arm", "v7"},
	        {"armv6l", "arm", "v6"},
	        {"i686", "386", ""},
	        {"i386", "386", ""},
	        {"ppc64le", "ppc64le", ""},
	        {"s390x", "s390x", ""},
	        {"riscv64", "riscv64", ""},
	        {"mips64", "mips64", ""},
	        {"loongarch64", "loong64", ""},
	};
	struct utsname name;

	memset(out, 0, sizeof *out);
	copy(out->os, sizeof out->os, "linux");
	if (uname(&name) < 0)
		copy(name.machine, sizeof name.machine, "x86_64");
	copy(out->architecture, sizeof out->architecture, name.machine);
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (strcmp(name.machine, table[i].machine) == 0) {
			copy(out->architecture, sizeof out->architecture, table[i].architecture);
			copy(out->variant, sizeof out->variant, table[i].variant);
		}
	}
}

static bool part_is_valid(const char *part)
{
	size_t length = strlen(part);
	if (length >= 32)
		return false;
	for (; *part; part++)
		if (!((*part >= 'a' && *part <= 'z') || (*part >= '0' && *part <= '9') || *part == '_' || *part == '-'))
			return false;
	return true;
}

int cv_platform_wanted(const char *os, const char *architecture, const char *variant, struct cv_platform *out)
{
	struct cv_platform host;

	cv_platform_host(&host);
	*out = host;
	if (os != NULL && os[0] != '\0')
		copy(out->os, sizeof out->os, os);
	if (architecture != NULL && architecture[0] != '\0') {
		copy(out->architecture, sizeof out->architecture, architecture);
		/* Another architecture: the host's variant means nothing there. */
		if (strcmp(architecture, host.architecture) != 0)
			out->variant[0] = '\0';
	}
	if (variant != NULL && variant[0] != '\0')
		copy(out->variant, sizeof out->variant, variant);
	if (!part_is_valid(os ? os : "") || !part_is_valid(architecture ? architecture : "") ||
	    !part_is_valid(variant ? variant : ""))
		return cv_error_errno(EINVAL, "platform %s/%s%s%s: invalid", os ? os : "",
		                      architecture ? architecture : "", variant ? "/" : "", variant ? variant : "");
	return 0;
}

int cv_platform_parse(const char *text, struct cv_platform *out)
{
	char parts[3][64] = {"", "", ""};
	int count = 0;
	const char *start = text;

	if (strlen(text) >= 96)
		return cv_error_errno(EINVAL, "platform %.96s: too long", text);
	for (const char *p = text;; p++) {
		if (*p == '/' || *p == '\0') {
			if (count == 3 || p == start)
				return cv_error_errno(EINVAL, "platform %s: expected OS/ARCH[/VARIANT]", text);
			snprintf(parts[count++], sizeof parts[0], "%.*s", (int)(p - start), start);
			start = p + 1;
			if (*p == '\0')
				break;
		}
	}
	if (count < 2)
		return cv_error_errno(EINVAL, "platform %s: expected OS/ARCH[/VARIANT]", text);
	return cv_platform_wanted(parts[0], parts[1], parts[2], out);
}

/* Exact first; then an entry without a variant stands for any, and no wanted variant takes any. */
static bool variant_matches(const struct cv_platform *wanted, const char *variant, bool exact)
{
	if (exact)
		return strcmp(variant, wanted->variant) == 0;
	return wanted->variant[0] == '\0' || variant[0] == '\0';
}

int cv_platform_select(const char *index, size_t length, const struct cv_platform *platform, char digest[72],
                       char *media_type, size_t media_type_size, long long *size)
{
	json_t *root = json_loadb(index, length, 0, NULL);
	json_t *manifests = json_object_get(root, "manifests"), *entry, *best = NULL;
	char seen[512] = "";
	size_t i;
	int pass;

	if (!json_is_array(manifests) || json_array_size(manifests) > INDEX_ENTRIES_MAX) {
		json_decref(root);
		return cv_error_errno(EINVAL, "malformed image index");
	}
	/* Pass 0: the exact variant; pass 1: no variant or the default one (when none was asked for). */
	for (pass = 0; pass < 2 && best == NULL; pass++) {
		json_array_foreach(manifests, i, entry)
		{
			json_t *p = json_object_get(entry, "platform");
			const char *os = json_string_value(json_object_get(p, "os"));
			const char *architecture = json_string_value(json_object_get(p, "architecture"));
			const char *variant = json_string_value(json_object_get(p, "variant"));
			if (os == NULL || architecture == NULL)
				continue;
			if (pass == 0 && strlen(seen) + strlen(os) + strlen(architecture) + 40 < sizeof seen)
				snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s%.20s/%.20s%s%.20s",
				         seen[0] ? ", " : "", os, architecture, variant ? "/" : "",
				         variant ? variant : "");
			if (strcmp(os, platform->os) != 0 || strcmp(architecture, platform->architecture) != 0)
				continue;
			if (!variant_matches(platform, variant ? variant : "", pass == 0))
				continue;
			best = entry;
			break;
		}
	}
	if (best == NULL) {
		cv_error_errno(ENOENT, "no manifest for %s/%s%s%s in the index (it has: %s)", platform->os,
		               platform->architecture, platform->variant[0] ? "/" : "", platform->variant,
		               seen[0] ? seen : "none");
		json_decref(root);
		return -1;
	}
	const char *text = json_string_value(json_object_get(best, "digest"));
	const char *type = json_string_value(json_object_get(best, "mediaType"));
	json_t *size_value = json_object_get(best, "size");
	if (text == NULL || !cv_digest_is_valid(text) || !json_is_integer(size_value) ||
	    json_integer_value(size_value) < 0 || json_integer_value(size_value) > CV_MANIFEST_MAX) {
		json_decref(root);
		return cv_error_errno(EINVAL, "image index: bad descriptor for %s/%s", platform->os,
		                      platform->architecture);
	}
	copy(digest, 72, text);
	copy(media_type, media_type_size, type ? type : "");
	*size = json_integer_value(size_value);
	json_decref(root);
	return 0;
}
