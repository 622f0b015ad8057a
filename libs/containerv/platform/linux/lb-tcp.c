/*
 * The load balancer's TCP relay on Linux (lb/lb-internal.h).
 *
 * One worker thread per core, each with its own SO_REUSEPORT listener (the
 * kernel spreads new connections over them: no shared accept queue, no lock)
 * and its own epoll set. Bytes go client -> pipe -> backend and back with
 * splice(2): they stay in kernel pages. Connection slots are allocated once
 * per worker; a slot keeps its pipes for the next connection (a pipe that
 * still holds bytes when its connection dies is closed instead), so the
 * steady state allocates nothing and makes no pipe.
 *
 * A connection to a backend that refuses, or does not accept within the
 * connect timeout, is retried on another backend before a byte is read from
 * the client: the client never sees the failure unless every backend fails.
 * Epoll is level-triggered; a descriptor's interest follows what its
 * connection can do (read while its pipe is empty, write while the other pipe
 * holds bytes), so an idle or blocked connection costs no wake-up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "lb/lb-internal.h"
#include "platform/linux/lb-relay.h"

#define PIPE_CHUNK (256 * 1024)
#define ROUNDS_PER_EVENT 8 /* splices per direction before yielding to other connections */
#define TICK_MS 100        /* connect deadlines and drain checks */
#define EVENT_LISTENER UINT64_MAX

/* One direction of a connection: from a socket through a pipe to the other socket. */
struct direction {
	int pipe[2];       /* -1 until first used */
	size_t in_pipe;    /* bytes read from the source not yet written */
	bool source_ended; /* the source sent FIN */
	bool shut_down;    /* FIN passed on to the destination */
	bool received;     /* a byte came from the source */
};

struct connection {
	int client, backend; /* -1: slot free */
	int backend_index;
	bool connecting;
	bool awaiting_first_byte; /* from the backend: its latency is recorded once */
	int64_t connect_started_ns;
	int64_t established_ns;
	uint32_t client_interest, backend_interest;
	struct direction up;   /* client -> backend */
	struct direction down; /* backend -> client */
	struct sockaddr_in client_address;
	struct cv_lb_tried tried;
	int next_free;
};

struct worker {
	struct containerv_lb *lb;
	int epoll;
	int listener;
	bool listener_paused; /* no free slot: accepting waits */
	pthread_t thread;
	bool started;
	struct connection *slots;
	unsigned int capacity;
	int free_head;     /* slots free for a new connection */
	int released_head; /* freed during this batch of events: reusable after it (its stale events) */
};

struct tcp_relay {
	struct worker *workers;
	unsigned int count;
};

static void direction_init(struct direction *direction)
{
	direction->in_pipe = 0;
	direction->source_ended = false;
	direction->shut_down = false;
	direction->received = false;
}

static uint64_t event_key(int slot, bool backend)
{
	return ((uint64_t)slot << 1) | (backend ? 1 : 0);
}

static void set_interest(struct worker *worker, int slot, bool backend, uint32_t wanted)
{
	struct connection *connection = &worker->slots[slot];
	uint32_t *current = backend ? &connection->backend_interest : &connection->client_interest;
	struct epoll_event event = {.events = wanted, .data.u64 = event_key(slot, backend)};

	if (*current == wanted)
		return;
	*current = wanted;
	epoll_ctl(worker->epoll, EPOLL_CTL_MOD, backend ? connection->backend : connection->client, &event);
}

/* Interest from state: read while this direction's pipe is empty, write while the other's holds bytes. */
static void update_interest(struct worker *worker, int slot)
{
	struct connection *connection = &worker->slots[slot];
	uint32_t client = 0, backend = 0;

	if (!connection->up.source_ended && connection->up.in_pipe == 0)
		client |= EPOLLIN;
	if (connection->down.in_pipe > 0)
		client |= EPOLLOUT;
	if (!connection->down.source_ended && connection->down.in_pipe == 0)
		backend |= EPOLLIN;
	if (connection->up.in_pipe > 0)
		backend |= EPOLLOUT;
	set_interest(worker, slot, false, client);
	set_interest(worker, slot, true, backend);
}

