/*
 * The container's root filesystem, set up by the init in its own mount
 * namespace: the overlay, /proc, /dev, /sys and the /etc files, then
 * pivot_root. Every mount target is resolved inside the new root with
 * openat2(RESOLVE_IN_ROOT) and mounted through /proc/self/fd, so a rootfs
 * whose /proc or /etc/hosts is a symlink cannot redirect a mount elsewhere.
 *
 * Runs in the cloned child: no memory allocation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/container-private.h"
#include "platform/linux/init-plan.h"

#include <chef/containerv/container.h>
#include <chef/containerv/volume.h>

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* "/proc/self/fd/N": a mount's source or target named by a descriptor of ours, not by its host path. */
static void fd_path(char *buffer, size_t size, int fd)
{
	snprintf(buffer, size, "/proc/self/fd/%d", fd);
}

int cv_root_open(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
	        .flags = (uint64_t)(flags | O_CLOEXEC),
	        .mode = (flags & O_CREAT) ? mode : 0,
	        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	do
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
	while (fd < 0 && errno == EINTR);
	return fd;
}

int cv_chdir_in_root(const char *path)
{
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int dir = root < 0 ? -1 : cv_root_open(root, path, O_PATH | O_DIRECTORY, 0);
	int ret = 0;

	if (dir < 0 || fchdir(dir) < 0)
		ret = cv_error_sys("chdir to %s", path);
	if (dir >= 0)
		close(dir);
	if (root >= 0)
		close(root);
	return ret;
}

int cv_root_mkdirs(int rootfd, const char *path, mode_t mode)
{
	char partial[PATH_MAX];
	size_t length = strlen(path);

	if (length >= sizeof partial)
		return cv_error_errno(ENAMETOOLONG, "mkdir %s: too long", path);
	memcpy(partial, path, length + 1);
	for (size_t i = 1; i <= length; i++) {
		if (partial[i] != '/' && partial[i] != '\0')
			continue;
		char saved = partial[i];
		partial[i] = '\0';
		/* Resolve the parent inside the root, then create the leaf relative to it. */
		char *slash = strrchr(partial, '/');
		const char *leaf = slash + 1;
		if (*leaf != '\0') {
			int parent;
			if (slash == partial) {
				parent = cv_root_open(rootfd, "/", O_PATH | O_DIRECTORY, 0);
			} else {
				*slash = '\0';
				parent = cv_root_open(rootfd, partial, O_PATH | O_DIRECTORY, 0);
				*slash = '/';
			}
			if (parent < 0)
				return cv_error_sys("resolve %s in the container", partial);
			if (mkdirat(parent, leaf, mode) < 0 && errno != EEXIST) {
				close(parent);
				return cv_error_sys("mkdir %s in the container", partial);
			}
			close(parent);
		}
		partial[i] = saved;
	}
	return 0;
}

/* Opens (creating if asked) a mount target inside the root and mounts on it. */
static int mount_in_root(int rootfd, const char *source, const char *target, const char *fstype, unsigned long flags,
                         const char *data, bool target_is_file)
{
	char proc_path[64];
	int fd;

	if (target_is_file) {
		char parent[PATH_MAX];
		snprintf(parent, sizeof parent, "%s", target);
		char *slash = strrchr(parent, '/');
		if (slash != NULL && slash != parent) {
			*slash = '\0';
			if (cv_root_mkdirs(rootfd, parent, 0755) < 0)
				return -1;
		}
		/* O_NONBLOCK and a type check: an image's FIFO or device node here must not hang or open a driver. */
		fd = cv_root_open(rootfd, target, O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0644);
		if (fd < 0 && errno == ELOOP)
			return cv_error_errno(ELOOP, "mount %s: the target is a symlink", target);
		struct stat st;
		if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
			close(fd);
			return cv_error_errno(EINVAL, "mount %s: the target is not a regular file", target);
		}
	} else {
		if (cv_root_mkdirs(rootfd, target, 0755) < 0)
			return -1;
		fd = cv_root_open(rootfd, target, O_PATH | O_DIRECTORY, 0);
	}
	if (fd < 0)
		return cv_error_sys("open mount target %s", target);
	snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", fd);
	if (mount(source, proc_path, fstype, flags, data) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return cv_error_sys("mount %s on %s", fstype ? fstype : source, target);
	}
	close(fd);
	return 0;
}

