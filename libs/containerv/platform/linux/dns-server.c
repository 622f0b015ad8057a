/*
 * The embedded DNS server of a user network: one small process per network,
 * no daemon. Started (under the networks' lock) when a container takes a
 * lease on the network, stopped when the last lease goes or by network rm;
 * its pid and start time are recorded in <root>/networks/<name>/dns.json, so
 * the next start finds it, or makes a new one when it was killed.
 *
 * Where it listens: the network's gateway address, port 53, UDP and TCP, with
 * SO_BINDTODEVICE on the network's bridge. The sockets are made and bound by
 * the starting process, so a port taken on the host fails that start with
 * one clear error. Bound to the bridge, they take only what arrives on it:
 * nothing on the host's other interfaces, and not another network's
 * containers either (their packets to this gateway arrive on their own
 * bridge). The server runs in the host's network namespace, so it forwards to
 * the host's resolvers as they are, loopback ones (systemd-resolved) too.
 *
 * What it answers (network/dns.c): the names and aliases in the network's
 * live leases, re-read when the leases directory changes; everything else
 * is forwarded to the resolvers of the host's /etc/resolv.conf, one fresh
 * connected UDP socket (a random source port, replies from elsewhere refused
 * by the kernel) and a random id per query, and cached for its TTL.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/capability.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "network/dns.h"
#include "platform/linux/container-private.h"
#include "platform/linux/network-private.h"

#define DNS_PORT 53
#define UPSTREAMS_MAX 3
#define PENDING_MAX 256
#define CONNECTIONS_MAX 32
#define WAITERS_MAX 16
/* Per upstream: then the next one, then SERVFAIL. */
#define UPSTREAM_TIMEOUT_MS 2000
#define CONNECTION_IDLE_MS 10000
/* How often an idle server checks that its network still has containers. */
#define IDLE_CHECK_MS 1000

struct pending {
	int fd;       /* -1: a free slot */
	int upstream; /* the one asked now, in upstreams */
	struct sockaddr_storage upstreams[UPSTREAMS_MAX];
	size_t upstream_count;
	uint16_t forward_id, client_id;
	char *key;
	uint8_t *query; /* as sent upstream */
	size_t query_size;
	uint64_t deadline_ms;
	struct sockaddr_in client; /* UDP */
	int connection;            /* TCP: its slot, -1 for UDP */
	unsigned int generation;   /* of that slot, so a closed and reused one gets nothing */
	/*
	 * Other clients asking the same question meanwhile: they wait for this answer instead of
	 * sending their own (identical questions in flight would multiply a spoofer's chances).
	 */
	struct waiter {
		uint16_t client_id;
		struct sockaddr_in client;
		int connection;
		unsigned int generation;
	} waiters[WAITERS_MAX];
	size_t waiter_count;
};

struct connection {
	int fd; /* -1: a free slot */
	unsigned int generation;
	uint8_t buffer[2 + CV_DNS_MESSAGE_MAX];
	size_t filled;
	uint64_t last_ms;
	struct sockaddr_in peer;
};

