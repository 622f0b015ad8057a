/*
 * Copying files into and out of a container (docker cp).
 *
 * The work runs in a child process (cv_container_with_root) that sees the
 * container's root through a nodev, nosuid view of its mounts, resolved
 * with openat2(RESOLVE_IN_ROOT): an absolute or ".." symlink in the
 * container resolves inside the container, never on the host. Every entry
 * is opened and replaced by copy-safe.c's rules: opened once O_PATH and
 * fstat'ed, never written through, so a device node or FIFO the container
 * plants or swaps in is never opened (issue 9).
 *
 * Ownership as docker documents it: what is copied in belongs to the
 * container's root (its mapped host ids under a user namespace), what is
 * copied out to the user running cp. Modes are kept, except that setuid
 * and setgid bits of a file copied out are dropped: they would otherwise
 * run the container's program as the user who copied it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "core/backend.h"
#include "platform/linux/container-private.h"
#include "platform/linux/init-plan.h"

/* How one copy walks: the direction, and for CV_COPY_ARCHIVE the id mapping of the container's root. */
struct copy_walk {
	bool upload;
	bool archive; /* keep the source's owners (docker cp -a), mapped across the container's user namespace */
	const struct cv_copy_root *root;
};

static int copy_entry(int src_dir, const char *src_name, int dst_dir, const char *dst_name,
                      const struct copy_walk *walk);

