/*
 * Fuzz harness: layer tar streams (gzip, zstd or plain) unpacked into a
 * fresh directory inside a sandbox directory; afterwards nothing may exist
 * in the sandbox beside the layer directory (no write escaped it). Small
 * limits keep each input cheap.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char sandbox[64];

static void remove_sandbox(void)
{
	rmdir(sandbox);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cv_unpack_limits limits = {.max_bytes = 16 << 20, .max_entries = 2000};
	struct cv_unpack_result result;
	char command[200], layer[128];
	int input, dir_fd;
	DIR *dir;
	struct dirent *entry;

	if (sandbox[0] == '\0') {
		snprintf(sandbox, sizeof sandbox, "/tmp/cvfuzz-layer-%d", (int)getpid());
		if (mkdir(sandbox, 0700) != 0)
			abort();
		atexit(remove_sandbox);
	}
	snprintf(layer, sizeof layer, "%s/layer", sandbox);
	if (mkdir(layer, 0755) != 0)
		abort();
	input = memfd_create("layer", MFD_CLOEXEC);
	dir_fd = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (input < 0 || dir_fd < 0 || write(input, data, size) != (ssize_t)size || lseek(input, 0, SEEK_SET) != 0)
		abort();
	cv_unpack_layer_stream(input, dir_fd, &limits, &result);
	close(input);
	close(dir_fd);
	/* Only "layer" may exist in the sandbox. */
	dir = opendir(sandbox);
	while (dir != NULL && (entry = readdir(dir)) != NULL) {
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0 &&
		    strcmp(entry->d_name, "layer") != 0)
			abort();
	}
	if (dir != NULL)
		closedir(dir);
	snprintf(command, sizeof command, "rm -rf %s/layer", sandbox);
	if (system(command) != 0)
		abort();
	return 0;
}
