/*
 * Internal to unpack.c and unpack-entry.c: the state of one layer's
 * extraction and the entry-level functions.
 */
#ifndef CV_IMAGE_UNPACK_PRIVATE_H
#define CV_IMAGE_UNPACK_PRIVATE_H

#include <archive.h>
#include <archive_entry.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "image/unpack.h"

struct directory_time {
	char *path;
	struct timespec mtime;
};

struct unpack {
	int root_fd;
	const struct cv_unpack_limits *limits;
	uint64_t entries, apparent_bytes;
	struct directory_time *dirs;
	size_t dir_count, dir_capacity;
};

/* Makes one tar entry inside u->root_fd (every rule of docs/images.md). */
int cv_unpack_entry(struct unpack *u, struct archive *tar, struct archive_entry *entry);
/* Sets the directories' mtimes, deepest last-made first (their entries changed them). */
int cv_unpack_directory_times(struct unpack *u);
void cv_unpack_free(struct unpack *u);
/* rm -rf of dir_fd/leaf without following links; -1 with errno (no last error). */
int cv_unpack_remove_tree(int dir_fd, const char *leaf);

#endif
