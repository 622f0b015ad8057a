/*
 * Tar streams in and out of a container (docker cp with "-"), through
 * libarchive for the format. Extraction never lets libarchive write to
 * disk: each entry's directory is resolved inside the container's root with
 * openat2(RESOLVE_IN_ROOT) and the entry is made under a fresh name with
 * O_EXCL and renamed into place (copy-safe.c), so a hostile archive
 * (absolute names, "..", symlinks planted by an earlier entry) cannot write
 * outside, and a node the container planted is replaced, never written
 * through. Archiving opens each entry once O_PATH and fstat's it: device
 * nodes and FIFOs become header entries and are never opened.
 *
 * Ids: the archive's are the container's; under a user namespace they are
 * moved into its host range on the way in and back out of it on the way out.
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/container-private.h"
#include "platform/linux/init-plan.h"

/* Joins the destination and an entry name, refusing ".." and dropping "/" and "." prefixes. */
static int entry_path(const char *dest, const char *name, char *out, size_t size)
{
	char clean[PATH_MAX];
	size_t used = 0;

	for (const char *p = name; *p != '\0';) {
		while (*p == '/')
			p++;
		size_t length = strcspn(p, "/");
		if (length == 0)
			break;
		if (length == 2 && p[0] == '.' && p[1] == '.')
			return cv_error_errno(EINVAL, "tar entry \"%s\": \"..\" is not allowed", name);
		if (!(length == 1 && p[0] == '.')) {
			if (used + length + 2 >= sizeof clean)
				return cv_error_errno(ENAMETOOLONG, "tar entry \"%s\": too long", name);
			clean[used++] = '/';
			memcpy(clean + used, p, length);
			used += length;
		}
		p += length;
	}
	clean[used] = '\0';
	if (used == 0)
		return 1; /* the destination itself ("./") */
	if (snprintf(out, size, "%s%s", strcmp(dest, "/") == 0 ? "" : dest, clean) >= (int)size)
		return cv_error_errno(ENAMETOOLONG, "tar entry \"%s\": too long", name);
	return 0;
}

static void set_times(int dirfd, const char *leaf, struct archive_entry *entry)
{
	struct timespec times[2] = {
	        {.tv_sec = archive_entry_mtime(entry), .tv_nsec = archive_entry_mtime_nsec(entry)},
	        {.tv_sec = archive_entry_mtime(entry), .tv_nsec = archive_entry_mtime_nsec(entry)},
	};

	utimensat(dirfd, leaf, times, AT_SYMLINK_NOFOLLOW);
}

/* An archive's id as the host stores it for this container: shifted into its range under a user namespace. */
static int host_id(const struct cv_copy_root *root, int64_t id, uint32_t start, uint32_t *out, const char *name)
{
	if (root->id_count == 0) {
		*out = (uint32_t)id;
		return id >= 0 && id <= UINT32_MAX ? 0 : cv_error_errno(EINVAL, "tar entry %s: invalid id", name);
	}
	if (id < 0 || id >= (int64_t)root->id_count)
		return cv_error_errno(EINVAL, "tar entry %s: id %lld is not mapped in the container", name,
		                      (long long)id);
	*out = start + (uint32_t)id;
	return 0;
}

