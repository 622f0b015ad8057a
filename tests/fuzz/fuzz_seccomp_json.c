/* Fuzz target: docker/OCI seccomp profiles (hostile JSON) into the profile model. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "security/security-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct cv_seccomp_profile profile;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cv_seccomp_profile_parse(text, &profile) == 0)
		cv_seccomp_profile_clear(&profile);
	free(text);
	return 0;
}
