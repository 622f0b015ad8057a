/*
 * Fuzz harness: image references. Whatever parses must format to a
 * reference that parses to the same parts; failures leave the struct empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct cv_reference ref, again;
	char *formatted = NULL;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cv_reference_parse(text, &ref) == 0) {
		if (cv_reference_format(&ref, &formatted) != 0 || cv_reference_parse(formatted, &again) != 0 ||
		    strcmp(ref.domain, again.domain) != 0 || strcmp(ref.path, again.path) != 0)
			abort();
		cv_reference_clear(&again);
		free(formatted);
		cv_reference_clear(&ref);
	} else if (ref.domain != NULL || ref.path != NULL || ref.tag != NULL || ref.digest != NULL) {
		abort();
	}
	free(text);
	return 0;
}
