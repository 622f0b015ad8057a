/*
 * The health checks' probes that run no process in the container (containerv's extensions to docker's
 * tests, config/supervise-options.c): TCP, a connect to a port, and HTTP, a GET whose status says healthy
 * (2xx or 3xx, or the expected one) and whose body, when asked, contains a text. The socket is made in
 * the container's network namespace by the backend (network_socket) and used from the supervisor: no
 * host code runs in the container's mount namespace, and the container's loopback is reached as it is
 * from inside.
 *
 * The request is HTTP/1.0 with "Connection: close": the answer is then neither chunked nor kept alive,
 * so reading it is reading to the end (at most PROBE_READ_MAX bytes, all a hostile server gets us to
 * hold), the status line's three digits and a bounded memmem for the body.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "core/backend.h"
#include "core/health-probe.h"

#define PROBE_READ_MAX (64 * 1024)

bool cv_health_is_probe(char *const *test)
{
	return test != NULL && test[0] != NULL && (strcmp(test[0], "HTTP") == 0 || strcmp(test[0], "TCP") == 0);
}

/* Waits for events on fd until deadline (monotonic); false when it passed. */
static bool wait_for(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - cv_monotonic_ns();
		struct pollfd entry = {.fd = fd, .events = events};
		if (left <= 0)
			return false;
		int ready = poll(&entry, 1, (int)(left / 1000000) + 1);
		if (ready > 0)
			return true;
		if (ready < 0 && errno != EINTR)
			return true; /* the call that follows reports it */
	}
}

struct probe {
	struct containerv_health_result *result;
	int64_t deadline;
	bool timed_out;
};

static void say(struct probe *p, int exit_code, const char *format, ...) __attribute__((format(printf, 3, 4)));
static void say(struct probe *p, int exit_code, const char *format, ...)
{
	va_list arguments;

	va_start(arguments, format);
	vsnprintf(p->result->output, sizeof p->result->output, format, arguments);
	va_end(arguments);
	p->result->exit_code = exit_code;
}

/* A connected socket in the container's network namespace, or -1 (the result says why). */
static int connect_in(struct containerv_container *c, struct probe *p, const char *host, bool ipv6, uint16_t port)
{
	struct sockaddr_storage address = {0};
	socklen_t length;
	int fd = -1, error = 0;
	socklen_t error_length = sizeof error;

	if (ipv6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&address;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		inet_pton(AF_INET6, host, &in6->sin6_addr);
		length = sizeof *in6;
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&address;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		inet_pton(AF_INET, host, &in->sin_addr);
		length = sizeof *in;
	}
	if (cv_backend()->network_socket(c, ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, &fd) < 0) {
		say(p, 1, "%s", containerv_last_error());
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&address, length) < 0 && errno != EINPROGRESS)
		error = errno;
	else if (!wait_for(fd, POLLOUT, p->deadline))
		p->timed_out = true;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length) < 0)
		error = errno;
	if (p->timed_out || error != 0) {
		if (!p->timed_out)
			say(p, 1, "connect to %s%s%s:%u: %s", ipv6 ? "[" : "", host, ipv6 ? "]" : "", port,
			    strerror(error));
		close(fd);
		return -1;
	}
	return fd;
}

static void probe_tcp(struct containerv_container *c, struct probe *p, const char *port_text)
{
	uint16_t port = 0;

	if (cv_health_port_parse(port_text, &port) < 0) {
		say(p, 1, "%s", containerv_last_error());
		return;
	}
	int fd = connect_in(c, p, "127.0.0.1", false, port);
	if (fd < 0)
		return;
	close(fd);
	say(p, 0, "connected to 127.0.0.1:%u", port);
}

