/*
 * The algorithms: which backend a new connection (or UDP flow) goes to.
 *
 * Lock-free: every relay thread picks at once. Round robin and weighted share
 * one atomic position, so the turn is global (exact shares across threads),
 * not per thread.
 */
#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "lb-internal.h"

void cv_lb_tried_add(struct cv_lb_tried *tried, size_t index)
{
	tried->bits[index / 64] |= UINT64_C(1) << (index % 64);
}

static bool was_tried(const struct cv_lb_tried *tried, size_t index)
{
	return tried != NULL && (tried->bits[index / 64] & (UINT64_C(1) << (index % 64))) != 0;
}

/* May this backend take the connection, in this pass (up ones first, then down ones)? */
static bool eligible(struct containerv_lb *lb, size_t index, const struct cv_lb_tried *tried, int wanted_state)
{
	return atomic_load_explicit(&lb->backends[index].state, memory_order_relaxed) == wanted_state &&
	       !was_tried(tried, index);
}

/* splitmix64: a good 64-bit mixer, for the hash and the generator. */
static uint64_t mix64(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* A per-thread generator: no shared state, no lock; seeded from the clock and the thread. */
static uint64_t random64(void)
{
	static _Thread_local uint64_t state;

	if (state == 0)
		state = mix64((uint64_t)cv_monotonic_ns() ^ (uint64_t)(uintptr_t)&state);
	state += UINT64_C(0x9e3779b97f4a7c15);
	return mix64(state);
}

/* An unbiased number in [0, bound) (bound > 0), by rejection. */
static uint64_t random_below(uint64_t bound)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % bound, value;

	do
		value = random64();
	while (value >= limit);
	return value % bound;
}

static uint64_t active_of(struct containerv_lb *lb, size_t index)
{
	return atomic_load_explicit(&lb->backends[index].active, memory_order_relaxed);
}

/* The n-th (from 0) eligible backend. */
static int nth_eligible(struct containerv_lb *lb, size_t count, const struct cv_lb_tried *tried, int wanted, uint64_t n)
{
	for (size_t i = 0; i < count; i++) {
		if (eligible(lb, i, tried, wanted) && n-- == 0)
			return (int)i;
	}
	return -1;
}

static int pick_round_robin(struct containerv_lb *lb, size_t count, const struct cv_lb_tried *tried, int wanted,
                            size_t eligible_count)
{
	return nth_eligible(lb, count, tried, wanted, atomic_fetch_add(&lb->turn, 1) % eligible_count);
}

/* Position p of a cycle of total weight: the backend whose cumulative weight passes p. */
static int pick_weighted(struct containerv_lb *lb, size_t count, const struct cv_lb_tried *tried, int wanted)
{
	uint64_t total = 0, position;

	for (size_t i = 0; i < count; i++) {
		if (eligible(lb, i, tried, wanted))
			total += lb->backends[i].weight;
	}
	position = atomic_fetch_add(&lb->turn, 1) % total;
	for (size_t i = 0; i < count; i++) {
		if (!eligible(lb, i, tried, wanted))
			continue;
		if (position < lb->backends[i].weight)
			return (int)i;
		position -= lb->backends[i].weight;
	}
	return -1;
}

/* Fewest open connections; ties go in turn, so that an idle set is shared evenly. */
static int pick_least_conn(struct containerv_lb *lb, size_t count, const struct cv_lb_tried *tried, int wanted)
{
	size_t start = (size_t)(atomic_fetch_add(&lb->turn, 1) % count);
	uint64_t best_active = UINT64_MAX;
	int best = -1;

	for (size_t k = 0; k < count; k++) {
		size_t i = (start + k) % count;
		uint64_t active;

		if (!eligible(lb, i, tried, wanted))
			continue;
		active = active_of(lb, i);
		if (active < best_active) {
			best_active = active;
			best = (int)i;
		}
	}
	return best;
}

/*
 * Rendezvous (highest random weight) hashing: each backend scores
 * hash(client address, backend address and port); the highest wins. When a
 * backend goes, only its clients move; when one comes, it takes only the
 * clients it now wins (1/n of them).
 */
static int pick_ip_hash(struct containerv_lb *lb, size_t count, const struct cv_lb_tried *tried, int wanted,
                        const struct sockaddr_in *client)
{
	uint64_t client_key = mix64(client != NULL ? client->sin_addr.s_addr : 0), best_score = 0;
	int best = -1;

	for (size_t i = 0; i < count; i++) {
		const struct sockaddr_in *address = &lb->backends[i].address;
		uint64_t score;

		if (!eligible(lb, i, tried, wanted))
			continue;
		score = mix64(client_key ^ (((uint64_t)address->sin_addr.s_addr << 16) | address->sin_port));
		if (best < 0 || score > best_score) {
			best_score = score;
			best = (int)i;
		}
	}
	return best;
}

/* Two at random (distinct when there are two), the one with fewer open connections. */
static int pick_power_of_two(struct containerv_lb *lb, size_t count, const struct cv_lb_tried *tried, int wanted,
                             size_t eligible_count)
{
	uint64_t first = random_below(eligible_count), second;
	int a, b;

	if (eligible_count == 1)
		return nth_eligible(lb, count, tried, wanted, 0);
	second = random_below(eligible_count - 1);
	if (second >= first)
		second++;
	a = nth_eligible(lb, count, tried, wanted, first);
	b = nth_eligible(lb, count, tried, wanted, second);
	if (a < 0 || b < 0)
		return a < 0 ? b : a;
	return active_of(lb, (size_t)b) < active_of(lb, (size_t)a) ? b : a;
}

static int pick_among(struct containerv_lb *lb, size_t count, const struct sockaddr_in *client,
                      const struct cv_lb_tried *tried, int wanted)
{
	size_t eligible_count = 0;

	for (size_t i = 0; i < count; i++)
		eligible_count += eligible(lb, i, tried, wanted);
	if (eligible_count == 0)
		return -1;
	switch (lb->options.algorithm) {
	case CONTAINERV_LB_LEAST_CONN:
		return pick_least_conn(lb, count, tried, wanted);
	case CONTAINERV_LB_WEIGHTED:
		return pick_weighted(lb, count, tried, wanted);
	case CONTAINERV_LB_IP_HASH:
		return pick_ip_hash(lb, count, tried, wanted, client);
	case CONTAINERV_LB_RANDOM:
		return nth_eligible(lb, count, tried, wanted, random_below(eligible_count));
	case CONTAINERV_LB_POWER_OF_TWO:
		return pick_power_of_two(lb, count, tried, wanted, eligible_count);
	case CONTAINERV_LB_ROUND_ROBIN:
	default:
		return pick_round_robin(lb, count, tried, wanted, eligible_count);
	}
}

int cv_lb_pick(struct containerv_lb *lb, const struct sockaddr_in *client, const struct cv_lb_tried *tried)
{
	size_t count = atomic_load(&lb->backend_count);
	int chosen = -1;

	if (count == 0)
		return -1;
	chosen = pick_among(lb, count, client, tried, CONTAINERV_LB_BACKEND_UP);
	if (chosen < 0)
		chosen = pick_among(lb, count, client, tried, CONTAINERV_LB_BACKEND_DOWN);
	if (chosen >= 0)
		atomic_fetch_add(&lb->backends[chosen].active, 1);
	return chosen;
}
