/*
 * Layer entries: each tar entry made inside the layer directory by our own
 * *at() calls. Every parent is opened relative to the layer directory by
 * the platform's open_beneath (image/layer-fs.h; Linux: openat2 with
 * RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS and RESOLVE_NO_SYMLINKS): a parent
 * that is a symlink (planted by an earlier entry) is refused, not followed,
 * so no write lands outside the layer. Whatever had the entry's name is
 * removed first (a symlink is replaced, never written through).
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
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "image/layer-fs.h"
#include "image/manifest.h"
#include "image/unpack-private.h"

#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_MARKER ".wh..wh..opq"
#define CV_UNPACK_MAX_DEPTH 256

/*
 * Cleans a tar name into "a/b/c" (no leading "./", no "." or empty
 * components). Refuses absolute names and any ".." component. Returns 1
 * for the layer root itself.
 */
static int clean_name(const char *raw, char *out, size_t size)
{
	size_t used = 0;
	int depth = 0;
	char name[201];

	if (raw == NULL)
		return cv_error_errno(EILSEQ, "layer entry with an unreadable name");
	cv_printable(raw, name, sizeof name);
	if (raw[0] == '/')
		return cv_error_errno(EPERM, "layer entry \"%.200s\": absolute names are refused", name);
	for (const char *p = raw; *p != '\0';) {
		while (*p == '/')
			p++;
		size_t length = strcspn(p, "/");
		if (length == 0)
			break;
		if (length == 2 && p[0] == '.' && p[1] == '.')
			return cv_error_errno(EPERM, "layer entry \"%.200s\": \"..\" is refused", name);
		if (!(length == 1 && p[0] == '.')) {
			if (used + length + 2 > size || length > NAME_MAX)
				return cv_error_errno(ENAMETOOLONG, "layer entry \"%.200s\": name too long", name);
			/* Bounded depth: removing a tree holds one descriptor per level. */
			if (++depth > CV_UNPACK_MAX_DEPTH)
				return cv_error_errno(ENAMETOOLONG,
				                      "layer entry \"%.200s\": deeper than %d directories", name,
				                      CV_UNPACK_MAX_DEPTH);
			if (used > 0)
				out[used++] = '/';
			memcpy(out + used, p, length);
			used += length;
		}
		p += length;
	}
	out[used] = '\0';
	return used == 0 ? 1 : 0;
}

static int open_beneath(int dir_fd, const char *path, int flags)
{
	return cv_layer_fs()->open_beneath(dir_fd, path, flags);
}

/*
 * Opens the directory that will hold path's last component; creates
 * missing parents (0755, root-owned, as docker does for entries whose
 * directories the tar omits). Writes the last component to leaf.
 */
static int open_parent(struct unpack *u, char *path, const char **leaf, bool create, const char *name)
{
	char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL) {
		*leaf = path;
		fd = fcntl(u->root_fd, F_DUPFD_CLOEXEC, 3);
		return fd >= 0 ? fd : cv_error_sys("dup");
	}
	*slash = '\0';
	*leaf = slash + 1;
	fd = open_beneath(u->root_fd, path, O_RDONLY | O_DIRECTORY);
	if (fd < 0 && errno == ENOENT && create) {
		/* Walk and create component by component, never following a link. */
		cleanup_close int current = fcntl(u->root_fd, F_DUPFD_CLOEXEC, 3);
		for (char *component = path; current >= 0 && component != NULL;) {
			char *next = strchr(component, '/');
			if (next != NULL)
				*next = '\0';
			if (mkdirat(current, component, 0755) < 0 && errno != EEXIST) {
				int saved = errno;
				close(current);
				current = -1;
				errno = saved;
				break;
			}
			int child = open_beneath(current, component, O_RDONLY | O_DIRECTORY);
			if (next != NULL)
				*next = '/';
			close(current);
			current = child;
			component = next != NULL ? next + 1 : NULL;
		}
		fd = current >= 0 ? cv_steal_fd(&current) : -1;
	}
	if (fd < 0) {
		int saved = errno;
		*slash = '/';
		if (saved == ELOOP || saved == ENOTDIR || saved == EXDEV)
			return cv_error_errno(EPERM, "layer entry \"%.200s\": a parent is a symlink or not a directory",
			                      name);
		errno = saved;
		return cv_error_sys("layer entry \"%.200s\": open parent", name);
	}
	return fd;
}

