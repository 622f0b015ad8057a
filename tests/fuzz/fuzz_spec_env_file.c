/*
 * Fuzz harness: an --env-file's content (the parser behind
 * containerv_spec_add_env_file). Every entry added is KEY=VALUE with a
 * non-empty KEY; a refusal names the file.
 */
#include <stdio.h>

#include "fuzz-spec.h"
#include "spec/spec-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct containerv_options *options = NULL;
	FILE *file;

	if (size == 0 || containerv_options_new(&options) != 0)
		return 0;
	file = fmemopen((void *)data, size, "r");
	if (file != NULL) {
		if (cv_spec_env_read(options, file, "fuzz.env") != 0 &&
		    strstr(containerv_last_error(), " in fuzz.env") == NULL)
			abort();
		for (size_t i = 0; options->env != NULL && options->env[i] != NULL; i++)
			if (options->env[i][0] == '=' || strchr(options->env[i], '=') == NULL)
				abort();
		fclose(file);
	}
	containerv_options_delete(options);
	return 0;
}
