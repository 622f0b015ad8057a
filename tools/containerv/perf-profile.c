/*
 * --perf-profile: the flag's value handed to the library (chef/containerv/perf.h), which resolves it
 * against the host at create; and the profile as inspect shows it.
 */
#include "perf-profile.h"
#include "cli.h"
#include "output.h"

int cli_set_perf_profile(struct containerv_options *options, const char *name)
{
	enum containerv_perf_profile profile;

	if (name == NULL)
		return 0;
	if (containerv_perf_profile_parse(name, &profile) < 0 ||
	    containerv_options_set_perf_profile(options, profile) < 0)
		return cli_fail_library(-1, "--perf-profile");
	return 0;
}

json_t *cli_perf_profile_object(const struct containerv_container *container)
{
	enum containerv_perf_profile profile = CONTAINERV_PERF_NONE;
	int thp_disabled = 0;

	if (containerv_get_perf_profile(container, &profile, &thp_disabled) < 0)
		return json_null();
	return json_pack("{s:s, s:b}", "Profile", containerv_perf_profile_name(profile), "ThpDisabled", thp_disabled);
}
