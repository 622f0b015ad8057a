/*
 * Internal: the file primitives of the state store (core/store.c and its users) that each platform
 * spells its own way, behind one header:
 *
 *   common/state-files.c            POSIX: flock on the directory, symbolic links, *at() calls
 *   platform/windows/state-files.c  Windows: LockFileEx on a lock file kept beside the directory,
 *                                   MoveFileEx (MOVEFILE_REPLACE_EXISTING) for atomic rewrites,
 *                                   small files for names
 *
 * Paths are the store's own (under a state root), never a container's. Each returns 0 (or what it
 * says) or -1 with errno and the last error set.
 */
#ifndef CV_COMMON_STATE_FILES_H
#define CV_COMMON_STATE_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A name's entry dir/name whose content is target (a container id): made atomically, EEXIST when
 * the name has one already (POSIX: a symbolic link; Windows: a file moved into place without
 * replacing).
 */
int cv_name_entry_create(const char *dir, const char *name, const char *target);
/* The entry's target into buffer (NUL-terminated, at most size - 1 bytes): its length, or -1 (ENOENT). */
ssize_t cv_name_entry_read(const char *dir, const char *name, char *buffer, size_t size);
/* Removes dir/name, a name's entry or a file (none is fine); never fails. */
void cv_file_remove_in(const char *dir, const char *name);

/*
 * The lock of the state directory path (a container's, under any of its names: <id>, .creating-<id>,
 * .removing-<id>; the lock follows a rename), exclusive between processes; wait says whether to
 * wait for it (else EWOULDBLOCK when another holds it). A lock >= 0, let go of by cv_dir_unlock
 * (or by the process ending). POSIX: an flock'ed descriptor of the directory; Windows: LockFileEx on
 * <parent>\.lock-<id>, a file deleted when its last holder closes it.
 */
int cv_dir_lock(const char *path, bool wait);
void cv_dir_unlock(int lock);
/* Whether lock (of cv_dir_lock) is still the lock of what path names now (not a directory put there since). */
bool cv_dir_lock_is_of(int lock, const char *path);

/* Whether dir/name exists (no link followed): 1 it does, 0 it does not (ENOENT), -1 cannot tell (errno). */
int cv_file_exists_in(const char *dir, const char *name);
/* dir/name's last modification time in ns since the epoch. */
int cv_file_mtime_in(const char *dir, const char *name, int64_t *mtime_ns);
/* Reads dir/name whole (at most max bytes), as cv_read_file. */
int cv_read_file_in(const char *dir, const char *name, char **content, size_t *length, size_t max);
/*
 * Writes dir/name atomically (a reader sees the old content or the new, never a part), through the
 * empty file spare when there is one (cv_write_file_atomic_via_at; NULL: none; Windows has no spares:
 * a new temporary file moved over name).
 */
int cv_write_file_atomic_in(const char *dir, const char *name, const char *spare, const char *content, size_t length,
                            mode_t mode);

#endif
