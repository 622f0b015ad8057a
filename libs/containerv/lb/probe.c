/*
 * The health prober: one thread that, every probe interval, opens a TCP
 * connection to every backend up or down (all at once, non-blocking, one
 * poll(2)): accepted brings a backend back, refused or unanswered within the
 * connect timeout takes it out. It also ends drains.
 *
 * UDP has no handshake: the prober sends a datagram (the configured probe)
 * from a connected socket; an ICMP "port unreachable" (ECONNREFUSED) takes
 * the backend out, an answer (the expected one, when configured) brings it
 * back. The relay also takes out a backend whose flow meets a refusal.
 */
#include <errno.h>
#include <string.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "lb-internal.h"

/* Sleeps up to milliseconds, waking early when the balancer stops; returns false then. */
static bool sleep_unless_stopping(struct containerv_lb *lb, unsigned int milliseconds)
{
	int64_t end = cv_monotonic_ns() + (int64_t)milliseconds * 1000000;

	while (!atomic_load(&lb->stopping)) {
		int64_t left = end - cv_monotonic_ns();
		struct timespec step = {0, 20000000};

		if (left <= 0)
			return true;
		if (left < step.tv_nsec)
			step.tv_nsec = (long)left;
		nanosleep(&step, NULL);
	}
	return false;
}

/* A non-blocking connect to the backend; -1 when it failed at once (refused on loopback). */
static int start_probe(const struct cv_lb_backend *backend)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&backend->address, sizeof backend->address) == 0 ||
	    errno == EINPROGRESS)
		return fd;
	close(fd);
	return -1;
}

/* Did the connect of a descriptor poll reported on succeed? */
static bool probe_succeeded(const struct pollfd *entry)
{
	int error = 0;
	socklen_t length = sizeof error;

	if ((entry->revents & (POLLOUT | POLLERR | POLLHUP)) == 0)
		return false; /* no answer within the timeout */
	return getsockopt(entry->fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
}

static void record(struct containerv_lb *lb, size_t index, bool healthy)
{
	if (healthy) {
		cv_lb_backend_set_health(lb, index, CONTAINERV_LB_BACKEND_UP);
		return;
	}
	atomic_fetch_add(&lb->backends[index].errors, 1);
	cv_lb_backend_set_health(lb, index, CONTAINERV_LB_BACKEND_DOWN);
}

/*
 * Waits for the probes in entries (the backends at indexes) until each has
 * answered or the timeout: a fast answer does not cut a slow one short. Each
 * answer is judged by healthy; no answer at all counts as silence_healthy.
 * Closes the descriptors.
 */
static void await_answers(struct containerv_lb *lb, struct pollfd *entries, const size_t *indexes, size_t probed,
                          unsigned int timeout, bool (*healthy)(struct containerv_lb *lb, const struct pollfd *entry),
                          bool silence_healthy)
{
	int64_t end = cv_monotonic_ns() + (int64_t)timeout * 1000000;
	size_t pending = probed;
	int ready;

	while (pending > 0) {
		int64_t left = (end - cv_monotonic_ns()) / 1000000;

		ready = poll(entries, probed, left > 0 ? (int)left : 0);
		for (size_t k = 0; ready > 0 && k < probed; k++) {
			if (entries[k].revents != 0 && entries[k].events != 0) {
				record(lb, indexes[k], healthy(lb, &entries[k]));
				entries[k].events = 0;
				entries[k].fd = -entries[k].fd - 1; /* poll ignores negative descriptors */
				pending--;
			}
		}
		if (!(ready > 0 || (ready < 0 && errno == EINTR)) || cv_monotonic_ns() >= end)
			break;
	}
	for (size_t k = 0; k < probed; k++) {
		int fd = entries[k].fd < 0 ? -entries[k].fd - 1 : entries[k].fd;

		if (entries[k].events != 0)
			record(lb, indexes[k], silence_healthy); /* unanswered */
		close(fd);
	}
}

static bool probe_succeeded_for(struct containerv_lb *lb, const struct pollfd *entry)
{
	(void)lb;
	return probe_succeeded(entry);
}

static void probe_round(struct containerv_lb *lb)
{
	struct pollfd entries[CONTAINERV_LB_MAX_BACKENDS];
	size_t indexes[CONTAINERV_LB_MAX_BACKENDS], probed = 0;
	size_t count = atomic_load(&lb->backend_count);
	unsigned int timeout = lb->options.connect_timeout_ms;

	if (timeout > lb->options.probe_interval_ms)
		timeout = lb->options.probe_interval_ms;
	for (size_t i = 0; i < count; i++) {
		int state = atomic_load(&lb->backends[i].state), fd;

		if (state != CONTAINERV_LB_BACKEND_UP && state != CONTAINERV_LB_BACKEND_DOWN)
			continue;
		fd = start_probe(&lb->backends[i]);
		if (fd < 0) {
			record(lb, i, false);
			continue;
		}
		entries[probed] = (struct pollfd){.fd = fd, .events = POLLOUT};
		indexes[probed++] = i;
	}
	await_answers(lb, entries, indexes, probed, timeout, probe_succeeded_for, false);
}

/* A connected UDP socket to the backend with the probe sent; -1 when the send failed at once. */
static int start_udp_probe(struct containerv_lb *lb, const struct cv_lb_backend *backend, bool *refused)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	*refused = false;
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&backend->address, sizeof backend->address) < 0 ||
	    send(fd, lb->udp_probe, lb->options.udp_probe_length, 0) < 0) {
		*refused = errno == ECONNREFUSED;
		close(fd);
		return -1;
	}
	return fd;
}