/* rm -rf of dir_fd/leaf without following links. */
int cv_unpack_remove_tree(int dir_fd, const char *leaf)
{
	cleanup_dir DIR *dir = NULL;
	struct dirent *child;
	int fd;

	if (unlinkat(dir_fd, leaf, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	fd = openat(dir_fd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return -1;
	}
	while ((child = readdir(dir)) != NULL) {
		if (strcmp(child->d_name, ".") == 0 || strcmp(child->d_name, "..") == 0)
			continue;
		if (cv_unpack_remove_tree(dirfd(dir), child->d_name) < 0)
			return -1;
	}
	return unlinkat(dir_fd, leaf, AT_REMOVEDIR);
}

/* Makes room for a new entry: a directory over a directory is merged, anything else replaced. */
static int make_room(int parent_fd, const char *leaf, bool new_is_directory, const char *name)
{
	struct stat st;

	if (fstatat(parent_fd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cv_error_sys("layer entry \"%.200s\"", name);
	if (S_ISDIR(st.st_mode) && new_is_directory)
		return 0;
	if (cv_unpack_remove_tree(parent_fd, leaf) < 0)
		return cv_error_sys("layer entry \"%.200s\": replace", name);
	return 0;
}

static int set_owner(int fd, const char *leaf, struct archive_entry *entry, const char *name)
{
	int flags = leaf[0] == '\0' ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW;

	if (fchownat(fd, leaf, (uid_t)archive_entry_uid(entry), (gid_t)archive_entry_gid(entry), flags) < 0)
		return cv_error_sys("layer entry \"%.200s\": chown %lld:%lld", name,
		                    (long long)archive_entry_uid(entry), (long long)archive_entry_gid(entry));
	return 0;
}

/* Extended attributes of the entry, except overlay's own: a layer must not forge opaque dirs or redirects. */
static int set_xattrs(int fd, struct archive_entry *entry, const char *name)
{
	const char *key;
	const void *value;
	size_t size;

	archive_entry_xattr_reset(entry);
	while (archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK) {
		if (strncmp(key, "trusted.overlay.", 16) == 0 || strncmp(key, "user.overlay.", 13) == 0)
			continue;
		if (cv_layer_fs()->set_xattr(fd, key, value, size) < 0 && errno != ENOTSUP) {
			char shown[100];
			return cv_error_sys("layer entry \"%.200s\": set xattr %s", name,
			                    cv_printable(key, shown, sizeof shown));
		}
	}
	return 0;
}

static struct timespec entry_mtime(struct archive_entry *entry)
{
	struct timespec mtime = {.tv_sec = archive_entry_mtime(entry), .tv_nsec = archive_entry_mtime_nsec(entry)};
	return mtime;
}

static int write_data(struct archive *tar, struct archive_entry *entry, int fd, const char *name)
{
	const void *block;
	size_t size;
	la_int64_t offset, end = 0;
	int ret;

	while ((ret = archive_read_data_block(tar, &block, &size, &offset)) == ARCHIVE_OK) {
		const char *p = block;
		while (size > 0) {
			ssize_t n = pwrite(fd, p, size, offset);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return cv_error_sys("layer entry \"%.200s\": write", name);
			p += n;
			size -= (size_t)n;
			offset += n;
		}
		if (offset > end)
			end = offset;
	}
	if (ret != ARCHIVE_EOF)
		return cv_error_errno(EIO, "layer entry \"%.200s\": %s", name, archive_error_string(tar));
	/* A sparse file may end with a hole: give it its full size (a syscall saved for every other file). */
	if (archive_entry_size_is_set(entry) && archive_entry_size(entry) != end &&
	    ftruncate(fd, archive_entry_size(entry)) < 0)
		return cv_error_sys("layer entry \"%.200s\": truncate", name);
	return 0;
}

static int extract_regular(struct archive *tar, struct archive_entry *entry, int parent_fd, const char *leaf,
                           const char *name)
{
	cleanup_close int fd = -1;
	struct timespec times[2] = {entry_mtime(entry), entry_mtime(entry)};

	if (make_room(parent_fd, leaf, false, name) != 0)
		return -1;
	fd = openat(parent_fd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cv_error_sys("layer entry \"%.200s\": create", name);
	if (write_data(tar, entry, fd, name) != 0 || set_owner(fd, "", entry, name) != 0)
		return -1;
	/* After chown, which clears setuid bits and file capabilities. */
	if (fchmod(fd, archive_entry_perm(entry) & 07777) < 0)
		return cv_error_sys("layer entry \"%.200s\": chmod", name);
	if (set_xattrs(fd, entry, name) != 0)
		return -1;
	if (futimens(fd, times) < 0)
		return cv_error_sys("layer entry \"%.200s\": set times", name);
	return 0;
}

static int remember_directory(struct unpack *u, const char *path, struct timespec mtime)
{
	if (u->dir_count == u->dir_capacity) {
		size_t capacity = u->dir_capacity ? u->dir_capacity * 2 : 64;
		struct directory_time *grown = realloc(u->dirs, capacity * sizeof *grown);
		if (grown == NULL)
			return cv_error_errno(ENOMEM, "out of memory");
		u->dirs = grown;
		u->dir_capacity = capacity;
	}
	u->dirs[u->dir_count].path = cv_strdup(path);
	if (u->dirs[u->dir_count].path == NULL)
		return -1;
	u->dirs[u->dir_count++].mtime = mtime;
	return 0;
}

static int apply_directory(struct unpack *u, struct archive_entry *entry, int fd, const char *path, const char *name)
{
	if (set_owner(fd, "", entry, name) != 0)
		return -1;
	if (fchmod(fd, archive_entry_perm(entry) & 07777) < 0)
		return cv_error_sys("layer entry \"%.200s\": chmod", name);
	if (set_xattrs(fd, entry, name) != 0)
		return -1;
	/* Directory times are set last: the entries made inside would change them. */
	return remember_directory(u, path, entry_mtime(entry));
}

static int extract_directory(struct unpack *u, struct archive_entry *entry, int parent_fd, const char *leaf,
                             const char *path, const char *name)
{
	cleanup_close int fd = -1;

	if (make_room(parent_fd, leaf, true, name) != 0)
		return -1;
	if (mkdirat(parent_fd, leaf, 0700) < 0 && errno != EEXIST)
		return cv_error_sys("layer entry \"%.200s\": mkdir", name);
	fd = openat(parent_fd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cv_error_sys("layer entry \"%.200s\": open", name);
	return apply_directory(u, entry, fd, path, name);
}

static int extract_symlink(struct archive_entry *entry, int parent_fd, const char *leaf, const char *name)
{
	const char *target = archive_entry_symlink(entry);
	struct timespec times[2] = {entry_mtime(entry), entry_mtime(entry)};

	if (target == NULL || target[0] == '\0')
		return cv_error_errno(EINVAL, "layer entry \"%.200s\": symlink without a target", name);
	/* The target is stored as is: it is only ever resolved inside a container's root. */
	if (make_room(parent_fd, leaf, false, name) != 0)
		return -1;
	if (symlinkat(target, parent_fd, leaf) < 0)
		return cv_error_sys("layer entry \"%.200s\": symlink", name);
	if (set_owner(parent_fd, leaf, entry, name) != 0)
		return -1;
	if (utimensat(parent_fd, leaf, times, AT_SYMLINK_NOFOLLOW) < 0)
		return cv_error_sys("layer entry \"%.200s\": set times", name);
	return 0;
}

static int extract_hardlink(struct unpack *u, struct archive_entry *entry, int parent_fd, const char *leaf,
                            const char *name)
{
	char target[PATH_MAX], shown[201];
	const char *target_leaf;
	cleanup_close int target_parent = -1;
	struct stat st;
	int ret = clean_name(archive_entry_hardlink(entry), target, sizeof target);

	if (ret != 0)
		return ret < 0 ? cv_error_prefix("layer entry \"%.200s\": hardlink", name)
		               : cv_error_errno(EPERM, "layer entry \"%.200s\": hardlink to the layer root", name);
	target_parent = open_parent(u, target, &target_leaf, false, name);
	if (target_parent < 0)
		return cv_error_prefix("hardlink target \"%s\"",
		                       cv_printable(archive_entry_hardlink(entry), shown, sizeof shown));
	if (fstatat(target_parent, target_leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cv_error_sys("layer entry \"%.200s\": hardlink target \"%s\" is not in the layer", name,
		                    cv_printable(archive_entry_hardlink(entry), shown, sizeof shown));
	if (S_ISDIR(st.st_mode))
		return cv_error_errno(EPERM, "layer entry \"%.200s\": hardlink to a directory", name);
	/* Already that file (a link to itself, or a repeated entry): removing it first would lose it. */
	{
		struct stat here;
		if (fstatat(parent_fd, leaf, &here, AT_SYMLINK_NOFOLLOW) == 0 && here.st_ino == st.st_ino &&
		    here.st_dev == st.st_dev)
			return 0;
	}
	if (make_room(parent_fd, leaf, false, name) != 0)
		return -1;
	/* Flags 0: a link to a symlink links the symlink itself, never what it points to. */
	if (linkat(target_parent, target_leaf, parent_fd, leaf, 0) < 0)
		return cv_error_sys("layer entry \"%.200s\": hardlink", name);
	return 0;
}

static int extract_special(struct archive_entry *entry, int parent_fd, const char *leaf, const char *name)
{
	mode_t type = archive_entry_filetype(entry);
	unsigned major = 0, minor = 0;
	struct timespec times[2] = {entry_mtime(entry), entry_mtime(entry)};

	if (type == AE_IFCHR || type == AE_IFBLK) {
		if (geteuid() != 0)
			return cv_error_errno(EPERM, "layer entry \"%.200s\": device nodes need root", name);
		major = (unsigned)archive_entry_rdevmajor(entry);
		minor = (unsigned)archive_entry_rdevminor(entry);
	}
	if (make_room(parent_fd, leaf, false, name) != 0)
		return -1;
	if (cv_layer_fs()->make_node(parent_fd, leaf, type | (archive_entry_perm(entry) & 0777), major, minor) < 0)
		return cv_error_sys("layer entry \"%.200s\": mknod", name);
	if (set_owner(parent_fd, leaf, entry, name) != 0)
		return -1;
	if (fchmodat(parent_fd, leaf, archive_entry_perm(entry) & 07777, 0) < 0)
		return cv_error_sys("layer entry \"%.200s\": chmod", name);
	if (utimensat(parent_fd, leaf, times, AT_SYMLINK_NOFOLLOW) < 0)
		return cv_error_sys("layer entry \"%.200s\": set times", name);
	return 0;
}

/* .wh.NAME hides NAME of the layers below: the snapshotter's whiteout (overlay: char device 0:0). */
static int extract_whiteout(struct archive_entry *entry, int parent_fd, const char *leaf, const char *name)
{
	const char *hidden = leaf + strlen(WHITEOUT_PREFIX);

	if (strcmp(leaf, OPAQUE_MARKER) == 0) {
		if (cv_layer_fs()->mark_opaque(parent_fd) < 0)
			return cv_error_sys("layer entry \"%.200s\": mark the directory opaque", name);
		return 0;
	}
	if (strncmp(leaf, WHITEOUT_PREFIX WHITEOUT_PREFIX, 8) == 0)
		return 0; /* other AUFS metadata (.wh..wh.plnk, ...): meaningless to overlay */
	if (hidden[0] == '\0' || strcmp(hidden, ".") == 0 || strcmp(hidden, "..") == 0)
		return cv_error_errno(EPERM, "layer entry \"%.200s\": invalid whiteout", name);
	if (make_room(parent_fd, hidden, false, name) != 0)
		return -1;
	if (cv_layer_fs()->make_whiteout(parent_fd, hidden) < 0)
		return cv_error_sys("layer entry \"%.200s\": make the whiteout", name);
	if (set_owner(parent_fd, hidden, entry, name) != 0)
		return -1;
	return 0;
}

int cv_unpack_entry(struct unpack *u, struct archive *tar, struct archive_entry *entry)
{
	const char *raw_name = archive_entry_pathname(entry);
	char name[201];
	char path[PATH_MAX], full[PATH_MAX];
	const char *leaf;
	cleanup_close int parent_fd = -1;
	mode_t type = archive_entry_filetype(entry);
	int ret;

	if (++u->entries > u->limits->max_entries)
		return cv_error_errno(EFBIG, "layer has more than %llu entries",
		                      (unsigned long long)u->limits->max_entries);
	if (archive_entry_size_is_set(entry) && archive_entry_size(entry) > 0) {
		u->apparent_bytes += (uint64_t)archive_entry_size(entry);
		if (u->apparent_bytes > u->limits->max_bytes)
			return cv_error_errno(EFBIG, "layer files larger than %llu bytes",
			                      (unsigned long long)u->limits->max_bytes);
	}
	/* Messages quote the name made printable (one line); the path is made from the raw name. */
	cv_printable(raw_name, name, sizeof name);
	ret = clean_name(raw_name, path, sizeof path);
	if (ret < 0)
		return -1;
	if (ret == 1) { /* the layer root itself: its metadata only */
		if (type != AE_IFDIR || archive_entry_hardlink(entry) != NULL)
			return cv_error_errno(EPERM, "layer entry \"%.200s\": the root must be a directory", name);
		return apply_directory(u, entry, u->root_fd, ".", name);
	}
	memcpy(full, path, strlen(path) + 1);
	parent_fd = open_parent(u, path, &leaf, true, name);
	if (parent_fd < 0)
		return -1;
	if (strncmp(leaf, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0)
		return extract_whiteout(entry, parent_fd, leaf, name);
	if (archive_entry_hardlink(entry) != NULL)
		return extract_hardlink(u, entry, parent_fd, leaf, name);
	switch (type) {
	case AE_IFREG:
		return extract_regular(tar, entry, parent_fd, leaf, name);
	case AE_IFDIR:
		return extract_directory(u, entry, parent_fd, leaf, full, name);
	case AE_IFLNK:
		return extract_symlink(entry, parent_fd, leaf, name);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		return extract_special(entry, parent_fd, leaf, name);
	default:
		return cv_error_errno(EINVAL, "layer entry \"%.200s\": unsupported file type 0%o", name,
		                      (unsigned)type);
	}
}

int cv_unpack_directory_times(struct unpack *u)
{
	for (size_t i = u->dir_count; i-- > 0;) {
		struct timespec times[2] = {u->dirs[i].mtime, u->dirs[i].mtime};
		int fd = strcmp(u->dirs[i].path, ".") == 0
		                 ? fcntl(u->root_fd, F_DUPFD_CLOEXEC, 3)
		                 : open_beneath(u->root_fd, u->dirs[i].path, O_RDONLY | O_DIRECTORY);
		/* A later entry may have replaced the directory; then there is nothing to date. */
		if (fd < 0)
			continue;
		futimens(fd, times);
		close(fd);
	}
	return 0;
}

void cv_unpack_free(struct unpack *u)
{
	for (size_t i = 0; i < u->dir_count; i++)
		free(u->dirs[i].path);
	free(u->dirs);
}