/* Sends all of request, or false (timed out, or the result says why). */
static bool send_all(int fd, struct probe *p, const char *request, size_t length)
{
	while (length > 0) {
		ssize_t n = send(fd, request, length, MSG_NOSIGNAL);
		if (n > 0) {
			request += n;
			length -= (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			if (!wait_for(fd, POLLOUT, p->deadline))
				return !(p->timed_out = true);
		} else if (n < 0 && errno != EINTR) {
			say(p, 1, "send the request: %s", strerror(errno));
			return false;
		}
	}
	return true;
}

/* Reads the answer to its end or PROBE_READ_MAX bytes; -1 on a timeout or an error (the result says). */
static ssize_t read_answer(int fd, struct probe *p, char *buffer, size_t size)
{
	size_t used = 0;

	while (used < size) {
		ssize_t n = recv(fd, buffer + used, size - used, 0);
		if (n == 0)
			break;
		if (n > 0) {
			used += (size_t)n;
		} else if (errno == EAGAIN) {
			if (!wait_for(fd, POLLIN, p->deadline)) {
				p->timed_out = true;
				return -1;
			}
		} else if (errno != EINTR) {
			say(p, 1, "read the answer: %s", strerror(errno));
			return -1;
		}
	}
	return (ssize_t)used;
}

/* "status=N" and "body=TEXT" of an HTTP test (validated when it was set). */
static void http_words(char *const *words, int *status, const char **body)
{
	for (size_t i = 0; words[i] != NULL; i++) {
		if (strncmp(words[i], "status=", 7) == 0)
			*status = atoi(words[i] + 7);
		else if (strncmp(words[i], "body=", 5) == 0)
			*body = words[i] + 5;
	}
}

static void probe_http(struct containerv_container *c, struct probe *p, char *const *test)
{
	struct cv_health_http http;
	int expected = 0, status = 0;
	const char *body = NULL;
	char request[2300];
	cleanup_free char *answer = NULL;

	if (cv_health_http_parse(test[1], &http) < 0) {
		say(p, 1, "%s", containerv_last_error());
		return;
	}
	http_words(test + 2, &expected, &body);
	cleanup_close int fd = connect_in(c, p, http.host, http.ipv6, http.port);
	if (fd < 0)
		return;
	int length = snprintf(request, sizeof request,
	                      "GET %s HTTP/1.0\r\nHost: %s%s%s:%u\r\nUser-Agent: containerv-healthcheck\r\n"
	                      "Accept: */*\r\nConnection: close\r\n\r\n",
	                      http.path, http.ipv6 ? "[" : "", http.host, http.ipv6 ? "]" : "", http.port);
	if (!send_all(fd, p, request, (size_t)length))
		return;
	if ((answer = malloc(PROBE_READ_MAX + 1)) == NULL) {
		say(p, 1, "out of memory");
		return;
	}
	ssize_t got = read_answer(fd, p, answer, PROBE_READ_MAX);
	if (got < 0)
		return;
	answer[got] = '\0';
	/* "HTTP/1.x NNN ...": the three digits are all that is read of the status line. */
	if (got < 12 || strncmp(answer, "HTTP/", 5) != 0 || answer[8] != ' ' ||
	    sscanf(answer + 9, "%3d", &status) != 1 || status < 100 || status > 599) {
		say(p, 1, "GET %s: not an HTTP answer", test[1]);
		return;
	}
	bool status_ok = expected != 0 ? status == expected : status >= 200 && status < 400;
	if (!status_ok) {
		say(p, 1, "GET %s: status %d, expected %s%.0d", test[1], status, expected != 0 ? "" : "2xx or 3xx",
		    expected);
		return;
	}
	if (body != NULL) {
		const char *headers_end = memmem(answer, (size_t)got, "\r\n\r\n", 4);
		const char *content = headers_end != NULL ? headers_end + 4 : answer + got;
		if (memmem(content, (size_t)(answer + got - content), body, strlen(body)) == NULL) {
			say(p, 1, "GET %s: status %d, the body does not contain \"%s\"", test[1], status, body);
			return;
		}
	}
	say(p, 0, "GET %s: status %d%s", test[1], status, body != NULL ? ", body matched" : "");
}

void cv_health_probe(struct containerv_container *c, char *const *test, int64_t timeout_ns,
                     struct containerv_health_result *result)
{
	struct probe p = {.result = result, .deadline = cv_monotonic_ns() + timeout_ns};

	memset(result, 0, sizeof *result);
	result->start_ns = cv_now_ns();
	if (strcmp(test[0], "TCP") == 0)
		probe_tcp(c, &p, test[1]);
	else
		probe_http(c, &p, test);
	if (p.timed_out) {
		result->exit_code = -1;
		snprintf(result->output, sizeof result->output, "Health check exceeded timeout (%lldms)",
		         (long long)(timeout_ns / 1000000));
	}
	result->end_ns = cv_now_ns();
}
