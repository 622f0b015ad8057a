/*
 * A socket in a running container's network namespace (struct cv_backend_ops.network_socket), for the
 * health checks' HTTP and TCP probes (core/health-probe.c): the calling thread enters the namespace only
 * for the socket() call and comes back at once; the socket stays in the namespace it was made in, so the
 * probe's connect and its reads run in the supervisor, in the host's mount namespace and nothing of the
 * container's but its network. The namespace is reached through the init's pidfd, checked alive with its
 * start time afterwards, so a recycled pid never lends its namespace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/container-private.h"

int cv_linux_network_socket(struct containerv_container *c, int domain, int type, containerv_fd_t *fd)
{
	cleanup_close int ours = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	cleanup_close int init = -1;
	int made, saved;

	*fd = -1;
	if (c->state.status != CV_STATE_RUNNING || c->state.pid <= 0)
		return cv_error_errno(ESRCH, "container %s is not running", containerv_name(c));
	if (ours < 0)
		return cv_error_sys("open our network namespace");
	init = (int)syscall(SYS_pidfd_open, c->state.pid, 0);
	if (init < 0 || !cv_process_alive(c->state.pid, c->state.pid_start_time))
		return cv_error_errno(ESRCH, "container %s is not running", containerv_name(c));
	if (setns(init, CLONE_NEWNET) < 0)
		return cv_error_sys("enter the network namespace of %s", containerv_name(c));
	made = socket(domain, type | SOCK_CLOEXEC, 0);
	saved = errno;
	/* Cannot fail with the descriptor we hold; staying in a container's namespace would be worse. */
	if (setns(ours, CLONE_NEWNET) < 0) {
		if (made >= 0)
			close(made);
		cv_log(CONTAINERV_LOG_ERROR, "return to our network namespace: %s", strerror(errno));
		abort();
	}
	if (made < 0) {
		errno = saved;
		return cv_error_sys("socket in the network namespace of %s", containerv_name(c));
	}
	*fd = made;
	return 0;
}
