/*
 * Loop devices for size-limited volumes: an ext4 image formatted once by
 * mkfs.ext4, and attached to a free loop device only while mounted.
 *
 * The device is configured with LO_FLAGS_AUTOCLEAR and our descriptor of it
 * is closed as soon as the mount holds it, so unmounting is the only
 * cleanup: no device number is recorded anywhere, and a process killed at
 * any point leaves either a mount (which reconcile unmounts) or nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
/* <linux/loop.h>: our include path has a linux/ of its own, hence loop-device.h for ours. */
#include <linux/loop.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/loop-device.h"

/* Attempts at grabbing a free device that another process takes first. */
#define LOOP_ATTEMPTS 32

static const char *find_mkfs(void)
{
	static const char *const candidates[] = {"/sbin/mkfs.ext4", "/usr/sbin/mkfs.ext4"};

	for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++)
		if (access(candidates[i], X_OK) == 0)
			return candidates[i];
	return NULL;
}

/* Keeps the first line of what mkfs printed, for the error message. */
static void first_line(int fd, char *buffer, size_t size)
{
	ssize_t n = cv_read_all(fd, buffer, size - 1);
	char *newline;

	buffer[n > 0 ? n : 0] = '\0';
	newline = strchr(buffer, '\n');
	if (newline != NULL)
		*newline = '\0';
}

static int wait_child(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int cv_loop_format_ext4(const char *image, uid_t uid, gid_t gid)
{
	/* A fixed environment: the caller's (MKE2FS_CONFIG, locale) must not change the result. */
	char *const environment[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
	const char *mkfs = find_mkfs();
	char owner[64], message[512];
	cleanup_close int output_read = -1, output_write = -1;
	posix_spawn_file_actions_t actions;
	int pipe_fds[2], status, err;
	pid_t pid;

	if (mkfs == NULL)
		return cv_error_errno(ENOENT, "mkfs.ext4 not found in /sbin or /usr/sbin (install e2fsprogs)");
	/*
	 * lazy_itable_init=0,lazy_journal_init=0: the inode tables and journal are initialised now (cheap on a
	 * fresh sparse image) rather than by the kernel's ext4lazyinit thread after the first mount, where
	 * that zeroing competed with the workload's first writes.
	 */
	snprintf(owner, sizeof owner, "root_owner=%u:%u,lazy_itable_init=0,lazy_journal_init=0", (unsigned)uid,
	         (unsigned)gid);
	/* -m 0: no blocks reserved for root, so the limit is the size the user asked for. */
	char *const argv[] = {"mkfs.ext4", "-q", "-F", "-m", "0", "-E", owner, (char *)image, NULL};
	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return cv_error_sys("pipe");
	output_read = pipe_fds[0];
	output_write = pipe_fds[1];
	/* The library never writes to the caller's stdout/stderr: mkfs's output goes to the pipe. */
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&actions, output_write, 1);
	posix_spawn_file_actions_adddup2(&actions, output_write, 2);
	err = posix_spawn(&pid, mkfs, &actions, NULL, argv, environment);
	posix_spawn_file_actions_destroy(&actions);
	if (err != 0)
		return cv_error_errno(err, "run %s: %s", mkfs, strerrordesc_np(err));
	close(cv_steal_fd(&output_write));
	first_line(output_read, message, sizeof message);
	if (wait_child(pid, &status) < 0)
		return cv_error_sys("wait for mkfs.ext4");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return cv_error_errno(EIO, "mkfs.ext4 failed (status %d)%s%s",
		                      WIFEXITED(status) ? WEXITSTATUS(status) : -1, message[0] ? ": " : "", message);
	return 0;
}

/* LOOP_CONFIGURE (5.8+) binds and configures in one call; older kernels need SET_FD then SET_STATUS64. */
static int configure_device(int loop_fd, int image_fd, const char *image)
{
	struct loop_config config;

	memset(&config, 0, sizeof config);
	config.fd = (__u32)image_fd;
	/*
	 * Direct I/O: the image's pages are not cached a second time under the loop device's (ext4 over
	 * a file on ext4 would double the page cache and the copies). The kernel falls back to buffered
	 * I/O by itself where the image's filesystem cannot do direct I/O.
	 */
	config.info.lo_flags = LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO;
	snprintf((char *)config.info.lo_file_name, sizeof config.info.lo_file_name, "%s", image);
	if (ioctl(loop_fd, LOOP_CONFIGURE, &config) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOTTY)
		return -1;
	if (ioctl(loop_fd, LOOP_SET_FD, image_fd) < 0)
		return -1;
	if (ioctl(loop_fd, LOOP_SET_STATUS64, &config.info) < 0) {
		int saved = errno;
		ioctl(loop_fd, LOOP_CLR_FD, 0);
		errno = saved;
		return -1;
	}
	return 0;
}

/* Opens a free loop device bound to image_fd; a device taken between GET_FREE and binding is retried. */
static int attach_free_device(int image_fd, const char *image, char *device, size_t size)
{
	cleanup_close int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);

	if (control < 0)
		return cv_error_sys("open /dev/loop-control");
	for (int attempt = 0; attempt < LOOP_ATTEMPTS; attempt++) {
		int number = ioctl(control, LOOP_CTL_GET_FREE);
		int loop_fd;

		if (number < 0)
			return cv_error_sys("find a free loop device");
		snprintf(device, size, "/dev/loop%d", number);
		loop_fd = open(device, O_RDWR | O_CLOEXEC);
		if (loop_fd < 0)
			return cv_error_sys("open %s", device);
		if (configure_device(loop_fd, image_fd, image) == 0)
			return loop_fd;
		int saved = errno;
		close(loop_fd);
		if (saved != EBUSY)
			return cv_error_errno(saved, "attach %s to %s: %s", image, device, strerrordesc_np(saved));
	}
	return cv_error_errno(EBUSY, "attach %s: every free loop device was taken first, %d times", image,
	                      LOOP_ATTEMPTS);
}

int cv_loop_mount_ext4(const char *image, int target_fd)
{
	char device[64], target[64];
	cleanup_close int image_fd = open(image, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	cleanup_close int loop_fd = -1;

	if (image_fd < 0)
		return cv_error_sys("open %s", image);
	loop_fd = attach_free_device(image_fd, image, device, sizeof device);
	if (loop_fd < 0)
		return -1;
	/* The magic link reaches the directory we opened, whatever its path has become. */
	snprintf(target, sizeof target, "/proc/self/fd/%d", target_fd);
	if (mount(device, target, "ext4", MS_NODEV | MS_NOSUID, NULL) < 0)
		return cv_error_sys("mount %s (%s)", device, image);
	/* Closing loop_fd now leaves the mount as the device's only holder: its unmount detaches it. */
	return 0;
}

bool cv_is_mount_point_at(int dirfd, const char *name)
{
	struct stat parent, child;

	if (fstat(dirfd, &parent) < 0 || fstatat(dirfd, name, &child, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return parent.st_dev != child.st_dev;
}

int cv_unmount(const char *path)
{
	if (umount2(path, UMOUNT_NOFOLLOW) == 0)
		return 0;
	if (errno == EBUSY && umount2(path, UMOUNT_NOFOLLOW | MNT_DETACH) == 0)
		return 0;
	if (errno == EINVAL || errno == ENOENT)
		return 0; /* not mounted (any more) */
	return cv_error_sys("unmount %s", path);
}
