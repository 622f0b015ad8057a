/*
 * docker's resource flags (--memory, --cpus, --pids-limit, ...) and
 * --user into the limits and the options.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <chef/containerv.h>

#include "common/error.h"
#include "common/util.h"
#include "config/options.h"
#include "image/image-options.h"

static int parse_size_flag(const char *name, const char *text, int64_t *bytes)
{
	if (containerv_parse_size(text, bytes) < 0)
		return cv_error_prefix("invalid --%s \"%s\"", name, text);
	return 0;
}

/* A signed decimal in [minimum, maximum]. */
static int parse_number_flag(const char *name, const char *text, int64_t minimum, int64_t maximum, int64_t *value)
{
	char *end;
	long long parsed;

	errno = 0;
	parsed = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || parsed < minimum || parsed > maximum)
		return cv_error_errno(EINVAL, "invalid --%s \"%s\": expected an integer from %lld to %lld", name, text,
		                      (long long)minimum, (long long)maximum);
	*value = parsed;
	return 0;
}

static int copy_cpuset_flag(const char *name, const char *text, char *out, size_t size)
{
	size_t length = strlen(text);

	if (length >= size)
		return cv_error_errno(EINVAL, "invalid --%s \"%s\": too long", name, text);
	memcpy(out, text, length + 1);
	return 0;
}

/* --memory, and --memory-swap which needs it and may not be below it. */
static int parse_memory_flags(const struct containerv_spec_limit_flags *flags, struct containerv_limits *limits)
{
	if (flags->memory != NULL && parse_size_flag("memory", flags->memory, &limits->memory_bytes) < 0)
		return -1;
	if (flags->memory_swap == NULL)
		return 0;
	if (flags->memory == NULL)
		return cv_error_errno(EINVAL, "invalid --memory-swap \"%s\": it needs --memory too",
		                      flags->memory_swap);
	if (strcmp(flags->memory_swap, "-1") == 0) {
		limits->memory_swap_bytes = -1;
		return 0;
	}
	if (parse_size_flag("memory-swap", flags->memory_swap, &limits->memory_swap_bytes) < 0)
		return -1;
	if (limits->memory_swap_bytes < limits->memory_bytes)
		return cv_error_errno(EINVAL, "invalid --memory-swap \"%s\": it must be at least --memory (%s)",
		                      flags->memory_swap, flags->memory);
	return 0;
}

static int parse_cpu_flags(const struct containerv_spec_limit_flags *flags, struct containerv_limits *limits)
{
	int64_t number = 0;

	if (flags->cpus != NULL &&
	    containerv_parse_cpus(flags->cpus, &limits->cpu_quota_us, &limits->cpu_period_us) < 0)
		return cv_error_prefix("invalid --cpus \"%s\"", flags->cpus);
	if (flags->cpu_shares != NULL) {
		if (parse_number_flag("cpu-shares", flags->cpu_shares, 2, 262144, &number) < 0)
			return -1;
		limits->cpu_shares = (uint64_t)number;
	}
	/* docker's rule: --cpus is the quota and period in one; it cannot be given with either. */
	if (flags->cpus != NULL && (flags->cpu_period != NULL || flags->cpu_quota != NULL))
		return cv_error_errno(EINVAL, "conflicting options: Nano CPUs and CPU Period cannot both be set");
	if (flags->cpu_period != NULL) {
		if (parse_number_flag("cpu-period", flags->cpu_period, 1000, 1000000, &number) < 0)
			return -1;
		limits->cpu_period_us = (uint64_t)number;
	}
	if (flags->cpu_quota != NULL) {
		if (parse_number_flag("cpu-quota", flags->cpu_quota, -1, INT64_MAX, &number) < 0)
			return -1;
		if (number > 0 && number < 1000)
			return cv_error_errno(EINVAL,
			                      "invalid --cpu-quota \"%s\": CPU cfs quota can not be less than 1ms "
			                      "(i.e. 1000)",
			                      flags->cpu_quota);
		limits->cpu_quota_us = number > 0 ? (uint64_t)number : 0;
	}
	if (flags->cpuset_cpus != NULL &&
	    copy_cpuset_flag("cpuset-cpus", flags->cpuset_cpus, limits->cpuset_cpus, sizeof limits->cpuset_cpus) < 0)
		return -1;
	if (flags->cpuset_mems != NULL &&
	    copy_cpuset_flag("cpuset-mems", flags->cpuset_mems, limits->cpuset_mems, sizeof limits->cpuset_mems) < 0)
		return -1;
	return 0;
}

