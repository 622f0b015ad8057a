/*
 * Fuzz harness: registry auth files (docker's config.json, podman's auth.json: cv_authfile_lookup), a
 * file the user may have copied from anywhere. The first byte picks the registry asked for ('h' the
 * hub, anything else registry.example.com:5000), the rest is the file. Credentials found have a user
 * name and a password with no NUL inside; a refusal sets errno and names the file. PATH is an empty
 * directory: a credential helper the file names is looked for and not found, never run.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char directory[64], path[96];

static void remove_directory(void)
{
	unlink(path);
	rmdir(directory);
}

static void make_directory(void)
{
	if (directory[0] != '\0')
		return;
	snprintf(directory, sizeof directory, "/tmp/cv-fuzz-auth.XXXXXX");
	if (mkdtemp(directory) == NULL || setenv("PATH", directory, 1) != 0)
		abort();
	snprintf(path, sizeof path, "%s/auth.json", directory);
	atexit(remove_directory);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cv_credentials credentials = {NULL, NULL};
	FILE *file;
	int found;

	if (size == 0)
		return 0;
	make_directory();
	file = fopen(path, "wb");
	if (file == NULL || fwrite(data + 1, 1, size - 1, file) != size - 1 || fclose(file) != 0)
		abort();
	errno = 0;
	found = cv_authfile_lookup(path, data[0] == 'h' ? "docker.io" : "registry.example.com:5000", &credentials);
	if (found < 0 && errno == 0)
		abort();
	if (found == 1 && (credentials.username == NULL || credentials.password == NULL))
		abort();
	if (found != 1 && (credentials.username != NULL || credentials.password != NULL))
		abort();
	cv_credentials_clear(&credentials);
	return 0;
}
