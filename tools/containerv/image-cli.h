/*
 * The CLI's image helpers shared by image.c and run.c.
 */
#ifndef CV_CLI_IMAGE_CLI_H
#define CV_CLI_IMAGE_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <chef/containerv.h>

/* "docker.io/library/busybox:latest" -> "busybox:latest", as docker shows names. */
const char *image_familiar(const char *name);

/* Emits docker image inspect's object for name into all (see inspect_emit); -1 with the library's error. */
int image_inspect_one(const char *name, const char *format, json_t *all);

/* "Total reclaimed space: 1.2MB" */
void image_print_reclaimed(const struct containerv_image_gc_result *result);

/* images --filter (image-filter.c), checked once before listing. */
struct image_filters {
	const char *const *filters; /* the KEY=VALUE texts, borrowed */
	size_t count;
	int dangling; /* -1: not asked; 0: named images only; 1: unnamed only */
	bool has_before, has_since;
	int64_t before_ns, since_ns; /* created strictly before / after */
};
struct string_list;

/*
 * Checks every filter's key and value and looks up before= and since=. After printing why not: -1 for a
 * malformed filter, -2 when the store could not give the image of before= or since=.
 */
int image_filters_parse(const struct string_list *filters, struct image_filters *parsed);
/* The filters that judge the whole image: dangling, label, before, since. */
bool image_filters_match_image(const struct image_filters *parsed, const struct containerv_image_info *info);
/* reference=: whether one of the image's names is listed (true when no reference was asked for). */
bool image_filters_match_name(const struct image_filters *parsed, const char *name);

#endif
