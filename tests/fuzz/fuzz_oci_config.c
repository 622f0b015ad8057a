/*
 * Fuzz harness: config.json of the OCI runtime spec (containerv_oci_config_parse) and an exec process
 * (containerv_oci_process_parse). An accepted config gives options that validate, a command and a
 * rootfs; a refused one leaves the caller's options untouched and says why, starting "config.json".
 */
#include "fuzz-spec.h"

#include <chef/containerv/oci.h>

static void check_process(const char *text)
{
	struct containerv_security *security = NULL;
	struct containerv_oci_process process = CONTAINERV_OCI_PROCESS_INIT;
	char **argv = NULL, **env = NULL, *cwd = NULL;
	int64_t uid = -1, gid = -1;

	if (containerv_security_new(CV_SECURITY_PERMISSIVE, &security) != 0)
		return;
	if (containerv_oci_process_parse(text, security, &argv, &env, &cwd, &uid, &gid, &process) == 0) {
		if (argv == NULL || argv[0] == NULL || cwd == NULL || cwd[0] != '/' || uid < 0 || gid < 0 ||
		    process.rlimit_count > CONTAINERV_OCI_RLIMITS_MAX)
			abort();
	} else if (errno == 0) {
		abort();
	}
	containerv_strings_free(argv);
	containerv_strings_free(env);
	free(cwd);
	containerv_security_delete(security);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct containerv_options *options = NULL;
	struct containerv_oci_process process = CONTAINERV_OCI_PROCESS_INIT;
	char *text = fuzz_text(data, size);

	if (text == NULL || containerv_options_new(&options) != 0) {
		free(text);
		return 0;
	}
	errno = 0;
	/* The bundle is / so that a relative root.path resolves to a real directory (root.path "tmp" ...). */
	if (containerv_oci_config_parse(options, text, "/", &process) == 0) {
		if (options->argv == NULL || options->argv[0] == NULL || options->layers == NULL ||
		    options->security == NULL || cv_options_validate(options) != 0 ||
		    process.rlimit_count > CONTAINERV_OCI_RLIMITS_MAX)
			abort();
		for (size_t i = 0; i < options->mount_count; i++)
			fuzz_check_target(options->mounts[i].target);
	} else if (errno == 0 || options->argv != NULL || options->mount_count != 0 ||
	           strncmp(containerv_last_error(), "config.json", 11) != 0) {
		abort();
	}
	check_process(text);
	containerv_options_delete(options);
	free(text);
	return 0;
}