/* length bytes at offset, or fewer when the file ends first (*ended then): copy_file_range, else read/write. */
static int copy_range(int in, int out, off_t offset, off_t length, bool *ended, const char *name)
{
	off_t in_offset = offset, out_offset = offset, end = offset + length;

	while (in_offset < end) {
		ssize_t n = copy_file_range(in, &in_offset, out, &out_offset,
		                            (size_t)(end - in_offset < (1 << 30) ? end - in_offset : (1 << 30)), 0);
		if (n == 0) {
			*ended = true;
			return 0;
		}
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return cv_error_sys("copy %s", name);
		break;
	}
	/* Across filesystems that refuse copy_file_range: a plain read/write loop. */
	char buffer[1 << 16];
	while (in_offset < end) {
		ssize_t n =
		        pread(in, buffer,
		              (size_t)(end - in_offset < (off_t)sizeof buffer ? end - in_offset : (off_t)sizeof buffer),
		              in_offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cv_error_sys("read %s", name);
		if (n == 0) {
			*ended = true;
			return 0;
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t w = pwrite(out, buffer + done, (size_t)(n - done), in_offset + done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return cv_error_sys("write %s", name);
			done += w;
		}
		in_offset += n;
	}
	return 0;
}

/*
 * At most limit bytes: a file the container keeps appending to cannot fill the host's disk. Only the
 * data is copied and holes stay holes (SEEK_DATA/SEEK_HOLE): a sparse file of a terabyte that takes no
 * block in the container must not take a terabyte of the host's disk when copied out (issue 9).
 */
static int copy_data(int in, int out, off_t limit, const char *name)
{
	off_t offset = 0;
	bool ended = false;
	struct stat now;

	while (offset < limit && !ended) {
		off_t data = lseek(in, offset, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break; /* only a hole is left (or the file shrank) */
		off_t hole = data < 0 ? limit : lseek(in, data, SEEK_HOLE);
		if (data < 0)
			data = offset; /* no SEEK_DATA here: all of it is data */
		if (data >= limit)
			break;
		/* A hole punched between the two calls: copy a little anyway, so that the walk always moves on. */
		if (hole <= data)
			hole = data + (1 << 16);
		if (hole > limit)
			hole = limit;
		if (copy_range(in, out, data, hole - data, &ended, name) < 0)
			return -1;
		offset = hole;
	}
	/* The trailing hole, up to the size the file had (or has, when it shrank meanwhile). */
	if (fstat(in, &now) < 0)
		return cv_error_sys("stat %s", name);
	if (ftruncate(out, now.st_size < limit ? now.st_size : limit) < 0)
		return cv_error_sys("size %s", name);
	return 0;
}

static mode_t kept_mode(const struct stat *st, bool upload)
{
	return st->st_mode & (upload ? 07777 : 01777);
}

/*
 * cp -a: the owner the copy gets. Into the container, an id of the host file is the same id inside the
 * container (its host id is then the container's root's plus that, under a user namespace; one beyond the
 * container's range is refused). Out of the container, the id as the container sees it (65534, the
 * kernel's overflow id, for one its namespace does not map).
 */
static int archive_owner(const struct copy_walk *walk, const struct stat *st, const char *name, uid_t *uid, gid_t *gid)
{
	const struct cv_copy_root *root = walk->root;

	*uid = st->st_uid;
	*gid = st->st_gid;
	if (root->id_count == 0)
		return 0;
	if (walk->upload) {
		if (st->st_uid >= root->id_count || st->st_gid >= root->id_count)
			return cv_error_errno(EOVERFLOW, "copy %s: owner %u:%u is outside the container's %u ids", name,
			                      (unsigned)st->st_uid, (unsigned)st->st_gid, (unsigned)root->id_count);
		*uid = root->uid + st->st_uid;
		*gid = root->gid + st->st_gid;
		return 0;
	}
	*uid = st->st_uid >= root->uid && st->st_uid - root->uid < root->id_count ? st->st_uid - root->uid : 65534;
	*gid = st->st_gid >= root->gid && st->st_gid - root->gid < root->id_count ? st->st_gid - root->gid : 65534;
	return 0;
}

/* cp -a on what fd (or, with name, dir/name without following it) holds; nothing without -a. */
static int keep_owner(const struct copy_walk *walk, const struct stat *st, int fd, const char *name, const char *shown)
{
	uid_t uid;
	gid_t gid;

	if (!walk->archive)
		return 0;
	if (archive_owner(walk, st, shown, &uid, &gid) < 0)
		return -1;
	if ((name == NULL ? fchown(fd, uid, gid) : fchownat(fd, name, uid, gid, AT_SYMLINK_NOFOLLOW)) < 0)
		return cv_error_sys("chown %s to %u:%u", shown, (unsigned)uid, (unsigned)gid);
	return 0;
}

/* A symlink or FIFO made under a temporary name, given its owner there (-a), and renamed over leaf. */
static int place_owned(int dir, const char *leaf, mode_t mode, const char *link_target, const struct stat *st,
                       const struct copy_walk *walk)
{
	char temp[64];

	if (!walk->archive)
		return cv_copy_place(dir, leaf, mode, link_target);
	if (cv_copy_create_temp(dir, mode, link_target, temp, sizeof temp) < 0)
		return -1;
	if (keep_owner(walk, st, dir, temp, leaf) < 0) {
		unlinkat(dir, temp, 0);
		return -1;
	}
	return cv_copy_replace(dir, temp, leaf);
}

/* Written to a new temporary beside the target and renamed over it: an existing node is replaced, not opened. */
static __attribute__((noinline)) int copy_file(int source, const struct stat *st, const char *src_name, int dst_dir,
                                               const char *dst_name, const struct copy_walk *walk)
{
	char temp[64];
	cleanup_close int in = cv_copy_reopen(source, st, O_RDONLY, src_name);
	cleanup_close int out = -1;

	if (in < 0)
		return -1;
	out = cv_copy_create_temp(dst_dir, S_IFREG | 0600, NULL, temp, sizeof temp);
	if (out < 0)
		return cv_error_prefix("%s", dst_name);
	if (copy_data(in, out, st->st_size, src_name) < 0) {
		unlinkat(dst_dir, temp, 0);
		return -1;
	}
	/* The owner first: chown clears the setuid and setgid bits that fchmod then sets. */
	if (keep_owner(walk, st, out, NULL, dst_name) < 0) {
		unlinkat(dst_dir, temp, 0);
		return -1;
	}
	if (fchmod(out, kept_mode(st, walk->upload)) < 0) {
		cv_error_sys("chmod %s", dst_name);
		unlinkat(dst_dir, temp, 0);
		return -1;
	}
	return cv_copy_replace(dst_dir, temp, dst_name);
}

static int copy_directory(int source, const struct stat *st, const char *src_name, int dst_dir, const char *dst_name,
                          const struct copy_walk *walk)
{
	cleanup_close int in = cv_copy_reopen(source, st, O_RDONLY | O_DIRECTORY, src_name);
	cleanup_close int out_path = -1;
	cleanup_close int out = -1;
	cleanup_dir DIR *listing = NULL;
	struct dirent *entry;
	struct stat out_st;

	if (in < 0)
		return -1;
	if (mkdirat(dst_dir, dst_name, 0700) < 0 && errno != EEXIST)
		return cv_error_sys("mkdir %s", dst_name);
	/* An existing entry in the way: a directory is merged into, anything else refused (docker's rule). */
	out_path = cv_copy_open_entry(dst_dir, dst_name, &out_st);
	if (out_path < 0)
		return -1;
	if (!S_ISDIR(out_st.st_mode))
		return cv_error_errno(ENOTDIR, "cannot overwrite non-directory %s with directory", dst_name);
	out = cv_copy_reopen(out_path, &out_st, O_RDONLY | O_DIRECTORY, dst_name);
	if (out < 0)
		return -1;
	listing = fdopendir(dup(in));
	if (listing == NULL)
		return cv_error_sys("list %s", src_name);
	while ((entry = readdir(listing)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		if (copy_entry(in, entry->d_name, out, entry->d_name, walk) < 0)
			return cv_error_prefix("%s", src_name);
	}
	if (keep_owner(walk, st, out, NULL, dst_name) < 0)
		return -1;
	if (fchmod(out, kept_mode(st, walk->upload)) < 0)
		return cv_error_sys("chmod %s", dst_name);
	return 0;
}

static __attribute__((noinline)) int copy_symlink(int source, const struct stat *st, const char *src_name, int dst_dir,
                                                  const char *dst_name, const struct copy_walk *walk)
{
	char target[PATH_MAX];

	if (cv_copy_read_link(source, target, sizeof target, src_name) < 0)
		return -1;
	return place_owned(dst_dir, dst_name, S_IFLNK | 0777, target, st, walk);
}

/* What source (O_PATH, fstat'ed into st) holds, copied to dst_dir/dst_name. */
static int copy_opened(int source, const struct stat *st, const char *src_name, int dst_dir, const char *dst_name,
                       const struct copy_walk *walk)
{
	switch (st->st_mode & S_IFMT) {
	case S_IFDIR:
		return copy_directory(source, st, src_name, dst_dir, dst_name, walk);
	case S_IFREG:
		return copy_file(source, st, src_name, dst_dir, dst_name, walk);
	case S_IFLNK:
		return copy_symlink(source, st, src_name, dst_dir, dst_name, walk);
	case S_IFIFO: /* made anew, never opened */
		return place_owned(dst_dir, dst_name, S_IFIFO | (st->st_mode & 0777), NULL, st, walk);
	default:
		return cv_error_errno(ENOTSUP,
		                      "copy %s: device nodes and sockets are not copied (the tar form, -, lists them)",
		                      src_name);
	}
}

static int copy_entry(int src_dir, const char *src_name, int dst_dir, const char *dst_name,
                      const struct copy_walk *walk)
{
	struct stat st;
	cleanup_close int source = cv_copy_open_entry(src_dir, src_name, &st);

	if (source < 0)
		return -1;
	return copy_opened(source, &st, src_name, dst_dir, dst_name, walk);
}

/* Splits a path into its directory and its last component ("/a/b/" gives "/a" and "b"). */
int cv_split_path(const char *path, char *dir, size_t dir_size, char *leaf, size_t leaf_size)
{
	char copy[PATH_MAX];
	size_t length = strlen(path);

	if (length == 0 || length >= sizeof copy)
		return cv_error_errno(EINVAL, "invalid path \"%s\"", path);
	memcpy(copy, path, length + 1);
	while (length > 1 && copy[length - 1] == '/')
		copy[--length] = '\0';
	char *slash = strrchr(copy, '/');
	if (slash == NULL) {
		snprintf(dir, dir_size, ".");
		snprintf(leaf, leaf_size, "%s", copy);
	} else {
		snprintf(leaf, leaf_size, "%s", slash + 1);
		*slash = '\0';
		snprintf(dir, dir_size, "%s", slash == copy ? "/" : copy);
	}
	if (leaf[0] == '\0' || strcmp(leaf, ".") == 0 || strcmp(leaf, "..") == 0)
		return cv_error_errno(EINVAL, "invalid path \"%s\": name a file or directory", path);
	return 0;
}

/* Opens a directory on the host (root_fd < 0) or inside the container's root. */
static int open_dir(int root_fd, const char *path)
{
	if (root_fd < 0)
		return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return cv_root_open(root_fd, path, O_PATH | O_DIRECTORY, 0);
}

/*
 * docker cp semantics for the destination: an existing directory receives
 * the source under its own name; anything else is the new name itself.
 * follow (cp -L): a source that is a symlink is followed (inside the
 * container's root when it is the container's) and what it leads to is
 * copied under the link's name.
 */
static int copy_one(int src_root, const char *src_path, int dst_root, const char *dst_path, bool follow,
                    const struct copy_walk *walk)
{
	char src_dir_path[PATH_MAX], src_leaf[NAME_MAX + 1], dst_dir_path[PATH_MAX], dst_leaf[NAME_MAX + 1];
	cleanup_close int src_dir = -1;
	cleanup_close int dst_dir = -1;
	cleanup_close int followed = -1;
	struct stat st;

	if (cv_split_path(src_path, src_dir_path, sizeof src_dir_path, src_leaf, sizeof src_leaf) < 0)
		return -1;
	src_dir = open_dir(src_root, src_dir_path);
	if (src_dir < 0)
		return cv_error_sys("%s", src_path);
	if (follow) {
		/* O_PATH, not O_NOFOLLOW: the last link too is resolved, by openat2 RESOLVE_IN_ROOT in the container.
		 */
		followed = src_root < 0 ? openat(src_dir, src_leaf, O_PATH | O_CLOEXEC)
		                        : cv_root_open(src_root, src_path, O_PATH, 0);
		if (followed < 0)
			return cv_error_sys("follow %s", src_path);
		if (fstat(followed, &st) < 0)
			return cv_error_sys("stat %s", src_path);
	}
	dst_dir = open_dir(dst_root, dst_path);
	if (dst_dir >= 0) {
		snprintf(dst_leaf, sizeof dst_leaf, "%s", src_leaf);
	} else {
		if (cv_split_path(dst_path, dst_dir_path, sizeof dst_dir_path, dst_leaf, sizeof dst_leaf) < 0)
			return -1;
		dst_dir = open_dir(dst_root, dst_dir_path);
		if (dst_dir < 0)
			return cv_error_sys("%s", dst_dir_path);
	}
	/* O_PATH directories serve every *at() call below; what is read or listed is reopened by copy-safe.c. */
	if (follow)
		return copy_opened(followed, &st, src_leaf, dst_dir, dst_leaf, walk);
	return copy_entry(src_dir, src_leaf, dst_dir, dst_leaf, walk);
}

/* Host ids of the container's root: the start of its maps (runtime.c refuses maps not starting at 0). */
static void container_root_ids(const struct containerv_container *c, struct cv_copy_root *root)
{
	const struct cv_idmap *uids = c->config.uid_map.set ? &c->config.uid_map : &c->config.gid_map;
	const struct cv_idmap *gids = c->config.gid_map.set ? &c->config.gid_map : &c->config.uid_map;

	root->uid = 0;
	root->gid = 0;
	root->id_count = 0;
	if (!(c->config.namespaces & CV_NS_USER) || !uids->set || uids->child_start != 0 || gids->child_start != 0)
		return;
	root->uid = uids->host_start;
	root->gid = gids->host_start;
	root->id_count = uids->count < gids->count ? uids->count : gids->count;
}

/*
 * A running container's mounts as the copy sees them: cloned from its own
 * mount namespace (open_tree needs the mounts in the caller's namespace, so
 * the child enters it for that one call) and made nodev and nosuid, so that
 * even a device node that slipped past the checks opens no driver: the copy
 * runs outside the container's device cgroup.
 */
static int open_running_root(struct containerv_container *c, bool recursive)
{
	char path[64];
	cleanup_close int own_namespace = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	cleanup_close int namespace = -1;
	cleanup_close int root = -1;
	struct mount_attr attributes = {.attr_set = MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID};
	int tree, saved;

	snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)c->state.pid);
	namespace = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof path, "/proc/%d/root", (int)c->state.pid);
	root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (namespace < 0 || root < 0 || !cv_process_alive(c->state.pid, c->state.pid_start_time))
		return cv_error_errno(ESRCH, "container %s is not running", containerv_name(c));
	if (own_namespace < 0)
		return cv_error_sys("open our mount namespace");
	if (setns(namespace, CLONE_NEWNS) < 0)
		return cv_error_sys("enter the mount namespace of %s", containerv_name(c));
	tree = (int)syscall(SYS_open_tree, root, "",
	                    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0) | AT_EMPTY_PATH);
	saved = errno;
	/* Back to the host's mounts at once: host paths are resolved there. */
	if (setns(own_namespace, CLONE_NEWNS) < 0) {
		if (tree >= 0)
			close(tree);
		return cv_error_sys("return to our mount namespace");
	}
	if (tree < 0) {
		errno = saved;
		return cv_error_sys("clone the mounts of %s", containerv_name(c));
	}
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attributes, sizeof attributes) < 0) {
		saved = errno;
		close(tree);
		errno = saved;
		return cv_error_sys("make the mounts of %s nodev", containerv_name(c));
	}
	return tree;
}

