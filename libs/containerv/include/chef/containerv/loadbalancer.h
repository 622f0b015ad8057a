/*
 * containerv: a health-aware layer-4 load balancer (TCP and UDP).
 *
 * One listening address spread over a set of backends (IPv4 address and
 * port each, for example containers' addresses on a user network). TCP is
 * relayed with splice(2) through a pipe (no copy to user space) by one
 * thread per core, each with its own SO_REUSEPORT listener and epoll set;
 * connection slots and their pipes are allocated when the balancer starts,
 * not per connection. UDP is relayed by one thread with a per-client flow
 * table (one connected socket to the backend per client address) whose
 * entries end after an idle timeout.
 *
 * Health: a backend that refuses a connection (or does not answer it within
 * the connect timeout) is taken out at once and the client's connection is
 * retried on another backend before any byte is sent. A TCP probe every
 * probe interval checks every backend: a refused or timed-out probe takes a
 * backend out, an accepted one brings it back. Removing a backend drains it:
 * it gets no new connection, its open connections go on up to the grace
 * period and are closed then.
 *
 * Typical use:
 *
 *	struct containerv_lb_options options = CONTAINERV_LB_OPTIONS_INIT;
 *	struct containerv_lb *lb;
 *	options.port = 8080;
 *	containerv_lb_create(&options, &lb);
 *	containerv_lb_add_backend(lb, "10.88.0.2", 80, 1);
 *	containerv_lb_add_backend(lb, "10.88.0.3", 80, 1);
 *	containerv_lb_start(lb);
 *	...
 *	containerv_lb_free(lb);
 */
#ifndef CHEF_CONTAINERV_LOADBALANCER_H
#define CHEF_CONTAINERV_LOADBALANCER_H

#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How a new connection (TCP) or a new client flow (UDP) chooses among the healthy backends. */
enum containerv_lb_algorithm {
	CONTAINERV_LB_ROUND_ROBIN = 0, /* each in turn */
	CONTAINERV_LB_LEAST_CONN = 1,  /* the one with the fewest open connections (ties: in turn) */
	CONTAINERV_LB_WEIGHTED = 2,    /* in turn, each as many times as its weight */
	CONTAINERV_LB_IP_HASH = 3,     /* rendezvous hashing of the client's address: stable, minimal reshuffling */
	CONTAINERV_LB_RANDOM = 4,      /* uniformly at random */
	CONTAINERV_LB_POWER_OF_TWO = 5 /* two at random, the one with fewer open connections */
};

/* Sets *algorithm from its name ("round_robin", "least_conn", "weighted", "ip_hash", "random", "power_of_two"). */
CONTAINERV_API int containerv_lb_algorithm_parse(const char *name, enum containerv_lb_algorithm *algorithm);

/* The name of an algorithm, as containerv_lb_algorithm_parse() takes it ("?" for an unknown value). */
CONTAINERV_API const char *containerv_lb_algorithm_name(enum containerv_lb_algorithm algorithm);

/* A backend's state, as reported to the state callback and in its counters. */
enum containerv_lb_backend_state {
	CONTAINERV_LB_BACKEND_UP = 0,       /* gets new connections */
	CONTAINERV_LB_BACKEND_DOWN = 1,     /* refused a connection or a probe; probed until it answers */
	CONTAINERV_LB_BACKEND_DRAINING = 2, /* removed: open connections go on until the grace period ends */
	CONTAINERV_LB_BACKEND_REMOVED = 3   /* removed and drained */
};

#define CONTAINERV_LB_OPTIONS_VERSION 2 /* 1: without the UDP probe fields */

struct containerv_lb_options {
	unsigned int version; /* CONTAINERV_LB_OPTIONS_VERSION */
	enum containerv_lb_algorithm algorithm;
	int udp;                          /* 0: TCP; 1: UDP */
	const char *address;              /* numeric IPv4 address to listen on; NULL: "0.0.0.0" */
	unsigned int port;                /* 0: a free one (see containerv_lb_port()) */
	unsigned int threads;             /* TCP relay threads; 0: one per online CPU */
	unsigned int max_connections;     /* TCP connections open at once, per thread; 0: 4096 */
	unsigned int connect_timeout_ms;  /* a backend that does not accept within it is taken out; 0: 1000 */
	unsigned int probe_interval_ms;   /* health probes; 0: 1000 */
	unsigned int drain_grace_ms;      /* how long a removed backend's connections may go on; 0: 10000 */
	unsigned int udp_idle_timeout_ms; /* a UDP flow without traffic for this long ends; 0: 30000 */
	/*
	 * Called (from a balancer thread; may be NULL) when a backend changes
	 * state: its index (the order of containerv_lb_add_backend()), the new
	 * state, and user. Keep it short: relaying waits for it.
	 */
	void (*on_state)(size_t backend, enum containerv_lb_backend_state state, void *user);
	void *user;
	/*
	 * Version 2. UDP health probes: every probe interval each backend gets
	 * udp_probe (udp_probe_length bytes; none: an empty datagram) from a
	 * connected socket. An ICMP port unreachable (ECONNREFUSED) takes it
	 * out; an answer brings it back, when udp_expect is set only one that
	 * starts with its udp_expect_length bytes (and then no answer within the
	 * connect timeout takes it out too). Without udp_expect, silence is not
	 * a failure (UDP services need not answer). Copied by containerv_lb_create().
	 */
	const void *udp_probe;
	size_t udp_probe_length; /* at most CONTAINERV_LB_PROBE_MAX */
	const void *udp_expect;
	size_t udp_expect_length; /* at most CONTAINERV_LB_PROBE_MAX */
};

#define CONTAINERV_LB_PROBE_MAX 1024

