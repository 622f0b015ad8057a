/*
 * Fuzz harness: docker's --user text (containerv_spec_set_user) and the
 * resource flags (containerv_spec_parse_limits, the text as every flag).
 * Accepted ids are never (uid_t)-1; refusals name the flag.
 */
#include "fuzz-spec.h"

static void check_limits(const char *text)
{
	struct containerv_spec_limit_flags flags = CONTAINERV_SPEC_LIMIT_FLAGS_INIT;
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;

	flags.memory = flags.memory_swap = flags.cpus = flags.cpu_shares = text;
	flags.cpuset_cpus = flags.cpuset_mems = flags.pids_limit = flags.blkio_weight = text;
	if (containerv_spec_parse_limits(&flags, &limits) == 0 && containerv_limits_validate(&limits) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct containerv_options *options = NULL;
	char *text = fuzz_text(data, size);

	if (text == NULL || containerv_options_new(&options) != 0) {
		free(text);
		return 0;
	}
	if (containerv_spec_set_user(options, text) == 0) {
		if (options->uid == (uid_t)-1 || options->gid == (gid_t)-1)
			abort();
	} else if (strncmp(containerv_last_error(), "invalid --user \"", 16) != 0) {
		abort();
	}
	check_limits(text);
	containerv_options_delete(options);
	free(text);
	return 0;
}