/* The overlay of a stopped container, in the child's private mount namespace (nothing shows on the host). */
static int mount_stopped_root(struct containerv_container *c)
{
	char rootfs[PATH_MAX], work_dir[PATH_MAX], upper[PATH_MAX];
	cleanup_free char *options = NULL;
	int root;

	snprintf(upper, sizeof upper, "%s/upper", c->dir);
	snprintf(work_dir, sizeof work_dir, "%s/work", c->dir);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return cv_error_sys("private mount namespace");
	/* A fresh work dir, as at every start: the last mount left it marked volatile. */
	if (cv_rm_rf(work_dir) < 0 || cv_mkdir_p(work_dir, 0700) < 0 || cv_mkdir_p(upper, 0755) < 0 ||
	    cv_state_rootfs_mountpoint(c->context, rootfs, sizeof rootfs) < 0 || cv_overlay_options(c, &options) < 0)
		return -1;
	/* nodev: a node the container made while it ran must not open the host's device (issue 9). */
	if (mount("overlay", rootfs, "overlay", MS_NODEV | MS_NOSUID, options) < 0)
		return cv_error_sys("mount the root filesystem of %s", containerv_name(c));
	root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return cv_error_sys("open the root filesystem of %s", containerv_name(c));
	return root;
}

/*
 * Files copied in are created as the container's root: with its host ids as
 * our filesystem ids. Under a user namespace that is also what lets the
 * container's filesystem take them at all (host root is unmapped there:
 * EOVERFLOW). Leaving fsuid 0 drops the file capabilities from the
 * effective set; they are raised again from the permitted set, as root
 * still needs them for the container's other users' directories.
 */