struct server {
	struct cv_network network;
	int udp, tcp;
	struct sockaddr_storage upstreams[UPSTREAMS_MAX];
	size_t upstream_count;
	struct cv_dns_table table;
	struct cv_dns_cache cache;
	char leases_path[PATH_MAX]; /* made once: a stat per query, not the path's walk */
	struct timespec leases_stamp;
	uint64_t others_stamp; /* the other networks' leases directories (their names, for clients on both) */
	uint64_t others_checked_ms;
	struct pending pending[PENDING_MAX];
	struct connection *connections[CONNECTIONS_MAX];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the record of the running server: dns.json ---- */

static int record_path(const struct cv_network *network, char *path, size_t size)
{
	return cv_network_path(network->name, "dns.json", path, size);
}

/* The recorded server's pid when it is alive (its start time matches), else 0. */
static pid_t recorded_server(const struct cv_network *network)
{
	char path[PATH_MAX];
	cleanup_free char *text = NULL;
	json_t *root;
	pid_t pid;
	uint64_t start;

	if (record_path(network, path, sizeof path) < 0 || cv_read_file(path, &text, NULL, 4096) < 0) {
		cv_error_clear();
		return 0;
	}
	root = json_loads(text, 0, NULL);
	pid = (pid_t)json_integer_value(json_object_get(root, "pid"));
	start = (uint64_t)json_integer_value(json_object_get(root, "start"));
	json_decref(root);
	return pid > 0 && cv_process_alive(pid, start) ? pid : 0;
}

static int record_server(const struct cv_network *network, pid_t pid)
{
	char path[PATH_MAX];
	cleanup_free char *text = NULL;
	cleanup_close int dirfd = -1;
	uint64_t start;

	if (cv_process_start_time(pid, &start) < 0 || cv_network_path(network->name, "", path, sizeof path) < 0)
		return -1;
	if (cv_asprintf(&text, "{\"pid\":%d,\"start\":%llu}", (int)pid, (unsigned long long)start) < 0)
		return -1;
	dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return cv_error_sys("open %s", path);
	return cv_write_file_atomic_at(dirfd, "dns.json", text, strlen(text), 0600);
}

static void forget_server(const struct cv_network *network)
{
	char path[PATH_MAX];

	if (record_path(network, path, sizeof path) == 0)
		unlink(path);
	cv_error_clear();
}

/* ---- upstreams ---- */

/* The host's resolvers, from its /etc/resolv.conf; never the gateway itself (it would ask itself). */
static void load_upstreams(struct server *s)
{
	cleanup_free char *text = NULL;
	char *save = NULL;

	if (cv_read_file("/etc/resolv.conf", &text, NULL, 1 << 16) < 0) {
		cv_error_clear();
		return;
	}
	for (char *line = strtok_r(text, "\n", &save); line != NULL && s->upstream_count < UPSTREAMS_MAX;
	     line = strtok_r(NULL, "\n", &save)) {
		char address[INET6_ADDRSTRLEN + 1];
		struct sockaddr_in *v4 = (struct sockaddr_in *)&s->upstreams[s->upstream_count];
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&s->upstreams[s->upstream_count];

		if (sscanf(line, " nameserver %46s", address) != 1)
			continue;
		memset(&s->upstreams[s->upstream_count], 0, sizeof s->upstreams[0]);
		if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
			if (ntohl(v4->sin_addr.s_addr) == s->network.gateway)
				continue;
			v4->sin_family = AF_INET;
			v4->sin_port = htons(DNS_PORT);
		} else if (inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
			v6->sin6_family = AF_INET6;
			v6->sin6_port = htons(DNS_PORT);
		} else {
			continue;
		}
		s->upstream_count++;
	}
}

/* ---- the table ---- */

