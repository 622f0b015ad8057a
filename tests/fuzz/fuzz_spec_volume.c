/*
 * Fuzz harness: docker's -v text (containerv_spec_add_volume). Whatever the
 * text, one mount with a clean absolute target is added, or none with a
 * message naming the flag.
 */
#include "fuzz-spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);

	if (text != NULL)
		fuzz_mount_parser(containerv_spec_add_volume, text, "invalid -v");
	free(text);
	return 0;
}
