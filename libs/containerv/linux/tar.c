/*
 * Tar streams in and out of a running container (docker cp with "-"),
 * through libarchive for the format. Extraction never lets libarchive
 * write to disk: each entry's directory is resolved inside the container's
 * root with openat2(RESOLVE_IN_ROOT) and the entry is made with *at()
 * calls and O_NOFOLLOW, so a hostile archive (absolute names, "..",
 * symlinks planted by an earlier entry) cannot write outside.
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "linux/container-private.h"
#include "linux/init-plan.h"

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

static int write_regular(struct archive *in, struct archive_entry *entry, int dirfd, const char *leaf)
{
	cleanup_close int fd = -1;
	mode_t mode = archive_entry_perm(entry);

	unlinkat(dirfd, leaf, 0); /* replace a file or link, never write through one */
	fd = openat(dirfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
	if (fd < 0)
		return cv_error_sys("create %s", archive_entry_pathname(entry));
	if (archive_read_data_into_fd(in, fd) != ARCHIVE_OK)
		return cv_error_errno(EIO, "extract %s: %s", archive_entry_pathname(entry), archive_error_string(in));
	if (fchown(fd, archive_entry_uid(entry), archive_entry_gid(entry)) < 0 && errno != EPERM)
		return cv_error_sys("chown %s", archive_entry_pathname(entry));
	fchmod(fd, mode & 07777);
	return 0;
}

static int extract_entry(struct archive *in, struct archive_entry *entry, int root, const char *dest)
{
	char path[PATH_MAX], dir[PATH_MAX], leaf[NAME_MAX + 1];
	cleanup_close int dirfd = -1;
	mode_t type = archive_entry_filetype(entry);
	int ret;

	ret = entry_path(dest, archive_entry_pathname(entry), path, sizeof path);
	if (ret != 0)
		return ret < 0 ? -1 : 0;
	if (cv_split_path(path, dir, sizeof dir, leaf, sizeof leaf) < 0 || cv_root_mkdirs(root, dir, 0755) < 0)
		return -1;
	dirfd = cv_root_open(root, dir, O_PATH | O_DIRECTORY, 0);
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
			cleanup_close int target_dirfd = cv_root_open(root, target_dir, O_PATH | O_DIRECTORY, 0);
			if (target_dirfd < 0 || linkat(target_dirfd, target_leaf, dirfd, leaf, 0) < 0)
				return cv_error_sys("hard link %s", path);
			return 0;
		}
		if (write_regular(in, entry, dirfd, leaf) < 0)
			return -1;
		break;
	case AE_IFLNK:
		unlinkat(dirfd, leaf, 0);
		if (symlinkat(archive_entry_symlink(entry), dirfd, leaf) < 0)
			return cv_error_sys("symlink %s", path);
		if (fchownat(dirfd, leaf, archive_entry_uid(entry), archive_entry_gid(entry), AT_SYMLINK_NOFOLLOW) <
		            0 &&
		    errno != EPERM)
			return cv_error_sys("chown %s", path);
		break;
	case AE_IFIFO:
		if (mkfifoat(dirfd, leaf, archive_entry_perm(entry) & 0777) < 0 && errno != EEXIST)
			return cv_error_sys("mkfifo %s", path);
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