/* The answer to a UDP probe (poll said something came): true for a healthy one. */
static bool udp_answer_healthy(struct containerv_lb *lb, const struct pollfd *entry)
{
	int fd = entry->fd;
	unsigned char answer[CONTAINERV_LB_PROBE_MAX];
	ssize_t length = recv(fd, answer, sizeof answer, MSG_TRUNC);

	if (length < 0)
		return false; /* ECONNREFUSED: the ICMP port unreachable */
	return lb->options.udp_expect_length == 0 ||
	       ((size_t)length >= lb->options.udp_expect_length &&
	        memcmp(answer, lb->udp_expect, lb->options.udp_expect_length) == 0);
}

/*
 * UDP: a datagram to every backend up or down, from connected sockets, so an
 * ICMP port unreachable comes back as ECONNREFUSED: refused takes a backend
 * out, an answer (the expected one, when set) brings it back, silence counts
 * as healthy unless an answer is expected.
 */
static void udp_round(struct containerv_lb *lb)
{
	struct pollfd entries[CONTAINERV_LB_MAX_BACKENDS];
	size_t indexes[CONTAINERV_LB_MAX_BACKENDS], probed = 0;
	size_t count = atomic_load(&lb->backend_count);
	unsigned int timeout = lb->options.connect_timeout_ms;
	bool expect = lb->options.udp_expect_length > 0;

	if (timeout > lb->options.probe_interval_ms)
		timeout = lb->options.probe_interval_ms;
	for (size_t i = 0; i < count; i++) {
		int state = atomic_load(&lb->backends[i].state), fd;
		bool refused;

		if (state != CONTAINERV_LB_BACKEND_UP && state != CONTAINERV_LB_BACKEND_DOWN)
			continue;
		fd = start_udp_probe(lb, &lb->backends[i], &refused);
		if (fd < 0) {
			if (refused)
				record(lb, i, false);
			continue;
		}
		entries[probed] = (struct pollfd){.fd = fd, .events = POLLIN};
		indexes[probed++] = i;
	}
	await_answers(lb, entries, indexes, probed, timeout, udp_answer_healthy, !expect);
}

void *cv_lb_prober_main(void *argument)
{
	struct containerv_lb *lb = argument;

	while (sleep_unless_stopping(lb, lb->options.probe_interval_ms)) {
		if (lb->options.udp)
			udp_round(lb);
		else
			probe_round(lb);
		cv_lb_finish_drains(lb);
	}
	return NULL;
}
