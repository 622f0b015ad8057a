/*
 * Parsers and validation of resource limits: exact values, boundaries, and
 * refusals whose message names the input.
 */
#include <stdint.h>

#include <chef/containerv.h>
#include <chef/containerv/limits.h>

#include "test.h"

#define KIB 1024LL
#define MIB (1024LL * 1024)
#define GIB (1024LL * 1024 * 1024)
#define TIB (1024LL * 1024 * 1024 * 1024)

static int64_t size_of(const char *text)
{
	int64_t bytes = -42;

	if (containerv_parse_size(text, &bytes) != 0) {
		fprintf(stderr, "  parse_size(\"%s\"): %s\n", text, containerv_last_error());
		return -1;
	}
	return bytes;
}

/* The call fails with EINVAL, leaves the output alone and its message quotes the input. */
static void check_size_refused(const char *text)
{
	int64_t bytes = -42;
	char quoted[256];

	errno = 0;
	if (containerv_parse_size(text, &bytes) != -1) {
		fprintf(stderr, "  parse_size(\"%s\") accepted as %lld\n", text, (long long)bytes);
		CHECK(0);
	}
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_INT(bytes, -42);
	snprintf(quoted, sizeof quoted, "invalid size \"%s\"", text);
	if (strstr(containerv_last_error(), quoted) == NULL) {
		fprintf(stderr, "  message \"%s\" lacks %s\n", containerv_last_error(), quoted);
		CHECK(0);
	}
}

TEST(size_plain_and_units)
{
	CHECK_EQ_INT(size_of("1"), 1);
	CHECK_EQ_INT(size_of("1048576"), 1048576);
	CHECK_EQ_INT(size_of("100b"), 100);
	CHECK_EQ_INT(size_of("100B"), 100);
	CHECK_EQ_INT(size_of("512k"), 512 * KIB);
	CHECK_EQ_INT(size_of("512K"), 512 * KIB);
	CHECK_EQ_INT(size_of("512kb"), 512 * KIB);
	CHECK_EQ_INT(size_of("512KiB"), 512 * KIB);
	CHECK_EQ_INT(size_of("64m"), 64 * MIB);
	CHECK_EQ_INT(size_of("64MB"), 64 * MIB);
	CHECK_EQ_INT(size_of("64mib"), 64 * MIB);
	CHECK_EQ_INT(size_of("1g"), GIB);
	CHECK_EQ_INT(size_of("1G"), GIB);
	CHECK_EQ_INT(size_of("2gib"), 2 * GIB);
	CHECK_EQ_INT(size_of("3t"), 3 * TIB);
	CHECK_EQ_INT(size_of("007m"), 7 * MIB);
}

TEST(size_fractions)
{
	CHECK_EQ_INT(size_of("1.5g"), GIB + GIB / 2);
	CHECK_EQ_INT(size_of("1.5k"), 1536);
	CHECK_EQ_INT(size_of("0.5m"), 512 * KIB);
	CHECK_EQ_INT(size_of("2.25G"), 2 * GIB + GIB / 4);
	CHECK_EQ_INT(size_of(".5k"), 512);
	/* Whole bytes, rounded down like docker. */
	CHECK_EQ_INT(size_of("0.3k"), 307);
	CHECK_EQ_INT(size_of("1.9"), 1);
	CHECK_EQ_INT(size_of("0.000000001g"), 1);
}

TEST(size_boundaries)
{
	CHECK_EQ_INT(size_of("9223372036854775807"), INT64_MAX);
	CHECK_EQ_INT(size_of("8388607t"), 8388607 * TIB);
	check_size_refused("9223372036854775808");
	check_size_refused("8388608t");
	check_size_refused("99999999999999999999999999");
	check_size_refused("18446744073709551616k");
	CHECK(strstr(containerv_last_error(), "too large") != NULL);
}