static int extract_in_root(int root, void *arg)
{
	const struct tar_request *r = arg;
	cleanup_close int dest = cv_root_open(root, r->path, O_PATH | O_DIRECTORY, 0);
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
		if (extract_entry(in, entry, root, r->path) < 0) {
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

int containerv_upload_tar(struct containerv_container *container, int fd, const char *container_dir)
{
	struct tar_request request = {fd, container_dir};

	cv_error_clear();
	if (container == NULL || fd < 0 || container_dir == NULL || container_dir[0] != '/')
		return cv_error_errno(EINVAL, "upload tar: give a descriptor and an absolute directory");
	if (cv_container_with_root(container, extract_in_root, &request) < 0)
		return cv_error_prefix("copy to %s:%s", containerv_name(container), container_dir);
	return 0;
}

static int write_entry(struct archive *out, int dirfd, const char *leaf, const char *name);

static int write_directory_contents(struct archive *out, int dirfd, const char *leaf, const char *name)
{
	cleanup_close int fd = openat(dirfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_dir DIR *listing = NULL;
	struct dirent *child;

	if (fd < 0 || (listing = fdopendir(dup(fd))) == NULL)
		return cv_error_sys("list %s", name);
	while ((child = readdir(listing)) != NULL) {
		char child_name[PATH_MAX];
		if (strcmp(child->d_name, ".") == 0 || strcmp(child->d_name, "..") == 0)
			continue;
		if (snprintf(child_name, sizeof child_name, "%s/%s", name, child->d_name) >= (int)sizeof child_name)
			return cv_error_errno(ENAMETOOLONG, "%s/%s: too long", name, child->d_name);
		if (write_entry(out, fd, child->d_name, child_name) < 0)
			return -1;
	}
	return 0;
}

static int write_file_data(struct archive *out, int dirfd, const char *leaf, const char *name)
{
	cleanup_close int fd = openat(dirfd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char buffer[1 << 16];
	ssize_t n;

	if (fd < 0)
		return cv_error_sys("open %s", name);
	while ((n = read(fd, buffer, sizeof buffer)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cv_error_sys("read %s", name);
		if (archive_write_data(out, buffer, (size_t)n) != n)
			return cv_error_errno(EIO, "write the tar stream: %s", archive_error_string(out));
	}
	return 0;
}

/* One entry (and, for a directory, what it holds), never following a link. */
static int write_entry(struct archive *out, int dirfd, const char *leaf, const char *name)
{
	struct archive_entry *entry;
	struct stat st;
	int ret = 0;

	if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cv_error_sys("stat %s", name);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode) && !S_ISFIFO(st.st_mode))
		return 0; /* device nodes and sockets are not copied out */
	entry = archive_entry_new();
	archive_entry_copy_stat(entry, &st);
	archive_entry_set_pathname(entry, name);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dirfd, leaf, target, sizeof target - 1);
		if (n < 0) {
			archive_entry_free(entry);
			return cv_error_sys("readlink %s", name);
		}
		target[n] = '\0';
		archive_entry_set_symlink(entry, target);
	}
	if (archive_write_header(out, entry) != ARCHIVE_OK)
		ret = cv_error_errno(EIO, "write the tar stream: %s", archive_error_string(out));
	archive_entry_free(entry);
	if (ret < 0)
		return -1;
	if (S_ISREG(st.st_mode))
		return write_file_data(out, dirfd, leaf, name);
	if (S_ISDIR(st.st_mode))
		return write_directory_contents(out, dirfd, leaf, name);
	return 0;
}

static int archive_in_root(int root, void *arg)
{
	const struct tar_request *r = arg;
	char dir[PATH_MAX], leaf[NAME_MAX + 1];
	cleanup_close int dirfd = -1;
	struct archive *out;
	int ret;

	if (cv_split_path(r->path, dir, sizeof dir, leaf, sizeof leaf) < 0)
		return -1;
	dirfd = cv_root_open(root, dir, O_PATH | O_DIRECTORY, 0);
	if (dirfd < 0)
		return cv_error_sys("open %s", dir);
	out = archive_write_new();
	archive_write_set_format_pax_restricted(out);
	if (archive_write_open_fd(out, r->fd) != ARCHIVE_OK)
		ret = cv_error_errno(EIO, "write the tar stream: %s", archive_error_string(out));
	else
		ret = write_entry(out, dirfd, leaf, leaf);
	if (archive_write_close(out) != ARCHIVE_OK && ret == 0)
		ret = cv_error_errno(EIO, "write the tar stream: %s", archive_error_string(out));
	archive_write_free(out);
	return ret;
}

int containerv_download_tar(struct containerv_container *container, const char *container_path, int fd)
{
	struct tar_request request = {fd, container_path};

	cv_error_clear();
	if (container == NULL || container_path == NULL || fd < 0)
		return cv_error_errno(EINVAL, "download tar: missing argument");
	if (cv_container_with_root(container, archive_in_root, &request) < 0)
		return cv_error_prefix("copy from %s:%s", containerv_name(container), container_path);
	return 0;
}
