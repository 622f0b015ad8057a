/* The balancer's privileged scaler (compose-lb-scaler.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "orchestration/compose-lb-scaler.h"
#include "orchestration/compose-lb.h"

/* One request, one reply: fixed sizes over SOCK_SEQPACKET, so a message is whole or refused. */
struct scale_request {
	char service[128];
	char reason[128];
	uint32_t count;
};

struct scale_reply {
	int32_t status; /* 0, or the errno of the failure */
	char error[512];
};

static int channel = -1;
static pid_t scaler = 0;
static pthread_mutex_t channel_lock = PTHREAD_MUTEX_INITIALIZER;

/* What the scaler accepts: NUL-terminated text, a service of the plan, a count within its policy. */
static const char *check_request(struct scale_request *request, const struct cv_lb_scaler_service *services,
                                 size_t count)
{
	if (memchr(request->service, '\0', sizeof request->service) == NULL ||
	    memchr(request->reason, '\0', sizeof request->reason) == NULL)
		return "malformed request";
	for (char *c = request->reason; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
	for (size_t i = 0; i < count; i++) {
		if (strcmp(services[i].name, request->service) != 0)
			continue;
		return request->count >= services[i].min && request->count <= services[i].max
		               ? NULL
		               : "replica count outside the service's autoscale bounds";
	}
	return "not an autoscaled service of this project";
}

static _Noreturn void serve_requests(const struct containerv_compose *app, int fd,
                                     const struct cv_lb_scaler_service *services, size_t count)
{
	struct scale_request request;
	struct scale_reply reply;

	for (;;) {
		ssize_t n = recv(fd, &request, sizeof request, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0); /* the balancer is gone: nothing is left to scale for */
		memset(&reply, 0, sizeof reply);
		const char *refused =
		        n != (ssize_t)sizeof request ? "malformed request" : check_request(&request, services, count);
		struct containerv_compose_up_options options = CONTAINERV_COMPOSE_UP_OPTIONS_INIT;
		if (refused != NULL) {
			reply.status = EPERM;
			snprintf(reply.error, sizeof reply.error, "scaler: %s", refused);
		} else if (cv_compose_scale_service(app, request.service, request.count, &options, "autoscale",
		                                    request.reason) < 0) {
			reply.status = errno != 0 ? errno : EIO;
			snprintf(reply.error, sizeof reply.error, "%s", containerv_last_error());
		}
		cv_error_clear();
		if (send(fd, &reply, sizeof reply, MSG_NOSIGNAL) < 0 && errno != EINTR)
			_exit(0);
	}
}

int cv_lb_scaler_start(const struct containerv_compose *app, const struct cv_lb_scaler_service *services, size_t count,
                       const int *close_fds, size_t close_count)
{
	int pair[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return cv_error_sys("socketpair for the scaler");
	scaler = fork();
	if (scaler < 0) {
		close(pair[0]);
		close(pair[1]);
		scaler = 0;
		return cv_error_sys("fork the scaler");
	}
	if (scaler == 0) {
		close(pair[0]);
		for (size_t i = 0; i < close_count; i++)
			if (close_fds[i] >= 0)
				close(close_fds[i]);
		serve_requests(app, pair[1], services, count);
	}
	close(pair[1]);
	channel = pair[0];
	return 0;
}

int cv_lb_scaler_scale(const char *service, unsigned int count, const char *reason)
{
	struct scale_request request = {.count = count};
	struct scale_reply reply;
	ssize_t n;

	if (snprintf(request.service, sizeof request.service, "%s", service) >= (int)sizeof request.service)
		return cv_error_errno(ENAMETOOLONG, "service name too long");
	snprintf(request.reason, sizeof request.reason, "%s", reason);
	pthread_mutex_lock(&channel_lock);
	if (channel < 0) {
		pthread_mutex_unlock(&channel_lock);
		return cv_error_errno(ENOTCONN, "no scaler");
	}
	do
		n = send(channel, &request, sizeof request, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof request) {
		do
			n = recv(channel, &reply, sizeof reply, 0);
		while (n < 0 && errno == EINTR);
	}
	pthread_mutex_unlock(&channel_lock);
	if (n != (ssize_t)sizeof reply)
		return cv_error_errno(n < 0 ? errno : EPIPE, "the scaler did not answer");
	reply.error[sizeof reply.error - 1] = '\0';
	return reply.status == 0 ? 0 : cv_error_errno(reply.status, "%s", reply.error);
}

void cv_lb_scaler_stop(void)
{
	pthread_mutex_lock(&channel_lock);
	if (channel >= 0)
		close(channel);
	channel = -1;
	pthread_mutex_unlock(&channel_lock);
	while (scaler > 0 && waitpid(scaler, NULL, 0) < 0 && errno == EINTR)
		;
	scaler = 0;
}

pid_t cv_lb_scaler_pid(void)
{
	return scaler;
}
