/*
 * Commit, the backend's part (struct cv_backend_ops.write_changes; the
 * rules are core/copy.c's): a container's changes (its overlay upper
 * directory) written as an OCI layer tar for image/'s commit
 * (image/image-commit.c), which stores it. Overlay's forms are turned back
 * into OCI's: a whiteout (char device 0:0) becomes an empty ".wh.NAME", an
 * opaque directory (trusted.overlay.opaque=y) gets a ".wh..wh..opq" entry;
 * overlay's own xattrs are not copied. The empty /etc/hostname, /etc/hosts
 * and /etc/resolv.conf the runtime makes as mount targets are left out
 * (docker keeps them out of commits too).
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/container-private.h"

#define COMMIT_MAX_DEPTH 256

struct commit_writer {
	struct archive *out;
	struct archive_entry_linkresolver *links;
	char buffer[65536];
};

static bool is_runtime_placeholder(const char *path, const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_size == 0 &&
	       (strcmp(path, "etc/hostname") == 0 || strcmp(path, "etc/hosts") == 0 ||
	        strcmp(path, "etc/resolv.conf") == 0);
}

static void copy_xattrs(int fd, struct archive_entry *entry)
{
	char names[16384];
	ssize_t length = flistxattr(fd, names, sizeof names);

	for (ssize_t i = 0; i < length; i += (ssize_t)strlen(names + i) + 1) {
		char value[65536];
		const char *name = names + i;
		ssize_t size;

		if (strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0)
			continue;
		size = fgetxattr(fd, name, value, sizeof value);
		if (size >= 0)
			archive_entry_xattr_add_entry(entry, name, value, (size_t)size);
	}
}

static int write_header(struct commit_writer *w, struct archive_entry *entry, const char *path)
{
	if (archive_write_header(w->out, entry) != ARCHIVE_OK)
		return cv_error_errno(EIO, "commit %s: %s", path, archive_error_string(w->out));
	return 0;
}

static int write_marker(struct commit_writer *w, const char *path, const struct stat *st)
{
	struct archive_entry *entry = archive_entry_new();
	int ret;

	archive_entry_set_pathname(entry, path);
	archive_entry_set_filetype(entry, AE_IFREG);
	archive_entry_set_perm(entry, 0644);
	archive_entry_set_size(entry, 0);
	archive_entry_set_mtime(entry, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	ret = write_header(w, entry, path);
	archive_entry_free(entry);
	return ret;
}

static int write_tree(struct commit_writer *w, int dir_fd, const char *prefix, int depth);

/* One entry of the upper directory: name in dir_fd, path its name in the layer. */
static int write_one(struct commit_writer *w, int dir_fd, const char *name, const char *path, int depth)
{
	struct stat st;
	struct archive_entry *entry, *sparse = NULL;
	cleanup_close int fd = -1;
	/*
	 * A running container can swap an entry of its upper directory for a device node at any moment: each
	 * entry is opened once as O_PATH and what it is comes from that descriptor (copy-safe.c), so a node is
	 * never opened, only described.
	 */
	cleanup_close int path_fd = cv_copy_open_entry(dir_fd, name, &st);
	char opaque[2] = "";
	int ret = 0;

	if (path_fd < 0)
		return cv_error_prefix("commit %s", path);
	if (is_runtime_placeholder(path, &st))
		return 0;
	/* An overlay whiteout: ".wh.NAME" next to where NAME was. */
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
		char marker[PATH_MAX];
		const char *slash = strrchr(path, '/');
		snprintf(marker, sizeof marker, "%.*s%s.wh.%s", slash != NULL ? (int)(slash - path) : 0, path,
		         slash != NULL ? "/" : "", slash != NULL ? slash + 1 : path);
		return write_marker(w, marker, &st);
	}
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		fd = cv_copy_reopen(path_fd, &st, O_RDONLY | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0), name);
		if (fd < 0)
			return cv_error_prefix("commit %s", path);
		if (fgetxattr(fd, "trusted.overlay.metacopy", NULL, 0) >= 0 ||
		    fgetxattr(fd, "trusted.overlay.redirect", NULL, 0) >= 0)
			return cv_error_errno(ENOTSUP, "commit %s: overlay metacopy/redirect entries are not supported",
			                      path);
		if (S_ISDIR(st.st_mode))
			fgetxattr(fd, "trusted.overlay.opaque", opaque, 1);
	}
	entry = archive_entry_new();
	archive_entry_copy_stat(entry, &st);
	archive_entry_set_pathname(entry, path);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = cv_copy_read_link(path_fd, target, sizeof target, name);
		if (n < 0) {
			archive_entry_free(entry);
			return cv_error_prefix("commit %s", path);
		}
		archive_entry_set_symlink(entry, target);
	}
	if (fd >= 0)
		copy_xattrs(fd, entry);
	archive_entry_linkify(w->links, &entry, &sparse);
	if (entry != NULL) {
		ret = write_header(w, entry, path);
		/* Data only for the first name of a file (later ones are hardlinks with no data). */
		if (ret == 0 && S_ISREG(st.st_mode) && archive_entry_hardlink(entry) == NULL && st.st_size > 0) {
			ssize_t n;
			while ((n = read(fd, w->buffer, sizeof w->buffer)) > 0) {
				if (archive_write_data(w->out, w->buffer, (size_t)n) != n) {
					ret = cv_error_errno(EIO, "commit %s: %s", path, archive_error_string(w->out));
					break;
				}
			}
			if (n < 0)
				ret = cv_error_sys("commit %s: read", path);
		}
		archive_entry_free(entry);
	}
	if (ret == 0 && S_ISDIR(st.st_mode)) {
		if (opaque[0] == 'y') {
			char marker[PATH_MAX];
			snprintf(marker, sizeof marker, "%s/.wh..wh..opq", path);
			ret = write_marker(w, marker, &st);
		}
		if (ret == 0)
			ret = write_tree(w, fd, path, depth + 1);
	}
	return ret;
}

