/*
 * Fuzz target: the compose loader whole (YAML with merge keys, interpolation,
 * merge, extends within the file, profiles, validation, the dependency graph)
 * over one hostile compose file. The file is a memfd: no disk, no .env.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chef/containerv.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(const char *message, void *user)
{
	(void)message;
	(void)user;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct containerv_compose_options options = CONTAINERV_COMPOSE_OPTIONS_INIT;
	static const char *const environment[] = {"SET=value", "EMPTY=", NULL};
	static const char *const profiles[] = {"debug", NULL};
	struct containerv_compose *app = NULL;
	char path[64];
	const char *files[] = {path, NULL};
	int fd = memfd_create("compose.yaml", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		options.files = files;
		options.project_name = "fuzz";
		options.environment = environment;
		options.profiles = profiles;
		options.warn = ignore;
		if (containerv_compose_load(&options, &app) == 0) {
			char *yaml = NULL;
			if (containerv_compose_config(app, &yaml) == 0)
				free(yaml);
			containerv_compose_free(app);
		}
	}
	close(fd);
	return 0;
}
