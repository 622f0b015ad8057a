/*
 * The load balancer through its public API (loadbalancer.h), with plain
 * listening sockets on loopback as backends (the kernel completes a handshake
 * before accept(), so a backend is a socket the test accepts from when it
 * wants): algorithm names, refusals of bad input, a refused backend retried
 * on another before the client notices, draining (new connections elsewhere,
 * the open one relayed until the grace period, then closed), counters.
 * tests/integration/test_cli_lb.sh covers the distributions on containers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "common/util.h"
#include "test.h"

/* A socket of type bound to 127.0.0.1 (a free port), listening for SOCK_STREAM; *port is set. */
static int bound_socket(int type, unsigned int *port)
{
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t length = sizeof address;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	CHECK(bind(fd, (struct sockaddr *)&address, sizeof address) == 0);
	CHECK(type != SOCK_STREAM || listen(fd, 16) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&address, &length) == 0);
	*port = ntohs(address.sin_port);
	return fd;
}

/* A listening socket on 127.0.0.1 (a free port); *port is set. */
static int backend_listener(unsigned int *port)
{
	return bound_socket(SOCK_STREAM, port);
}

/* A port where nothing listens (bound, then closed). */
static unsigned int closed_port(void)
{
	unsigned int port;
	int fd = backend_listener(&port);

	close(fd);
	return port;
}

