/*
 * The chown'd copy-up: where a layer's filesystem (or the kernel) cannot be
 * id-mapped, a container with a user namespace gets a copy of each layer
 * whose owners are shifted into its host id range, so that the image's root
 * files are its root's. Made once per container, in its state directory,
 * and removed with it. Slower and larger than id-mapped mounts; only the
 * fallback.
 *
 * The copy never follows a link of the source: every entry is opened
 * relative to its parent with O_NOFOLLOW, symlinks are recreated as links,
 * device nodes and FIFOs (overlay whiteouts among them) are recreated with
 * mknod. Modes are set after the owner (a chown clears setuid), and the
 * overlay's own extended attributes (opaque directories) are copied.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/init-plan.h"

#define MAX_DEPTH 256

static int copy_xattrs(int source, int target, const char *name)
{
	char names[4096], value[4096];
	ssize_t length = flistxattr(source, names, sizeof names);

	if (length < 0)
		return errno == ENOTSUP ? 0 : cv_error_sys("list the attributes of %s", name);
	for (char *key = names; key < names + length; key += strlen(key) + 1) {
		ssize_t size = fgetxattr(source, key, value, sizeof value);
		if (size < 0 || fsetxattr(target, key, value, (size_t)size, 0) < 0)
			return cv_error_sys("copy attribute %s of %s", key, name);
	}
	return 0;
}

static int copy_data(int source, int target, const char *name)
{
	for (;;) {
		ssize_t n = copy_file_range(source, NULL, target, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS)
			return cv_error_sys("copy %s", name);
		break;
	}
	char buffer[65536];
	for (ssize_t n; (n = read(source, buffer, sizeof buffer)) != 0;) {
		if (n < 0 || cv_write_all(target, buffer, (size_t)n) < 0)
			return cv_error_sys("copy %s", name);
	}
	return 0;
}

/* Owner, mode (after the owner: a chown clears setuid) and times of a copied entry. */
static int finish(int target, const struct stat *st, uid_t uid_offset, gid_t gid_offset, const char *name)
{
	struct timespec times[2] = {st->st_atim, st->st_mtim};

	if (fchown(target, st->st_uid + uid_offset, st->st_gid + gid_offset) < 0 ||
	    fchmod(target, st->st_mode & 07777) < 0 || futimens(target, times) < 0)
		return cv_error_sys("set the owner and mode of %s", name);
	return 0;
}

static int copy_tree(int source_dir, int target_dir, uid_t uid_offset, gid_t gid_offset, int depth);

static int copy_entry(int source_dir, int target_dir, const char *name, uid_t uid_offset, gid_t gid_offset, int depth)
{
	struct stat st;
	cleanup_close int source = -1, target = -1;

	if (fstatat(source_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cv_error_sys("stat %s", name);
	if (S_ISLNK(st.st_mode)) {
		char link[PATH_MAX];
		ssize_t length = readlinkat(source_dir, name, link, sizeof link - 1);
		if (length < 0)
			return cv_error_sys("read link %s", name);
		link[length] = '\0';
		if (symlinkat(link, target_dir, name) < 0 ||
		    fchownat(target_dir, name, st.st_uid + uid_offset, st.st_gid + gid_offset, AT_SYMLINK_NOFOLLOW) < 0)
			return cv_error_sys("copy link %s", name);
		return 0;
	}
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
		if (mknodat(target_dir, name, st.st_mode, st.st_rdev) < 0 ||
		    fchownat(target_dir, name, st.st_uid + uid_offset, st.st_gid + gid_offset, AT_SYMLINK_NOFOLLOW) < 0)
			return cv_error_sys("copy node %s", name);
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(target_dir, name, 0700) < 0)
			return cv_error_sys("copy directory %s", name);
		source = openat(source_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		target = openat(target_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (source < 0 || target < 0)
			return cv_error_sys("open directory %s", name);
		if (copy_tree(source, target, uid_offset, gid_offset, depth + 1) < 0 ||
		    copy_xattrs(source, target, name) < 0)
			return -1;
		return finish(target, &st, uid_offset, gid_offset, name);
	}
	if (!S_ISREG(st.st_mode))
		return cv_error_errno(EINVAL, "copy %s: unknown file type", name);
	source = openat(source_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	target = openat(target_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (source < 0 || target < 0)
		return cv_error_sys("open %s", name);
	if (copy_data(source, target, name) < 0 || copy_xattrs(source, target, name) < 0)
		return -1;
	return finish(target, &st, uid_offset, gid_offset, name);
}

static int copy_tree(int source_dir, int target_dir, uid_t uid_offset, gid_t gid_offset, int depth)
{
	cleanup_dir DIR *listing = NULL;
	struct dirent *entry;
	int fd;

	if (depth > MAX_DEPTH)
		return cv_error_errno(ELOOP, "copy: more than %d directory levels", MAX_DEPTH);
	fd = dup(source_dir);
	if (fd < 0 || (listing = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return cv_error_sys("list a directory to copy");
	}
	while ((entry = readdir(listing)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		if (copy_entry(source_dir, target_dir, entry->d_name, uid_offset, gid_offset, depth) < 0)
			return -1;
	}
	return 0;
}

int cv_shifted_copy(const char *source, const char *target, uid_t uid_offset, gid_t gid_offset)
{
	cleanup_close int source_fd = open(source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int target_fd = -1;
	char temporary[PATH_MAX + 16];
	struct stat st;

	if (source_fd < 0 || fstat(source_fd, &st) < 0)
		return cv_error_sys("open layer %s", source);
	/* Built beside its place and renamed: a copy cut short is never taken for a complete one. */
	snprintf(temporary, sizeof temporary, "%s.tmp", target);
	cv_rm_rf(temporary);
	if (mkdir(temporary, 0700) < 0)
		return cv_error_sys("create %s", temporary);
	target_fd = open(temporary, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (target_fd < 0 || copy_tree(source_fd, target_fd, uid_offset, gid_offset, 0) < 0 ||
	    copy_xattrs(source_fd, target_fd, source) < 0 ||
	    finish(target_fd, &st, uid_offset, gid_offset, source) < 0 || rename(temporary, target) < 0) {
		struct cv_error_saved saved;
		cv_error_save(&saved);
		cv_rm_rf(temporary);
		cv_error_restore(&saved);
		return cv_error_prefix("shifted copy of %s", source);
	}
	return 0;
}