static int become_container_root(const struct cv_copy_root *root)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];

	if (root->uid == 0 && root->gid == 0)
		return 0;
	setfsgid(root->gid);
	setfsuid(root->uid);
	if ((uid_t)setfsuid((uid_t)-1) != root->uid || (gid_t)setfsgid((gid_t)-1) != root->gid)
		return cv_error_errno(EPERM, "take the ids of the container's root (%u:%u)", (unsigned)root->uid,
		                      (unsigned)root->gid);
	if (syscall(SYS_capget, &header, data) < 0)
		return cv_error_sys("read our capabilities");
	data[0].effective = data[0].permitted;
	data[1].effective = data[1].permitted;
	if (syscall(SYS_capset, &header, data) < 0)
		return cv_error_sys("raise our capabilities");
	return 0;
}

/* The child: the container's root, our identity for it, the work; failures go back through report. */
static void __attribute__((noreturn))
work_in_child(struct containerv_container *c, bool running, unsigned int flags,
              int (*work)(const struct cv_copy_root *, void *), void *arg, int report)
{
	struct cv_copy_root root;

	container_root_ids(c, &root);
	root.fd = running ? open_running_root(c, !(flags & CV_ROOT_FILESYSTEM_ONLY)) : mount_stopped_root(c);
	if (root.fd >= 0 && (!(flags & CV_ROOT_AS_CONTAINER_ROOT) || become_container_root(&root) == 0) &&
	    work(&root, arg) == 0)
		_exit(0);
	struct cv_sync_message failure = {.error = errno};
	snprintf(failure.text, sizeof failure.text, "%s", containerv_last_error());
	cv_write_all(report, &failure, sizeof failure);
	_exit(1);
}

