/*
 * Autoscaling (autoscale.h): x-containerv.autoscale's keys, and the decision
 * over a service's history of samples.
 *
 *	x-containerv:
 *	  autoscale: {min: 1, max: 5, cpu_percent: 50, memory_percent: 80,
 *	              scale_up_cooldown: 30s, scale_down_cooldown: 5m}
 */
#include <errno.h>
#include <math.h> /* isfinite: a macro; no libm function is called */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "orchestration/compose-lb.h"

#define REPLICAS_MAX 1000

/* A whole number from an integer or digits; -1 for anything else (a sign, a fraction, letters). */
static int whole_number(json_t *value, long long *number)
{
	const char *text = json_string_value(value);
	char *end;

	if (json_is_integer(value)) {
		*number = json_integer_value(value);
		return 0;
	}
	if (text == NULL || !(text[0] == '-' || (text[0] >= '0' && text[0] <= '9')))
		return -1;
	errno = 0;
	*number = strtoll(text, &end, 10);
	return errno == 0 && *end == '\0' ? 0 : -1;
}

static int real_number(json_t *value, double *number)
{
	const char *text = json_string_value(value);
	char *end;

	if (json_is_number(value)) {
		*number = json_number_value(value);
		return 0;
	}
	if (text == NULL || *text == '\0')
		return -1;
	errno = 0;
	*number = strtod(text, &end);
	return errno == 0 && *end == '\0' && isfinite(*number) ? 0 : -1;
}

/* A cooldown: a duration ("30s", "5m") or a number of seconds; milliseconds into *ms. */
static int cooldown_of(json_t *value, int64_t *ms)
{
	long long ns, seconds;

	if (json_is_integer(value) || (json_is_string(value) && whole_number(value, &seconds) == 0)) {
		if (whole_number(value, &seconds) < 0 || seconds < 0 || seconds > 86400)
			return -1;
		*ms = seconds * 1000;
		return 0;
	}
	if (!json_is_string(value) || json_string_value(value)[0] == '-' ||
	    cv_compose_parse_duration(json_string_value(value), &ns) < 0 || ns < 0 || ns > 86400000000000LL)
		return -1;
	*ms = ns / 1000000;
	return 0;
}

int cv_compose_check_autoscale(struct cv_compose_loader *loader, const char *name, json_t *service, json_t *autoscale)
{
	struct containerv_autoscale_policy policy = CONTAINERV_AUTOSCALE_POLICY_INIT;
	char path[300], key_path[400];
	long long number;
	const char *key;
	json_t *value;

	snprintf(path, sizeof path, "services.%s.x-containerv.autoscale", name);
	if (!json_is_object(autoscale))
		return cv_compose_fail(loader, json_object_get(service, "x-containerv"), "autoscale", path,
		                       "must be a mapping (min, max, cpu_percent, memory_percent, "
		                       "scale_up_cooldown, scale_down_cooldown)");
	json_object_foreach(autoscale, key, value)
	{
		snprintf(key_path, sizeof key_path, "%s.%.100s", path, key);
		if (strcmp(key, "min") == 0 || strcmp(key, "max") == 0) {
			if (whole_number(value, &number) < 0 || number < 1 || number > REPLICAS_MAX)
				return cv_compose_fail(loader, autoscale, key, key_path,
				                       "must be a whole number of replicas from 1 to %d", REPLICAS_MAX);
			*(key[1] == 'i' ? &policy.min : &policy.max) = (unsigned int)number;
		} else if (strcmp(key, "cpu_percent") == 0 || strcmp(key, "memory_percent") == 0) {
			double percent;
			double limit = key[0] == 'c' ? 100000 : 100;
			if (real_number(value, &percent) < 0 || percent <= 0 || percent > limit)
				return cv_compose_fail(loader, autoscale, key, key_path,
				                       "must be a number above 0 and at most %g", limit);
			*(key[0] == 'c' ? &policy.cpu_percent : &policy.memory_percent) = percent;
		} else if (strcmp(key, "scale_up_cooldown") == 0 || strcmp(key, "scale_down_cooldown") == 0) {
			if (cooldown_of(value, key[6] == 'u' ? &policy.scale_up_cooldown_ms
			                                     : &policy.scale_down_cooldown_ms) < 0)
				return cv_compose_fail(
				        loader, autoscale, key, key_path,
				        "must be a duration from 0 to 24h (30s, 5m) or a number of seconds");
		} else {
			return cv_compose_fail(loader, autoscale, key, key_path,
			                       "unknown key (min, max, cpu_percent, memory_percent, scale_up_cooldown, "
			                       "scale_down_cooldown)");
		}
	}
	if (json_object_get(autoscale, "max") == NULL) {
		snprintf(key_path, sizeof key_path, "%s.max", path);
		return cv_compose_fail(loader, json_object_get(service, "x-containerv"), "autoscale", key_path,
		                       "is required");
	}
	if (policy.min > policy.max) {
		snprintf(key_path, sizeof key_path, "%s.min", path);
		return cv_compose_fail(loader, autoscale, "min", key_path, "%u is above max (%u)", policy.min,
		                       policy.max);
	}
	if (policy.cpu_percent == 0 && policy.memory_percent == 0)
		return cv_compose_fail(loader, json_object_get(service, "x-containerv"), "autoscale", path,
		                       "needs cpu_percent or memory_percent (the target to scale on)");
	return 0;
}