struct cv_device {
	const char *name;
	unsigned int major, minor;
	mode_t mode;
};

static const struct cv_device default_devices[] = {
        {"null", 1, 3, 0666},   {"zero", 1, 5, 0666},    {"full", 1, 7, 0666},
        {"random", 1, 8, 0666}, {"urandom", 1, 9, 0666}, {"tty", 5, 0, 0666},
};

/* mknod in the container's /dev, or a bind of the host's node where mknod is not allowed (user namespace). */
static int create_device(int rootfd, int devfd, const struct cv_device *device)
{
	char target[64], host[64];

	if (mknodat(devfd, device->name, S_IFCHR | device->mode, makedev(device->major, device->minor)) == 0) {
		fchmodat(devfd, device->name, device->mode, 0);
		return 0;
	}
	if (errno != EPERM)
		return cv_error_sys("mknod /dev/%s", device->name);
	snprintf(target, sizeof target, "/dev/%s", device->name);
	snprintf(host, sizeof host, "/dev/%s", device->name);
	return mount_in_root(rootfd, host, target, NULL, MS_BIND, NULL, true);
}

/*
 * A --device: mknod with the host node's type, numbers and permission bits (the device allow-list lets
 * exactly it through); in a user namespace, where mknod is refused, the host's node is bound instead.
 */
/*
 * A user namespace may not mknod: the host's node is bound instead. The path is opened and its type and
 * numbers compared with what the parent read and judged at this start, and that very inode is bound
 * (/proc/self/fd): a path swapped meanwhile for a file, a socket or another device is refused, not mounted.
 */