int cv_container_with_root(struct containerv_container *c, unsigned int flags,
                           int (*work)(const struct cv_copy_root *root, void *arg), void *arg)
{
	struct cv_sync_message failure;
	int fds[2], ret;
	bool running;
	pid_t child;

	cv_state_refresh(c);
	running = cv_state_has_init(c); /* a held container's mounts are the init's too */
	/* Stopped: no start may mount the same layers meanwhile. */
	if (!running && cv_state_lock(c) < 0)
		return -1;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		if (!running)
			cv_state_unlock(c);
		return cv_error_sys("pipe");
	}
	child = fork();
	if (child == 0) {
		close(fds[0]);
		work_in_child(c, running, flags, work, arg, fds[1]);
	}
	close(fds[1]);
	ret = child < 0 ? cv_error_sys("fork") : 0;
	if (child > 0) {
		ssize_t n = cv_read_all(fds[0], &failure, sizeof failure);
		int status = 0;
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		if (n == (ssize_t)sizeof failure)
			ret = cv_error_errno(failure.error ? failure.error : EIO, "%s", failure.text);
		else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			ret = cv_error_errno(EIO, "the copy process of %s died", containerv_name(c));
	}
	close(fds[0]);
	if (!running)
		cv_state_unlock(c);
	return ret;
}

