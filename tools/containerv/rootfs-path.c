/*
 * The rootfs search path of the CLI (rootfs-path.h).
 *
 * The paths come from cmake/ContainervRootfs.cmake:
 *   CONTAINERV_ROOTFS_PATH         set only when the packager chose the path at configure time
 *   CONTAINERV_BUILD_BINARY_DIR    the build tree's directory of this binary, symlinks resolved
 *   CONTAINERV_BUILD_ROOTFS_PATH   what that binary searches: <build>/rootfs, then the installed one
 *   CONTAINERV_BIN_TO_ROOTFS       the installed rootfs directory relative to the installed binary's
 *   CONTAINERV_INSTALLED_ROOTFS    the same as an absolute path under the configured prefix
 * An installed binary must not look in the build tree: the tree may be gone,
 * stale, or another user's (and a rootfs found there would be imported as the
 * busybox image), so the build's path is only for the binary that is in it.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rootfs-path.h"

/* The directory of the running binary, symlinks resolved (the kernel's /proc/self/exe). */
static bool executable_directory(char *out, size_t size)
{
	ssize_t length = readlink("/proc/self/exe", out, size - 1);
	char *slash;

	if (length <= 0 || (size_t)length >= size - 1)
		return false;
	out[length] = '\0';
	slash = strrchr(out, '/');
	if (slash == NULL)
		return false;
	*(slash == out ? slash + 1 : slash) = '\0';
	return true;
}

static const char *default_search_path(void)
{
#ifdef CONTAINERV_ROOTFS_PATH
	return CONTAINERV_ROOTFS_PATH;
#else
	static char path[PATH_MAX + sizeof CONTAINERV_BIN_TO_ROOTFS + 1];
	char directory[PATH_MAX];

	if (path[0] != '\0')
		return path;
	/* Without /proc (a chroot), the installed path under the configured prefix. */
	if (!executable_directory(directory, sizeof directory))
		return CONTAINERV_INSTALLED_ROOTFS;
	if (strcmp(directory, CONTAINERV_BUILD_BINARY_DIR) == 0)
		return CONTAINERV_BUILD_ROOTFS_PATH;
	snprintf(path, sizeof path, "%s/%s", directory, CONTAINERV_BIN_TO_ROOTFS);
	return path;
#endif
}

const char *cli_rootfs_search_path(void)
{
	const char *search = getenv("CONTAINERV_ROOTFS_PATH");

	if (search != NULL && search[0] != '\0')
		return search;
	return default_search_path();
}
