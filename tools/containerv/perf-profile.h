/* --perf-profile for run and create, and its part of inspect (perf-profile.c). */
#ifndef CLI_PERF_PROFILE_H
#define CLI_PERF_PROFILE_H

#include <jansson.h>

#include <chef/containerv.h>

/* Sets the profile NAME (NULL: none given, nothing to do); 0, or -1 after printing why. */
int cli_set_perf_profile(struct containerv_options *options, const char *name);

/* inspect's "PerfProfile": {"Profile": NAME, "ThpDisabled": BOOL}; the limits it set are in HostConfig. */
json_t *cli_perf_profile_object(const struct containerv_container *container);

#endif
