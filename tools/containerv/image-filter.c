/*
 * images --filter, as docker images reads it: KEY=VALUE pairs; values of one
 * key are alternatives, different keys must all match. Keys: dangling
 * (true: images no name reaches, false: named ones), label (KEY or
 * KEY=VALUE, of the image's config), before and since (created before or
 * after an image, by name or id), reference (a glob over the name with or
 * without its tag: "busybox", "busy*:1.*"; '*' stops at '/', as docker's
 * path.Match does).
 *
 * dangling, label, before and since judge the whole image; reference
 * judges each of its names, so an image with two names shows only the
 * rows whose name matches.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flags.h"
#include "image-cli.h"
#include "output.h"

static const char *const known_keys[] = {"dangling", "label", "before", "since", "reference"};

/* The time an image named by before= or since= was created; -1 after printing why not. */
static int created_of(const char *image, int64_t *created_ns)
{
	struct containerv_image_info info = {.version = CONTAINERV_IMAGE_INFO_VERSION};

	if (containerv_image_inspect(image, &info) < 0)
		return cli_fail_library(-1, NULL);
	*created_ns = info.created_ns;
	containerv_image_info_clear(&info);
	return 0;
}

int image_filters_parse(const struct string_list *filters, struct image_filters *parsed)
{
	memset(parsed, 0, sizeof *parsed);
	parsed->filters = (const char *const *)filters->items;
	parsed->count = filters->count;
	parsed->dangling = -1;
	for (size_t i = 0; i < filters->count; i++) {
		const char *filter = filters->items[i], *equals = strchr(filter, '=');
		size_t key_length = equals != NULL ? (size_t)(equals - filter) : 0;
		size_t k = 0;

		while (k < sizeof known_keys / sizeof *known_keys &&
		       (strncmp(filter, known_keys[k], key_length) != 0 || known_keys[k][key_length] != '\0'))
			k++;
		if (equals == NULL || key_length == 0 || equals[1] == '\0')
			return cli_fail(-1, "invalid filter \"%s\": expected KEY=VALUE", filter);
		if (k == sizeof known_keys / sizeof *known_keys)
			return cli_fail(
			        -1, "invalid filter \"%s\": unknown key (dangling, label, before, since, reference)",
			        filter);
		if (strcmp(known_keys[k], "dangling") == 0) {
			bool yes = strcmp(equals + 1, "true") == 0 || strcmp(equals + 1, "1") == 0;
			if (!yes && strcmp(equals + 1, "false") != 0 && strcmp(equals + 1, "0") != 0)
				return cli_fail(-1, "invalid filter \"%s\": dangling is true or false", filter);
			/* docker: two different dangling values cannot both hold. */
			if (parsed->dangling >= 0 && parsed->dangling != (int)yes)
				return cli_fail(-1, "invalid filter \"%s\": dangling given as both true and false",
				                filter);
			parsed->dangling = yes;
		} else if (strcmp(known_keys[k], "before") == 0 || strcmp(known_keys[k], "since") == 0) {
			bool before = known_keys[k][0] == 'b';
			int64_t created;
			if (created_of(equals + 1, &created) < 0)
				return -2;
			/* Several: the narrowest bound, as each must hold. */
			if (before && (!parsed->has_before || created < parsed->before_ns))
				parsed->before_ns = created;
			if (!before && (!parsed->has_since || created > parsed->since_ns))
				parsed->since_ns = created;
			parsed->has_before |= before;
			parsed->has_since |= !before;
		}
	}
	return 0;
}

/* The values of key, one after the other: NULL after the last. */
static const char *next_value(const struct image_filters *parsed, const char *key, size_t *cursor)
{
	size_t length = strlen(key);

	for (; *cursor < parsed->count; (*cursor)++) {
		const char *filter = parsed->filters[*cursor];
		if (strncmp(filter, key, length) == 0 && filter[length] == '=') {
			(*cursor)++;
			return filter + length + 1;
		}
	}
	return NULL;
}

static bool has_label(const struct containerv_image_info *info, const char *wanted)
{
	const char *equals = strchr(wanted, '=');
	size_t key_length = equals != NULL ? (size_t)(equals - wanted) : strlen(wanted);

	for (size_t i = 0; info->labels != NULL && info->labels[i] != NULL; i++) {
		const char *label = info->labels[i];
		if (strncmp(label, wanted, key_length) != 0 || (label[key_length] != '=' && label[key_length] != '\0'))
			continue;
		if (equals == NULL || (label[key_length] == '=' && strcmp(label + key_length + 1, equals + 1) == 0))
			return true;
	}
	return false;
}

bool image_filters_match_image(const struct image_filters *parsed, const struct containerv_image_info *info)
{
	bool named = info->names != NULL && info->names[0] != NULL;
	size_t cursor = 0;
	const char *value;
	bool asked = false, matched = false;

	if (parsed->dangling >= 0 && parsed->dangling == (int)named)
		return false;
	if (parsed->has_before && !(info->created_ns < parsed->before_ns))
		return false;
	if (parsed->has_since && !(info->created_ns > parsed->since_ns))
		return false;
	while (!matched && (value = next_value(parsed, "label", &cursor)) != NULL) {
		asked = true;
		matched = has_label(info, value);
	}
	return !asked || matched;
}

bool image_filters_match_name(const struct image_filters *parsed, const char *name)
{
	char familiar[1024];
	size_t cursor = 0;
	const char *pattern, *at, *colon, *slash;
	bool asked = false;

	/* docker's FamiliarMatch: the familiar name with its tag, else without ("busybox:1" then "busybox"). */
	snprintf(familiar, sizeof familiar, "%s", image_familiar(name));
	while ((pattern = next_value(parsed, "reference", &cursor)) != NULL) {
		asked = true;
		if (fnmatch(pattern, familiar, FNM_PATHNAME) == 0)
			return true;
		at = strchr(familiar, '@');
		slash = strrchr(familiar, '/');
		colon = strrchr(slash != NULL ? slash : familiar, ':');
		size_t end = at != NULL ? (size_t)(at - familiar) : colon != NULL ? (size_t)(colon - familiar) : 0;
		char repository[1024];
		if (end == 0)
			continue;
		snprintf(repository, sizeof repository, "%.*s", (int)end, familiar);
		if (fnmatch(pattern, repository, FNM_PATHNAME) == 0)
			return true;
	}
	return !asked;
}
