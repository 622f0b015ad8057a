/*
 * The load balancer's public API (loadbalancer.h): options, the backend set,
 * health states and counters. The relay is the platform's (lb-internal.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "lb-internal.h"

static const char *const algorithm_names[] = {
        [CONTAINERV_LB_ROUND_ROBIN] = "round_robin", [CONTAINERV_LB_LEAST_CONN] = "least_conn",
        [CONTAINERV_LB_WEIGHTED] = "weighted",       [CONTAINERV_LB_IP_HASH] = "ip_hash",
        [CONTAINERV_LB_RANDOM] = "random",           [CONTAINERV_LB_POWER_OF_TWO] = "power_of_two",
};
#define ALGORITHM_COUNT (sizeof algorithm_names / sizeof algorithm_names[0])

CONTAINERV_API int containerv_lb_algorithm_parse(const char *name, enum containerv_lb_algorithm *algorithm)
{
	cv_error_clear();
	for (size_t i = 0; name != NULL && i < ALGORITHM_COUNT; i++) {
		if (strcmp(name, algorithm_names[i]) == 0) {
			*algorithm = (enum containerv_lb_algorithm)i;
			return 0;
		}
	}
	return cv_error_errno(EINVAL,
	                      "unknown load-balancing algorithm \"%s\": round_robin, least_conn, weighted, ip_hash, "
	                      "random or power_of_two",
	                      name != NULL ? name : "");
}

CONTAINERV_API const char *containerv_lb_algorithm_name(enum containerv_lb_algorithm algorithm)
{
	return (unsigned int)algorithm < ALGORITHM_COUNT ? algorithm_names[algorithm] : "?";
}

static int parse_ipv4(const char *text, struct sockaddr_in *address)
{
	memset(address, 0, sizeof *address);
	address->sin_family = AF_INET;
	return inet_pton(AF_INET, text, &address->sin_addr) == 1 ? 0 : -1;
}

/* The options with their defaults filled in; a zero means "the default" everywhere. */
static void fill_defaults(struct containerv_lb_options *options)
{
	if (options->threads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		options->threads = cpus > 0 && cpus < 256 ? (unsigned int)cpus : 1;
	}
	if (options->max_connections == 0)
		options->max_connections = 4096;
	if (options->connect_timeout_ms == 0)
		options->connect_timeout_ms = 1000;
	if (options->probe_interval_ms == 0)
		options->probe_interval_ms = 1000;
	if (options->drain_grace_ms == 0)
		options->drain_grace_ms = 10000;
	if (options->udp_idle_timeout_ms == 0)
		options->udp_idle_timeout_ms = 30000;
}

CONTAINERV_API int containerv_lb_create(const struct containerv_lb_options *options, struct containerv_lb **lb)
{
	struct containerv_lb *made;

	cv_error_clear();
	if (options == NULL || (options->version != CONTAINERV_LB_OPTIONS_VERSION && options->version != 1))
		return cv_error_errno(EINVAL, "load balancer: options of an unknown version");
	if (options->version >= 2 && (options->udp_probe_length > CONTAINERV_LB_PROBE_MAX ||
	                              options->udp_expect_length > CONTAINERV_LB_PROBE_MAX ||
	                              (options->udp_probe_length > 0 && options->udp_probe == NULL) ||
	                              (options->udp_expect_length > 0 && options->udp_expect == NULL)))
		return cv_error_errno(EINVAL, "load balancer: a UDP probe or its expected answer above %d bytes",
		                      CONTAINERV_LB_PROBE_MAX);
	if ((unsigned int)options->algorithm >= ALGORITHM_COUNT)
		return cv_error_errno(EINVAL, "load balancer: unknown algorithm %d", (int)options->algorithm);
	if (options->port > 65535)
		return cv_error_errno(EINVAL, "load balancer: port %u out of range", options->port);
	made = calloc(1, sizeof *made);
	if (made == NULL)
		return cv_error_sys("load balancer");
	if (options->version == 1) /* the fields it has; the probe's stay empty */
		memcpy(&made->options, options, offsetof(struct containerv_lb_options, udp_probe));
	else
		made->options = *options;
	made->options.version = CONTAINERV_LB_OPTIONS_VERSION;
	made->options.address = NULL; /* not kept: the caller's string may go */
	if (made->options.udp_probe_length > 0)
		memcpy(made->udp_probe, made->options.udp_probe, made->options.udp_probe_length);
	if (made->options.udp_expect_length > 0)
		memcpy(made->udp_expect, made->options.udp_expect, made->options.udp_expect_length);
	made->options.udp_probe = made->udp_probe;
	made->options.udp_expect = made->udp_expect;
	fill_defaults(&made->options);
	if (parse_ipv4(options->address != NULL ? options->address : "0.0.0.0", &made->listen_address) < 0) {
		free(made);
		return cv_error_errno(EINVAL, "load balancer: listen address \"%s\" is not a numeric IPv4 address",
		                      options->address);
	}
	made->listen_address.sin_port = htons((uint16_t)options->port);
	pthread_mutex_init(&made->lock, NULL);
	*lb = made;
	return 0;
}

