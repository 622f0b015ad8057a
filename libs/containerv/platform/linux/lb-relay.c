/*
 * The load balancer's relay on Linux (lb/lb-internal.h): TCP or UDP, and the
 * listening sockets both use.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "platform/linux/lb-relay.h"

/*
 * SO_REUSEPORT admits any socket of the same effective user to a port's
 * group: a second balancer (or any root process) on the same port would
 * silently share our traffic. So the port is claimed first by a socket
 * without it, which fails with EADDRINUSE when anyone holds the port (for TCP
 * with SO_REUSEADDR, which lets TIME_WAIT connections be but not a listener); it is
 * closed just before our group binds (port 0: the kernel's choice is kept).
 */
int cv_lb_claim_port(struct containerv_lb *lb, int type)
{
	struct sockaddr_in address = lb->listen_address;
	socklen_t length = sizeof address;
	char text[INET_ADDRSTRLEN];
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	inet_ntop(AF_INET, &address.sin_addr, text, sizeof text);
	if (fd < 0)
		return cv_error_sys("socket");
	/* TCP: the previous run's TIME_WAIT connections must not block the port (a listener still does). */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int));
	if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0 ||
	    getsockname(fd, (struct sockaddr *)&address, &length) < 0) {
		int err = errno;
		close(fd);
		return cv_error_errno(err, "listen on %s:%u: %s", text, ntohs(lb->listen_address.sin_port),
		                      strerror(err));
	}
	close(fd);
	lb->port = ntohs(address.sin_port);
	return 0;
}

int cv_lb_listen(struct containerv_lb *lb, int type)
{
	struct sockaddr_in address = lb->listen_address;
	socklen_t length = sizeof address;
	char text[INET_ADDRSTRLEN];
	int fd, one = 1;

	inet_ntop(AF_INET, &address.sin_addr, text, sizeof text);
	if (lb->port != 0)
		address.sin_port = htons((uint16_t)lb->port); /* join the port the first listener chose */
	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cv_error_sys("socket");
	/*
	 * SO_REUSEPORT: the kernel admits to the group only sockets of the same
	 * effective user, so another user cannot bind the port to steal traffic.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&address, sizeof address) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 4096) < 0) ||
	    getsockname(fd, (struct sockaddr *)&address, &length) < 0) {
		int err = errno;
		close(fd);
		return cv_error_errno(err, "listen on %s:%u: %s", text, ntohs(address.sin_port), strerror(err));
	}
	lb->port = ntohs(address.sin_port);
	return fd;
}

int cv_lb_relay_start(struct containerv_lb *lb)
{
	return lb->options.udp ? cv_lb_udp_start(lb) : cv_lb_tcp_start(lb);
}

void cv_lb_relay_stop(struct containerv_lb *lb)
{
	if (lb->options.udp)
		cv_lb_udp_stop(lb);
	else
		cv_lb_tcp_stop(lb);
}
