/*
 * The CLI's image helpers shared by image.c and run.c.
 */
#ifndef CV_CLI_IMAGE_CLI_H
#define CV_CLI_IMAGE_CLI_H

#include <jansson.h>

#include <chef/containerv.h>

/* "docker.io/library/busybox:latest" -> "busybox:latest", as docker shows names. */
const char *image_familiar(const char *name);

/* Emits docker image inspect's object for name into all (see inspect_emit); -1 with the library's error. */
int image_inspect_one(const char *name, const char *format, json_t *all);

/* "Total reclaimed space: 1.2MB" */
void image_print_reclaimed(const struct containerv_image_gc_result *result);

#endif