TEST(size_refused)
{
	static const char *const bad[] = {
	        "12XB", "",      "0",   "0k",   "0.0g", "0.1",           "-1",   "-1g",  "+1",  " 1g",
	        "1g ",  "1 g",   "g",   "k1",   "1kk",  "1bb",           "1bib", "1ibb", "1.",  ".",
	        "1..5", "1.5.5", "1e3", "0x10", "1p",   "1.0000000001g", "1,5g", "1m\n", "abc",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		check_size_refused(bad[i]);
	CHECK_EQ_INT(containerv_parse_size(NULL, NULL), -1);
	CHECK_EQ_INT(errno, EINVAL);
}

TEST(size_error_texts)
{
	int64_t bytes;

	CHECK_EQ_INT(containerv_parse_size("12XB", &bytes), -1);
	CHECK(strncmp(containerv_last_error(), "invalid size \"12XB\"", 19) == 0);
	CHECK_EQ_INT(containerv_parse_size("0", &bytes), -1);
	CHECK(strstr(containerv_last_error(), "greater than zero") != NULL);
	CHECK_EQ_INT(containerv_parse_size("-5m", &bytes), -1);
	CHECK(strstr(containerv_last_error(), "positive") != NULL);
	/* Success clears the previous failure. */
	CHECK_OK(containerv_parse_size("1m", &bytes));
	CHECK_EQ_STR(containerv_last_error(), "");
}

static void check_cpus(const char *text, uint64_t quota)
{
	uint64_t got_quota = 0, got_period = 0;

	CHECK_OK(containerv_parse_cpus(text, &got_quota, &got_period));
	CHECK_EQ_INT(got_quota, quota);
	CHECK_EQ_INT(got_period, 100000);
}

static void check_cpus_refused(const char *text)
{
	uint64_t quota = 7, period = 7;
	char quoted[256];

	errno = 0;
	if (containerv_parse_cpus(text, &quota, &period) != -1) {
		fprintf(stderr, "  parse_cpus(\"%s\") accepted as %llu/%llu\n", text, (unsigned long long)quota,
		        (unsigned long long)period);
		CHECK(0);
	}
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_INT(quota, 7);
	CHECK_EQ_INT(period, 7);
	snprintf(quoted, sizeof quoted, "invalid cpus \"%s\"", text);
	if (strstr(containerv_last_error(), quoted) == NULL) {
		fprintf(stderr, "  message \"%s\" lacks %s\n", containerv_last_error(), quoted);
		CHECK(0);
	}
}

TEST(cpus_values)
{
	check_cpus("0.5", 50000);
	check_cpus("2", 200000);
	check_cpus("1.25", 125000);
	check_cpus("1.234", 123400);
	check_cpus("0.01", 1000);
	check_cpus(".5", 50000);
	check_cpus("64", 6400000);
	check_cpus("1.000", 100000);
}

TEST(cpus_refused)
{
	static const char *const bad[] = {
	        "0",      "0.0", "0.000", "0.001", "0.009", "-1", "-0.5", "",   "abc",
	        "1.2345", "1.",  ".",     "1,5",   "1.5x",  " 1", "1 ",   "+1", "1e2",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		check_cpus_refused(bad[i]);
	check_cpus_refused("99999999999999999999");
	CHECK(strstr(containerv_last_error(), "too large") != NULL);
	check_cpus_refused("0.001");
	CHECK(strstr(containerv_last_error(), "0.01") != NULL);
	CHECK_EQ_INT(containerv_parse_cpus(NULL, NULL, NULL), -1);
}

/* Validation must fail with EINVAL and a message containing needle. */
static void check_invalid(const struct containerv_limits *limits, const char *needle)
{
	errno = 0;
	CHECK_EQ_INT(containerv_limits_validate(limits), -1);
	CHECK_EQ_INT(errno, EINVAL);
	if (strstr(containerv_last_error(), needle) == NULL) {
		fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", containerv_last_error(), needle);
		CHECK(0);
	}
}

TEST(validate_defaults_and_full)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;

	CHECK_OK(containerv_limits_validate(&limits));
	limits.memory_bytes = 6 * MIB;
	limits.memory_swap_bytes = -1;
	limits.cpu_shares = 2;
	limits.cpu_quota_us = 1000;
	limits.cpu_period_us = 1000000;
	strcpy(limits.cpuset_cpus, "0-1,3");
	strcpy(limits.cpuset_mems, "0");
	limits.pids_max = -1;
	limits.io_weight = 10;
	CHECK_OK(containerv_limits_validate(&limits));
	limits.memory_swap_bytes = 6 * MIB; /* equal: no swap at all */
	limits.cpu_shares = 262144;
	limits.pids_max = 1;
	limits.io_weight = 1000;
	limits.cpu_period_us = 1000;
	CHECK_OK(containerv_limits_validate(&limits));
	CHECK_EQ_INT(containerv_limits_validate(NULL), -1);
}

TEST(validate_memory)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;

	limits.memory_bytes = 6 * MIB - 1;
	check_invalid(&limits, "6291455");
	limits.memory_bytes = -5;
	check_invalid(&limits, "memory");
	limits.memory_bytes = 64 * MIB;
	limits.memory_swap_bytes = 32 * MIB;
	check_invalid(&limits, "below the memory limit");
	limits.memory_swap_bytes = -2;
	check_invalid(&limits, "-2");
	limits.memory_bytes = 0;
	limits.memory_swap_bytes = 64 * MIB;
	check_invalid(&limits, "needs a memory limit");
}