/* The entry's owner, on the temporary before it is renamed into place. */
static int own_temp(const struct cv_copy_root *root, int dirfd, const char *temp, struct archive_entry *entry)
{
	const char *name = archive_entry_pathname(entry);
	uint32_t uid = 0, gid = 0; /* set by host_id; gcc -O2 cannot see it through the error path */

	if (host_id(root, archive_entry_uid(entry), root->uid, &uid, name) < 0 ||
	    host_id(root, archive_entry_gid(entry), root->gid, &gid, name) < 0)
		return -1;
	if (fchownat(dirfd, temp, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return cv_error_sys("chown %s", name);
	return 0;
}

static int write_regular(const struct cv_copy_root *root, struct archive *in, struct archive_entry *entry, int dirfd,
                         const char *leaf)
{
	char temp[64];
	cleanup_close int fd = cv_copy_create_temp(dirfd, S_IFREG | 0600, NULL, temp, sizeof temp);

	if (fd < 0)
		return cv_error_prefix("extract %s", archive_entry_pathname(entry));
	if (archive_read_data_into_fd(in, fd) != ARCHIVE_OK) {
		cv_error_errno(EIO, "extract %s: %s", archive_entry_pathname(entry), archive_error_string(in));
		goto failed;
	}
	if (own_temp(root, dirfd, temp, entry) < 0)
		goto failed;
	if (fchmod(fd, archive_entry_perm(entry) & 07777) < 0) {
		cv_error_sys("chmod %s", archive_entry_pathname(entry));
		goto failed;
	}
	return cv_copy_replace(dirfd, temp, leaf);
failed:
	unlinkat(dirfd, temp, 0);
	return -1;
}

/* A symlink or FIFO: made under a temporary name, owned, renamed into place. */
static int write_special(const struct cv_copy_root *root, struct archive_entry *entry, int dirfd, const char *leaf)
{
	char temp[64];
	mode_t mode = archive_entry_filetype(entry) | (archive_entry_perm(entry) & 0777);

	if (cv_copy_create_temp(dirfd, mode, archive_entry_symlink(entry), temp, sizeof temp) < 0)
		return cv_error_prefix("extract %s", archive_entry_pathname(entry));
	if (own_temp(root, dirfd, temp, entry) < 0) {
		unlinkat(dirfd, temp, 0);
		return -1;
	}
	return cv_copy_replace(dirfd, temp, leaf);
}

static int extract_entry(const struct cv_copy_root *root, struct archive *in, struct archive_entry *entry,
                         const char *dest)
{
	char path[PATH_MAX], dir[PATH_MAX], leaf[NAME_MAX + 1];
	cleanup_close int dirfd = -1;
	mode_t type = archive_entry_filetype(entry);
	int ret;

	ret = entry_path(dest, archive_entry_pathname(entry), path, sizeof path);
	if (ret != 0)
		return ret < 0 ? -1 : 0;
	if (cv_split_path(path, dir, sizeof dir, leaf, sizeof leaf) < 0 || cv_root_mkdirs(root->fd, dir, 0755) < 0)
		return -1;
	dirfd = cv_root_open(root->fd, dir, O_PATH | O_DIRECTORY, 0);
	if (dirfd < 0)
		return cv_error_sys("open %s in the container", dir);
	switch (type) {
	case AE_IFDIR:
		if (mkdirat(dirfd, leaf, archive_entry_perm(entry) & 07777) < 0 && errno != EEXIST)
			return cv_error_sys("mkdir %s", path);
		break;
	case AE_IFREG:
		if (archive_entry_hardlink(entry) != NULL) {
			char target[PATH_MAX], target_dir[PATH_MAX], target_leaf[NAME_MAX + 1];
			if (entry_path(dest, archive_entry_hardlink(entry), target, sizeof target) != 0 ||
			    cv_split_path(target, target_dir, sizeof target_dir, target_leaf, sizeof target_leaf) < 0)
				return cv_error_prefix("hard link %s", path);
			cleanup_close int target_dirfd = cv_root_open(root->fd, target_dir, O_PATH | O_DIRECTORY, 0);
			if (target_dirfd < 0 || linkat(target_dirfd, target_leaf, dirfd, leaf, 0) < 0)
				return cv_error_sys("hard link %s", path);
			return 0;
		}
		if (write_regular(root, in, entry, dirfd, leaf) < 0)
			return -1;
		break;
	case AE_IFLNK:
	case AE_IFIFO:
		if (write_special(root, entry, dirfd, leaf) < 0)
			return -1;
		break;
	default:
		return cv_error_errno(EPERM, "tar entry %s: device nodes and sockets are refused",
		                      archive_entry_pathname(entry));
	}
	set_times(dirfd, leaf, entry);
	return 0;
}

struct tar_request {
	int fd;
	const char *path;
};

static int extract_in_root(const struct cv_copy_root *root, void *arg)
{
	const struct tar_request *r = arg;
	cleanup_close int dest = cv_root_open(root->fd, r->path, O_PATH | O_DIRECTORY, 0);
	struct archive *in;
	struct archive_entry *entry;
	int status, ret = 0;

	if (dest < 0)
		return cv_error_sys("open %s", r->path);
	in = archive_read_new();
	archive_read_support_format_tar(in);
	archive_read_support_format_gnutar(in);
	archive_read_support_filter_all(in);
	if (archive_read_open_fd(in, r->fd, 1 << 16) != ARCHIVE_OK) {
		ret = cv_error_errno(EINVAL, "read the tar stream: %s", archive_error_string(in));
		goto done;
	}
	while ((status = archive_read_next_header(in, &entry)) == ARCHIVE_OK) {
		if (extract_entry(root, in, entry, r->path) < 0) {
			ret = -1;
			goto done;
		}
	}
	if (status != ARCHIVE_EOF)
		ret = cv_error_errno(EINVAL, "read the tar stream: %s", archive_error_string(in));
done:
	archive_read_free(in);
	return ret;
}

int cv_linux_tar_in(struct containerv_container *container, int fd, const char *container_dir)
{
	struct tar_request request = {fd, container_dir};

	return cv_container_with_root(container, CV_ROOT_AS_CONTAINER_ROOT, extract_in_root, &request);
}

static int write_entry(const struct cv_copy_root *root, struct archive *out, int dirfd, const char *leaf,
                       const char *name);

static int write_directory_contents(const struct cv_copy_root *root, struct archive *out, int path_fd,
                                    const struct stat *st, const char *name)
{
	cleanup_close int fd = cv_copy_reopen(path_fd, st, O_RDONLY | O_DIRECTORY, name);
	cleanup_dir DIR *listing = NULL;
	struct dirent *child;

	if (fd < 0)
		return -1;
	if ((listing = fdopendir(dup(fd))) == NULL)
		return cv_error_sys("list %s", name);
	/*
	 * On the heap, as nothing else of PATH_MAX on this recursion's stack: a tree as deep as a name allows
	 * (2000 levels of "a/") must not overflow the copy process's stack.
	 */
	cleanup_free char *child_name = malloc(PATH_MAX);
	if (child_name == NULL)
		return cv_error_sys("list %s", name);
	while ((child = readdir(listing)) != NULL) {
		if (strcmp(child->d_name, ".") == 0 || strcmp(child->d_name, "..") == 0)
			continue;
		if (snprintf(child_name, PATH_MAX, "%s/%s", name, child->d_name) >= PATH_MAX)
			return cv_error_errno(ENAMETOOLONG, "%s/%s: too long", name, child->d_name);
		if (write_entry(root, out, fd, child->d_name, child_name) < 0)
			return -1;
	}
	return 0;
}

/*
 * At most the size the header announced: a file the container grows meanwhile cannot overrun its entry.
 * Not inlined: its buffer must not be on the stack of every level of a deep tree.
 */
static __attribute__((noinline)) int write_file_data(struct archive *out, int path_fd, const struct stat *st,
                                                     const char *name)
{
	cleanup_close int fd = cv_copy_reopen(path_fd, st, O_RDONLY, name);
	char buffer[1 << 16];
	off_t left = st->st_size;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (left > 0 &&
	       (n = read(fd, buffer, (size_t)(left < (off_t)sizeof buffer ? left : (off_t)sizeof buffer))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cv_error_sys("read %s", name);
		if (archive_write_data(out, buffer, (size_t)n) != n)
			return cv_error_errno(EIO, "write the tar stream: %s", archive_error_string(out));
		left -= n;
	}
	return 0; /* a file that shrank is padded by libarchive */
}

/* A host id of this container back to the container's own (nobody when outside its range). */
static int64_t container_id(const struct cv_copy_root *root, uint32_t id, uint32_t start)
{
	if (root->id_count == 0)
		return id;
	return id >= start && id - start < root->id_count ? id - start : 65534;
}

/* Out of write_entry's frame (noinline): its PATH_MAX buffer is not on the stack of every level. */
static __attribute__((noinline)) int set_link_target(struct archive_entry *entry, int fd, const char *name)
{
	char target[PATH_MAX];

	if (cv_copy_read_link(fd, target, sizeof target, name) < 0)
		return -1;
	archive_entry_set_symlink(entry, target);
	return 0;
}

/* One entry (and, for a directory, what it holds), never following a link nor opening a node. */
static int write_entry(const struct cv_copy_root *root, struct archive *out, int dirfd, const char *leaf,
                       const char *name)
{
	struct archive_entry *entry;
	struct stat st;
	cleanup_close int fd = cv_copy_open_entry(dirfd, leaf, &st);
	int ret = 0;

	if (fd < 0)
		return -1;
	if (S_ISSOCK(st.st_mode))
		return 0; /* sockets are not archived (as docker does) */
	entry = archive_entry_new();
	archive_entry_copy_stat(entry, &st); /* device nodes and FIFOs: the header is all there is */
	archive_entry_set_uid(entry, container_id(root, st.st_uid, root->uid));
	archive_entry_set_gid(entry, container_id(root, st.st_gid, root->gid));
	archive_entry_set_pathname(entry, name);
	if (S_ISLNK(st.st_mode) && set_link_target(entry, fd, name) < 0) {
		archive_entry_free(entry);
		return -1;
	}
	if (archive_write_header(out, entry) != ARCHIVE_OK)
		ret = cv_error_errno(EIO, "write the tar stream: %s", archive_error_string(out));
	archive_entry_free(entry);
	if (ret < 0)
		return -1;
	if (S_ISREG(st.st_mode))
		return write_file_data(out, fd, &st, name);
	if (S_ISDIR(st.st_mode))
		return write_directory_contents(root, out, fd, &st, name);
	return 0;
}

static int archive_in_root(const struct cv_copy_root *root, void *arg)
{
	const struct tar_request *r = arg;
	char dir[PATH_MAX], leaf[NAME_MAX + 1];
	cleanup_close int dirfd = -1;
	struct archive *out;
	int ret;

	if (cv_split_path(r->path, dir, sizeof dir, leaf, sizeof leaf) < 0)
		return -1;
	dirfd = cv_root_open(root->fd, dir, O_PATH | O_DIRECTORY, 0);
	if (dirfd < 0)
		return cv_error_sys("open %s", dir);
	out = archive_write_new();
	archive_write_set_format_pax_restricted(out);
	if (archive_write_open_fd(out, r->fd) != ARCHIVE_OK)
		ret = cv_error_errno(EIO, "write the tar stream: %s", archive_error_string(out));
	else
		ret = write_entry(root, out, dirfd, leaf, leaf);
	if (archive_write_close(out) != ARCHIVE_OK && ret == 0)
		ret = cv_error_errno(EIO, "write the tar stream: %s", archive_error_string(out));
	archive_write_free(out);
	return ret;
}

int cv_linux_tar_out(struct containerv_container *container, const char *container_path, int fd)
{
	struct tar_request request = {fd, container_path};

	return cv_container_with_root(container, 0, archive_in_root, &request);
}

/* export: every entry under the root, named as docker export names them ("bin", "etc/passwd"). */
static int export_in_root(const struct cv_copy_root *root, void *arg)
{
	const int *fd = arg;
	cleanup_close int listing_fd = cv_root_open(root->fd, "/", O_RDONLY | O_DIRECTORY, 0);
	cleanup_dir DIR *listing = NULL;
	struct dirent *child;
	struct archive *out;
	int ret = 0;

	if (listing_fd < 0 || (listing = fdopendir(listing_fd)) == NULL)
		return cv_error_sys("open the root filesystem");
	listing_fd = -1; /* the DIR owns it */
	out = archive_write_new();
	archive_write_set_format_pax_restricted(out);
	if (archive_write_open_fd(out, *fd) != ARCHIVE_OK)
		ret = cv_error_errno(EIO, "write the tar stream: %s", archive_error_string(out));
	while (ret == 0 && (child = readdir(listing)) != NULL)
		if (strcmp(child->d_name, ".") != 0 && strcmp(child->d_name, "..") != 0)
			ret = write_entry(root, out, dirfd(listing), child->d_name, child->d_name);
	if (archive_write_close(out) != ARCHIVE_OK && ret == 0)
		ret = cv_error_errno(EIO, "write the tar stream: %s", archive_error_string(out));
	archive_write_free(out);
	return ret;
}

int containerv_export(struct containerv_container *container, containerv_fd_t fd)
{
	cv_error_clear();
	if (container == NULL || fd < 0)
		return cv_error_errno(EINVAL, "export: missing argument");
	CV_CONTEXT_SCOPE(container->context);
	if (cv_container_with_root(container, CV_ROOT_FILESYSTEM_ONLY, export_in_root, &fd) < 0)
		return cv_error_prefix("export %s", containerv_name(container));
	return 0;
}
