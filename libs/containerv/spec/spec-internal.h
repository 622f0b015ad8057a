/*
 * Internal: the parts of spec/ the tests and fuzzers reach without a file.
 */
#ifndef CV_SPEC_INTERNAL_H
#define CV_SPEC_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include <chef/containerv.h>

/* --env-file's lines from an open stream; origin names it in errors ("invalid ... in ORIGIN"). */
int cv_spec_env_read(struct containerv_options *options, FILE *file, const char *origin);

/* Whether image is a spelling of docker.io/library/busybox:latest, the built-in image. */
bool cv_spec_is_builtin_image(const char *image);

#endif
