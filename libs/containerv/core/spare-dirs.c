/*
 * Spare container directories: see spare-dirs.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "core/spare-dirs.h"

/* The files of ours a removed container's directory may hold; they go before it is kept. */
static const char *const own_files[] = {"exit.json",      "container.log",  "probes",         "held.sock",
                                        "supervise.json", "supervise.lock", "stopped-by-user"};
/* And these two stay, emptied, as the spare's files (their inodes serve the next writes). */
static const struct {
	const char *file;
	const char *spare;
} kept_files[] = {{"config.json", CV_SPARE_CONFIG}, {"state.json", CV_SPARE_STATE}};

/* Whether name is one of the spare's files: plain, root's, 0600, empty, linked once. */
static bool is_empty_spare_file(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
	       (st.st_mode & 07777) == 0600 && st.st_size == 0 && st.st_nlink == 1;
}

static void spare_path(const char *containers, int slot, char *buffer, size_t size)
{
	snprintf(buffer, size, "%s/.spare-%d", containers, slot);
}

/*
 * A spare holds nothing but the two empty files, and is root's, 0700. Never an upper/ or work/:
 * their inodes (and their extended attributes and ACLs, which a container's root can set on its
 * "/") must not reach another container, nor may an overlay that outlives its container (a
 * descriptor held elsewhere keeps it mounted) write into a later one's layer.
 */
static bool is_clean_spare(const char *path)
{
	cleanup_close int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	DIR *listing;
	bool clean = true;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 07777) != 0700)
		return false;
	listing = fdopendir(dup(fd));
	if (listing == NULL)
		return false;
	for (struct dirent *entry; clean && (entry = readdir(listing)) != NULL;)
		clean = strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0 ||
		        ((strcmp(entry->d_name, CV_SPARE_CONFIG) == 0 || strcmp(entry->d_name, CV_SPARE_STATE) == 0) &&
		         is_empty_spare_file(fd, entry->d_name));
	closedir(listing);
	return clean;
}

int cv_spare_take(const char *containers, const char *dir)
{
	char spare[PATH_MAX];

	for (int slot = CV_SPARE_DIRS - 1; slot >= 0; slot--) {
		spare_path(containers, slot, spare, sizeof spare);
		/* A concurrent create may take it first: then the rename fails (ENOENT) and the next slot is tried. */
		if (renameat2(AT_FDCWD, spare, AT_FDCWD, dir, RENAME_NOREPLACE) < 0)
			continue;
		if (is_clean_spare(dir))
			return 0;
		/* Not what a spare must be: it is not used, and goes. */
		cv_rm_rf(dir);
	}
	errno = ENOENT;
	return -1;
}

/* Empties a removed container's directory down to the two spare files; false if it holds more. */
static bool clean_for_spare(const char *doomed)
{
	char path[PATH_MAX];
	cleanup_close int fd = open(doomed, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return false;
	for (size_t i = 0; i < sizeof own_files / sizeof *own_files; i++)
		if (unlinkat(fd, own_files[i], 0) < 0 && errno != ENOENT)
			return false;
	/* The files the writes replaced (cv_retired_name): their blocks are freed here, off the start's path. */
	for (size_t i = 0; i < sizeof kept_files / sizeof *kept_files; i++)
		for (int slot = 0; slot < CV_RETIRED_SLOTS; slot++) {
			cv_retired_name(kept_files[i].file, slot, path, sizeof path);
			if (unlinkat(fd, path, 0) < 0 && errno != ENOENT)
				return false;
		}
	/* The overlay's layer and work directory go whole (see is_clean_spare), and the log's files. */
	static const char *const layer_dirs[] = {"upper", "work", "logs"};
	for (size_t i = 0; i < sizeof layer_dirs / sizeof *layer_dirs; i++) {
		snprintf(path, sizeof path, "%s/%s", doomed, layer_dirs[i]);
		if (cv_rm_rf(path) < 0)
			return false;
	}
	for (size_t i = 0; i < sizeof kept_files / sizeof *kept_files; i++) {
		cleanup_close int file = openat(fd, kept_files[i].file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		struct stat st;
		if (file < 0) {
			if (errno != ENOENT)
				return false;
			continue;
		}
		if (fstat(file, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 || ftruncate(file, 0) < 0 ||
		    renameat(fd, kept_files[i].file, fd, kept_files[i].spare) < 0)
			return false;
	}
	return is_clean_spare(doomed);
}

int cv_spare_recycle_or_remove(const char *containers, const char *doomed, bool recyclable)
{
	char spare[PATH_MAX];

	if (recyclable && clean_for_spare(doomed)) {
		for (int slot = 0; slot < CV_SPARE_DIRS; slot++) {
			spare_path(containers, slot, spare, sizeof spare);
			if (renameat2(AT_FDCWD, doomed, AT_FDCWD, spare, RENAME_NOREPLACE) == 0)
				return 0;
		}
	}
	return cv_rm_rf(doomed);
}
