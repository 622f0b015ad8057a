/*
 * Internal: the load balancer's shared state (loadbalancer.h).
 *
 * lb/ holds what is the same on every platform: the backend set, the
 * algorithms that pick from it, health states and counters, the TCP health
 * prober (poll(2) and sockets). The relay itself (epoll, splice, SO_REUSEPORT)
 * is the platform's: platform/linux/lb-tcp.c and lb-udp.c implement
 * cv_lb_relay_start()/cv_lb_relay_stop() declared here, as platform/linux
 * fills core's backend table.
 *
 * Concurrency: backends live in a fixed array that never moves, so relay
 * threads read them without a lock; their state and counters are atomics.
 * backend_count only grows, and is published after the backend is written.
 */
#ifndef CV_LB_INTERNAL_H
#define CV_LB_INTERNAL_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <chef/containerv/loadbalancer.h>

/* Which backends a connection has tried already (one bit per index). */
struct cv_lb_tried {
	uint64_t bits[CONTAINERV_LB_MAX_BACKENDS / 64];
};

/* A histogram the relays add to (loadbalancer.h's containerv_lb_histogram, with atomics). */
struct cv_lb_histogram {
	_Atomic uint64_t buckets[CONTAINERV_LB_HISTOGRAM_BUCKETS];
	_Atomic uint64_t count;
	_Atomic uint64_t sum_us;
};

/* Adds one value (nanoseconds; a negative one counts as 0): three relaxed increments, nothing else. */
void cv_lb_histogram_add(struct cv_lb_histogram *histogram, int64_t nanoseconds);

struct cv_lb_backend {
	struct sockaddr_in address;
	char address_text[16];
	unsigned int weight;
	_Atomic int state; /* enum containerv_lb_backend_state */
	_Atomic int64_t drain_deadline_ns;
	_Atomic uint64_t connections;
	_Atomic uint64_t active;
	_Atomic uint64_t bytes_in;
	_Atomic uint64_t bytes_out;
	_Atomic uint64_t errors;
	_Atomic uint64_t state_changes;
	struct cv_lb_histogram latency[2]; /* by enum containerv_lb_latency */
};

struct containerv_lb {
	struct containerv_lb_options options; /* defaults filled in */
	struct sockaddr_in listen_address;
	struct cv_lb_backend backends[CONTAINERV_LB_MAX_BACKENDS];
	_Atomic size_t backend_count;
	pthread_mutex_t lock;                             /* serialises add/remove and state callbacks */
	_Atomic uint64_t turn;                            /* round robin's and weighted's position */
	_Atomic int stopping;                             /* set by containerv_lb_free(): threads end */
	unsigned int port;                                /* bound port, host order */
	void *relay;                                      /* the platform's relay (TCP or UDP) */
	unsigned char udp_probe[CONTAINERV_LB_PROBE_MAX]; /* options' copies (their pointers point here) */
	unsigned char udp_expect[CONTAINERV_LB_PROBE_MAX];
	pthread_t prober;
	int prober_started;
};

/*
 * Picks a backend for a client (TCP connection or UDP flow) among those up
 * and not in tried; when none is up, among those down (a prober may lag:
 * better a try than a refusal). Returns its index and counts it active, or
 * -1 when every backend was tried or is removed.
 */
int cv_lb_pick(struct containerv_lb *lb, const struct sockaddr_in *client, const struct cv_lb_tried *tried);

/* Marks bit index in tried. */
void cv_lb_tried_add(struct cv_lb_tried *tried, size_t index);

/*
 * Moves a backend from UP or DOWN to state (UP or DOWN), counting the change
 * and calling the state callback when it is one. Draining and removed
 * backends stay so.
 */
void cv_lb_backend_set_health(struct containerv_lb *lb, size_t index, enum containerv_lb_backend_state state);

/* A relay's report that a connect to backend index failed (refused, timed out): counted, and the backend taken out. */
void cv_lb_backend_failed(struct containerv_lb *lb, size_t index);

/* The backend at index, or NULL beyond backend_count. */
struct cv_lb_backend *cv_lb_backend_at(struct containerv_lb *lb, size_t index);

/* Ends drains: a draining backend without open connections, or past its grace period, is removed. */
void cv_lb_finish_drains(struct containerv_lb *lb);

/* The prober's thread body (lb/probe.c): TCP probes and the end of draining, until lb->stopping. */
void *cv_lb_prober_main(void *lb);

/* The platform's relay: binds the listener(s) (sets lb->port) and starts its threads. */
int cv_lb_relay_start(struct containerv_lb *lb);

/* Stops the relay's threads (lb->stopping is set) and closes every descriptor; NULL relay allowed. */
void cv_lb_relay_stop(struct containerv_lb *lb);

#endif
