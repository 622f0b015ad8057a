/*
 * containerv: autoscaling decisions for a compose service's replicas.
 *
 * A policy (x-containerv.autoscale: min, max, cpu_percent, memory_percent,
 * scale_up_cooldown, scale_down_cooldown) and a history of samples (the
 * replicas' mean CPU and memory use at a time, as containerv_stats() reports
 * them) give the number of replicas the service should have now. The
 * decision is a pure function of its inputs, so it is tested on synthetic
 * series and runs wherever the samples are (the project's balancer process
 * knows the replica set).
 *
 * The rule (Kubernetes' horizontal pod autoscaler's, with its stabilisation):
 *   - a sample wants ceil(replicas * use / target) replicas for each metric
 *     with a target (the larger wins), its own count when use is within the
 *     tolerance of the target (10 %), always within [min, max];
 *   - up: to what the latest sample wants, once scale_up_cooldown has passed
 *     since the last change;
 *   - down: to the most any sample of the last scale_down_cooldown wants,
 *     once that long has passed since the last change and the history covers
 *     it: a service goes down only after a whole cooldown of low load, so a
 *     load around the target does not flap;
 *   - a count outside [min, max] is brought inside at once.
 */
#ifndef CHEF_CONTAINERV_AUTOSCALE_H
#define CHEF_CONTAINERV_AUTOSCALE_H

#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CONTAINERV_AUTOSCALE_POLICY_VERSION 1

struct containerv_autoscale_policy {
	unsigned int version;           /* CONTAINERV_AUTOSCALE_POLICY_VERSION */
	unsigned int min, max;          /* replicas, 1 <= min <= max <= 1000 */
	double cpu_percent;             /* target mean CPU use per replica, % of one CPU; 0: not a target */
	double memory_percent;          /* target mean memory use per replica, % of its limit; 0: not a target */
	int64_t scale_up_cooldown_ms;   /* since the last change, before a scale up */
	int64_t scale_down_cooldown_ms; /* since the last change, and of low load, before a scale down */
	double tolerance;               /* use within target * (1 +- tolerance) changes nothing; 0: 0.1 */
};

#define CONTAINERV_AUTOSCALE_POLICY_INIT                                                                               \
	{                                                                                                              \
		CONTAINERV_AUTOSCALE_POLICY_VERSION, 1, 1, 0, 0, 30000, 300000, 0                                      \
	}

/* One point of a service's history. */
struct containerv_autoscale_sample {
	int64_t time_ms;       /* any monotonic clock, the same as now_ms's */
	unsigned int replicas; /* running then */
	double cpu_percent;    /* mean over the replicas, % of one CPU (as stats shows); negative: unknown */
	double memory_percent; /* mean over the replicas, % of the memory limit; negative: unknown (no limit) */
};

/* What the decision remembers between calls; zero it before the first. */
struct containerv_autoscale_state {
	int64_t last_change_ms; /* when the count last changed (a decision, or the start) */
	int started;            /* set by the first call (it starts the cooldowns) */
	uint64_t decisions;     /* changes decided so far */
};

/*
 * Sets *replicas to the number the service should have at now_ms, from the
 * samples (oldest first; the last one's replicas is the current count) and
 * the policy; updates state (a change starts the cooldowns again). EINVAL for
 * no samples or a bad policy (min > max, min 0, no target, negative values),
 * with the field named.
 */
CONTAINERV_API int containerv_autoscale_decide(const struct containerv_autoscale_policy *policy,
                                               const struct containerv_autoscale_sample *samples, size_t count,
                                               int64_t now_ms, struct containerv_autoscale_state *state,
                                               unsigned int *replicas);

#ifdef __cplusplus
}
#endif

#endif
