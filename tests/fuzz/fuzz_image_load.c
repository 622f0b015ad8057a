/*
 * Fuzz harness: `containerv load`'s archives (containerv_image_load: a docker save or OCI image layout
 * tarball, gzip, zstd or plain, from whoever made it): the tar, its paths, manifest.json, index.json,
 * configs and layers. The image store is a private temporary root, emptied after each input. Whatever
 * is loaded is named by a reference that parses; nothing is written beside the root (a path of the
 * archive must not lead out of it); a refusal sets errno. Nothing may crash or leak (ASan replay).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "common/util.h"
#include "image/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char sandbox[64], root[96];

static void remove_sandbox(void)
{
	if (sandbox[0] != '\0')
		cv_rm_rf(sandbox);
}

/* sandbox/root is the state root (CONTAINERV_ROOT, read once by the library): set before the first load. */
static void make_sandbox(void)
{
	if (sandbox[0] != '\0')
		return;
	snprintf(sandbox, sizeof sandbox, "/tmp/cv-fuzz-load.XXXXXX");
	if (mkdtemp(sandbox) == NULL)
		abort();
	snprintf(root, sizeof root, "%s/root", sandbox);
	if (setenv("CONTAINERV_ROOT", root, 1) != 0)
		abort();
	atexit(remove_sandbox);
}

/* Only root may be in the sandbox after a load. */
static void check_sandbox(void)
{
	DIR *listing = opendir(sandbox);
	struct dirent *entry;

	if (listing == NULL)
		abort();
	while ((entry = readdir(listing)) != NULL)
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0 &&
		    strcmp(entry->d_name, "root") != 0)
			abort();
	closedir(listing);
}

static int check_name(const char *name, void *user)
{
	struct cv_reference reference;

	(void)user;
	if (name == NULL || cv_reference_parse(name, &reference) != 0)
		abort();
	cv_reference_clear(&reference);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd;

	make_sandbox();
	if (mkdir(root, 0700) < 0 && errno != EEXIST)
		abort();
	fd = memfd_create("archive", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	errno = 0;
	if (containerv_image_load(fd, check_name, NULL) != 0 && errno == 0)
		abort();
	close(fd);
	check_sandbox();
	cv_rm_rf(root);
	return 0;
}