#define CONTAINERV_LB_OPTIONS_INIT                                                                                     \
	{                                                                                                              \
		CONTAINERV_LB_OPTIONS_VERSION, CONTAINERV_LB_ROUND_ROBIN, 0, NULL, 0, 0, 0, 0, 0, 0, 0, NULL, NULL,    \
		        NULL, 0, NULL, 0                                                                               \
	}

/* The most backends one balancer holds, removed ones included. */
#define CONTAINERV_LB_MAX_BACKENDS 256

struct containerv_lb;

/* Makes a balancer from options (copied); EINVAL for a bad address or version. Nothing runs until started. */
CONTAINERV_API int containerv_lb_create(const struct containerv_lb_options *options, struct containerv_lb **lb);

/*
 * Adds a backend: a numeric IPv4 address, a port (1-65535) and a weight
 * (1-1000000, used by the weighted algorithm). Allowed before and after the
 * start; a new backend starts up. Its index (0, 1, ...) goes to *index
 * (may be NULL). EINVAL for a bad value, ENOSPC beyond CONTAINERV_LB_MAX_BACKENDS.
 */
CONTAINERV_API int containerv_lb_add_backend(struct containerv_lb *lb, const char *address, unsigned int port,
                                             unsigned int weight, size_t *index);

/*
 * Removes a backend by index: it drains (no new connection; those open are
 * closed when the grace period ends, or end on their own before). ENOENT
 * for an unknown or already removed index.
 */
CONTAINERV_API int containerv_lb_remove_backend(struct containerv_lb *lb, size_t index);

/*
 * Puts a removed (draining or drained) backend back: it is up again, with
 * its counters, under the same index (a replica that left and came back).
 * ENOENT for an unknown index, EBUSY for one that is not removed.
 */
CONTAINERV_API int containerv_lb_restore_backend(struct containerv_lb *lb, size_t index);

/* Binds the listeners and starts the relay threads and the health prober. */
CONTAINERV_API int containerv_lb_start(struct containerv_lb *lb);

/* The port the balancer listens on (the one chosen when 0 was asked), 0 before the start. */
CONTAINERV_API unsigned int containerv_lb_port(const struct containerv_lb *lb);

#define CONTAINERV_LB_BACKEND_STATS_VERSION 1

/* One backend's counters (a consistent snapshot of each, not of the whole). */
struct containerv_lb_backend_stats {
	unsigned int version; /* CONTAINERV_LB_BACKEND_STATS_VERSION, set by the caller */
	char address[16];
	unsigned int port;
	unsigned int weight;
	enum containerv_lb_backend_state state;
	uint64_t connections; /* TCP connections relayed, or UDP flows opened */
	uint64_t active;      /* open now */
	uint64_t bytes_in;    /* from clients to the backend */
	uint64_t bytes_out;   /* from the backend to clients */
	uint64_t errors;      /* refused or timed-out connects, failed probes, reset relays */
	uint64_t state_changes;
};

/* The number of backends added so far (removed ones included: indexes stay valid). */
CONTAINERV_API size_t containerv_lb_backend_count(const struct containerv_lb *lb);

/* Fills stats for the backend at index; ENOENT when there is none. */
CONTAINERV_API int containerv_lb_backend_stats(const struct containerv_lb *lb, size_t index,
                                               struct containerv_lb_backend_stats *stats);

/*
 * Latency histograms, one per backend and kind, log-linear in microseconds:
 * values 0-3 have a bucket each, then every power of two is split into four
 * buckets (an upper bound at most 25 % above any value it holds), up to
 * about 33 s; longer values fall into the last bucket. The relay adds to
 * them with one relaxed atomic increment per connection: no lock, no
 * allocation.
 */
#define CONTAINERV_LB_HISTOGRAM_BUCKETS 100

enum containerv_lb_latency {
	CONTAINERV_LB_LATENCY_CONNECT = 0,    /* TCP: from the connect to the backend until it accepted */
	CONTAINERV_LB_LATENCY_FIRST_BYTE = 1, /* from the backend's accept (TCP) or a flow's first datagram (UDP)
	                                         until its first byte back: request transfer and service time */
};

/* A snapshot of one histogram. */
struct containerv_lb_histogram {
	uint64_t buckets[CONTAINERV_LB_HISTOGRAM_BUCKETS];
	uint64_t count;  /* values recorded */
	uint64_t sum_us; /* their sum, microseconds */
};

/* The largest value (microseconds) bucket i holds; UINT64_MAX for the last bucket. */
CONTAINERV_API uint64_t containerv_lb_histogram_bucket_limit(size_t bucket);

/* The bucket a value in microseconds falls into. */
CONTAINERV_API size_t containerv_lb_histogram_bucket_of(uint64_t microseconds);

/*
 * The quantile q (0 to 1, e.g. 0.99) of a histogram, as the limit of the
 * bucket it falls into (at most 25 % above the true value); 0 for an empty
 * histogram.
 */
CONTAINERV_API uint64_t containerv_lb_histogram_quantile(const struct containerv_lb_histogram *histogram, double q);

/* Copies the backend's histogram of one kind into *histogram; ENOENT for an unknown backend, EINVAL for a kind. */
CONTAINERV_API int containerv_lb_backend_histogram(const struct containerv_lb *lb, size_t index,
                                                   enum containerv_lb_latency kind,
                                                   struct containerv_lb_histogram *histogram);

/* Stops the threads and closes every connection; the counters stay readable until containerv_lb_free(). */
CONTAINERV_API void containerv_lb_stop(struct containerv_lb *lb);

/* Stops the balancer (if running) and frees it; NULL is allowed. */
CONTAINERV_API void containerv_lb_free(struct containerv_lb *lb);

#ifdef __cplusplus
}
#endif

#endif
