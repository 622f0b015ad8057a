/*
 * Parsing and validation of resource limits, kernel-free so that a bad
 * value is refused before anything is created.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <chef/containerv/limits.h>

#include "common/error.h"

/* docker refuses smaller memory limits: the container would not even start. */
#define CV_MEMORY_MINIMUM (6LL * 1024 * 1024)
#define CV_CPU_PERIOD_DEFAULT 100000ULL
/* The kernel's bounds for cpu.cfs_period_us and the smallest cpu.cfs_quota_us. */
#define CV_CPU_PERIOD_MIN 1000ULL
#define CV_CPU_PERIOD_MAX 1000000ULL
#define CV_CPU_QUOTA_MIN 1000ULL
#define CV_CPU_SHARES_MIN 2ULL
#define CV_CPU_SHARES_MAX 262144ULL
#define CV_IO_WEIGHT_MIN 10u
#define CV_IO_WEIGHT_MAX 1000u
/* More fraction digits than any unit could use; longer is garbage, not precision. */
#define CV_SIZE_MAX_DECIMALS 9

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads "digits[.digits]" into a whole part and a fraction of *decimals digits. */
static const char *parse_decimal(const char *p, uint64_t *whole, uint64_t *fraction, int *decimals, bool *overflow)
{
	const char *start = p;

	*whole = 0;
	*fraction = 0;
	*decimals = 0;
	*overflow = false;
	while (is_digit(*p)) {
		if (__builtin_mul_overflow(*whole, 10, whole) || __builtin_add_overflow(*whole, *p - '0', whole))
			*overflow = true;
		p++;
	}
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return NULL; /* "1." or "." */
		while (is_digit(*p)) {
			if (*decimals >= 18)
				return NULL;
			*fraction = *fraction * 10 + (uint64_t)(*p - '0');
			(*decimals)++;
			p++;
		}
	}
	return p == start ? NULL : p;
}

/* The multiplier of a size suffix: "", "b", "k", "kb", "kib", ... (case-insensitive). */
static bool size_unit(const char *suffix, uint64_t *multiplier)
{
	static const char units[] = "bkmgt";
	const char *unit;
	int power;

	if (*suffix == '\0') {
		*multiplier = 1;
		return true;
	}
	unit = strchr(units, suffix[0] | 0x20);
	if (unit == NULL)
		return false;
	power = (int)(unit - units) - 1;
	*multiplier = power < 0 ? 1 : 1ULL << (10 * (power + 1));
	suffix++;
	if (power < 0)
		return *suffix == '\0'; /* "b" alone; "bb" and "bib" are garbage */
	return *suffix == '\0' || strcasecmp(suffix, "b") == 0 || strcasecmp(suffix, "ib") == 0;
}

static uint64_t power_of_ten(int exponent)
{
	uint64_t value = 1;

	while (exponent-- > 0)
		value *= 10;
	return value;
}

int containerv_parse_size(const char *text, int64_t *bytes)
{
	uint64_t whole, fraction, multiplier, total;
	unsigned __int128 fraction_bytes;
	const char *rest;
	int decimals;
	bool overflow;

	cv_error_clear();
	if (text == NULL || bytes == NULL)
		return cv_error_errno(EINVAL, "invalid size: none given");
	if (text[0] == '-')
		return cv_error_errno(EINVAL, "invalid size \"%s\": must be positive", text);
	rest = parse_decimal(text, &whole, &fraction, &decimals, &overflow);
	if (rest == NULL || !size_unit(rest, &multiplier) || decimals > CV_SIZE_MAX_DECIMALS)
		return cv_error_errno(EINVAL, "invalid size \"%s\" (want a number and a unit b, k, m, g or t)", text);
	/* Whole bytes, rounding down like docker: "1.5k" is 1536, "0.5" is 0 and refused below. */
	fraction_bytes = (unsigned __int128)fraction * multiplier / power_of_ten(decimals);
	if (overflow || __builtin_mul_overflow(whole, multiplier, &total) ||
	    __builtin_add_overflow(total, (uint64_t)fraction_bytes, &total) || total > (uint64_t)INT64_MAX)
		return cv_error_errno(EINVAL, "invalid size \"%s\": too large", text);
	if (total == 0)
		return cv_error_errno(EINVAL, "invalid size \"%s\": must be greater than zero", text);
	*bytes = (int64_t)total;
	return 0;
}