TEST(validate_cpu)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;

	limits.cpu_shares = 1;
	check_invalid(&limits, "cpu shares 1");
	limits.cpu_shares = 262145;
	check_invalid(&limits, "cpu shares 262145");
	limits.cpu_shares = 0;
	limits.cpu_quota_us = 999;
	check_invalid(&limits, "cpu quota 999");
	limits.cpu_quota_us = 0;
	limits.cpu_period_us = 999;
	check_invalid(&limits, "cpu period 999");
	limits.cpu_period_us = 1000001;
	check_invalid(&limits, "cpu period 1000001");
}

TEST(validate_cpuset_syntax)
{
	static const char *const good[] = {"0", "0-1", "0-1,3", "1,2,3", "0-0", "10-20,30"};
	static const char *const bad[] = {"a", "0-", "-1", "1-0", "0,,1", "0,", ",0", "0 -1", "0-1-2", "0;1", " 0"};
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		strcpy(limits.cpuset_cpus, good[i]);
		strcpy(limits.cpuset_mems, good[i]);
		CHECK_OK(containerv_limits_validate(&limits));
	}
	limits.cpuset_mems[0] = '\0';
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char needle[64];

		strcpy(limits.cpuset_cpus, bad[i]);
		snprintf(needle, sizeof needle, "cpuset cpus \"%s\"", bad[i]);
		check_invalid(&limits, needle);
	}
	limits.cpuset_cpus[0] = '\0';
	strcpy(limits.cpuset_mems, "0-");
	check_invalid(&limits, "cpuset mems \"0-\"");
	memset(limits.cpuset_mems, '1', sizeof limits.cpuset_mems);
	check_invalid(&limits, "not terminated");
}

TEST(validate_pids_io_version)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;

	limits.pids_max = -2;
	check_invalid(&limits, "pids -2");
	limits.pids_max = 0;
	limits.io_weight = 9;
	check_invalid(&limits, "io weight 9");
	limits.io_weight = 1001;
	check_invalid(&limits, "io weight 1001");
	limits.io_weight = 0;
	limits.version = 0;
	check_invalid(&limits, "version 0");
	limits.version = CONTAINERV_LIMITS_VERSION + 1;
	check_invalid(&limits, "version");
}

int main(void)
{
	RUN(size_plain_and_units);
	RUN(size_fractions);
	RUN(size_boundaries);
	RUN(size_refused);
	RUN(size_error_texts);
	RUN(cpus_values);
	RUN(cpus_refused);
	RUN(validate_defaults_and_full);
	RUN(validate_memory);
	RUN(validate_cpu);
	RUN(validate_cpuset_syntax);
	RUN(validate_pids_io_version);
	return cv_test_summary();
}
