/*
 * The load balancer's UDP relay on Linux (lb/lb-internal.h).
 *
 * UDP has no connection, so a "flow" is a client address: its first
 * datagram picks a backend and opens a socket connected to it; later
 * datagrams from that client go through that socket, and the backend's
 * answers come back through the listener to the client. A flow without
 * traffic for the idle timeout ends. The flow table (slots and a hash of
 * client addresses) is allocated once; a full table drops new clients'
 * datagrams, as a full conntrack table would.
 *
 * A backend whose socket reports ECONNREFUSED (the kernel's record of an
 * ICMP port unreachable) is taken out, and the datagram that met it goes to
 * another backend.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/lb-relay.h"

#define TICK_MS 100
#define EVENT_LISTENER UINT64_MAX
#define DATAGRAM_MAX 65536

struct flow {
	int socket; /* -1: slot free */
	int backend_index;
	struct sockaddr_in client;
	int64_t last_active_ns;
	int64_t opened_ns; /* for the first answer's latency */
	bool answered;
	int next_in_bucket; /* hash chain, or the free list */
};

struct udp_relay {
	struct containerv_lb *lb;
	int epoll;
	int listener;
	pthread_t thread;
	bool started;
	struct flow *flows;
	unsigned int capacity;
	int *buckets; /* capacity * 2, a power of two: heads of chains */
	unsigned int bucket_mask;
	int free_head;
	unsigned char datagram[DATAGRAM_MAX];
};

static unsigned int bucket_of(const struct udp_relay *relay, const struct sockaddr_in *client)
{
	uint64_t key = ((uint64_t)client->sin_addr.s_addr << 16) | client->sin_port;

	key *= UINT64_C(0x9e3779b97f4a7c15);
	return (unsigned int)(key >> 32) & relay->bucket_mask;
}

static int find_flow(const struct udp_relay *relay, const struct sockaddr_in *client)
{
	for (int i = relay->buckets[bucket_of(relay, client)]; i >= 0; i = relay->flows[i].next_in_bucket) {
		const struct flow *flow = &relay->flows[i];

		if (flow->client.sin_addr.s_addr == client->sin_addr.s_addr &&
		    flow->client.sin_port == client->sin_port)
			return i;
	}
	return -1;
}

static void end_flow(struct udp_relay *relay, int index)
{
	struct flow *flow = &relay->flows[index];
	int *link = &relay->buckets[bucket_of(relay, &flow->client)];

	while (*link != index)
		link = &relay->flows[*link].next_in_bucket;
	*link = flow->next_in_bucket;
	close(flow->socket); /* out of the epoll set with it */
	flow->socket = -1;
	atomic_fetch_sub(&relay->lb->backends[flow->backend_index].active, 1);
	flow->next_in_bucket = relay->free_head;
	relay->free_head = index;
}

/* A new flow for a client, to a backend not in tried; -1 when none is left or the table is full. */
static int open_flow(struct udp_relay *relay, const struct sockaddr_in *client, struct cv_lb_tried *tried)
{
	struct containerv_lb *lb = relay->lb;
	int index = relay->free_head, backend, fd;
	struct flow *flow;
	struct epoll_event event = {.events = EPOLLIN};

	if (index < 0)
		return -1;
	backend = cv_lb_pick(lb, client, tried);
	if (backend < 0)
		return -1;
	cv_lb_tried_add(tried, (size_t)backend);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&lb->backends[backend].address, sizeof(struct sockaddr_in)) < 0) {
		if (fd >= 0)
			close(fd);
		atomic_fetch_sub(&lb->backends[backend].active, 1);
		return -1;
	}
	relay->free_head = relay->flows[index].next_in_bucket;
	flow = &relay->flows[index];
	flow->socket = fd;
	flow->backend_index = backend;
	flow->client = *client;
	flow->last_active_ns = flow->opened_ns = cv_monotonic_ns();
	flow->answered = false;
	flow->next_in_bucket = relay->buckets[bucket_of(relay, client)];
	relay->buckets[bucket_of(relay, client)] = index;
	event.data.u64 = (uint64_t)index;
	epoll_ctl(relay->epoll, EPOLL_CTL_ADD, fd, &event);
	atomic_fetch_add(&lb->backends[backend].connections, 1);
	return index;
}

/* The backend refused (ICMP port unreachable): out, and its flow ends. */
static void backend_refused(struct udp_relay *relay, int index)
{
	cv_lb_backend_failed(relay->lb, (size_t)relay->flows[index].backend_index);
	end_flow(relay, index);
}

/* One datagram from a client: through its flow, or a new one; a refusal moves it to another backend. */
static void forward_to_backend(struct udp_relay *relay, const struct sockaddr_in *client, size_t length)
{
	struct cv_lb_tried tried = {{0}};
	int index = find_flow(relay, client);

	for (;;) {
		if (index < 0)
			index = open_flow(relay, client, &tried);
		if (index < 0)
			return; /* no backend, or the table is full: dropped, as UDP may be */
		if (send(relay->flows[index].socket, relay->datagram, length, 0) >= 0) {
			relay->flows[index].last_active_ns = cv_monotonic_ns();
			atomic_fetch_add_explicit(&relay->lb->backends[relay->flows[index].backend_index].bytes_in,
			                          length, memory_order_relaxed);
			return;
		}
		if (errno != ECONNREFUSED)
			return;
		cv_lb_tried_add(&tried, (size_t)relay->flows[index].backend_index);
		backend_refused(relay, index);
		index = -1;
	}
}

