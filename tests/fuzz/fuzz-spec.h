/*
 * What the spec/ harnesses share: the input as a C string, fresh options,
 * and the checks every flag parser must pass whatever the text.
 */
#ifndef CV_FUZZ_SPEC_H
#define CV_FUZZ_SPEC_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <chef/containerv.h>

#include "config/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data up to its first NUL, as a command-line word would be; NULL when out of memory. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text != NULL) {
		memcpy(text, data, size);
		text[size] = '\0';
	}
	return text;
}

/* A mount the library accepted has a clean absolute target other than "/". */
static inline void fuzz_check_target(const char *target)
{
	if (target == NULL || target[0] != '/' || strcmp(target, "/") == 0 || strstr(target, "/../") != NULL ||
	    strstr(target, "/./") != NULL ||
	    strcmp(target + strlen(target) - (strlen(target) >= 3 ? 3 : 0), "/..") == 0)
		abort();
}

/*
 * One flag parser on text: on success exactly one mount more with a clean
 * target; on failure none, errno set and a message starting with prefix.
 */
static inline void fuzz_mount_parser(int (*add)(struct containerv_options *, const char *), const char *text,
                                     const char *prefix)
{
	struct containerv_options *options = NULL;

	if (containerv_options_new(&options) != 0)
		return;
	errno = 0;
	if (add(options, text) == 0) {
		if (options->mount_count != 1)
			abort();
		fuzz_check_target(options->mounts[0].target);
	} else if (options->mount_count != 0 || errno == 0 ||
	           strncmp(containerv_last_error(), prefix, strlen(prefix)) != 0) {
		abort();
	}
	containerv_options_delete(options);
}

#endif
