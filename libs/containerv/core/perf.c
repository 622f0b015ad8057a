/*
 * Performance profiles at create: the profile chosen in the options is resolved against the host
 * (the backend's perf_host) into the container's limits and THP flag, so that config.json, inspect and
 * every later start see concrete values; the profile's name is kept alongside.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/error.h"
#include "config/options.h"
#include "config/perf-profile.h"
#include "core/backend.h"
#include "core/container.h"

int cv_perf_profile_place(struct containerv_options *config)
{
	struct cv_perf_settings settings;
	struct cv_perf_host *host;
	int ret;

	if (config->perf_profile == CONTAINERV_PERF_NONE)
		return 0;
	host = calloc(1, sizeof *host); /* a topology is ~20 KiB: not on a caller's stack */
	if (host == NULL)
		return cv_error_errno(ENOMEM, "perf profile: out of memory");
	ret = cv_backend()->perf_host(host) < 0 ||
	                      cv_perf_profile_resolve((enum containerv_perf_profile)config->perf_profile, host,
	                                              &settings) < 0
	              ? -1
	              : 0;
	free(host);
	if (ret < 0)
		return cv_error_prefix("perf profile %s", containerv_perf_profile_name(config->perf_profile));
	cv_perf_profile_apply(config, &settings);
	return 0;
}

int containerv_get_perf_profile(const struct containerv_container *container, enum containerv_perf_profile *profile,
                                int *thp_disabled)
{
	cv_error_clear();
	if (container == NULL)
		return cv_error_errno(EINVAL, "perf profile: missing container");
	if (profile != NULL)
		*profile = (enum containerv_perf_profile)container->config.perf_profile;
	if (thp_disabled != NULL)
		*thp_disabled = container->config.thp_disable;
	return 0;
}