int cv_compose_autoscale_policy(json_t *autoscale, struct containerv_autoscale_policy *policy)
{
	long long number;
	double percent;

	if (whole_number(json_object_get(autoscale, "min"), &number) == 0)
		policy->min = (unsigned int)number;
	if (whole_number(json_object_get(autoscale, "max"), &number) == 0)
		policy->max = (unsigned int)number;
	if (real_number(json_object_get(autoscale, "cpu_percent"), &percent) == 0)
		policy->cpu_percent = percent;
	if (real_number(json_object_get(autoscale, "memory_percent"), &percent) == 0)
		policy->memory_percent = percent;
	if (json_object_get(autoscale, "scale_up_cooldown") != NULL &&
	    cooldown_of(json_object_get(autoscale, "scale_up_cooldown"), &policy->scale_up_cooldown_ms) < 0)
		return cv_error_errno(EINVAL, "autoscale: invalid scale_up_cooldown");
	if (json_object_get(autoscale, "scale_down_cooldown") != NULL &&
	    cooldown_of(json_object_get(autoscale, "scale_down_cooldown"), &policy->scale_down_cooldown_ms) < 0)
		return cv_error_errno(EINVAL, "autoscale: invalid scale_down_cooldown");
	return 0;
}

static int check_policy(const struct containerv_autoscale_policy *policy)
{
	if (policy == NULL || policy->version != CONTAINERV_AUTOSCALE_POLICY_VERSION)
		return cv_error_errno(EINVAL, "autoscale: policy of an unknown version");
	if (policy->min < 1 || policy->max > REPLICAS_MAX)
		return cv_error_errno(EINVAL, "autoscale: min and max must be from 1 to %d", REPLICAS_MAX);
	if (policy->min > policy->max)
		return cv_error_errno(EINVAL, "autoscale: min (%u) is above max (%u)", policy->min, policy->max);
	if (policy->cpu_percent < 0 || policy->memory_percent < 0 ||
	    (policy->cpu_percent == 0 && policy->memory_percent == 0))
		return cv_error_errno(EINVAL, "autoscale: cpu_percent or memory_percent must be a positive target");
	if (policy->scale_up_cooldown_ms < 0 || policy->scale_down_cooldown_ms < 0 || policy->tolerance < 0 ||
	    policy->tolerance >= 1)
		return cv_error_errno(EINVAL, "autoscale: negative cooldown or a tolerance outside [0, 1)");
	return 0;
}

static unsigned int clamp(const struct containerv_autoscale_policy *policy, double replicas)
{
	if (replicas < policy->min)
		return policy->min;
	if (replicas > policy->max)
		return policy->max;
	return (unsigned int)replicas;
}

/* What one metric of one sample wants: its own count within the tolerance, else the count that meets the target. */
static double wanted_for(double use, double target, unsigned int replicas, double tolerance)
{
	double ratio, wanted;
	long long whole;

	if (target <= 0 || use < 0)
		return 0; /* not a target, or unknown: no opinion */
	ratio = use / target;
	if (ratio >= 1 - tolerance && ratio <= 1 + tolerance)
		return replicas;
	wanted = replicas * ratio - 1e-9;
	if (wanted > 2 * REPLICAS_MAX)
		return 2 * REPLICAS_MAX; /* clamped by the caller anyway; keeps the conversion defined */
	whole = (long long)wanted;
	return (double)(whole < wanted ? whole + 1 : whole); /* ceil */
}

static unsigned int wanted(const struct containerv_autoscale_policy *policy,
                           const struct containerv_autoscale_sample *sample)
{
	double tolerance = policy->tolerance > 0 ? policy->tolerance : 0.1;
	double cpu = wanted_for(sample->cpu_percent, policy->cpu_percent, sample->replicas, tolerance);
	double memory = wanted_for(sample->memory_percent, policy->memory_percent, sample->replicas, tolerance);

	if (cpu == 0 && memory == 0)
		return clamp(policy, sample->replicas); /* nothing known: stay */
	return clamp(policy, cpu > memory ? cpu : memory);
}

CONTAINERV_API int containerv_autoscale_decide(const struct containerv_autoscale_policy *policy,
                                               const struct containerv_autoscale_sample *samples, size_t count,
                                               int64_t now_ms, struct containerv_autoscale_state *state,
                                               unsigned int *replicas)
{
	unsigned int current, decision, most = 0;
	bool covered = false;

	cv_error_clear();
	if (check_policy(policy) < 0)
		return -1;
	if (samples == NULL || count == 0 || state == NULL || replicas == NULL)
		return cv_error_errno(EINVAL, "autoscale: no samples");
	current = samples[count - 1].replicas;
	if (!state->started) {
		state->started = 1;
		state->last_change_ms = now_ms; /* the cooldowns count from the first look */
	}
	decision = current;
	if (current < policy->min || current > policy->max) {
		decision = clamp(policy, current);
	} else if (wanted(policy, &samples[count - 1]) > current) {
		if (now_ms - state->last_change_ms >= policy->scale_up_cooldown_ms)
			decision = wanted(policy, &samples[count - 1]);
	} else if (now_ms - state->last_change_ms >= policy->scale_down_cooldown_ms) {
		/* Down only to the most that any sample of the whole cooldown wanted. */
		for (size_t i = count; i-- > 0;) {
			unsigned int want = wanted(policy, &samples[i]);
			if (want > most)
				most = want;
			if (samples[i].time_ms <= now_ms - policy->scale_down_cooldown_ms) {
				covered = true;
				break;
			}
		}
		if (covered && most < current)
			decision = most;
	}
	if (decision != current) {
		state->last_change_ms = now_ms;
		state->decisions++;
	}
	*replicas = decision;
	return 0;
}