CONTAINERV_API int containerv_lb_add_backend(struct containerv_lb *lb, const char *address, unsigned int port,
                                             unsigned int weight, size_t *index)
{
	struct cv_lb_backend *backend;
	size_t count;

	cv_error_clear();
	if (address == NULL || port == 0 || port > 65535)
		return cv_error_errno(EINVAL, "load balancer: backend port %u out of range (1-65535)", port);
	if (weight == 0 || weight > 1000000)
		return cv_error_errno(EINVAL, "load balancer: backend %s:%u: weight %u out of range (1-1000000)",
		                      address, port, weight);
	pthread_mutex_lock(&lb->lock);
	count = atomic_load(&lb->backend_count);
	if (count == CONTAINERV_LB_MAX_BACKENDS) {
		pthread_mutex_unlock(&lb->lock);
		return cv_error_errno(ENOSPC, "load balancer: more than %d backends", CONTAINERV_LB_MAX_BACKENDS);
	}
	backend = &lb->backends[count];
	if (parse_ipv4(address, &backend->address) < 0) {
		pthread_mutex_unlock(&lb->lock);
		return cv_error_errno(EINVAL, "load balancer: backend \"%s\" is not a numeric IPv4 address", address);
	}
	backend->address.sin_port = htons((uint16_t)port);
	inet_ntop(AF_INET, &backend->address.sin_addr, backend->address_text, sizeof backend->address_text);
	backend->weight = weight;
	atomic_store(&backend->state, CONTAINERV_LB_BACKEND_UP);
	/* Published last (sequentially consistent store): relays see it whole. */
	atomic_store(&lb->backend_count, count + 1);
	pthread_mutex_unlock(&lb->lock);
	if (index != NULL)
		*index = count;
	return 0;
}

struct cv_lb_backend *cv_lb_backend_at(struct containerv_lb *lb, size_t index)
{
	return index < atomic_load(&lb->backend_count) ? &lb->backends[index] : NULL;
}

/* Under lb->lock: the callback sees changes in the order they happened. */
static void report_state(struct containerv_lb *lb, size_t index, enum containerv_lb_backend_state state)
{
	atomic_fetch_add(&lb->backends[index].state_changes, 1);
	if (lb->options.on_state != NULL)
		lb->options.on_state(index, state, lb->options.user);
}

/*
 * Moves a backend between "in rotation" (up, down) and "removed" (draining,
 * removed): to draining when removing, to up when restoring. ENOENT for an
 * unknown index or one removed already; EBUSY to restore one that is not.
 */
static int move_backend(struct containerv_lb *lb, size_t index, bool removing)
{
	struct cv_lb_backend *backend;
	int state;
	bool removed;

	cv_error_clear();
	backend = cv_lb_backend_at(lb, index);
	if (backend == NULL)
		return cv_error_errno(ENOENT, "load balancer: no backend %zu", index);
	pthread_mutex_lock(&lb->lock);
	state = atomic_load(&backend->state);
	removed = state == CONTAINERV_LB_BACKEND_DRAINING || state == CONTAINERV_LB_BACKEND_REMOVED;
	if (removed == removing) {
		pthread_mutex_unlock(&lb->lock);
		return cv_error_errno(removing ? ENOENT : EBUSY, "load balancer: backend %zu (%s:%u) is %s", index,
		                      backend->address_text, ntohs(backend->address.sin_port),
		                      removing ? "removed already" : "not removed");
	}
	if (removing)
		atomic_store(&backend->drain_deadline_ns,
		             cv_monotonic_ns() + (int64_t)lb->options.drain_grace_ms * 1000000);
	state = removing ? CONTAINERV_LB_BACKEND_DRAINING : CONTAINERV_LB_BACKEND_UP;
	atomic_store(&backend->state, state);
	report_state(lb, index, (enum containerv_lb_backend_state)state);
	pthread_mutex_unlock(&lb->lock);
	return 0;
}

CONTAINERV_API int containerv_lb_remove_backend(struct containerv_lb *lb, size_t index)
{
	return move_backend(lb, index, true);
}

CONTAINERV_API int containerv_lb_restore_backend(struct containerv_lb *lb, size_t index)
{
	return move_backend(lb, index, false);
}