int containerv_parse_cpus(const char *text, uint64_t *quota_us, uint64_t *period_us)
{
	uint64_t whole, fraction, quota;
	const char *rest;
	int decimals;
	bool overflow;

	cv_error_clear();
	if (text == NULL || quota_us == NULL || period_us == NULL)
		return cv_error_errno(EINVAL, "invalid cpus: none given");
	if (text[0] == '-')
		return cv_error_errno(EINVAL, "invalid cpus \"%s\": must be positive", text);
	rest = parse_decimal(text, &whole, &fraction, &decimals, &overflow);
	if (rest == NULL || *rest != '\0' || decimals > 3)
		return cv_error_errno(EINVAL, "invalid cpus \"%s\" (want a decimal number with at most 3 decimals)",
		                      text);
	/* 3 decimals of a CPU are 100 us of a 100000 us period: the quota is exact. */
	fraction = fraction * power_of_ten(3 - decimals) * (CV_CPU_PERIOD_DEFAULT / 1000);
	if (overflow || __builtin_mul_overflow(whole, CV_CPU_PERIOD_DEFAULT, &quota) ||
	    __builtin_add_overflow(quota, fraction, &quota) || quota > (uint64_t)INT64_MAX)
		return cv_error_errno(EINVAL, "invalid cpus \"%s\": too large", text);
	if (quota == 0)
		return cv_error_errno(EINVAL, "invalid cpus \"%s\": must be greater than zero", text);
	if (quota < CV_CPU_QUOTA_MIN)
		return cv_error_errno(EINVAL, "invalid cpus \"%s\": must be at least 0.01", text);
	*quota_us = quota;
	*period_us = CV_CPU_PERIOD_DEFAULT;
	return 0;
}

/* "0-3,5,7-8": numbers and ascending ranges separated by commas, as the kernel's cpulist. */
static bool cpu_list_is_valid(const char *list)
{
	const char *p = list;

	if (*p == '\0')
		return false;
	for (;;) {
		unsigned long first = 0, last;

		if (!is_digit(*p))
			return false;
		for (; is_digit(*p); p++)
			if (__builtin_mul_overflow(first, 10, &first) ||
			    __builtin_add_overflow(first, *p - '0', &first))
				return false;
		last = first;
		if (*p == '-') {
			p++;
			if (!is_digit(*p))
				return false;
			for (last = 0; is_digit(*p); p++)
				if (__builtin_mul_overflow(last, 10, &last) ||
				    __builtin_add_overflow(last, *p - '0', &last))
					return false;
			if (last < first)
				return false;
		}
		if (*p == '\0')
			return true;
		if (*p != ',')
			return false;
		p++;
	}
}

static int validate_cpuset(const char *what, const char *list, size_t size)
{
	if (strnlen(list, size) == size)
		return cv_error_errno(EINVAL, "limits: %s: not terminated", what);
	if (list[0] != '\0' && !cpu_list_is_valid(list))
		return cv_error_errno(EINVAL, "limits: %s \"%s\": want a list like \"0-1,3\"", what, list);
	return 0;
}

static int validate_memory(const struct containerv_limits *limits)
{
	if (limits->memory_bytes < 0)
		return cv_error_errno(EINVAL, "limits: memory %lld: negative", (long long)limits->memory_bytes);
	if (limits->memory_bytes > 0 && limits->memory_bytes < CV_MEMORY_MINIMUM)
		return cv_error_errno(EINVAL, "limits: memory %lld bytes: below the minimum of %lld (6 MiB)",
		                      (long long)limits->memory_bytes, CV_MEMORY_MINIMUM);
	if (limits->memory_swap_bytes < -1)
		return cv_error_errno(EINVAL, "limits: memory+swap %lld: want -1 (unlimited) or a size",
		                      (long long)limits->memory_swap_bytes);
	if (limits->memory_swap_bytes > 0 && limits->memory_bytes == 0)
		return cv_error_errno(EINVAL, "limits: memory+swap needs a memory limit too");
	if (limits->memory_reservation_bytes < 0)
		return cv_error_errno(EINVAL, "limits: memory reservation %lld: negative",
		                      (long long)limits->memory_reservation_bytes);
	if (limits->memory_reservation_bytes > 0 && limits->memory_bytes > 0 &&
	    limits->memory_reservation_bytes > limits->memory_bytes)
		return cv_error_errno(EINVAL,
		                      "limits: minimum memory limit can not be less than memory reservation limit, "
		                      "see usage");
	if (limits->oom_kill_disable && limits->memory_bytes <= 0)
		return cv_error_errno(EINVAL,
		                      "limits: disabling the OOM killer needs a memory limit (it would hang the "
		                      "host when the container takes all of its memory)");
	if (limits->memory_swap_bytes > 0 && limits->memory_swap_bytes < limits->memory_bytes)
		return cv_error_errno(EINVAL, "limits: memory+swap %lld is below the memory limit %lld",
		                      (long long)limits->memory_swap_bytes, (long long)limits->memory_bytes);
	return 0;
}

