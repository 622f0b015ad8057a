/*
 * Id-mapped layers for containers with a user namespace. The image's files
 * belong to host root; in a user namespace whose root is an unprivileged
 * host id they would show up as nobody and could not be copied up. An
 * id-mapped mount of each layer (mount_setattr MOUNT_ATTR_IDMAP with the
 * container's user namespace) shows them owned by the container's root
 * instead, without a chown'd copy of the image.
 *
 * The parent makes the mounts once the init's id maps are written (the
 * mapping is the init's user namespace), detached (open_tree
 * OPEN_TREE_CLONE), and passes them with the "go" message (SCM_RIGHTS). The
 * init attaches them in a tmpfs of its own inside its own mount namespace
 * (overlayfs refuses a detached mount as a layer) and stacks them
 * (rootfs.c). They live and die with the container's mount namespace:
 * nothing is mounted on the host. A filesystem that cannot be id-mapped gets
 * the plain layers, as before.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/init-plan.h"

void cv_idmap_close(int *fds, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int cv_idmap_layers(pid_t init, char *const *layers, int *fds, size_t count)
{
	char path[64];
	cleanup_close int userns = -1;

	for (size_t i = 0; i < count; i++)
		fds[i] = -1;
	if (count > CV_IDMAP_LAYERS_MAX)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/ns/user", (int)init);
	userns = open(path, O_RDONLY | O_CLOEXEC);
	if (userns < 0)
		return cv_error_sys("open the container's user namespace");
	for (size_t i = 0; i < count; i++) {
		struct mount_attr idmap = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};

		fds[i] = (int)syscall(SYS_open_tree, AT_FDCWD, layers[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (fds[i] < 0 || syscall(SYS_mount_setattr, fds[i], "", AT_EMPTY_PATH, &idmap, sizeof idmap) < 0) {
			int saved = errno;
			cv_idmap_close(fds, i + 1);
			for (size_t j = 0; j <= i; j++)
				fds[j] = -1;
			/* Not every filesystem (nor every kernel) can be id-mapped: then the plain layers serve. */
			if (saved == EINVAL || saved == ENOTSUP || saved == EOPNOTSUPP || saved == EPERM ||
			    saved == ENOSYS)
				return 0;
			errno = saved;
			return cv_error_sys("id-map layer %s", layers[i]);
		}
	}
	return 1;
}

int cv_sync_send(int sync_fd, char byte, const int *fds, size_t count)
{
	char control[CMSG_SPACE(sizeof(int) * CV_IDMAP_LAYERS_MAX)];
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};

	memset(control, 0, sizeof control);
	if (count > CV_IDMAP_LAYERS_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (count > 0) {
		message.msg_control = control;
		message.msg_controllen = CMSG_SPACE(sizeof(int) * count);
		struct cmsghdr *header = CMSG_FIRSTHDR(&message);
		header->cmsg_level = SOL_SOCKET;
		header->cmsg_type = SCM_RIGHTS;
		header->cmsg_len = CMSG_LEN(sizeof(int) * count);
		memcpy(CMSG_DATA(header), fds, sizeof(int) * count);
	}
	while (sendmsg(sync_fd, &message, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

ssize_t cv_sync_recvmsg(int fd, struct msghdr *message, int flags)
{
	bool reset_seen = false;
	ssize_t n;

	for (;;) {
		n = recvmsg(fd, message, flags);
		if (n >= 0 || (errno != EINTR && (errno != ECONNRESET || reset_seen)))
			return n;
		/* The reset is reported once (the kernel clears it): what the peer sent before it went is next. */
		reset_seen = reset_seen || errno == ECONNRESET;
	}
}

int cv_sync_receive(int sync_fd, int *fds, size_t max, size_t *count)
{
	char byte = 0;
	char control[CMSG_SPACE(sizeof(int) * CV_IDMAP_LAYERS_MAX)];
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr message = {
	        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
	ssize_t n;

	*count = 0;
	n = cv_sync_recvmsg(sync_fd, &message, MSG_CMSG_CLOEXEC);
	if (n != 1)
		return -1;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&message); h != NULL; h = CMSG_NXTHDR(&message, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		size_t received = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const int *data = (const int *)(void *)CMSG_DATA(h);
		for (size_t i = 0; i < received; i++) {
			if (*count < max)
				fds[(*count)++] = data[i];
			else
				close(data[i]); /* more than asked for: not ours to keep */
		}
	}
	return byte;
}
