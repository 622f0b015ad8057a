/*
 * A container's stdio never holds a descriptor of the host: a process of the
 * container can reopen any descriptor it holds through /proc/self/fd/N, and
 * a host file or terminal reopened that way can be read, truncated or made
 * setuid (chmod works on the inode). So a container gets pipes, relayed by
 * the caller or by a log monitor outside the container, and a terminal made
 * in its own devpts instance, whose master is sent out over the sync socket
 * (SCM_RIGHTS), as runc's --console-socket does.
 *
 * cv_pty_open_in_root() and cv_sync_send_message_fd() run in the init (a
 * clone of a possibly multi-threaded caller): no allocation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log-file.h"
#include "common/util.h"
#include "platform/linux/container-private.h"
#include "platform/linux/init-plan.h"

#define DEVPTS_MAGIC 0x1cd1

int cv_pty_open_in_root(int rootfd, unsigned short rows, unsigned short columns, int *master, int *slave, int *number)
{
	struct winsize size = {.ws_row = rows, .ws_col = columns};
	struct statfs filesystem;
	struct stat st;
	int unlock = 0;
	int ptmx;

	/* O_NONBLOCK: whatever sits at that path must not hang us; checked to be a devpts ptmx before use. */
	ptmx = cv_root_open(rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW, 0);
	if (ptmx < 0)
		return cv_error_sys("open the container's /dev/pts/ptmx");
	if (fstat(ptmx, &st) < 0 || fstatfs(ptmx, &filesystem) < 0 || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(5, 2) || filesystem.f_type != DEVPTS_MAGIC) {
		close(ptmx);
		return cv_error_errno(EINVAL, "the container's /dev/pts/ptmx is not a devpts multiplexer");
	}
	fcntl(ptmx, F_SETFL, O_RDWR);
	if (ioctl(ptmx, TIOCSPTLCK, &unlock) < 0 || ioctl(ptmx, TIOCGPTN, number) < 0 ||
	    ((rows != 0 || columns != 0) && ioctl(ptmx, TIOCSWINSZ, &size) < 0)) {
		int saved = errno;
		close(ptmx);
		return cv_error_errno(saved, "set up the container's terminal");
	}
	/* The slave of this very master, not one found by name (which the container could swap). */
	*slave = ioctl(ptmx, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0) {
		int saved = errno;
		close(ptmx);
		return cv_error_errno(saved, "open the container's terminal");
	}
	*master = ptmx;
	return 0;
}

int cv_send_with_fd(int socket_fd, const void *data, size_t size, int fd)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = (void *)data, .iov_len = size};
	struct msghdr header = {.msg_iov = &iov, .msg_iovlen = 1};

	memset(control, 0, sizeof control);
	if (fd >= 0) {
		header.msg_control = control;
		header.msg_controllen = sizeof control;
		struct cmsghdr *rights = CMSG_FIRSTHDR(&header);
		rights->cmsg_level = SOL_SOCKET;
		rights->cmsg_type = SCM_RIGHTS;
		rights->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(rights), &fd, sizeof(int));
	}
	while (sendmsg(socket_fd, &header, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

ssize_t cv_receive_with_fd(int socket_fd, void *data, size_t size, int *fd, int flags)
{
	char control[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = {.iov_base = data, .iov_len = size};
	struct msghdr header = {
	        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
	ssize_t n;

	*fd = -1;
	n = cv_sync_recvmsg(socket_fd, &header, flags | MSG_CMSG_CLOEXEC);
	for (struct cmsghdr *h = n > 0 ? CMSG_FIRSTHDR(&header) : NULL; h != NULL; h = CMSG_NXTHDR(&header, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const int *passed = (const int *)(void *)CMSG_DATA(h);
		for (size_t i = 0; i < count; i++) {
			if (*fd < 0)
				*fd = passed[i];
			else
				close(passed[i]); /* one is all a message carries */
		}
	}
	return n;
}

void cv_log_monitor_wait(const struct containerv_container *container)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/" CV_LOG_DIR, container->dir);
	cv_log_wait_writer(path);
	/* A monitor of an earlier version locks the log file of the old format. */
	snprintf(path, sizeof path, "%s/container.log", container->dir);
	int legacy = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (legacy < 0)
		return;
	while (flock(legacy, LOCK_SH) < 0 && errno == EINTR)
		;
	close(legacy);
}

ssize_t cv_copy_once(int from, int to)
{
	char buffer[65536];
	ssize_t length;

	do
		length = read(from, buffer, sizeof buffer);
	while (length < 0 && errno == EINTR);
	if (length > 0 && to >= 0)
		cv_write_all(to, buffer,
		             (size_t)length); /* a reader of ours that went away must not stop the process */
	return length;
}

int cv_stdio_relay(int out, int err, int ended)
{
	const int ends[2] = {out, err};
	bool open_streams[2] = {out >= 0, err >= 0};

	while (open_streams[0] || open_streams[1]) {
		struct pollfd entries[3];
		nfds_t count = 0;
		int index[2] = {-1, -1}, ended_index = -1;

		for (int i = 0; i < 2; i++) {
			if (open_streams[i]) {
				index[i] = (int)count;
				entries[count++] = (struct pollfd){.fd = ends[i], .events = POLLIN};
			}
		}
		if (ended >= 0) {
			ended_index = (int)count;
			entries[count++] = (struct pollfd){.fd = ended, .events = POLLIN};
		}
		if (poll(entries, count, -1) < 0) {
			if (errno == EINTR)
				continue;
			return cv_error_sys("relay the process's output");
		}
		for (int i = 0; i < 2; i++) {
			if (index[i] >= 0 && entries[index[i]].revents != 0 && cv_copy_once(ends[i], i + 1) <= 0)
				open_streams[i] = false;
		}
		if (ended_index >= 0 && entries[ended_index].revents != 0) {
			/*
			 * The process has ended: what it wrote is in the pipes. Read that without waiting for an
			 * end of file, which a process it left behind in the container could hold back forever.
			 */
			for (int i = 0; i < 2; i++) {
				if (!open_streams[i])
					continue;
				fcntl(ends[i], F_SETFL, O_NONBLOCK);
				while (cv_copy_once(ends[i], i + 1) > 0)
					;
			}
			return 0;
		}
	}
	return 0;
}