static int validate_cpu(const struct containerv_limits *limits)
{
	if (limits->cpu_shares != 0 &&
	    (limits->cpu_shares < CV_CPU_SHARES_MIN || limits->cpu_shares > CV_CPU_SHARES_MAX))
		return cv_error_errno(EINVAL, "limits: cpu shares %llu: want %llu..%llu",
		                      (unsigned long long)limits->cpu_shares, CV_CPU_SHARES_MIN, CV_CPU_SHARES_MAX);
	if (limits->cpu_quota_us != 0 && limits->cpu_quota_us < CV_CPU_QUOTA_MIN)
		return cv_error_errno(EINVAL, "limits: cpu quota %llu us: below the minimum of %llu us",
		                      (unsigned long long)limits->cpu_quota_us, CV_CPU_QUOTA_MIN);
	if (limits->cpu_quota_us > (uint64_t)INT64_MAX)
		return cv_error_errno(EINVAL, "limits: cpu quota %llu us: too large",
		                      (unsigned long long)limits->cpu_quota_us);
	if (limits->cpu_period_us != 0 &&
	    (limits->cpu_period_us < CV_CPU_PERIOD_MIN || limits->cpu_period_us > CV_CPU_PERIOD_MAX))
		return cv_error_errno(EINVAL, "limits: cpu period %llu us: want %llu..%llu",
		                      (unsigned long long)limits->cpu_period_us, CV_CPU_PERIOD_MIN, CV_CPU_PERIOD_MAX);
	if (validate_cpuset("cpuset cpus", limits->cpuset_cpus, sizeof limits->cpuset_cpus) < 0)
		return -1;
	return validate_cpuset("cpuset mems", limits->cpuset_mems, sizeof limits->cpuset_mems);
}

int containerv_hugetlb_size_name(uint64_t page_size, char *name, size_t size)
{
	static const char *const units[] = {"KB", "MB", "GB"};
	uint64_t value = page_size / 1024;
	int unit = 0;

	cv_error_clear();
	if (name == NULL || size < 24)
		return cv_error_errno(EINVAL, "huge page size: no room for the name");
	if (page_size < 4096 || (page_size & (page_size - 1)) != 0)
		return cv_error_errno(EINVAL, "huge page size %llu: not a power of two of 4 KiB or more",
		                      (unsigned long long)page_size);
	/* The kernel's own spelling (mm/hugetlb_cgroup.c): the largest unit that divides the size. */
	while (unit < 2 && value % 1024 == 0) {
		value /= 1024;
		unit++;
	}
	snprintf(name, size, "%llu%s", (unsigned long long)value, units[unit]);
	return 0;
}

int containerv_hugetlb_parse_size(const char *name, uint64_t *page_size)
{
	static const char *const units[] = {"KB", "MB", "GB"};
	uint64_t value = 0;
	const char *p = name;

	cv_error_clear();
	if (name == NULL || page_size == NULL)
		return cv_error_errno(EINVAL, "huge page size: missing argument");
	while (is_digit(*p) && value < (1ULL << 40))
		value = value * 10 + (uint64_t)(*p++ - '0');
	for (int unit = 0; p != name && unit < 3; unit++) {
		uint64_t bytes = value << (10 * (unit + 1));

		if (strcmp(p, units[unit]) != 0)
			continue;
		if (bytes < 4096 || (bytes & (bytes - 1)) != 0)
			break;
		*page_size = bytes;
		return 0;
	}
	return cv_error_errno(EINVAL, "huge page size \"%s\": want a power of two with KB, MB or GB (\"2MB\")", name);
}

/* One limit per page size, each a whole number of its pages. */
static int validate_hugetlb(const struct containerv_limits *limits)
{
	char name[24];

	if (limits->hugetlb_count > CONTAINERV_HUGETLB_SIZES_MAX)
		return cv_error_errno(EINVAL, "limits: %u huge page limits: at most %d", limits->hugetlb_count,
		                      CONTAINERV_HUGETLB_SIZES_MAX);
	for (uint32_t i = 0; i < limits->hugetlb_count; i++) {
		const struct containerv_hugetlb_limit *limit = &limits->hugetlb[i];

		if (containerv_hugetlb_size_name(limit->page_size, name, sizeof name) < 0)
			return cv_error_prefix("limits");
		if (limit->limit_bytes % limit->page_size != 0 || limit->limit_bytes > (uint64_t)INT64_MAX)
			return cv_error_errno(EINVAL, "limits: hugetlb %s: %llu bytes is not a whole number of pages",
			                      name, (unsigned long long)limit->limit_bytes);
		for (uint32_t j = 0; j < i; j++)
			if (limits->hugetlb[j].page_size == limit->page_size)
				return cv_error_errno(EINVAL, "limits: hugetlb %s: limited twice", name);
	}
	return 0;
}

int containerv_limits_validate(const struct containerv_limits *limits)
{
	cv_error_clear();
	if (limits == NULL)
		return cv_error_errno(EINVAL, "limits: missing");
	if (limits->version != CONTAINERV_LIMITS_VERSION)
		return cv_error_errno(EINVAL, "limits: unsupported version %u (initialise with CONTAINERV_LIMITS_INIT)",
		                      limits->version);
	if (validate_memory(limits) < 0 || validate_cpu(limits) < 0)
		return -1;
	if (limits->pids_max < -1)
		return cv_error_errno(EINVAL, "limits: pids %lld: want -1 (unlimited) or a positive count",
		                      (long long)limits->pids_max);
	if (limits->io_weight != 0 && (limits->io_weight < CV_IO_WEIGHT_MIN || limits->io_weight > CV_IO_WEIGHT_MAX))
		return cv_error_errno(EINVAL, "limits: io weight %u: want %u..%u", limits->io_weight, CV_IO_WEIGHT_MIN,
		                      CV_IO_WEIGHT_MAX);
	return validate_hugetlb(limits);
}
