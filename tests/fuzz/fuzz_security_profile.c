/*
 * Fuzz harness: user security profiles (containerv_security_load of a
 * --security-profile file, JSON or YAML). The first byte picks the syntax
 * ('y' YAML, anything else JSON), the rest is the file. Whatever is accepted
 * has a name and keeps its defaults' invariants; a refusal sets errno and a
 * message naming the file; nothing may crash or leak (replayed under ASan).
 * The file is written to a private temporary directory: the loader reads
 * paths, as the CLI does.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <chef/containerv.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char directory[64];

static const char *profile_directory(void)
{
	if (directory[0] == '\0') {
		snprintf(directory, sizeof directory, "/tmp/cv-fuzz-profile.XXXXXX");
		if (mkdtemp(directory) == NULL)
			abort();
	}
	return directory;
}

static void remove_directory(void)
{
	if (directory[0] != '\0')
		rmdir(directory);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct containerv_security *security = NULL;
	char path[128];
	FILE *file;

	if (size == 0)
		return 0;
	if (directory[0] == '\0')
		atexit(remove_directory);
	snprintf(path, sizeof path, "%s/profile.%s", profile_directory(), data[0] == 'y' ? "yaml" : "json");
	file = fopen(path, "wb");
	if (file == NULL)
		abort();
	if (fwrite(data + 1, 1, size - 1, file) != size - 1 || fclose(file) != 0)
		abort();
	errno = 0;
	if (containerv_security_load(path, &security) == 0) {
		char *json = NULL;
		if (security == NULL || containerv_security_to_json(security, &json) != 0 || json == NULL)
			abort();
		free(json);
		containerv_security_delete(security);
	} else if (errno == 0 || strstr(containerv_last_error(), "security profile") == NULL) {
		abort();
	}
	unlink(path);
	return 0;
}