static int write_tree(struct commit_writer *w, int dir_fd, const char *prefix, int depth)
{
	cleanup_dir DIR *dir = NULL;
	struct dirent *child;
	int fd;

	if (depth > COMMIT_MAX_DEPTH)
		return cv_error_errno(ELOOP, "commit %s: deeper than %d directories", prefix, COMMIT_MAX_DEPTH);
	fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return cv_error_sys("commit %s", prefix[0] ? prefix : "/");
	}
	while ((child = readdir(dir)) != NULL) {
		char path[PATH_MAX];

		if (strcmp(child->d_name, ".") == 0 || strcmp(child->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "/" : "", child->d_name);
		if (write_one(w, dirfd(dir), child->d_name, path, depth) != 0)
			return -1;
	}
	return 0;
}

/* The upper directory as an OCI layer tar written to fd. */
static int write_layer(int upper_fd, int fd)
{
	struct commit_writer *w = cv_malloc0(sizeof *w);
	int ret = -1;

	if (w == NULL)
		return -1;
	w->out = archive_write_new();
	w->links = archive_entry_linkresolver_new();
	if (w->out == NULL || w->links == NULL) {
		cv_error_errno(ENOMEM, "out of memory");
		goto out;
	}
	archive_entry_linkresolver_set_strategy(w->links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	archive_write_set_format_pax_restricted(w->out);
	archive_write_set_bytes_in_last_block(w->out, 1);
	if (archive_write_open_fd(w->out, fd) != ARCHIVE_OK) {
		cv_error_errno(EIO, "commit: %s", archive_error_string(w->out));
		goto out;
	}
	if (write_tree(w, upper_fd, "", 0) != 0)
		goto out;
	if (archive_write_close(w->out) != ARCHIVE_OK) {
		cv_error_errno(EIO, "commit: %s", archive_error_string(w->out));
		goto out;
	}
	ret = 0;
out:
	if (w->out != NULL)
		archive_write_free(w->out);
	archive_entry_linkresolver_free(w->links);
	free(w);
	return ret;
}

/* struct cv_backend_ops.write_changes: opens <dir>/upper (never following a link) and writes it. */
int cv_linux_write_changes(struct containerv_container *container, int fd)
{
	cleanup_close int upper_fd = -1;
	char upper[PATH_MAX];

	snprintf(upper, sizeof upper, "%s/upper", container->dir);
	upper_fd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (upper_fd < 0)
		return cv_error_sys("commit %s: open %s", container->name, upper);
	return write_layer(upper_fd, fd);
}
