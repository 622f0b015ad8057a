/*
 * Per-backend latency histograms (loadbalancer.h): log-linear buckets in
 * microseconds. Four buckets per power of two keep the error of a quantile
 * under 25 % with 100 counters, and finding a bucket is a count of leading
 * zeros and a shift: the relay's hot path pays three relaxed atomic
 * increments per recorded value.
 */
#include <errno.h>
#include <string.h>

#include "common/error.h"
#include "lb-internal.h"

#define SUB_BUCKETS 4 /* per power of two */
#define SUB_BITS 2
#define LINEAR_LIMIT 4 /* values below it have a bucket each */

CONTAINERV_API size_t containerv_lb_histogram_bucket_of(uint64_t microseconds)
{
	unsigned int exponent;
	size_t bucket;

	if (microseconds < LINEAR_LIMIT)
		return (size_t)microseconds;
	exponent = 63u - (unsigned int)__builtin_clzll(microseconds); /* >= 2 */
	bucket = LINEAR_LIMIT + (size_t)(exponent - SUB_BITS) * SUB_BUCKETS +
	         (size_t)((microseconds >> (exponent - SUB_BITS)) & (SUB_BUCKETS - 1));
	return bucket < CONTAINERV_LB_HISTOGRAM_BUCKETS ? bucket : CONTAINERV_LB_HISTOGRAM_BUCKETS - 1;
}

CONTAINERV_API uint64_t containerv_lb_histogram_bucket_limit(size_t bucket)
{
	size_t step, sub;

	if (bucket < LINEAR_LIMIT)
		return (uint64_t)bucket;
	if (bucket >= CONTAINERV_LB_HISTOGRAM_BUCKETS - 1)
		return UINT64_MAX;
	step = (bucket - LINEAR_LIMIT) / SUB_BUCKETS;
	sub = (bucket - LINEAR_LIMIT) % SUB_BUCKETS;
	/* Bucket (exponent e = step + 2, sub s) holds [(4 + s) << step, (5 + s) << step). */
	return (((uint64_t)(SUB_BUCKETS + sub + 1)) << step) - 1;
}

CONTAINERV_API uint64_t containerv_lb_histogram_quantile(const struct containerv_lb_histogram *histogram, double q)
{
	uint64_t rank, seen = 0;

	if (histogram == NULL || histogram->count == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	/* The value at rank ceil(q * count), at least the first. */
	rank = (uint64_t)(q * (double)histogram->count + 0.999999);
	if (rank == 0)
		rank = 1;
	for (size_t i = 0; i < CONTAINERV_LB_HISTOGRAM_BUCKETS; i++) {
		seen += histogram->buckets[i];
		if (seen >= rank)
			return containerv_lb_histogram_bucket_limit(i);
	}
	return containerv_lb_histogram_bucket_limit(CONTAINERV_LB_HISTOGRAM_BUCKETS - 1);
}

void cv_lb_histogram_add(struct cv_lb_histogram *histogram, int64_t nanoseconds)
{
	uint64_t microseconds = nanoseconds > 0 ? (uint64_t)nanoseconds / 1000 : 0;

	atomic_fetch_add_explicit(&histogram->buckets[containerv_lb_histogram_bucket_of(microseconds)], 1,
	                          memory_order_relaxed);
	atomic_fetch_add_explicit(&histogram->sum_us, microseconds, memory_order_relaxed);
	atomic_fetch_add_explicit(&histogram->count, 1, memory_order_relaxed);
}

CONTAINERV_API int containerv_lb_backend_histogram(const struct containerv_lb *lb, size_t index,
                                                   enum containerv_lb_latency kind,
                                                   struct containerv_lb_histogram *histogram)
{
	struct cv_lb_backend *backend;
	const struct cv_lb_histogram *source;

	cv_error_clear();
	if (kind != CONTAINERV_LB_LATENCY_CONNECT && kind != CONTAINERV_LB_LATENCY_FIRST_BYTE)
		return cv_error_errno(EINVAL, "load balancer: unknown latency kind %d", (int)kind);
	backend = cv_lb_backend_at((struct containerv_lb *)lb, index);
	if (backend == NULL)
		return cv_error_errno(ENOENT, "load balancer: no backend %zu", index);
	source = &backend->latency[kind];
	memset(histogram, 0, sizeof *histogram);
	for (size_t i = 0; i < CONTAINERV_LB_HISTOGRAM_BUCKETS; i++) {
		histogram->buckets[i] = atomic_load_explicit(&source->buckets[i], memory_order_relaxed);
		histogram->count += histogram->buckets[i]; /* consistent with the buckets, whatever races */
	}
	histogram->sum_us = atomic_load_explicit(&source->sum_us, memory_order_relaxed);
	return 0;
}
