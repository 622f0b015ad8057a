/*
 * The metrics server (metrics.h): libmicrohttpd with its own polling thread, bound to the one address
 * given. Bounded against slow or many clients: a few connections at once and two per address, each timed
 * out; one scrape a second at most, whatever the clients ask.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <chef/containerv/metrics.h>

#include "common/error.h"
#include "metrics/metrics-internal.h"

/* A scraper, a person with curl, and one more: no more is ever needed at once. */
#define MAX_CONNECTIONS 8
#define MAX_CONNECTIONS_PER_ADDRESS 2
#define CONNECTION_TIMEOUT_S 5
/* One scrape serves every request within this long: a client asking in a loop costs one scrape a second. */
#define SCRAPE_REUSE_NS 1000000000LL

struct containerv_metrics_server {
	struct MHD_Daemon *daemon;
	unsigned int port;
	pthread_mutex_t lock; /* over the cached scrape */
	char *scrape;
	size_t length;
	int64_t scraped_ns; /* CLOCK_MONOTONIC */
};

static int64_t monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/* A copy of the last scrape, taken again when it is older than SCRAPE_REUSE_NS. */
static int cached_scrape(struct containerv_metrics_server *server, char **text, size_t *length)
{
	int ret = 0;

	pthread_mutex_lock(&server->lock);
	if (server->scrape == NULL || monotonic_ns() - server->scraped_ns > SCRAPE_REUSE_NS) {
		char *fresh = NULL;
		size_t fresh_length = 0;

		ret = containerv_metrics_collect(&fresh, &fresh_length);
		if (ret == 0) {
			free(server->scrape);
			server->scrape = fresh;
			server->length = fresh_length;
			server->scraped_ns = monotonic_ns();
		}
	}
	if (ret == 0) {
		*text = malloc(server->length + 1);
		if (*text == NULL)
			ret = -1;
		else {
			memcpy(*text, server->scrape, server->length + 1);
			*length = server->length;
		}
	}
	pthread_mutex_unlock(&server->lock);
	return ret;
}

static enum MHD_Result answer_text(struct MHD_Connection *connection, unsigned int status, char *text, size_t length,
                                   enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *response = MHD_create_response_from_buffer(length, text, mode);
	enum MHD_Result result;

	if (response == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(text);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, CV_METRICS_CONTENT_TYPE);
	result = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return result;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size, void **request)
{
	char *text = NULL;
	size_t length = 0;

	struct containerv_metrics_server *server = cls;

	(void)version, (void)upload_data, (void)request;
	if (*upload_data_size != 0)
		return MHD_NO; /* a body to a GET: not a scraper */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer_text(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n", 9, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") != 0)
		return answer_text(connection, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n", 39,
		                   MHD_RESPMEM_PERSISTENT);
	if (cached_scrape(server, &text, &length) < 0)
		return answer_text(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics: collect failed\n", 24,
		                   MHD_RESPMEM_PERSISTENT);
	return answer_text(connection, MHD_HTTP_OK, text, length, MHD_RESPMEM_MUST_FREE);
}

int containerv_metrics_serve(const char *address, unsigned int port, struct containerv_metrics_server **server)
{
	struct sockaddr_in bind_to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct containerv_metrics_server *made;
	const union MHD_DaemonInfo *info;

	cv_error_clear();
	if (server == NULL || address == NULL || port > 65535)
		return cv_error_errno(EINVAL, "metrics server: bad arguments");
	if (inet_pton(AF_INET, address, &bind_to.sin_addr) != 1)
		return cv_error_errno(EINVAL, "metrics server: %s is not a numeric IPv4 address", address);
	made = calloc(1, sizeof *made);
	if (made == NULL)
		return cv_error_sys("metrics server");
	pthread_mutex_init(&made->lock, NULL);
	made->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)port, NULL, NULL,
	                                answer, made, MHD_OPTION_SOCK_ADDR, &bind_to, MHD_OPTION_CONNECTION_LIMIT,
	                                (unsigned int)MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	                                (unsigned int)MAX_CONNECTIONS_PER_ADDRESS, MHD_OPTION_CONNECTION_TIMEOUT,
	                                (unsigned int)CONNECTION_TIMEOUT_S, MHD_OPTION_END);
	if (made->daemon == NULL) {
		int error = errno != 0 ? errno : EADDRINUSE;

		pthread_mutex_destroy(&made->lock);
		free(made);
		return cv_error_errno(error, "metrics server: cannot listen on %s:%u: %s", address, port,
		                      strerror(error));
	}
	info = MHD_get_daemon_info(made->daemon, MHD_DAEMON_INFO_BIND_PORT);
	made->port = info != NULL ? info->port : port;
	*server = made;
	return 0;
}

unsigned int containerv_metrics_server_port(const struct containerv_metrics_server *server)
{
	return server != NULL ? server->port : 0;
}

void containerv_metrics_server_stop(struct containerv_metrics_server *server)
{
	if (server == NULL)
		return;
	MHD_stop_daemon(server->daemon);
	pthread_mutex_destroy(&server->lock);
	free(server->scrape);
	free(server);
}