struct copy_request {
	const char *const *sources;
	const char *const *targets;
	size_t count;
	bool upload;
	unsigned int flags; /* enum containerv_copy_flags */
};

static int copy_in_root(const struct cv_copy_root *root, void *arg)
{
	const struct copy_request *r = arg;
	struct copy_walk walk = {.upload = r->upload, .archive = (r->flags & CV_COPY_ARCHIVE) != 0, .root = root};
	bool follow = (r->flags & CV_COPY_FOLLOW_LINK) != 0;

	for (size_t i = 0; i < r->count; i++) {
		int ret = r->upload ? copy_one(-1, r->sources[i], root->fd, r->targets[i], follow, &walk)
		                    : copy_one(root->fd, r->sources[i], -1, r->targets[i], follow, &walk);
		if (ret < 0)
			return cv_error_prefix("copy %s%s to %s%s", r->upload ? "" : "container:", r->sources[i],
			                       r->upload ? "container:" : "", r->targets[i]);
	}
	return 0;
}

/* struct cv_backend_ops.copy: the paths one by one, or a tar stream (tar.c), in a child with the root. */
int cv_linux_copy(struct containerv_container *c, const struct cv_copy_request *request)
{
	struct copy_request paths = {request->sources, request->targets, request->count,
	                             request->direction == CV_COPY_IN, request->flags};

	switch (request->direction) {
	case CV_COPY_IN:
	case CV_COPY_OUT:
		return cv_container_with_root(c, paths.upload, copy_in_root, &paths);
	case CV_COPY_TAR_IN:
		return cv_linux_tar_in(c, request->fd, request->path);
	case CV_COPY_TAR_OUT:
		return cv_linux_tar_out(c, request->path, request->fd);
	}
	return cv_error_errno(EINVAL, "copy: unknown direction %d", (int)request->direction);
}