int containerv_spec_parse_limits(const struct containerv_spec_limit_flags *flags, struct containerv_limits *limits)
{
	int64_t number = 0;

	cv_error_clear();
	if (flags == NULL || limits == NULL)
		return cv_error_errno(EINVAL, "resource limits: missing argument");
	if (flags->version != CONTAINERV_SPEC_LIMIT_FLAGS_VERSION)
		return cv_error_errno(EINVAL, "resource limits: unsupported version %u", flags->version);
	if (parse_memory_flags(flags, limits) < 0 || parse_cpu_flags(flags, limits) < 0)
		return -1;
	if (flags->memory_reservation != NULL &&
	    parse_size_flag("memory-reservation", flags->memory_reservation, &limits->memory_reservation_bytes) < 0)
		return -1;
	limits->oom_kill_disable = flags->oom_kill_disable != 0;
	if (flags->pids_limit != NULL) {
		if (parse_number_flag("pids-limit", flags->pids_limit, -1, INT64_MAX, &number) < 0)
			return -1;
		/* docker treats 0 like -1: no limit. */
		limits->pids_max = number == 0 ? -1 : number;
	}
	if (flags->blkio_weight != NULL) {
		if (parse_number_flag("blkio-weight", flags->blkio_weight, 0, 1000, &number) < 0)
			return -1;
		if (number != 0 && number < 10)
			return cv_error_errno(EINVAL, "invalid --blkio-weight \"%s\": expected 0 or 10 to 1000",
			                      flags->blkio_weight);
		limits->io_weight = (uint32_t)number;
	}
	if (containerv_limits_validate(limits) < 0)
		return cv_error_prefix("invalid resource limits");
	return 0;
}

/* A decimal id below (uid_t)-1 (which the kernel reads as "no id"), digits only. */
static int parse_id(const char *text, int64_t *id)
{
	char *end;
	long long parsed;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	parsed = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || parsed > (long long)UINT32_MAX - 1)
		return -1;
	*id = parsed;
	return 0;
}

int containerv_spec_set_user(struct containerv_options *options, const char *text)
{
	cleanup_free char *copy = NULL;
	char *colon;
	int64_t user_id, group_id = 0;

	cv_error_clear();
	if (options == NULL || text == NULL)
		return cv_error_errno(EINVAL, "--user: missing argument");
	copy = cv_strdup(text);
	if (copy == NULL)
		return -1;
	colon = strchr(copy, ':');
	if (colon != NULL)
		*colon = '\0';
	/* docker's gid for a bare uid without a passwd entry is 0. */
	if (parse_id(copy, &user_id) < 0 || (colon != NULL && parse_id(colon + 1, &group_id) < 0)) {
		uid_t uid;
		gid_t gid;

		/* Names: looked up in the root filesystem's /etc/passwd and /etc/group, never following a link. */
		if (options->layers == NULL)
			return cv_error_errno(EINVAL,
			                      "invalid --user \"%s\": expected UID[:GID], or a name once the image or "
			                      "--rootfs is set",
			                      text);
		if (cv_image_parse_user(options->layers, text, &uid, &gid) < 0)
			return cv_error_prefix("--user");
		user_id = uid;
		group_id = gid;
	}
	if (containerv_options_set_user(options, (uid_t)user_id, (gid_t)group_id) < 0)
		return cv_error_prefix("--user");
	return 0;
}

int containerv_spec_add_sysctl(struct containerv_options *options, const char *text)
{
	cleanup_free char *copy = NULL;
	char *equals;

	cv_error_clear();
	if (options == NULL || text == NULL)
		return cv_error_errno(EINVAL, "--sysctl: missing argument");
	copy = cv_strdup(text);
	if (copy == NULL)
		return -1;
	equals = strchr(copy, '=');
	if (equals == NULL || equals == copy)
		return cv_error_errno(EINVAL, "invalid --sysctl \"%s\": expected KEY=VALUE", text);
	*equals = '\0';
	if (containerv_options_add_sysctl(options, copy, equals + 1) < 0)
		return cv_error_prefix("--sysctl %s", text);
	return 0;
}

int containerv_spec_set_stop_signal(struct containerv_options *options, const char *text)
{
	int signal;

	cv_error_clear();
	if (options == NULL || text == NULL)
		return cv_error_errno(EINVAL, "--stop-signal: missing argument");
	signal = cv_signal_from_name(text);
	if (signal < 0)
		return cv_error_errno(EINVAL, "invalid --stop-signal \"%s\": a signal name (SIGUSR1, TERM) or number",
		                      text);
	return containerv_options_set_stop_signal(options, signal);
}
