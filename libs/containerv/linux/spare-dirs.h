/*
 * Internal: spare container directories.
 *
 * A container's directory holds its overlay's upper/ and work/. Making the
 * three directories at create and removing them again costs six directory
 * operations, the slowest kind on a busy ext4 (1 ms each at times on this
 * project's test VM). A removed container whose directory is clean (empty
 * upper/, nothing but our own files) leaves it behind as a spare under a
 * fixed name, and the next create takes it with one rename.
 *
 * A spare is only ever made from a directory that was emptied completely
 * first, and it is checked again when it is taken: no byte of one container
 * reaches another. At most CV_SPARE_DIRS are kept; they are plain empty
 * directories owned by root (mode 0700), like containers/.rootfs.
 */
#ifndef CV_LINUX_SPARE_DIRS_H
#define CV_LINUX_SPARE_DIRS_H

#include <stdbool.h>

#define CV_SPARE_DIRS 2
/* A spare's empty files, renamed over config.json and state.json when they are written (no create). */
#define CV_SPARE_CONFIG ".config.json.spare"
#define CV_SPARE_STATE ".state.json.spare"

/* Moves a spare to dir (a new container's directory under containers). 0, or -1 when there is none. */
int cv_spare_take(const char *containers, const char *dir);

/*
 * Disposes of a removed container's directory (already renamed out of sight):
 * kept as a spare when recyclable (no user namespace: everything is root's)
 * and clean, else deleted. 0, or -1 with errno when deleting failed.
 */
int cv_spare_recycle_or_remove(const char *containers, const char *doomed, bool recyclable);

#endif