/* Mixes each network's leases directory's change time in: a lease written or removed anywhere changes it. */
static int stamp_network(const char *name, void *user)
{
	uint64_t *stamp = user;
	char path[PATH_MAX];
	struct stat st;

	if (cv_network_path(name, "leases", path, sizeof path) == 0 && stat(path, &st) == 0)
		*stamp = (*stamp ^ ((uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec)) *
		         1099511628211u;
	return 0;
}

/*
 * Re-reads the names when the leases directory changed (a lease written, renamed into place or removed),
 * or another network's did: a client on both gets that network's names too (cv_dns_table_load). The other
 * networks are looked at every 100 ms at most (a directory walk): a container connected to another
 * network is answered its names within that time.
 */
static void refresh_table(struct server *s)
{
	struct stat st;
	bool changed = false;

	if (stat(s->leases_path, &st) < 0) {
		cv_dns_table_clear(&s->table);
		return;
	}
	if (st.st_mtim.tv_sec != s->leases_stamp.tv_sec || st.st_mtim.tv_nsec != s->leases_stamp.tv_nsec) {
		s->leases_stamp = st.st_mtim;
		changed = true;
	}
	uint64_t now = now_ms();
	if (changed || now - s->others_checked_ms >= 100) {
		uint64_t stamp = 14695981039346656037u;
		s->others_checked_ms = now;
		if (cv_network_names(stamp_network, &stamp) < 0)
			cv_error_clear();
		changed = changed || stamp != s->others_stamp;
		s->others_stamp = stamp;
	}
	if (changed && cv_dns_table_load(&s->network, &s->table) < 0)
		cv_error_clear();
}

/* ---- forwarding ---- */

static void pending_free(struct pending *p)
{
	if (p->fd >= 0)
		close(p->fd);
	free(p->key);
	free(p->query);
	memset(p, 0, sizeof *p);
	p->fd = -1;
}

static int send_upstream(struct pending *p)
{
	const struct sockaddr_storage *upstream = &p->upstreams[p->upstream];
	socklen_t length = upstream->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	if (p->fd >= 0)
		close(p->fd);
	p->fd = socket(upstream->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -1;
	if (connect(p->fd, (const struct sockaddr *)upstream, length) < 0 ||
	    send(p->fd, p->query, p->query_size, 0) < 0)
		return -1;
	p->deadline_ms = now_ms() + UPSTREAM_TIMEOUT_MS;
	return 0;
}

static void send_to_client(struct server *s, const struct sockaddr_in *client, int connection, unsigned int generation,
                           const uint8_t *reply, size_t size)
{
	if (connection < 0) {
		sendto(s->udp, reply, size, MSG_DONTWAIT, (const struct sockaddr *)client, sizeof *client);
		return;
	}
	struct connection *c = s->connections[connection];
	uint8_t length[2] = {(uint8_t)(size >> 8), (uint8_t)size};
	struct iovec parts[2] = {{length, 2}, {(void *)reply, size}};
	struct msghdr message = {.msg_iov = parts, .msg_iovlen = 2};
	/* A client that does not read its answers is not waited for: a short write ends its connection. */
	if (c != NULL && c->fd >= 0 && c->generation == generation &&
	    sendmsg(c->fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)(size + 2)) {
		close(c->fd);
		c->fd = -1;
		c->filled = 0;
		c->generation++;
	}
}

/* A query no upstream answered (or none to ask): SERVFAIL to its client. */
static void fail_pending(struct server *s, struct pending *p)
{
	struct cv_dns_result result;

	if (cv_dns_servfail(p->query, p->query_size, p->client_id, &result) == 0)
		send_to_client(s, &p->client, p->connection, p->generation, result.reply, result.reply_size);
	cv_dns_result_clear(&result);
	for (size_t i = 0; i < p->waiter_count; i++) {
		const struct waiter *w = &p->waiters[i];
		if (cv_dns_servfail(p->query, p->query_size, w->client_id, &result) == 0)
			send_to_client(s, &w->client, w->connection, w->generation, result.reply, result.reply_size);
		cv_dns_result_clear(&result);
	}
	cv_error_clear();
	pending_free(p);
}

static void next_upstream(struct server *s, struct pending *p)
{
	while (++p->upstream < (int)p->upstream_count)
		if (send_upstream(p) == 0)
			return;
	fail_pending(s, p);
}

static void start_forward(struct server *s, struct cv_dns_result *result, const struct sockaddr_in *client,
                          int connection, unsigned int generation)
{
	struct pending *p = NULL;

	/* The same question already on its way (same name, type, class and upstreams): wait for it. */
	for (size_t i = 0; i < PENDING_MAX; i++) {
		struct pending *same = &s->pending[i];
		if (same->fd >= 0 && same->key != NULL && strcmp(same->key, result->key) == 0 &&
		    same->waiter_count < WAITERS_MAX) {
			same->waiters[same->waiter_count++] =
			        (struct waiter){result->client_id, *client, connection, generation};
			return;
		}
	}
	for (size_t i = 0; i < PENDING_MAX && p == NULL; i++)
		if (s->pending[i].fd < 0 && s->pending[i].query == NULL)
			p = &s->pending[i];
	if (p == NULL) {
		/* Too many queries in flight: SERVFAIL now rather than an unbounded queue. */
		struct cv_dns_result failed;
		if (cv_dns_servfail(result->reply, result->reply_size, result->client_id, &failed) == 0)
			send_to_client(s, client, connection, generation, failed.reply, failed.reply_size);
		cv_dns_result_clear(&failed);
		cv_error_clear();
		return;
	}
	p->key = cv_steal_pointer(&result->key);
	p->query = cv_steal_pointer(&result->reply);
	p->query_size = result->reply_size;
	p->forward_id = result->forward_id;
	p->client_id = result->client_id;
	p->client = *client;
	p->connection = connection;
	p->generation = generation;
	p->upstream = -1;
	/* The asking container's --dns servers (IPv4, checked when they were set), else the host's. */
	for (size_t i = 0;
	     result->upstreams != NULL && result->upstreams[i] != NULL && p->upstream_count < UPSTREAMS_MAX; i++) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&p->upstreams[p->upstream_count];
		memset(&p->upstreams[p->upstream_count], 0, sizeof p->upstreams[0]);
		if (inet_pton(AF_INET, result->upstreams[i], &v4->sin_addr) != 1)
			continue;
		v4->sin_family = AF_INET;
		v4->sin_port = htons(DNS_PORT);
		p->upstream_count++;
	}
	if (result->upstreams == NULL) {
		memcpy(p->upstreams, s->upstreams, sizeof p->upstreams);
		p->upstream_count = s->upstream_count;
	}
	next_upstream(s, p);
}

static void handle_message(struct server *s, const uint8_t *message, size_t size, const struct sockaddr_in *client,
                           int connection, unsigned int generation)
{
	struct cv_dns_result result;

	refresh_table(s);
	if (cv_dns_handle_query(&s->table, &s->cache, ntohl(client->sin_addr.s_addr), message, size, connection < 0,
	                        now_ms(), &result) < 0) {
		cv_error_clear();
		return;
	}
	if (result.action == CV_DNS_ANSWER)
		send_to_client(s, client, connection, generation, result.reply, result.reply_size);
	else if (result.action == CV_DNS_FORWARD)
		start_forward(s, &result, client, connection, generation);
	cv_dns_result_clear(&result);
}

static void udp_readable(struct server *s)
{
	static uint8_t buffer[CV_DNS_MESSAGE_MAX];

	/* A burst at a time, so TCP clients and upstream answers get their turn. */
	for (int i = 0; i < 64; i++) {
		struct sockaddr_in client;
		socklen_t length = sizeof client;
		ssize_t n = recvfrom(s->udp, buffer, sizeof buffer, MSG_DONTWAIT, (struct sockaddr *)&client, &length);
		if (n < 0)
			return;
		if (length == sizeof client && client.sin_family == AF_INET)
			handle_message(s, buffer, (size_t)n, &client, -1, 0);
	}
}

static void upstream_readable(struct server *s, struct pending *p)
{
	static uint8_t buffer[CV_DNS_MESSAGE_MAX];
	struct cv_dns_result result;
	ssize_t n = recv(p->fd, buffer, sizeof buffer, MSG_DONTWAIT);

	if (n < 0) {
		/* ECONNREFUSED (nothing listens there) and the like: the next upstream. */
		if (errno != EAGAIN && errno != EINTR)
			next_upstream(s, p);
		return;
	}
	/* Not the answer to our question: ignored, the real one may still come before the deadline. */
	if (cv_dns_handle_upstream(&s->cache, p->key, p->forward_id, p->client_id, buffer, (size_t)n, now_ms(),
	                           &result) < 0) {
		cv_error_clear();
		return;
	}
	send_to_client(s, &p->client, p->connection, p->generation, result.reply, result.reply_size);
	cv_dns_result_clear(&result);
	/* The same answer for each waiter, with its own id (checked and cached again: the same bytes). */
	for (size_t i = 0; i < p->waiter_count; i++) {
		const struct waiter *w = &p->waiters[i];
		if (cv_dns_handle_upstream(&s->cache, p->key, p->forward_id, w->client_id, buffer, (size_t)n, now_ms(),
		                           &result) == 0)
			send_to_client(s, &w->client, w->connection, w->generation, result.reply, result.reply_size);
		cv_dns_result_clear(&result);
	}
	cv_error_clear();
	pending_free(p);
}

static void connection_close(struct connection *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->filled = 0;
	c->generation++;
}

static void tcp_accept(struct server *s)
{
	struct sockaddr_in peer;
	socklen_t length = sizeof peer;
	int fd = accept4(s->tcp, (struct sockaddr *)&peer, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct connection *c;

	if (fd < 0)
		return;
	for (size_t i = 0; i < CONNECTIONS_MAX; i++) {
		if (s->connections[i] == NULL) {
			s->connections[i] = calloc(1, sizeof *s->connections[i]);
			if (s->connections[i] == NULL)
				break;
			s->connections[i]->fd = -1;
		}
		c = s->connections[i];
		if (c->fd >= 0)
			continue;
		c->fd = fd;
		c->filled = 0;
		c->last_ms = now_ms();
		c->peer = peer;
		return;
	}
	/* Every slot taken: this one is turned away. */
	close(fd);
}

/* Messages over TCP come with a two-byte length (RFC 1035 4.2.2); several may come in one read. */
static void tcp_readable(struct server *s, int index)
{
	struct connection *c = s->connections[index];
	ssize_t n = recv(c->fd, c->buffer + c->filled, sizeof c->buffer - c->filled, MSG_DONTWAIT);

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			connection_close(c);
		return;
	}
	c->filled += (size_t)n;
	c->last_ms = now_ms();
	while (c->fd >= 0 && c->filled >= 2) {
		size_t length = (size_t)c->buffer[0] << 8 | c->buffer[1];
		if (c->filled < 2 + length)
			break;
		handle_message(s, c->buffer + 2, length, &c->peer, index, c->generation);
		if (c->fd < 0) /* its answer could not be sent: closed */
			break;
		memmove(c->buffer, c->buffer + 2 + length, c->filled - 2 - length);
		c->filled -= 2 + length;
	}
}

/*
 * Whether the server should end: its network is gone, or has no live
 * container. Decided under the networks' lock (never waited for: a start
 * holds it while it makes a lease and looks for this server), so a start
 * that found this server alive is never left without one.
 */
static bool network_idle(struct server *s, int *lock)
{
	struct cv_network network;

	if (cv_network_load(s->network.name, &network) < 0 || strcmp(network.id, s->network.id) != 0) {
		cv_error_clear();
		return true;
	}
	s->leases_stamp.tv_sec = s->leases_stamp.tv_nsec = 0; /* a container's death changes no file */
	refresh_table(s);
	if (s->table.count > 0)
		return false;
	*lock = cv_network_lock_try();
	if (*lock < 0) {
		cv_error_clear();
		return false;
	}
	s->leases_stamp.tv_sec = s->leases_stamp.tv_nsec = 0;
	refresh_table(s);
	if (s->table.count > 0) {
		cv_network_unlock(*lock);
		*lock = -1;
		return false;
	}
	if (recorded_server(&s->network) == getpid())
		forget_server(&s->network);
	return true; /* the lock is held until the sockets are closed, by the exit */
}

enum { SLOT_UDP, SLOT_TCP, SLOT_CONNECTION, SLOT_PENDING };

static void serve(struct server *s)
{
	static struct pollfd fds[2 + CONNECTIONS_MAX + PENDING_MAX];
	static int kind[2 + CONNECTIONS_MAX + PENDING_MAX], index[2 + CONNECTIONS_MAX + PENDING_MAX];
	uint64_t next_check = now_ms() + IDLE_CHECK_MS;
	int lock = -1;

	for (;;) {
		size_t n = 0;
		uint64_t now = now_ms(), wake = next_check;

		fds[n] = (struct pollfd){.fd = s->udp, .events = POLLIN};
		kind[n++] = SLOT_UDP;
		fds[n] = (struct pollfd){.fd = s->tcp, .events = POLLIN};
		kind[n++] = SLOT_TCP;
		for (int i = 0; i < CONNECTIONS_MAX; i++)
			if (s->connections[i] != NULL && s->connections[i]->fd >= 0) {
				fds[n] = (struct pollfd){.fd = s->connections[i]->fd, .events = POLLIN};
				kind[n] = SLOT_CONNECTION;
				index[n++] = i;
				if (s->connections[i]->last_ms + CONNECTION_IDLE_MS < wake)
					wake = s->connections[i]->last_ms + CONNECTION_IDLE_MS;
			}
		for (int i = 0; i < PENDING_MAX; i++)
			if (s->pending[i].fd >= 0) {
				fds[n] = (struct pollfd){.fd = s->pending[i].fd, .events = POLLIN};
				kind[n] = SLOT_PENDING;
				index[n++] = i;
				if (s->pending[i].deadline_ms < wake)
					wake = s->pending[i].deadline_ms;
			}
		if (poll(fds, n, wake > now ? (int)(wake - now) : 0) < 0 && errno != EINTR)
			return;
		for (size_t k = 0; k < n; k++) {
			if (fds[k].revents == 0)
				continue;
			if (kind[k] == SLOT_UDP)
				udp_readable(s);
			else if (kind[k] == SLOT_TCP)
				tcp_accept(s);
			else if (kind[k] == SLOT_CONNECTION && s->connections[index[k]]->fd == fds[k].fd)
				tcp_readable(s, index[k]);
			else if (kind[k] == SLOT_PENDING && s->pending[index[k]].fd == fds[k].fd)
				upstream_readable(s, &s->pending[index[k]]);
		}
		now = now_ms();
		for (int i = 0; i < PENDING_MAX; i++)
			if (s->pending[i].fd >= 0 && s->pending[i].deadline_ms <= now)
				next_upstream(s, &s->pending[i]);
		for (int i = 0; i < CONNECTIONS_MAX; i++)
			if (s->connections[i] != NULL && s->connections[i]->fd >= 0 &&
			    s->connections[i]->last_ms + CONNECTION_IDLE_MS <= now)
				connection_close(s->connections[i]);
		if (now >= next_check) {
			next_check = now + IDLE_CHECK_MS;
			if (network_idle(s, &lock))
				return;
		}
	}
}

/*
 * It parses hostile packets: it keeps no capability (not in its bounding set either, and
 * no_new_privs). It stays uid 0, which owns the state root, so it still reads the leases and
 * takes the networks' lock; its sockets are bound already.
 */
static void drop_privileges(void)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct none[2];

	memset(none, 0, sizeof none);
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall(SYS_capset, &header, none) < 0)
		_exit(1);
}