static void close_pipe_if_dirty(struct direction *direction)
{
	if (direction->in_pipe > 0 && direction->pipe[0] >= 0) {
		close(direction->pipe[0]);
		close(direction->pipe[1]);
		direction->pipe[0] = direction->pipe[1] = -1;
	}
}

/* Ends a connection: descriptors closed (which takes them out of epoll), the slot freed after this batch. */
static void release(struct worker *worker, int slot)
{
	struct connection *connection = &worker->slots[slot];

	if (connection->backend >= 0)
		close(connection->backend);
	if (connection->client >= 0)
		close(connection->client);
	if (connection->backend_index >= 0)
		atomic_fetch_sub(&worker->lb->backends[connection->backend_index].active, 1);
	close_pipe_if_dirty(&connection->up);
	close_pipe_if_dirty(&connection->down);
	connection->client = connection->backend = -1;
	connection->backend_index = -1;
	connection->next_free = worker->released_head;
	worker->released_head = slot;
}

/* Starts a non-blocking connect to a backend picked for this client; false when no backend is left. */
static bool connect_next_backend(struct worker *worker, int slot)
{
	struct connection *connection = &worker->slots[slot];
	struct containerv_lb *lb = worker->lb;

	for (;;) {
		int index = cv_lb_pick(lb, &connection->client_address, &connection->tried);
		struct epoll_event event = {.events = EPOLLOUT, .data.u64 = event_key(slot, true)};
		int fd, one = 1;

		if (index < 0)
			return false;
		cv_lb_tried_add(&connection->tried, (size_t)index);
		connection->backend_index = index;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return false; /* out of descriptors: no other backend would do better */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, (struct sockaddr *)&lb->backends[index].address, sizeof(struct sockaddr_in)) == 0 ||
		    errno == EINPROGRESS) {
			connection->backend = fd;
			connection->connecting = true;
			connection->connect_started_ns = cv_monotonic_ns();
			connection->backend_interest = EPOLLOUT;
			epoll_ctl(worker->epoll, EPOLL_CTL_ADD, fd, &event);
			return true;
		}
		/* Refused at once (a local address): out, and the next one. */
		close(fd);
		atomic_fetch_sub(&lb->backends[index].active, 1);
		connection->backend_index = -1;
		cv_lb_backend_failed(lb, (size_t)index);
	}
}

/* The backend refused or timed out: take it out and try the next, or give up on the client. */
static void retry_elsewhere(struct worker *worker, int slot)
{
	struct connection *connection = &worker->slots[slot];
	int failed = connection->backend_index;

	close(connection->backend);
	connection->backend = -1;
	atomic_fetch_sub(&worker->lb->backends[failed].active, 1);
	connection->backend_index = -1;
	cv_lb_backend_failed(worker->lb, (size_t)failed);
	if (!connect_next_backend(worker, slot))
		release(worker, slot);
}

/*
 * A pipe of PIPE_CHUNK: a socket's data arrives as page fragments and a pipe
 * holds one per slot, so the default 16 slots cap a splice well below what a
 * fast stream offers. Pages are pinned only while bytes are in flight.
 */