void cv_lb_backend_set_health(struct containerv_lb *lb, size_t index, enum containerv_lb_backend_state state)
{
	struct cv_lb_backend *backend = &lb->backends[index];
	int expected = state == CONTAINERV_LB_BACKEND_UP ? CONTAINERV_LB_BACKEND_DOWN : CONTAINERV_LB_BACKEND_UP;

	/* Cheap test first: the relays call this on every refused connect. */
	if (atomic_load(&backend->state) != expected)
		return;
	pthread_mutex_lock(&lb->lock);
	if (atomic_compare_exchange_strong(&backend->state, &expected, (int)state))
		report_state(lb, index, state);
	pthread_mutex_unlock(&lb->lock);
}

void cv_lb_backend_failed(struct containerv_lb *lb, size_t index)
{
	atomic_fetch_add(&lb->backends[index].errors, 1);
	cv_lb_backend_set_health(lb, index, CONTAINERV_LB_BACKEND_DOWN);
}

/* The prober ends a drain: DRAINING -> REMOVED once idle or past the grace period. */
void cv_lb_finish_drains(struct containerv_lb *lb)
{
	size_t count = atomic_load(&lb->backend_count);
	int64_t now = cv_monotonic_ns();

	for (size_t i = 0; i < count; i++) {
		struct cv_lb_backend *backend = &lb->backends[i];
		int expected = CONTAINERV_LB_BACKEND_DRAINING;

		if (atomic_load(&backend->state) != expected)
			continue;
		if (atomic_load(&backend->active) > 0 && now < atomic_load(&backend->drain_deadline_ns))
			continue;
		pthread_mutex_lock(&lb->lock);
		if (atomic_compare_exchange_strong(&backend->state, &expected, CONTAINERV_LB_BACKEND_REMOVED))
			report_state(lb, i, CONTAINERV_LB_BACKEND_REMOVED);
		pthread_mutex_unlock(&lb->lock);
	}
}

CONTAINERV_API int containerv_lb_start(struct containerv_lb *lb)
{
	int err;

	cv_error_clear();
	if (lb->relay != NULL)
		return cv_error_errno(EBUSY, "load balancer: started already");
	if (cv_lb_relay_start(lb) < 0)
		return cv_error_prefix("load balancer");
	err = pthread_create(&lb->prober, NULL, cv_lb_prober_main, lb);
	if (err != 0) {
		atomic_store(&lb->stopping, 1);
		cv_lb_relay_stop(lb);
		return cv_error_errno(err, "load balancer: start the health prober: %s", strerror(err));
	}
	lb->prober_started = 1;
	return 0;
}

CONTAINERV_API unsigned int containerv_lb_port(const struct containerv_lb *lb)
{
	return lb->port;
}

CONTAINERV_API size_t containerv_lb_backend_count(const struct containerv_lb *lb)
{
	return atomic_load(&((struct containerv_lb *)lb)->backend_count);
}

CONTAINERV_API int containerv_lb_backend_stats(const struct containerv_lb *lb, size_t index,
                                               struct containerv_lb_backend_stats *stats)
{
	struct cv_lb_backend *backend;

	cv_error_clear();
	if (stats->version != CONTAINERV_LB_BACKEND_STATS_VERSION)
		return cv_error_errno(EINVAL, "load balancer: backend stats of an unknown version");
	backend = cv_lb_backend_at((struct containerv_lb *)lb, index);
	if (backend == NULL)
		return cv_error_errno(ENOENT, "load balancer: no backend %zu", index);
	memcpy(stats->address, backend->address_text, sizeof stats->address);
	stats->port = ntohs(backend->address.sin_port);
	stats->weight = backend->weight;
	stats->state = (enum containerv_lb_backend_state)atomic_load(&backend->state);
	stats->connections = atomic_load(&backend->connections);
	stats->active = atomic_load(&backend->active);
	stats->bytes_in = atomic_load(&backend->bytes_in);
	stats->bytes_out = atomic_load(&backend->bytes_out);
	stats->errors = atomic_load(&backend->errors);
	stats->state_changes = atomic_load(&backend->state_changes);
	return 0;
}

CONTAINERV_API void containerv_lb_stop(struct containerv_lb *lb)
{
	atomic_store(&lb->stopping, 1);
	if (lb->prober_started)
		pthread_join(lb->prober, NULL);
	lb->prober_started = 0;
	cv_lb_relay_stop(lb);
}

CONTAINERV_API void containerv_lb_free(struct containerv_lb *lb)
{
	if (lb == NULL)
		return;
	containerv_lb_stop(lb);
	pthread_mutex_destroy(&lb->lock);
	free(lb);
}