/* The server process: its sockets on 3 and 4, nothing else of its starter's. */
static void __attribute__((noreturn)) server_main(const struct cv_network *network)
{
	static struct server s;
	sigset_t all;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_IGN);
	s.network = *network;
	s.udp = 3;
	s.tcp = 4;
	for (size_t i = 0; i < PENDING_MAX; i++)
		s.pending[i].fd = -1;
	if (cv_network_path(network->name, "leases", s.leases_path, sizeof s.leases_path) < 0)
		_exit(1);
	/* Recorded by itself too: a starter killed before it recorded the server must not leave one nobody knows. */
	if (record_server(network, getpid()) < 0)
		_exit(1);
	load_upstreams(&s);
	drop_privileges();
	serve(&s);
	_exit(0);
}

/* Puts fds on 3, 4, ... in order and closes every other descriptor of the starter's (its lock's too). */
static void keep_only(int *fds, int count)
{
	for (int i = 0; i < count; i++)
		fds[i] = fcntl(fds[i], F_DUPFD, 3 + count);
	for (int i = 0; i < count; i++)
		dup2(fds[i], 3 + i);
	close_range((unsigned int)(3 + count), ~0U, 0);
}

static int bound_socket(const struct cv_network *network, int type)
{
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(DNS_PORT)};
	int one = 1;
	cleanup_close int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	address.sin_addr.s_addr = htonl(network->gateway);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, network->bridge, (socklen_t)strlen(network->bridge)) < 0 ||
	    (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) ||
	    bind(fd, (struct sockaddr *)&address, sizeof address) < 0 || (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		char gateway[16];
		cv_address_format(network->gateway, gateway);
		return cv_error_sys("DNS server on %s:%d/%s (%s)", gateway, DNS_PORT,
		                    type == SOCK_STREAM ? "tcp" : "udp", network->bridge);
	}
	return cv_steal_fd(&fd);
}