static void read_clients(struct udp_relay *relay)
{
	for (int round = 0; round < 64; round++) {
		struct sockaddr_in client;
		socklen_t length = sizeof client;
		ssize_t received = recvfrom(relay->listener, relay->datagram, sizeof relay->datagram, 0,
		                            (struct sockaddr *)&client, &length);

		if (received < 0)
			return;
		if (length == sizeof client && client.sin_family == AF_INET)
			forward_to_backend(relay, &client, (size_t)received);
	}
}

static void read_backend(struct udp_relay *relay, int index)
{
	struct flow *flow = &relay->flows[index];

	for (int round = 0; round < 64; round++) {
		ssize_t received = recv(flow->socket, relay->datagram, sizeof relay->datagram, 0);

		if (received < 0) {
			if (errno == ECONNREFUSED)
				backend_refused(relay, index);
			return;
		}
		sendto(relay->listener, relay->datagram, (size_t)received, 0, (struct sockaddr *)&flow->client,
		       sizeof flow->client);
		flow->last_active_ns = cv_monotonic_ns();
		if (!flow->answered) {
			flow->answered = true;
			cv_lb_histogram_add(
			        &relay->lb->backends[flow->backend_index].latency[CONTAINERV_LB_LATENCY_FIRST_BYTE],
			        flow->last_active_ns - flow->opened_ns);
		}
		atomic_fetch_add_explicit(&relay->lb->backends[flow->backend_index].bytes_out, (uint64_t)received,
		                          memory_order_relaxed);
	}
}

/* Idle flows end; so do those of a backend whose drain is over. */
static void tick(struct udp_relay *relay, int64_t now)
{
	int64_t idle = (int64_t)relay->lb->options.udp_idle_timeout_ms * 1000000;

	for (unsigned int i = 0; i < relay->capacity; i++) {
		struct flow *flow = &relay->flows[i];

		if (flow->socket < 0)
			continue;
		if (now - flow->last_active_ns > idle ||
		    atomic_load(&relay->lb->backends[flow->backend_index].state) == CONTAINERV_LB_BACKEND_REMOVED)
			end_flow(relay, (int)i);
	}
}

static void *udp_main(void *argument)
{
	struct udp_relay *relay = argument;
	struct epoll_event events[64];
	int64_t next_tick = cv_monotonic_ns() + TICK_MS * 1000000;

	while (!atomic_load(&relay->lb->stopping)) {
		int count = epoll_wait(relay->epoll, events, 64, TICK_MS);
		int64_t now;

		for (int i = 0; i < count; i++) {
			if (events[i].data.u64 == EVENT_LISTENER)
				read_clients(relay);
			else if (relay->flows[events[i].data.u64].socket >= 0)
				read_backend(relay, (int)events[i].data.u64);
		}
		now = cv_monotonic_ns();
		if (now >= next_tick) {
			tick(relay, now);
			next_tick = now + TICK_MS * 1000000;
		}
	}
	return NULL;
}

static void relay_free(struct udp_relay *relay)
{
	if (relay->flows != NULL) {
		for (unsigned int i = 0; i < relay->capacity; i++) {
			if (relay->flows[i].socket >= 0)
				end_flow(relay, (int)i);
		}
	}
	free(relay->flows);
	free(relay->buckets);
	if (relay->listener >= 0)
		close(relay->listener);
	if (relay->epoll >= 0)
		close(relay->epoll);
	free(relay);
}

static int relay_init(struct udp_relay *relay, struct containerv_lb *lb)
{
	struct epoll_event event = {.events = EPOLLIN, .data.u64 = EVENT_LISTENER};
	unsigned int buckets = 1;

	relay->lb = lb;
	relay->capacity = lb->options.max_connections;
	while (buckets < relay->capacity * 2)
		buckets <<= 1;
	relay->bucket_mask = buckets - 1;
	relay->flows = calloc(relay->capacity, sizeof *relay->flows);
	relay->buckets = malloc(buckets * sizeof *relay->buckets);
	if (relay->flows == NULL || relay->buckets == NULL)
		return cv_error_sys("flow table");
	memset(relay->buckets, 0xff, buckets * sizeof *relay->buckets); /* every chain empty (-1) */
	relay->free_head = -1;
	for (unsigned int i = relay->capacity; i-- > 0;) {
		relay->flows[i].socket = -1;
		relay->flows[i].next_in_bucket = relay->free_head;
		relay->free_head = (int)i;
	}
	relay->epoll = epoll_create1(EPOLL_CLOEXEC);
	if (relay->epoll < 0)
		return cv_error_sys("epoll");
	if (cv_lb_claim_port(lb, SOCK_DGRAM) < 0)
		return -1;
	relay->listener = cv_lb_listen(lb, SOCK_DGRAM);
	if (relay->listener < 0)
		return -1;
	if (epoll_ctl(relay->epoll, EPOLL_CTL_ADD, relay->listener, &event) < 0)
		return cv_error_sys("epoll");
	return 0;
}

int cv_lb_udp_start(struct containerv_lb *lb)
{
	struct udp_relay *relay = calloc(1, sizeof *relay);
	int err;

	if (relay == NULL)
		return cv_error_sys("relay");
	relay->epoll = relay->listener = -1;
	if (relay_init(relay, lb) < 0) {
		struct cv_error_saved saved;

		cv_error_save(&saved);
		relay_free(relay);
		return cv_error_restore(&saved);
	}
	err = pthread_create(&relay->thread, NULL, udp_main, relay);
	if (err != 0) {
		relay_free(relay);
		return cv_error_errno(err, "relay thread: %s", strerror(err));
	}
	relay->started = true;
	lb->relay = relay;
	return 0;
}

void cv_lb_udp_stop(struct containerv_lb *lb)
{
	struct udp_relay *relay = lb->relay;

	if (relay == NULL)
		return;
	if (relay->started)
		pthread_join(relay->thread, NULL);
	relay_free(relay);
	lb->relay = NULL;
}
