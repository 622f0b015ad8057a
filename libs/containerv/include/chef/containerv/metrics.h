/*
 * containerv: metrics in the Prometheus text exposition format (version 0.0.4).
 *
 * One scrape describes the calling thread's context: how many containers are
 * in each state, each running container's resource use (CPU, memory, block
 * I/O, network, processes, OOM kills), how long containers took from create
 * to start, and each pool's state (ready, being removed, takes, its keeper,
 * the last refill's duration). Names follow Prometheus conventions: base units
 * (seconds, bytes), counters end in _total. Container series carry the labels
 * id (the short id) and name; pool series carry pool.
 */
#ifndef CHEF_CONTAINERV_METRICS_H
#define CHEF_CONTAINERV_METRICS_H

#include <stddef.h>

#include <chef/containerv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Collects the metrics now into a new NUL-terminated buffer *text of *length
 * bytes (length may be NULL), to be freed with containerv_metrics_free().
 * A container that ends while it is sampled is left out of this scrape.
 */
CONTAINERV_API int containerv_metrics_collect(char **text, size_t *length);

/* Frees a buffer from containerv_metrics_collect(); NULL is allowed. */
CONTAINERV_API void containerv_metrics_free(char *text);

struct containerv_metrics_server;

/*
 * Serves the metrics over HTTP: GET /metrics answers a
 * containerv_metrics_collect() of the default context at most a second
 * old (one scrape a second, however many clients ask); other paths 404,
 * other methods 405. At most 8 connections, 2 per client address, each
 * closed after 5 s idle. An address other than loopback is reachable from
 * containers on a bridge network (through their gateway) as from the host. address is a numeric IPv4 address (for
 * example "127.0.0.1": nothing else is exposed unless asked); port 0 takes a free one (see
 * containerv_metrics_server_port()). The server answers from its own thread until containerv_metrics_server_stop().
 */
CONTAINERV_API int containerv_metrics_serve(const char *address, unsigned int port,
                                            struct containerv_metrics_server **server);

/* The port the server listens on (the one chosen when 0 was asked). */
CONTAINERV_API unsigned int containerv_metrics_server_port(const struct containerv_metrics_server *server);

/* Stops the server, waits for an answer in progress, and frees it; NULL is allowed. */
CONTAINERV_API void containerv_metrics_server_stop(struct containerv_metrics_server *server);

#ifdef __cplusplus
}
#endif

#endif