int cv_dns_server_ensure_locked(const struct cv_network *network)
{
	cleanup_close int udp = -1;
	cleanup_close int tcp = -1;
	int report[2];
	pid_t middle, server = 0;

	if (recorded_server(network) > 0)
		return 0;
	udp = bound_socket(network, SOCK_DGRAM);
	/* A server whose starter was killed before recording it records itself: wait for that a moment. */
	for (int i = 0; udp < 0 && errno == EADDRINUSE && i < 40; i++) {
		nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
		if (recorded_server(network) > 0) {
			cv_error_clear();
			return 0;
		}
		udp = bound_socket(network, SOCK_DGRAM);
	}
	if (udp < 0)
		return -1;
	tcp = bound_socket(network, SOCK_STREAM);
	if (tcp < 0)
		return -1;
	if (pipe2(report, O_CLOEXEC) < 0)
		return cv_error_sys("pipe");
	/* A daemonized grandchild, as the containers' monitors (runtime.c): the middle child exits at once. */
	middle = fork();
	if (middle < 0) {
		close(report[0]);
		close(report[1]);
		return cv_error_sys("fork the DNS server of network %s", network->name);
	}
	if (middle == 0) {
		int fds[3] = {udp, tcp, report[1]};
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		setsid();
		for (int fd = 0; fd < 3; fd++)
			dup2(devnull, fd);
		keep_only(fds, 3);
		prctl(PR_SET_NAME, "containerv-dns");
		server = fork();
		if (server == 0) {
			close(5);
			server_main(network);
		}
		if (write(5, &server, sizeof server) < 0)
			_exit(1);
		_exit(0);
	}
	close(report[1]);
	if (read(report[0], &server, sizeof server) != (ssize_t)sizeof server)
		server = -1;
	close(report[0]);
	while (waitpid(middle, NULL, 0) < 0 && errno == EINTR)
		;
	if (server <= 0)
		return cv_error_errno(ECHILD, "network %s: the DNS server did not start", network->name);
	if (record_server(network, server) < 0) {
		/* Unrecorded, nobody would stop it: it goes now (just started, it is still that process). */
		kill(server, SIGKILL);
		return cv_error_prefix("network %s: DNS server", network->name);
	}
	return 0;
}

void cv_dns_server_stop_locked(const struct cv_network *network)
{
	pid_t pid = recorded_server(network);

	if (pid > 0) {
		int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd >= 0) {
			struct pollfd ended = {.fd = pidfd, .events = POLLIN};
			/* Its sockets are closed when it has ended: wait for that, so the port is free at once. */
			if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) == 0)
				while (poll(&ended, 1, 2000) < 0 && errno == EINTR)
					;
			close(pidfd);
		}
	}
	forget_server(network);
}