static int connect_to(unsigned int port)
{
	struct sockaddr_in address = {
	        .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	CHECK(connect(fd, (struct sockaddr *)&address, sizeof address) == 0);
	return fd;
}

/* Accepts on a backend within milliseconds; -1 when nothing came. */
static int accept_within(int listener, int milliseconds)
{
	struct pollfd entry = {.fd = listener, .events = POLLIN};

	if (poll(&entry, 1, milliseconds) != 1)
		return -1;
	return accept4(listener, NULL, NULL, SOCK_CLOEXEC);
}

/* Reads one byte within milliseconds: the byte, 0 at EOF, -1 on timeout or error. */
static int read_byte_within(int fd, int milliseconds)
{
	struct pollfd entry = {.fd = fd, .events = POLLIN};
	char byte;

	if (poll(&entry, 1, milliseconds) != 1)
		return -1;
	if (read(fd, &byte, 1) != 1)
		return 0;
	return byte;
}

static struct containerv_lb *start_balancer(struct containerv_lb_options *options)
{
	struct containerv_lb *lb = NULL;

	options->address = "127.0.0.1";
	options->threads = 2;
	options->probe_interval_ms = 100;
	CHECK_OK(containerv_lb_create(options, &lb));
	return lb;
}

static struct containerv_lb_backend_stats stats_of(struct containerv_lb *lb, size_t index)
{
	struct containerv_lb_backend_stats stats = {.version = CONTAINERV_LB_BACKEND_STATS_VERSION};

	CHECK_OK(containerv_lb_backend_stats(lb, index, &stats));
	return stats;
}

TEST(algorithm_names_round_trip)
{
	enum containerv_lb_algorithm algorithm;
	const char *names[] = {"round_robin", "least_conn", "weighted", "ip_hash", "random", "power_of_two"};

	for (int i = 0; i < 6; i++) {
		CHECK_OK(containerv_lb_algorithm_parse(names[i], &algorithm));
		CHECK_EQ_INT(algorithm, i);
		CHECK_EQ_STR(containerv_lb_algorithm_name(algorithm), names[i]);
	}
	CHECK(containerv_lb_algorithm_parse("fastest", &algorithm) < 0);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(strstr(containerv_last_error(), "\"fastest\"") != NULL);
}

TEST(bad_input_is_refused)
{
	struct containerv_lb_options options = CONTAINERV_LB_OPTIONS_INIT;
	struct containerv_lb *lb = NULL;

	options.version = 0;
	CHECK(containerv_lb_create(&options, &lb) < 0 && errno == EINVAL);
	options.version = CONTAINERV_LB_OPTIONS_VERSION;
	options.address = "localhost";
	CHECK(containerv_lb_create(&options, &lb) < 0 && errno == EINVAL);
	options.address = NULL;
	CHECK_OK(containerv_lb_create(&options, &lb));
	CHECK(containerv_lb_add_backend(lb, "127.0.0.1", 80, 0, NULL) < 0 && errno == EINVAL);
	CHECK(strstr(containerv_last_error(), "weight 0") != NULL);
	CHECK(containerv_lb_add_backend(lb, "127.0.0.1", 0, 1, NULL) < 0 && errno == EINVAL);
	CHECK(containerv_lb_add_backend(lb, "web1", 80, 1, NULL) < 0 && errno == EINVAL);
	CHECK(containerv_lb_remove_backend(lb, 0) < 0 && errno == ENOENT);
	CHECK_EQ_INT(containerv_lb_backend_count(lb), 0);
	containerv_lb_free(lb);
	containerv_lb_free(NULL);
}

/* A backend that refuses is taken out, and the client's connection reaches the next one. */
TEST(a_refused_backend_is_retried_elsewhere)
{
	struct containerv_lb_options options = CONTAINERV_LB_OPTIONS_INIT;
	unsigned int port;
	int listener = backend_listener(&port), client, accepted;
	struct containerv_lb *lb = start_balancer(&options);

	CHECK_OK(containerv_lb_add_backend(lb, "127.0.0.1", closed_port(), 1, NULL));
	CHECK_OK(containerv_lb_add_backend(lb, "127.0.0.1", port, 1, NULL));
	CHECK_OK(containerv_lb_start(lb));
	for (int i = 0; i < 4; i++) {
		client = connect_to(containerv_lb_port(lb));
		accepted = accept_within(listener, 2000);
		CHECK(accepted >= 0);
		CHECK(write(client, "x", 1) == 1);
		CHECK_EQ_INT(read_byte_within(accepted, 2000), 'x');
		close(client);
		close(accepted);
	}
	containerv_lb_stop(lb); /* threads joined: the counters are final */
	CHECK_EQ_INT(stats_of(lb, 0).state, CONTAINERV_LB_BACKEND_DOWN);
	CHECK(stats_of(lb, 0).errors >= 1);
	CHECK_EQ_INT(stats_of(lb, 0).connections, 0);
	CHECK_EQ_INT(stats_of(lb, 1).connections, 4);
	CHECK_EQ_INT(stats_of(lb, 1).bytes_in, 4);
	containerv_lb_free(lb);
	close(listener);
}

/* Removing a backend: new connections elsewhere, the open one relayed until the grace period, then closed. */
TEST(a_removed_backend_drains)
{
	struct containerv_lb_options options = CONTAINERV_LB_OPTIONS_INIT;
	unsigned int port_a, port_b;
	int listener_a = backend_listener(&port_a), listener_b = backend_listener(&port_b);
	int client_a, client_b, accepted_a, accepted_b;
	struct containerv_lb *lb;
	struct timespec pause = {0, 300000000};

	options.drain_grace_ms = 800;
	lb = start_balancer(&options);
	CHECK_OK(containerv_lb_add_backend(lb, "127.0.0.1", port_a, 1, NULL));
	CHECK_OK(containerv_lb_add_backend(lb, "127.0.0.1", port_b, 1, NULL));
	CHECK_OK(containerv_lb_start(lb));
	client_a = connect_to(containerv_lb_port(lb)); /* round robin: the first goes to a */
	accepted_a = accept_within(listener_a, 2000);
	CHECK(accepted_a >= 0);

	CHECK_OK(containerv_lb_remove_backend(lb, 0));
	CHECK_EQ_INT(stats_of(lb, 0).state, CONTAINERV_LB_BACKEND_DRAINING);
	CHECK(containerv_lb_remove_backend(lb, 0) < 0 && errno == ENOENT);
	for (int i = 0; i < 3; i++) {
		client_b = connect_to(containerv_lb_port(lb));
		accepted_b = accept_within(listener_b, 2000);
		CHECK(accepted_b >= 0);
		close(client_b);
		close(accepted_b);
	}
	CHECK(accept_within(listener_a, 200) < 0);

	/* Within the grace period the drained connection still carries bytes both ways. */
	nanosleep(&pause, NULL);
	CHECK(write(client_a, "y", 1) == 1);
	CHECK_EQ_INT(read_byte_within(accepted_a, 2000), 'y');
	CHECK(write(accepted_a, "z", 1) == 1);
	CHECK_EQ_INT(read_byte_within(client_a, 2000), 'z');

	/* After it (800 ms, plus a probe interval to notice): closed, and the backend removed. */
	CHECK_EQ_INT(read_byte_within(client_a, 3000), 0);
	containerv_lb_stop(lb);
	CHECK_EQ_INT(stats_of(lb, 0).state, CONTAINERV_LB_BACKEND_REMOVED);
	CHECK_EQ_INT(stats_of(lb, 0).active, 0);
	CHECK_EQ_INT(stats_of(lb, 0).connections, 1);
	CHECK_EQ_INT(stats_of(lb, 0).bytes_in, 1);
	CHECK_EQ_INT(stats_of(lb, 0).bytes_out, 1);
	CHECK_EQ_INT(stats_of(lb, 1).connections, 3);
	containerv_lb_free(lb);
	close(client_a);
	close(accepted_a);
	close(listener_a);
	close(listener_b);
}

/* Bucket limits grow, each value lies at most 25 % below its bucket's limit, and quantiles are read back. */
TEST(histogram_buckets_are_log_linear)
{
	struct containerv_lb_histogram histogram;
	uint64_t previous = 0;

	memset(&histogram, 0, sizeof histogram);

	for (size_t i = 1; i < CONTAINERV_LB_HISTOGRAM_BUCKETS; i++) {
		CHECK(containerv_lb_histogram_bucket_limit(i) > containerv_lb_histogram_bucket_limit(i - 1));
		CHECK_EQ_INT(containerv_lb_histogram_bucket_of(containerv_lb_histogram_bucket_limit(i - 1) + 1), i);
	}
	for (uint64_t value = 0; value < 40000000; value = value * 9 / 8 + 1) {
		size_t bucket = containerv_lb_histogram_bucket_of(value);
		uint64_t limit = containerv_lb_histogram_bucket_limit(bucket);

		CHECK(bucket >= containerv_lb_histogram_bucket_of(previous));
		CHECK(value <= limit);
		if (bucket < CONTAINERV_LB_HISTOGRAM_BUCKETS - 1)
			CHECK(limit <= value + value / 4 + 1);
		previous = value;
	}
	CHECK_EQ_INT(containerv_lb_histogram_bucket_of(UINT64_MAX), CONTAINERV_LB_HISTOGRAM_BUCKETS - 1);
	CHECK_EQ_INT(containerv_lb_histogram_quantile(&histogram, 0.5), 0);
	/* 90 values of 100 us, 10 of 10 ms: p50 near 100 us, p99 near 10 ms. */
	histogram.buckets[containerv_lb_histogram_bucket_of(100)] = 90;
	histogram.buckets[containerv_lb_histogram_bucket_of(10000)] = 10;
	histogram.count = 100;
	CHECK(containerv_lb_histogram_quantile(&histogram, 0.5) >= 100);
	CHECK(containerv_lb_histogram_quantile(&histogram, 0.5) <= 125);
	CHECK(containerv_lb_histogram_quantile(&histogram, 0.99) >= 10000);
	CHECK(containerv_lb_histogram_quantile(&histogram, 0.99) <= 12500);
}

/* The relay records each connection's connect latency and its first byte back (a backend answering after 50 ms). */
TEST(latency_is_recorded_per_backend)
{
	struct containerv_lb_options options = CONTAINERV_LB_OPTIONS_INIT;
	struct containerv_lb_histogram connect_latency, first_byte;
	unsigned int port;
	int listener = backend_listener(&port);
	struct containerv_lb *lb = NULL;
	struct timespec pause = {0, 50000000};

	/* No probe within the test: a probe's connection would be the one the backend accepts. */
	options.address = "127.0.0.1";
	options.probe_interval_ms = 600000;
	CHECK_OK(containerv_lb_create(&options, &lb));
	CHECK_OK(containerv_lb_add_backend(lb, "127.0.0.1", port, 1, NULL));
	CHECK_OK(containerv_lb_start(lb));
	for (int i = 0; i < 3; i++) {
		int client = connect_to(containerv_lb_port(lb)), accepted = accept_within(listener, 2000);

		CHECK(accepted >= 0);
		nanosleep(&pause, NULL);
		CHECK(write(accepted, "a", 1) == 1);
		CHECK_EQ_INT(read_byte_within(client, 2000), 'a');
		close(client);
		close(accepted);
	}
	containerv_lb_stop(lb);
	CHECK_OK(containerv_lb_backend_histogram(lb, 0, CONTAINERV_LB_LATENCY_CONNECT, &connect_latency));
	CHECK_OK(containerv_lb_backend_histogram(lb, 0, CONTAINERV_LB_LATENCY_FIRST_BYTE, &first_byte));
	CHECK_EQ_INT(connect_latency.count, 3);
	CHECK_EQ_INT(first_byte.count, 3);
	/* Lower bounds only: the machine may be slow, never faster than the backend's pause. */
	CHECK(containerv_lb_histogram_quantile(&first_byte, 0.5) >= 50000);
	CHECK(first_byte.sum_us >= 3 * 50000);
	CHECK(containerv_lb_backend_histogram(lb, 1, CONTAINERV_LB_LATENCY_CONNECT, &connect_latency) < 0 &&
	      errno == ENOENT);
	CHECK(containerv_lb_backend_histogram(lb, 0, (enum containerv_lb_latency)7, &connect_latency) < 0 &&
	      errno == EINVAL);
	containerv_lb_free(lb);
	close(listener);
}

/* A UDP socket on 127.0.0.1 (a free port); *port is set. */
static int udp_backend(unsigned int *port)
{
	return bound_socket(SOCK_DGRAM, port);
}

/* Answers every datagram that comes to fd within milliseconds with answer. */
static void answer_for(int fd, const char *answer, int milliseconds)
{
	int64_t end = cv_monotonic_ns() + (int64_t)milliseconds * 1000000;

	while (cv_monotonic_ns() < end) {
		struct pollfd entry = {.fd = fd, .events = POLLIN};
		struct sockaddr_in from;
		socklen_t length = sizeof from;
		char datagram[64];

		if (poll(&entry, 1, 20) == 1 &&
		    recvfrom(fd, datagram, sizeof datagram, 0, (struct sockaddr *)&from, &length) >= 0)
			sendto(fd, answer, strlen(answer), 0, (struct sockaddr *)&from, length);
	}
}

/*
 * UDP probes: an ICMP refusal (a closed port) takes a backend out, the
 * expected answer keeps one up, a wrong answer takes it out, and the right
 * one brings it back.
 */
TEST(udp_probes_judge_backends)
{
	struct containerv_lb_options options = CONTAINERV_LB_OPTIONS_INIT;
	struct containerv_lb *lb = NULL;
	unsigned int port;
	int backend = udp_backend(&port);

	options.address = "127.0.0.1";
	options.udp = 1;
	options.probe_interval_ms = 100;
	options.connect_timeout_ms = 1000; /* capped by the interval: an answer within 100 ms counts */
	options.udp_probe = "ping";
	options.udp_probe_length = 4;
	options.udp_expect = "pong";
	options.udp_expect_length = 4;
	CHECK_OK(containerv_lb_create(&options, &lb));
	CHECK_OK(containerv_lb_add_backend(lb, "127.0.0.1", port, 1, NULL));
	CHECK_OK(containerv_lb_add_backend(lb, "127.0.0.1", closed_port(), 1, NULL));
	CHECK_OK(containerv_lb_start(lb));
	answer_for(backend, "pong", 1500);
	CHECK_EQ_INT(stats_of(lb, 0).state, CONTAINERV_LB_BACKEND_UP);
	CHECK_EQ_INT(stats_of(lb, 1).state, CONTAINERV_LB_BACKEND_DOWN);
	answer_for(backend, "nope", 1500);
	CHECK_EQ_INT(stats_of(lb, 0).state, CONTAINERV_LB_BACKEND_DOWN);
	answer_for(backend, "pong!", 1500);
	CHECK_EQ_INT(stats_of(lb, 0).state, CONTAINERV_LB_BACKEND_UP);
	CHECK_EQ_INT(stats_of(lb, 1).state, CONTAINERV_LB_BACKEND_DOWN);
	containerv_lb_free(lb);
	/* Too long a probe is refused. */
	options.udp_probe_length = CONTAINERV_LB_PROBE_MAX + 1;
	CHECK(containerv_lb_create(&options, &lb) < 0 && errno == EINVAL);
	close(backend);
}

/* A removed backend comes back under its index with its counters; one not removed cannot. */
TEST(a_removed_backend_is_restored)
{
	struct containerv_lb_options options = CONTAINERV_LB_OPTIONS_INIT;
	struct containerv_lb *lb = NULL;

	options.address = "127.0.0.1";
	CHECK_OK(containerv_lb_create(&options, &lb));
	CHECK_OK(containerv_lb_add_backend(lb, "127.0.0.1", 9, 1, NULL));
	CHECK(containerv_lb_restore_backend(lb, 0) < 0 && errno == EBUSY);
	CHECK(containerv_lb_restore_backend(lb, 1) < 0 && errno == ENOENT);
	CHECK_OK(containerv_lb_remove_backend(lb, 0));
	CHECK_OK(containerv_lb_restore_backend(lb, 0));
	CHECK_EQ_INT(stats_of(lb, 0).state, CONTAINERV_LB_BACKEND_UP);
	CHECK_EQ_INT(stats_of(lb, 0).state_changes, 2);
	containerv_lb_free(lb);
}

int main(void)
{
	RUN(algorithm_names_round_trip);
	RUN(bad_input_is_refused);
	RUN(a_refused_backend_is_retried_elsewhere);
	RUN(a_removed_backend_drains);
	RUN(histogram_buckets_are_log_linear);
	RUN(latency_is_recorded_per_backend);
	RUN(udp_probes_judge_backends);
	RUN(a_removed_backend_is_restored);
	return cv_test_summary();
}