static int bind_requested_device(int rootfd, const struct cv_plan_host_device *device)
{
	char source[64];
	struct stat st;
	int fd, ret;

	fd = open(device->host, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return cv_error_sys("device %s", device->host);
	if (fstat(fd, &st) < 0 || (st.st_mode & S_IFMT) != (device->mode & S_IFMT) || st.st_rdev != device->rdev) {
		close(fd);
		return cv_error_errno(EPERM, "device %s: changed since it was checked at this start (now not %c %u:%u)",
		                      device->host, S_ISBLK(device->mode) ? 'b' : 'c', major(device->rdev),
		                      minor(device->rdev));
	}
	snprintf(source, sizeof source, "/proc/self/fd/%d", fd);
	ret = mount_in_root(rootfd, source, device->container, NULL, MS_BIND, NULL, true);
	close(fd);
	return ret;
}

static int create_requested_device(int rootfd, const struct cv_plan_host_device *device)
{
	char parent[PATH_MAX];
	const char *name;
	int parent_fd;

	snprintf(parent, sizeof parent, "%s", device->container);
	char *slash = strrchr(parent, '/');
	*slash = '\0';
	name = device->container + (slash - parent) + 1;
	if (cv_root_mkdirs(rootfd, parent, 0755) < 0)
		return -1;
	parent_fd = cv_root_open(rootfd, parent, O_PATH | O_DIRECTORY, 0);
	if (parent_fd < 0)
		return cv_error_sys("device %s: open %s in the container", device->host, parent);
	/* A node the image has there is replaced, as docker does. */
	unlinkat(parent_fd, name, 0);
	if (mknodat(parent_fd, name, device->mode, device->rdev) == 0) {
		fchmodat(parent_fd, name, device->mode & 07777, 0);
		close(parent_fd);
		return 0;
	}
	int saved = errno;
	close(parent_fd);
	if (saved != EPERM) {
		errno = saved;
		return cv_error_sys("device %s: mknod %s", device->host, device->container);
	}
	return bind_requested_device(rootfd, device);
}

/*
 * -t: the terminal is made here, in the container's own devpts instance (no terminal of the host ever
 * goes in: a process could reopen it through /proc/self/fd). The master goes to the parent over the sync
 * socket; the slave becomes the main command's stdio and, as docker does, /dev/console.
 */
static int open_terminal(int rootfd, struct cv_init_plan *plan)
{
	struct cv_sync_message message = {.type = CV_SYNC_CONSOLE};
	int master, number;

	if (cv_pty_open_in_root(rootfd, plan->tty_rows, plan->tty_columns, &master, &plan->tty_slave, &number) < 0)
		return -1;
	plan->stdio[0] = plan->stdio[1] = plan->stdio[2] = plan->tty_slave;
	if (cv_send_with_fd(plan->sync_fd, &message, sizeof message, master) < 0) {
		close(master);
		return cv_error_sys("send the terminal to the parent");
	}
	close(master);
	/*
	 * Bound through the slave's descriptor: it was opened in our devpts, in this mount namespace. (The
	 * overlay is on the scratch tmpfs's root/, not on plan->rootfs, and the state root's path is not
	 * the container's root's to walk under a user namespace.)
	 */
	snprintf(plan->console, sizeof plan->console, "/proc/self/fd/%d", plan->tty_slave);
	(void)number;
	return mount_in_root(rootfd, plan->console, "/dev/console", NULL, MS_BIND, NULL, true);
}

/*
 * A device node of the config (a hostile path: its parent is made and opened inside the root, the node
 * made relative to it, never through a link). Where mknod is refused (a user namespace), the host's
 * node of the same path is bound, and must be the device asked for.
 */
static int create_config_device(int rootfd, const struct cv_plan_device *device)
{
	char parent_path[PATH_MAX], host_path[64];
	mode_t type = device->type == 'b' ? S_IFBLK : device->type == 'p' ? S_IFIFO : S_IFCHR;
	dev_t number = device->type == 'p' ? 0 : makedev(device->major, device->minor);
	struct stat st;
	int ret = 0;

	snprintf(parent_path, sizeof parent_path, "%s", device->path);
	char *slash = strrchr(parent_path, '/');
	const char *leaf = device->path + (slash - parent_path) + 1;
	*slash = '\0';
	if (parent_path[0] != '\0' && cv_root_mkdirs(rootfd, parent_path, 0755) < 0)
		return -1;
	int parent = cv_root_open(rootfd, parent_path[0] ? parent_path : "/", O_PATH | O_DIRECTORY, 0);
	if (parent < 0)
		return cv_error_sys("device %s: open its directory in the container", device->path);
	/* The root's own node of that device stays, as runc leaves it; anything else there is an error, never followed.
	 */
	if (fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		close(parent);
		if ((st.st_mode & S_IFMT) == type && (type == S_IFIFO || st.st_rdev == number))
			return 0;
		return cv_error_errno(EEXIST, "device %s: something else is there in the container", device->path);
	}
	if (mknodat(parent, leaf, type | device->mode, number) == 0) {
		if (fchownat(parent, leaf, device->uid, device->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(parent, leaf, device->mode, 0) < 0)
			ret = cv_error_sys("device %s: set its owner and mode", device->path);
		close(parent);
		return ret;
	}
	close(parent);
	if (errno != EPERM)
		return cv_error_sys("mknod %s", device->path);
	/* The host's node, checked to be this device, bound over a file made for it. */
	int host = open(device->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (host < 0)
		return cv_error_sys("device %s: mknod refused and no such node on the host to bind", device->path);
	if (fstat(host, &st) < 0 || (st.st_mode & S_IFMT) != type || (type != S_IFIFO && st.st_rdev != number)) {
		close(host);
		return cv_error_errno(EPERM, "device %s: mknod refused and the host's node there is another device",
		                      device->path);
	}
	fd_path(host_path, sizeof host_path, host);
	ret = mount_in_root(rootfd, host_path, device->path, NULL, MS_BIND, NULL, true);
	close(host);
	return ret;
}

static int setup_dev(int rootfd, struct cv_init_plan *plan)
{
	static const char *const links[][2] = {
	        {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
	        {"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},         {"/proc/kcore", "core"},
	};
	int devfd;

	if (mount_in_root(rootfd, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", false) <
	    0)
		return -1;
	devfd = cv_root_open(rootfd, "/dev", O_PATH | O_DIRECTORY, 0);
	if (devfd < 0)
		return cv_error_sys("open /dev in the container");
	for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++) {
		if (create_device(rootfd, devfd, &default_devices[i]) < 0) {
			close(devfd);
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
		symlinkat(links[i][0], devfd, links[i][1]);
	close(devfd);
	if (mount_in_root(rootfd, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
	                  "newinstance,ptmxmode=0666,mode=0620", false) < 0)
		return -1;
	/* --ipc none: no /dev/shm at all (docker's). */
	if (plan->shm_options[0] != '\0' &&
	    mount_in_root(rootfd, "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, plan->shm_options,
	                  false) < 0)
		return -1;
	for (size_t i = 0; i < plan->host_device_count; i++)
		if (create_requested_device(rootfd, &plan->host_devices[i]) < 0)
			return -1;
	if (mount_in_root(rootfd, "mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false) < 0)
		return -1;
	if (plan->tty && open_terminal(rootfd, plan) < 0)
		return -1;
	for (size_t i = 0; i < plan->device_count; i++)
		if (create_config_device(rootfd, &plan->devices[i]) < 0)
			return -1;
	return 0;
}

static int setup_sys(int rootfd, const struct cv_init_plan *plan)
{
	unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY;

	/* sysfs can only be mounted by the owner of the network namespace. */
	if (plan->namespaces & CV_NS_NET)
		return mount_in_root(rootfd, "sysfs", "/sys", "sysfs", flags, NULL, false);
	if (mount_in_root(rootfd, "/sys", "/sys", NULL, MS_BIND | MS_REC, NULL, false) < 0)
		return -1;
	return mount_in_root(rootfd, "/sys", "/sys", NULL, MS_BIND | MS_REMOUNT | flags, NULL, false);
}

/*
 * /etc/hostname, /etc/hosts and /etc/resolv.conf: written into our scratch tmpfs (below) and bound over
 * the image's. Once the old root is detached only the binds reach them; they go with the container, and
 * the host's disk never holds them.
 */
static int setup_etc_files(int rootfd, const struct cv_init_plan *plan, int scratch)
{
	static const char *const names[] = {"hostname", "hosts", "resolv.conf"};
	char source[64], target[32];

	for (size_t i = 0; i < 3; i++) {
		const char *text = plan->etc_texts[i] ? plan->etc_texts[i] : "";
		if (cv_write_file_at(scratch, names[i], text, strlen(text), 0644) < 0)
			return -1;
		int fd = openat(scratch, names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return cv_error_sys("open /etc/%s", names[i]);
		fd_path(source, sizeof source, fd);
		snprintf(target, sizeof target, "/etc/%s", names[i]);
		int ret = mount_in_root(rootfd, source, target, NULL, MS_BIND, NULL, true);
		close(fd);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* CV_MOUNT_READONLY, _NOSUID, _NODEV and _NOEXEC as MOUNT_ATTR_* bits. */
static unsigned long long mount_attributes_of(unsigned int flags)
{
	return ((flags & CV_MOUNT_READONLY) ? MOUNT_ATTR_RDONLY : 0) |
	       ((flags & CV_MOUNT_NOSUID) ? MOUNT_ATTR_NOSUID : 0) | ((flags & CV_MOUNT_NODEV) ? MOUNT_ATTR_NODEV : 0) |
	       ((flags & CV_MOUNT_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0);
}

/* Attributes (MOUNT_ATTR_*) and propagation of a mount just made at target (recursively with AT_RECURSIVE). */
static int set_mount_attributes(int rootfd, const char *target, unsigned long long attributes_set, int propagation,
                                bool recursive)
{
	static const unsigned long long propagation_flags[] = {MS_PRIVATE, MS_SLAVE, MS_SHARED, MS_UNBINDABLE};
	struct mount_attr attributes = {
	        .attr_set = attributes_set,
	        .propagation = propagation_flags[propagation],
	};
	/* Opened again now: the descriptor must name the new mount, not the directory under it. */
	int fd = cv_root_open(rootfd, target, O_PATH, 0);
	int ret = 0;

	if (fd < 0)
		return cv_error_sys("open mount %s", target);
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attributes,
	            sizeof attributes) < 0)
		ret = cv_error_sys("set the attributes of mount %s", target);
	close(fd);
	return ret;
}

static int mount_user_mount(int rootfd, struct cv_plan_mount *m)
{
	bool readonly = (m->flags & CV_MOUNT_READONLY) != 0;
	bool recursive = (m->flags & CV_MOUNT_RECURSIVE) != 0;

	char source[64];

	if (m->type == CV_MOUNT_TYPE_TMPFS) {
		unsigned long flags = MS_NOSUID | MS_NODEV | (readonly ? MS_RDONLY : 0) |
		                      ((m->flags & CV_MOUNT_NOEXEC) ? MS_NOEXEC : 0);
		if (mount_in_root(rootfd, "tmpfs", m->target, "tmpfs", flags, m->data, false) < 0)
			return -1;
		return m->propagation == CV_PROPAGATION_PRIVATE
		               ? 0
		               : set_mount_attributes(rootfd, m->target, 0, m->propagation, false);
	}
	/* The source opened by cv_rootfs_open: a volume's _data is under the state root, which is root's. */
	fd_path(source, sizeof source, m->source_fd);
	if (mount_in_root(rootfd, source, m->target, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL,
	                  !m->source_is_dir) < 0)
		return -1;
	if (mount_attributes_of(m->flags) == 0 && m->propagation == CV_PROPAGATION_PRIVATE)
		return 0;
	return set_mount_attributes(rootfd, m->target, mount_attributes_of(m->flags), m->propagation, recursive);
}

/* Binds, volumes and tmpfs of the container, then a read-only rootfs (which leaves those writable). */
static int setup_user_mounts(int rootfd, struct cv_init_plan *plan)
{
	for (size_t i = 0; i < plan->mount_count; i++) {
		int ret = mount_user_mount(rootfd, &plan->mounts[i]);
		close_fd(&plan->mounts[i].source_fd);
		if (ret < 0)
			return -1;
	}
	if (plan->readonly_rootfs) {
		struct mount_attr readonly = {.attr_set = MOUNT_ATTR_RDONLY};
		if (syscall(SYS_mount_setattr, rootfd, "", AT_EMPTY_PATH, &readonly, sizeof readonly) < 0)
			return cv_error_sys("make the rootfs read-only");
	}
	return 0;
}

/* Opens a path of /proc, /sys or the image to protect; -1 with errno ENOENT when it is not there. */
static int open_protected(int rootfd, const char *path, struct stat *st)
{
	int fd = cv_root_open(rootfd, path, O_PATH | O_NOFOLLOW, 0);

	if (fd < 0)
		return errno == ENOENT ? -1 : cv_error_sys("open %s to protect it", path);
	if (fstat(fd, st) < 0 || S_ISLNK(st->st_mode)) {
		close(fd);
		return cv_error_errno(ELOOP, "protect %s: it is a symlink", path);
	}
	return fd;
}

/* An empty read-only tmpfs over a directory, /dev/null over anything else (docker's masked paths). */
static int mask_path(int rootfd, const char *path)
{
	char proc_path[64];
	struct stat st;
	int fd = open_protected(rootfd, path, &st), ret = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", fd);
	if (S_ISDIR(st.st_mode) ? mount("tmpfs", proc_path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
	                                "size=4k,mode=0555") < 0
	                        : mount("/dev/null", proc_path, NULL, MS_BIND, NULL) < 0)
		ret = cv_error_sys("mask %s", path);
	close(fd);
	return ret;
}

static int make_path_readonly(int rootfd, const char *path)
{
	char proc_path[64];
	struct stat st;
	int fd = open_protected(rootfd, path, &st);

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", fd);
	if (mount(proc_path, proc_path, NULL, MS_BIND | MS_REC, NULL) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return cv_error_sys("bind %s read-only", path);
	}
	close(fd);
	return set_mount_attributes(rootfd, path, MOUNT_ATTR_RDONLY, CV_PROPAGATION_PRIVATE, true);
}

/* After every other mount, so that no bind of the user's can uncover them. */
static int protect_paths(int rootfd, const struct cv_init_plan *plan)
{
	for (size_t i = 0; plan->readonly_paths != NULL && plan->readonly_paths[i] != NULL; i++)
		if (make_path_readonly(rootfd, plan->readonly_paths[i]) < 0)
			return -1;
	for (size_t i = 0; plan->masked_paths != NULL && plan->masked_paths[i] != NULL; i++)
		if (mask_path(rootfd, plan->masked_paths[i]) < 0)
			return -1;
	return 0;
}

static int bring_up_loopback(void)
{
	struct ifreq request;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return cv_error_sys("socket for loopback");
	memset(&request, 0, sizeof request);
	snprintf(request.ifr_name, sizeof request.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &request) < 0 ||
	    (request.ifr_flags |= IFF_UP | IFF_RUNNING, ioctl(fd, SIOCSIFFLAGS, &request) < 0)) {
		int saved = errno;
		close(fd);
		errno = saved;
		return cv_error_sys("bring up loopback");
	}
	close(fd);
	return 0;
}

static int pivot_into(int rootfd)
{
	if (fchdir(rootfd) < 0)
		return cv_error_sys("chdir to the rootfs");
	/* pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves the new root. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return cv_error_sys("pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return cv_error_sys("detach the old root");
	if (chdir("/") < 0)
		return cv_error_sys("chdir /");
	return 0;
}

/* Opens a directory (or a bind's source) as host root, by its host path. */
static int open_source(const char *path, bool directory, int *fd)
{
	*fd = open(path, O_PATH | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
	return *fd < 0 ? cv_error_sys("open %s", path) : 0;
}

/*
 * A bind's source, by the path the parent resolved and checked (binds.c): it has no symbolic link,
 * so none may be followed now. Between the check and this open, whoever can write a directory on
 * the way (a host user, another container through a shared bind) could swap a component for a link
 * to /etc: the kernel would follow it and the container would get the host's /etc, writable.
 */
static int open_bind_source(struct cv_plan_mount *m)
{
	struct open_how how = {
	        .flags = (uint64_t)(O_PATH | O_CLOEXEC | (m->source_is_dir ? O_DIRECTORY : 0)),
	        .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	do
		m->source_fd = (int)syscall(SYS_openat2, AT_FDCWD, m->source, &how, sizeof how);
	while (m->source_fd < 0 && errno == EINTR);
	if (m->source_fd < 0 && errno == ELOOP)
		return cv_error_errno(ELOOP,
		                      "bind mount source %s: a symbolic link appeared on its way since it "
		                      "was checked",
		                      m->source);
	return m->source_fd < 0 ? cv_error_sys("open %s", m->source) : 0;
}

int cv_rootfs_open(struct cv_init_plan *plan, char go)
{
	char *const *layers = go == CV_GO_SHIFTED ? plan->shifted_layers : plan->layers;

	if (open_source(plan->rootfs, true, &plan->rootfs_fd) < 0 ||
	    (!plan->rootfs_in_place && (open_source(plan->upper, true, &plan->upper_fd) < 0 ||
	                                open_source(plan->work, true, &plan->work_fd) < 0)))
		return -1;
	if (go == CV_GO_IDMAPPED) {
		/* The parent's detached id-mapped mounts, one per layer: attached in cv_rootfs_setup. */
		if (plan->idmap_count != plan->layer_count)
			return cv_error_errno(EPROTO, "received %zu id-mapped layers for %zu", plan->idmap_count,
			                      plan->layer_count);
		memcpy(plan->layer_fds, plan->idmap_fds, plan->layer_count * sizeof *plan->layer_fds);
		plan->idmap_count = 0;
		plan->layers_idmapped = true;
	} else {
		for (size_t i = 0; i < plan->layer_count; i++)
			if (open_source(layers[i], true, &plan->layer_fds[i]) < 0)
				return -1;
	}
	for (size_t i = 0; i < plan->mount_count; i++) {
		struct cv_plan_mount *m = &plan->mounts[i];
		/* Anything but a tmpfs or a volume is a bind (resolve_mount's default too). */
		int ret = m->type == CV_MOUNT_TYPE_TMPFS    ? 0
		          : m->type == CV_MOUNT_TYPE_VOLUME ? open_source(m->source, true, &m->source_fd)
		                                            : open_bind_source(m);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* Every descriptor cv_rootfs_open made: none of the host's may stay in the init. */
static void close_sources(struct cv_init_plan *plan)
{
	close_fd(&plan->rootfs_fd);
	close_fd(&plan->upper_fd);
	close_fd(&plan->work_fd);
	for (size_t i = 0; i < plan->layer_count; i++)
		close_fd(&plan->layer_fds[i]);
	for (size_t i = 0; i < plan->mount_count; i++)
		close_fd(&plan->mounts[i].source_fd);
}

/*
 * A small tmpfs of our own, attached on the shared <root>/containers/.rootfs (in our mount namespace
 * only): the overlay is mounted on its root/, the id-mapped layers on its layer<i>/, the /etc files are
 * written into it. Made with fsmount() so that we hold a descriptor of the mount itself: a mount on a
 * directory we hold a descriptor of is reached only by a path lookup, and the state root's paths are
 * not the container's root's to walk.
 */
static int mount_scratch(struct cv_init_plan *plan)
{
	int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	int mount_fd = -1;

	if (fs < 0)
		return cv_error_sys("fsopen tmpfs");
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "256k", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (mount_fd = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
	                             MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0) {
		int saved = errno;
		close(fs);
		errno = saved;
		return cv_error_sys("make a tmpfs for the root filesystem");
	}
	close(fs);
	if (syscall(SYS_move_mount, mount_fd, "", plan->rootfs_fd, "",
	            MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		int saved = errno;
		close(mount_fd);
		errno = saved;
		return cv_error_sys("attach the tmpfs for the root filesystem");
	}
	close_fd(&plan->rootfs_fd);
	return mount_fd;
}

/* Opens (making it) the directory name of the scratch tmpfs, as a mount target. */
static int scratch_dir(int scratch, const char *name)
{
	if (mkdirat(scratch, name, 0700) < 0 && errno != EEXIST)
		return cv_error_sys("mkdir %s in the scratch tmpfs", name);
	int fd = openat(scratch, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? cv_error_sys("open %s in the scratch tmpfs", name) : fd;
}

/*
 * The id-mapped layers are detached mounts: overlayfs takes only a mount of our namespace as a layer, so
 * each is attached on a directory of the scratch tmpfs. Its descriptor then names the attached mount.
 */
static int attach_idmapped_layers(struct cv_init_plan *plan, int scratch)
{
	for (size_t i = 0; i < plan->layer_count; i++) {
		char name[32];
		snprintf(name, sizeof name, "layer%zu", i);
		int target = scratch_dir(scratch, name);
		if (target < 0)
			return -1;
		int ret = (int)syscall(SYS_move_mount, plan->layer_fds[i], "", target, "",
		                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
		close(target);
		if (ret < 0)
			return cv_error_sys("attach id-mapped layer %zu", i);
	}
	return 0;
}

/* The overlay over the layers' descriptors (the lowest layer comes last in lowerdir), on scratch/root. */
static int mount_overlay(struct cv_init_plan *plan, int scratch)
{
	char *options = plan->overlay_options;
	size_t size = plan->overlay_options_size, used;
	char target[64];
	int fd, ret;

	used = (size_t)snprintf(options, size, "lowerdir=");
	for (size_t i = plan->layer_count; i-- > 0 && used < size;)
		used += (size_t)snprintf(options + used, size - used, "%s/proc/self/fd/%d",
		                         i + 1 == plan->layer_count ? "" : ":", plan->layer_fds[i]);
	/* volatile: the upper layer is scratch space, so skip the syncfs at unmount (it would sync the whole disk). */
	if (used < size)
		used += (size_t)snprintf(options + used, size - used,
		                         ",upperdir=/proc/self/fd/%d,workdir=/proc/self/fd/%d,volatile%s",
		                         plan->upper_fd, plan->work_fd, plan->userxattr ? ",userxattr" : "");
	if (used >= size)
		return cv_error_errno(ENAMETOOLONG, "overlay options: too long");
	fd = scratch_dir(scratch, "root");
	if (fd < 0)
		return -1;
	fd_path(target, sizeof target, fd);
	ret = mount("overlay", target, "overlay", 0, options);
	if (ret < 0)
		cv_error_sys("mount the overlay rootfs");
	close(fd);
	/* The overlay holds its layers now; the descriptors go. */
	close_fd(&plan->upper_fd);
	close_fd(&plan->work_fd);
	for (size_t i = 0; i < plan->layer_count; i++)
		close_fd(&plan->layer_fds[i]);
	if (ret < 0)
		return -1;
	/* Looked up again, so that the descriptor is of the overlay, not of the directory under it. */
	fd = openat(scratch, "root", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? cv_error_sys("open the rootfs") : fd;
}

/*
 * The root used in place (an OCI bundle's rootfs): a recursive bind of the directory on scratch/root, so
 * that the container writes into it as under runc. A bind, not the directory itself: pivot_root needs a
 * mount, and a read-only root is then a flag of this mount only, never of the host's.
 */
static int bind_root_in_place(struct cv_init_plan *plan, int scratch)
{
	char source[64], target[64];
	int fd, ret;

	fd = scratch_dir(scratch, "root");
	if (fd < 0)
		return -1;
	fd_path(source, sizeof source, plan->layer_fds[0]);
	fd_path(target, sizeof target, fd);
	ret = mount(source, target, NULL, MS_BIND | MS_REC, NULL);
	if (ret < 0)
		cv_error_sys("bind the root filesystem");
	close(fd);
	close_fd(&plan->layer_fds[0]);
	if (ret < 0)
		return -1;
	fd = openat(scratch, "root", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? cv_error_sys("open the rootfs") : fd;
}

int cv_rootfs_setup(struct cv_init_plan *plan)
{
	int scratch = -1, rootfd = -1, ret = -1;

	/* Nothing mounted from here on may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		cv_error_sys("make mounts private");
		goto done;
	}
	scratch = mount_scratch(plan);
	if (scratch < 0 || (plan->layers_idmapped && attach_idmapped_layers(plan, scratch) < 0))
		goto done;
	rootfd = plan->rootfs_in_place ? bind_root_in_place(plan, scratch) : mount_overlay(plan, scratch);
	if (rootfd < 0)
		goto done;
	if (mount_in_root(rootfd, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false) < 0 ||
	    setup_dev(rootfd, plan) < 0 || setup_sys(rootfd, plan) < 0 ||
	    (!plan->rootfs_in_place && setup_etc_files(rootfd, plan, scratch) < 0) ||
	    setup_user_mounts(rootfd, plan) < 0 || protect_paths(rootfd, plan) < 0)
		goto done;
	if ((plan->namespaces & CV_NS_NET) && bring_up_loopback() < 0)
		goto done;
	ret = pivot_into(rootfd);
	/*
	 * The root mount only (the mounts below keep their own, as each asked): after pivot_root, which refuses
	 * a shared root. Everything was made private first: a shared root shares only with the container's
	 * own binds of it, never with the host.
	 */
	if (ret == 0 && plan->root_propagation != CV_PROPAGATION_PRIVATE) {
		static const unsigned long propagation_flags[] = {MS_PRIVATE, MS_SLAVE, MS_SHARED, MS_UNBINDABLE};
		if (mount(NULL, "/", NULL, propagation_flags[plan->root_propagation], NULL) < 0)
			ret = cv_error_sys("set the propagation of the root");
	}
done:
	close_sources(plan);
	close_fd(&scratch);
	close_fd(&rootfd);
	return ret;
}