static bool ensure_pipe(struct direction *direction)
{
	if (direction->pipe[0] >= 0)
		return true;
	if (pipe2(direction->pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return false;
	fcntl(direction->pipe[1], F_SETPIPE_SZ, PIPE_CHUNK); /* best effort: the default size works too */
	return true;
}

/*
 * Moves what can move from source to destination now. Returns -1 when the
 * connection broke (reset, or a pipe could not be made).
 */
static int pump(struct direction *direction, int source, int destination, _Atomic uint64_t *bytes)
{
	for (int round = 0; round < ROUNDS_PER_EVENT; round++) {
		ssize_t moved;

		if (direction->in_pipe > 0) {
			moved = splice(direction->pipe[0], NULL, destination, NULL, direction->in_pipe,
			               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (moved < 0 && errno == EINTR)
				continue;
			if (moved < 0)
				return errno == EAGAIN ? 0 : -1;
			direction->in_pipe -= (size_t)moved;
			atomic_fetch_add_explicit(bytes, (uint64_t)moved, memory_order_relaxed);
			continue;
		}
		if (direction->source_ended) {
			if (!direction->shut_down) {
				shutdown(destination, SHUT_WR);
				direction->shut_down = true;
			}
			return 0;
		}
		if (!ensure_pipe(direction))
			return -1;
		moved = splice(source, NULL, direction->pipe[1], NULL, PIPE_CHUNK, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (moved > 0) {
			direction->in_pipe = (size_t)moved;
			direction->received = true;
		} else if (moved == 0)
			direction->source_ended = true;
		else if (errno == EAGAIN)
			return 0;
		else if (errno != EINTR)
			return -1;
	}
	/*
	 * The last round may have met the end: pass it on now, as no event
	 * would call again (the source is no longer watched, the pipe is empty).
	 */
	if (direction->source_ended && direction->in_pipe == 0 && !direction->shut_down) {
		shutdown(destination, SHUT_WR);
		direction->shut_down = true;
	}
	return 0;
}

/* The backend accepted: counted, and the client's descriptor joins the epoll set. */
static void established(struct worker *worker, int slot)
{
	struct connection *connection = &worker->slots[slot];
	struct epoll_event event = {.events = 0, .data.u64 = event_key(slot, false)};
	struct cv_lb_backend *backend = &worker->lb->backends[connection->backend_index];

	connection->connecting = false;
	connection->established_ns = cv_monotonic_ns();
	connection->awaiting_first_byte = true;
	atomic_fetch_add_explicit(&backend->connections, 1, memory_order_relaxed);
	cv_lb_histogram_add(&backend->latency[CONTAINERV_LB_LATENCY_CONNECT],
	                    connection->established_ns - connection->connect_started_ns);
	connection->client_interest = 0;
	epoll_ctl(worker->epoll, EPOLL_CTL_ADD, connection->client, &event);
	update_interest(worker, slot);
}

static void on_connect_result(struct worker *worker, int slot)
{
	struct connection *connection = &worker->slots[slot];
	int error = 0;
	socklen_t length = sizeof error;

	if (getsockopt(connection->backend, SOL_SOCKET, SO_ERROR, &error, &length) < 0 || error != 0) {
		retry_elsewhere(worker, slot);
		return;
	}
	established(worker, slot);
}

static void relay(struct worker *worker, int slot, uint32_t events)
{
	struct connection *connection = &worker->slots[slot];
	struct cv_lb_backend *backend = &worker->lb->backends[connection->backend_index];

	if (pump(&connection->up, connection->client, connection->backend, &backend->bytes_in) < 0 ||
	    pump(&connection->down, connection->backend, connection->client, &backend->bytes_out) < 0) {
		atomic_fetch_add_explicit(&backend->errors, 1, memory_order_relaxed);
		release(worker, slot);
		return;
	}
	if (connection->awaiting_first_byte && connection->down.received) {
		connection->awaiting_first_byte = false;
		cv_lb_histogram_add(&backend->latency[CONTAINERV_LB_LATENCY_FIRST_BYTE],
		                    cv_monotonic_ns() - connection->established_ns);
	}
	/* Both ways finished; or a peer hung up entirely (EPOLLHUP/ERR) and what could be flushed was. */
	if ((connection->up.shut_down && connection->down.shut_down) || (events & (EPOLLHUP | EPOLLERR)) != 0) {
		release(worker, slot);
		return;
	}
	update_interest(worker, slot);
}

static int take_slot(struct worker *worker)
{
	int slot = worker->free_head;

	if (slot >= 0)
		worker->free_head = worker->slots[slot].next_free;
	return slot;
}

static void pause_listener(struct worker *worker, bool pause)
{
	struct epoll_event event = {.events = pause ? 0 : EPOLLIN, .data.u64 = EVENT_LISTENER};

	if (worker->listener_paused == pause)
		return;
	worker->listener_paused = pause;
	epoll_ctl(worker->epoll, EPOLL_CTL_MOD, worker->listener, &event);
}

static void accept_clients(struct worker *worker)
{
	for (;;) {
		struct sockaddr_in address;
		socklen_t length = sizeof address;
		int slot, client, one = 1;
		struct connection *connection;

		if (worker->free_head < 0) {
			pause_listener(worker, true); /* the backlog waits for a slot */
			return;
		}
		client = accept4(worker->listener, (struct sockaddr *)&address, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (client < 0)
			return; /* EAGAIN, or an aborted connection: the next event tells */
		setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		slot = take_slot(worker);
		connection = &worker->slots[slot];
		connection->client = client;
		connection->backend = -1;
		connection->backend_index = -1;
		connection->client_address = address;
		memset(&connection->tried, 0, sizeof connection->tried);
		direction_init(&connection->up);
		direction_init(&connection->down);
		if (!connect_next_backend(worker, slot))
			release(worker, slot);
	}
}

/* Every tick: connects past their deadline are retried elsewhere; drained backends' connections end. */
static void tick(struct worker *worker, int64_t now)
{
	for (unsigned int slot = 0; slot < worker->capacity; slot++) {
		struct connection *connection = &worker->slots[slot];

		if (connection->client < 0 || connection->backend_index < 0)
			continue;
		if (connection->connecting &&
		    now - connection->connect_started_ns > (int64_t)worker->lb->options.connect_timeout_ms * 1000000)
			retry_elsewhere(worker, (int)slot);
		else if (atomic_load(&worker->lb->backends[connection->backend_index].state) ==
		         CONTAINERV_LB_BACKEND_REMOVED)
			release(worker, (int)slot);
	}
}

/* Slots released during a batch become free once no event of that batch can name them. */
static void recycle_released(struct worker *worker)
{
	while (worker->released_head >= 0) {
		int slot = worker->released_head;

		worker->released_head = worker->slots[slot].next_free;
		worker->slots[slot].next_free = worker->free_head;
		worker->free_head = slot;
	}
	if (worker->free_head >= 0)
		pause_listener(worker, false);
}

static void *worker_main(void *argument)
{
	struct worker *worker = argument;
	struct epoll_event events[256];
	int64_t next_tick = cv_monotonic_ns() + TICK_MS * 1000000;

	while (!atomic_load(&worker->lb->stopping)) {
		int count = epoll_wait(worker->epoll, events, 256, TICK_MS);
		int64_t now;

		for (int i = 0; i < count; i++) {
			uint64_t key = events[i].data.u64;
			int slot = (int)(key >> 1);

			if (key == EVENT_LISTENER) {
				accept_clients(worker);
				continue;
			}
			if (worker->slots[slot].client < 0)
				continue; /* released earlier in this batch */
			if (worker->slots[slot].connecting) {
				if ((key & 1) != 0)
					on_connect_result(worker, slot);
				continue;
			}
			relay(worker, slot, events[i].events);
		}
		now = cv_monotonic_ns();
		if (now >= next_tick) {
			tick(worker, now);
			next_tick = now + TICK_MS * 1000000;
		}
		recycle_released(worker);
	}
	return NULL;
}

static int worker_init(struct worker *worker, struct containerv_lb *lb)
{
	struct epoll_event event = {.events = EPOLLIN, .data.u64 = EVENT_LISTENER};

	worker->lb = lb;
	worker->capacity = lb->options.max_connections;
	worker->free_head = -1;
	worker->released_head = -1;
	worker->listener = -1;
	worker->slots = calloc(worker->capacity, sizeof *worker->slots);
	if (worker->slots == NULL)
		return cv_error_sys("connection slots");
	for (unsigned int i = worker->capacity; i-- > 0;) {
		struct connection *connection = &worker->slots[i];

		connection->client = connection->backend = -1;
		connection->backend_index = -1;
		connection->up.pipe[0] = connection->up.pipe[1] = -1;
		connection->down.pipe[0] = connection->down.pipe[1] = -1;
		connection->next_free = worker->free_head;
		worker->free_head = (int)i;
	}
	worker->epoll = epoll_create1(EPOLL_CLOEXEC);
	if (worker->epoll < 0)
		return cv_error_sys("epoll");
	worker->listener = cv_lb_listen(lb, SOCK_STREAM);
	if (worker->listener < 0)
		return -1;
	if (epoll_ctl(worker->epoll, EPOLL_CTL_ADD, worker->listener, &event) < 0)
		return cv_error_sys("epoll");
	return 0;
}

static void worker_close(struct worker *worker)
{
	if (worker->slots != NULL) {
		for (unsigned int i = 0; i < worker->capacity; i++) {
			struct connection *connection = &worker->slots[i];

			if (connection->client >= 0)
				release(worker, (int)i);
			for (int end = 0; end < 2; end++) {
				if (connection->up.pipe[end] >= 0)
					close(connection->up.pipe[end]);
				if (connection->down.pipe[end] >= 0)
					close(connection->down.pipe[end]);
			}
		}
		free(worker->slots);
	}
	if (worker->listener >= 0)
		close(worker->listener);
	if (worker->epoll >= 0)
		close(worker->epoll);
}

static void stop_workers(struct tcp_relay *relay)
{
	for (unsigned int i = 0; i < relay->count; i++) {
		if (relay->workers[i].started)
			pthread_join(relay->workers[i].thread, NULL);
	}
	for (unsigned int i = 0; i < relay->count; i++)
		worker_close(&relay->workers[i]);
	free(relay->workers);
	free(relay);
}

int cv_lb_tcp_start(struct containerv_lb *lb)
{
	struct tcp_relay *relay = calloc(1, sizeof *relay);

	if (relay == NULL)
		return cv_error_sys("relay");
	relay->workers = calloc(lb->options.threads, sizeof *relay->workers);
	if (relay->workers == NULL) {
		free(relay);
		return cv_error_sys("relay");
	}
	for (unsigned int i = 0; i < lb->options.threads; i++)
		relay->workers[i].epoll = -1;
	relay->count = lb->options.threads;
	if (cv_lb_claim_port(lb, SOCK_STREAM) < 0) {
		free(relay->workers);
		free(relay);
		return -1;
	}
	/* Every listener before any thread: a failed bind leaves nothing running. */
	for (unsigned int i = 0; i < relay->count; i++) {
		if (worker_init(&relay->workers[i], lb) < 0) {
			struct cv_error_saved saved;

			cv_error_save(&saved);
			stop_workers(relay);
			return cv_error_restore(&saved);
		}
	}
	for (unsigned int i = 0; i < relay->count; i++) {
		int err = pthread_create(&relay->workers[i].thread, NULL, worker_main, &relay->workers[i]);

		if (err != 0) {
			atomic_store(&lb->stopping, 1);
			stop_workers(relay);
			return cv_error_errno(err, "relay thread: %s", strerror(err));
		}
		relay->workers[i].started = true;
	}
	lb->relay = relay;
	return 0;
}

void cv_lb_tcp_stop(struct containerv_lb *lb)
{
	if (lb->relay != NULL)
		stop_workers(lb->relay);
	lb->relay = NULL;
}
