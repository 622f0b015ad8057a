/*
 * Internal: spare container directories.
 *
 * Making a container's directory and its config.json and state.json at
 * create, and deleting them again, costs directory operations and inode
 * creations, the slowest kind on a busy ext4 (up to 1 ms each on this
 * project's test VM). A removed container's directory is kept instead as a
 * spare under a fixed name, holding only two empty files, and the next
 * create takes it with one rename and writes its config.json and state.json
 * through those files (renamed over: no new inode).
 *
 * The overlay's upper/ and work/ are never kept: their inodes, with the
 * extended attributes and ACLs a container's root can set on its "/", must
 * not reach another container, and an overlay that outlives its container
 * (a descriptor held elsewhere keeps it mounted) must not write into a
 * later one's layer. A spare is emptied before it is kept and checked again
 * when it is taken. At most CV_SPARE_DIRS are kept.
 */
#ifndef CV_CORE_SPARE_DIRS_H
#define CV_CORE_SPARE_DIRS_H

#include <stdbool.h>

#define CV_SPARE_DIRS 2
/* A spare's empty files, renamed over config.json and state.json when they are written (no create). */
#define CV_SPARE_CONFIG ".config.json.spare"
#define CV_SPARE_STATE ".state.json.spare"

/* Moves a spare to dir (a new container's directory under containers). 0, or -1 when there is none. */
int cv_spare_take(const char *containers, const char *dir);

/*
 * Disposes of a removed container's directory (already renamed out of sight,
 * and locked by the caller): kept as a spare when recyclable (no user
 * namespace: everything is root's) and nothing but our own files remain once
 * upper/ and work/ are gone, else deleted. 0, or -1 with errno when deleting
 * failed.
 */
int cv_spare_recycle_or_remove(const char *containers, const char *doomed, bool recyclable);

#endif
