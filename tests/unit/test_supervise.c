/*
 * Supervision's parsers and the events journal, without containers:
 * restart policies and durations as docker spells them, health checks
 * refused when negative or malformed (their own and an image's), config.json
 * round trips, and the journal's append, filters by time, torn lines and
 * rotation (core/events-journal.c).
 */
#include <chef/containerv.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/util.h"
#include "config/options.h"
#include "core/events-journal.h"
#include "test.h"

TEST(restart_policies_parse_as_docker_spells_them)
{
	enum containerv_restart_policy policy;
	int max;

	CHECK_OK(containerv_restart_policy_parse("on-failure:2", &policy, &max));
	CHECK_EQ_INT(policy, CV_RESTART_ON_FAILURE);
	CHECK_EQ_INT(max, 2);
	CHECK_OK(containerv_restart_policy_parse("unless-stopped", &policy, &max));
	CHECK_EQ_INT(policy, CV_RESTART_UNLESS_STOPPED);
	CHECK_EQ_INT(max, 0);
	CHECK(containerv_restart_policy_parse("sometimes", &policy, &max) < 0 && errno == EINVAL);
	CHECK(strstr(containerv_last_error(), "sometimes") != NULL);
	CHECK(containerv_restart_policy_parse("always:3", &policy, &max) < 0);
	CHECK(containerv_restart_policy_parse("on-failure:-1", &policy, &max) < 0);
	CHECK(containerv_restart_policy_parse("on-failure:", &policy, &max) < 0);
	CHECK_EQ_STR(containerv_restart_policy_name(CV_RESTART_ON_FAILURE), "on-failure");
}

TEST(durations_parse_and_negative_ones_are_refused)
{
	int64_t ns;

	CHECK_OK(containerv_parse_duration("1m30s", &ns));
	CHECK(ns == INT64_C(90000000000));
	CHECK_OK(containerv_parse_duration("250ms", &ns));
	CHECK(ns == INT64_C(250000000));
	CHECK_OK(containerv_parse_duration("2", &ns));
	CHECK(ns == INT64_C(2000000000));
	CHECK(containerv_parse_duration("-1s", &ns) < 0);
	CHECK(containerv_parse_duration("1x", &ns) < 0);
	CHECK(containerv_parse_duration("", &ns) < 0);
	CHECK(containerv_parse_duration("99999999999h", &ns) < 0);
}

TEST(health_checks_are_validated_and_round_trip_through_config_json)
{
	struct containerv_options *options = NULL, parsed;
	const char *good[] = {"CMD", "test", "-f", "/ok", NULL};
	const char *empty_cmd[] = {"CMD", NULL};
	const char *unknown[] = {"RUN", "x", NULL};
	struct containerv_healthcheck check = {.version = CONTAINERV_HEALTHCHECK_VERSION, .test = good};
	char *json = NULL;

	CHECK_OK(containerv_options_new(&options));
	CHECK_OK(containerv_options_set_rootfs(options, "/"));
	check.interval_ns = -1;
	CHECK(containerv_options_set_healthcheck(options, &check) < 0 && errno == EINVAL);
	check.interval_ns = 0;
	check.retries = -1;
	CHECK(containerv_options_set_healthcheck(options, &check) < 0);
	check.retries = 0;
	check.test = empty_cmd;
	CHECK(containerv_options_set_healthcheck(options, &check) < 0);
	check.test = unknown;
	CHECK(containerv_options_set_healthcheck(options, &check) < 0);
	check.test = good;
	check.interval_ns = 500000000;
	CHECK_OK(containerv_options_set_healthcheck(options, &check));
	CHECK_OK(containerv_options_set_restart_policy(options, CV_RESTART_ON_FAILURE, 4));
	CHECK_OK(containerv_options_set_restart_policy(options, CV_RESTART_ALWAYS,
	                                               4)); /* compose's any + max_attempts */
	CHECK(containerv_options_set_restart_policy(options, CV_RESTART_UNLESS_STOPPED, 4) < 0 && errno == EINVAL);
	CHECK_OK(containerv_options_set_restart_policy(options, CV_RESTART_ON_FAILURE, 4));
	CHECK(containerv_options_set_restart_timing(options, -1, 0) < 0 && errno == EINVAL);
	CHECK(strstr(containerv_last_error(), "delay") != NULL);
	CHECK(containerv_options_set_restart_timing(options, 0, -1) < 0 && errno == EINVAL);
	CHECK_OK(containerv_options_set_restart_timing(options, INT64_C(1500000000), INT64_C(30000000000)));
	CHECK_OK(cv_options_to_json(options, &json));
	memset(&parsed, 0, sizeof parsed);
	cv_options_init(&parsed);
	CHECK_OK(cv_options_from_json(json, &parsed));
	CHECK(cv_health_effective(&parsed) != NULL);
	CHECK_EQ_STR(cv_health_effective(&parsed)->test[3], "/ok");
	CHECK(cv_health_effective(&parsed)->interval_ns == 500000000);
	CHECK_EQ_INT(parsed.restart_policy, CV_RESTART_ON_FAILURE);
	CHECK_EQ_INT(parsed.restart_max_retries, 4);
	CHECK(parsed.restart_delay_ns == INT64_C(1500000000) && parsed.restart_window_ns == INT64_C(30000000000));
	CHECK(cv_supervision_wanted(&parsed));
	cv_options_clear(&parsed);
	free(json);
	/* A restart policy with autoremove is refused whole. */
	CHECK_OK(containerv_options_set_autoremove(options, CV_AUTOREMOVE_MONITOR));
	CHECK(cv_supervise_config_validate(options) < 0);
	containerv_options_delete(options);
}

TEST(an_images_hostile_healthcheck_is_refused)
{
	struct cv_health_config health = {0};
	json_t *negative = json_loads("{\"Test\":[\"CMD\",\"x\"],\"Interval\":-5}", 0, NULL);
	json_t *not_strings = json_loads("{\"Test\":[\"CMD\",7]}", 0, NULL);
	json_t *none = json_loads("{\"Test\":[\"NONE\"]}", 0, NULL);
	struct containerv_options options;

	CHECK(cv_health_config_from_json(negative, &health, false) < 0);
	CHECK(cv_health_config_from_json(not_strings, &health, false) < 0);
	CHECK(health.test == NULL);
	memset(&options, 0, sizeof options);
	cv_options_init(&options);
	CHECK_OK(cv_health_config_from_json(none, &options.image_health, false));
	CHECK(cv_health_effective(&options) == NULL); /* NONE disables */
	cv_options_clear(&options);
	json_decref(negative);
	json_decref(not_strings);
	json_decref(none);
}

TEST(http_and_tcp_checks_are_validated_and_an_image_cannot_have_them)
{
	struct containerv_options *options = NULL;
	struct cv_health_http http;
	const char *http_test[] = {"HTTP", "http://:8080/ready?x=1", "status=204", "body=ok", NULL};
	const char *tcp_test[] = {"TCP", "5432", NULL};
	const char *bad[][5] = {
	        {"HTTP", NULL},
	        {"HTTP", "https://:8443/", NULL},
	        {"HTTP", "http://db:80/", NULL}, /* a name: no resolver where the probe runs */
	        {"HTTP", "http://:0/", NULL},
	        {"HTTP", "http://:80/a b", NULL},
	        {"HTTP", "http://:80/", "status=99", NULL},
	        {"HTTP", "http://:80/", "body=", NULL},
	        {"HTTP", "http://:80/", "status=200", "status=201", NULL},
	        {"HTTP", "http://:80/", "method=POST", NULL},
	        {"TCP", "65536", NULL},
	        {"TCP", "80", "81", NULL},
	        {"TCP", "-1", NULL},
	};
	struct containerv_healthcheck check = {.version = CONTAINERV_HEALTHCHECK_VERSION, .test = http_test};
	struct cv_health_config health = {0};
	json_t *from_image = json_loads("{\"Test\":[\"TCP\",\"80\"]}", 0, NULL);

	CHECK_OK(cv_health_http_parse("http://:8080/ready?x=1", &http));
	CHECK_EQ_STR(http.host, "127.0.0.1");
	CHECK_EQ_INT(http.port, 8080);
	CHECK_EQ_STR(http.path, "/ready?x=1");
	CHECK_OK(cv_health_http_parse("http://[::1]", &http));
	CHECK(http.ipv6 && http.port == 80);
	CHECK_EQ_STR(http.path, "/");
	CHECK_OK(containerv_options_new(&options));
	CHECK_OK(containerv_options_set_healthcheck(options, &check));
	check.test = tcp_test;
	CHECK_OK(containerv_options_set_healthcheck(options, &check));
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		check.test = bad[i];
		CHECK(containerv_options_set_healthcheck(options, &check) < 0 && errno == EINVAL);
		CHECK(strstr(containerv_last_error(), "healthcheck") != NULL);
	}
	/* The last good one stays. */
	CHECK_EQ_STR(cv_health_effective(options)->test[0], "TCP");
	/* An image's Healthcheck is docker's kinds only: host code runs for a probe. */
	CHECK(cv_health_config_from_json(from_image, &health, false) < 0);
	CHECK_OK(cv_health_config_from_json(from_image, &health, true));
	cv_health_config_clear(&health);
	json_decref(from_image);
	containerv_options_delete(options);
}

struct seen {
	int count;
	char actions[64][64];
	char last[64];
};

static int collect(const struct containerv_journal_event *event, void *user)
{
	struct seen *seen = user;

	if (seen->count < 64)
		snprintf(seen->actions[seen->count], sizeof seen->actions[0], "%s", event->action);
	snprintf(seen->last, sizeof seen->last, "%s", event->action);
	seen->count++;
	return 0;
}

TEST(the_journal_appends_filters_by_time_skips_torn_lines_and_rotates)
{
	char root[128], path[256];
	struct containerv_context *context = NULL;
	const char *attributes[] = {"name=web", "exitCode=3", NULL};
	struct seen seen = {0};

	snprintf(root, sizeof root, "/tmp/cvtest-journal-%d", (int)getpid());
	mkdir(root, 0700);
	CHECK_OK(containerv_context_open(root, &context));
	CHECK_OK(containerv_journal_append(context, "container", "create", "abc", attributes));
	int64_t middle = 0;
	{
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		middle = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	}
	CHECK_OK(containerv_journal_append(context, "container", "die", "abc", attributes));
	/* A writer killed mid-line leaves a torn one: skipped, the next entries still read. */
	snprintf(path, sizeof path, "%s/" CV_JOURNAL_FILE, root);
	int fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "{\"Type\":\"contai", 15) == 15);
	close(fd);
	CHECK_OK(containerv_journal_append(context, "container", "destroy", "abc", NULL));
	CHECK(containerv_journal_append(context, "", "x", "abc", NULL) < 0);
	CHECK_OK(containerv_journal_read(context, 0, 0, 0, collect, &seen));
	CHECK_EQ_INT(seen.count, 3); /* the torn line alone is lost */
	CHECK_EQ_STR(seen.actions[2], "destroy");
	memset(&seen, 0, sizeof seen);
	CHECK_OK(containerv_journal_read(context, middle, 0, 0, collect, &seen));
	CHECK_EQ_INT(seen.count, 2);
	CHECK_EQ_STR(seen.actions[0], "die");
	/* Past the size bound the file rotates; both generations are read, oldest first. */
	char big[1024];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	char attribute[1100];
	snprintf(attribute, sizeof attribute, "pad=%s", big);
	const char *padded[] = {attribute, NULL};
	for (int i = 0; i < CV_JOURNAL_MAX_BYTES / 1000 + 10; i++)
		CHECK_OK(containerv_journal_append(context, "container", "pad", "abc", padded));
	CHECK_OK(containerv_journal_append(context, "container", "last", "abc", NULL));
	struct stat st;
	snprintf(path, sizeof path, "%s/" CV_JOURNAL_ROTATED, root);
	CHECK(stat(path, &st) == 0);
	snprintf(path, sizeof path, "%s/" CV_JOURNAL_FILE, root);
	CHECK(stat(path, &st) == 0 && st.st_size < CV_JOURNAL_MAX_BYTES && (st.st_mode & 0077) == 0);
	memset(&seen, 0, sizeof seen);
	CHECK_OK(containerv_journal_read(context, 0, 0, 0, collect, &seen));
	CHECK(seen.count > 0 && seen.count <= 2 * (CV_JOURNAL_MAX_BYTES / 1000) + 10);
	CHECK_EQ_STR(seen.last, "last");
	CHECK(seen.count > CV_JOURNAL_MAX_BYTES / 1100); /* the rotated generation is read too */
	containerv_context_close(context);
	char command[200];
	snprintf(command, sizeof command, "rm -rf %s", root);
	CHECK(system(command) == 0);
}

/* A check's output is the container's bytes: whatever they are, the record's JSON must be able to hold them. */
TEST(a_checks_output_is_made_valid_utf8)
{
	struct {
		const char *given, *repaired;
	} cases[] = {
	        {"plain ascii", "plain ascii"},
	        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
	        {"\xff\xfe bad", "?? bad"},
	        {"cut at the end \xe2\x82", "cut at the end ??"},
	        {"stray \x80 continuation", "stray ? continuation"},
	        {"overlong \xc0\xaf slash", "overlong ?? slash"},
	        {"overlong \xe0\x80\xaf", "overlong ???"},
	        {"surrogate \xed\xa0\x80", "surrogate ???"},
	        {"past U+10FFFF \xf4\x90\x80\x80", "past U+10FFFF ????"},
	        {"escape \x1b[2J stays", "escape \x1b[2J stays"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char text[64];
		snprintf(text, sizeof text, "%s", cases[i].given);
		cv_utf8_repair(text);
		CHECK_EQ_STR(text, cases[i].repaired);
		json_t *packed = json_pack("{s:s}", "Output", text);
		CHECK(packed != NULL);
		json_decref(packed);
	}
}

int main(void)
{
	RUN(restart_policies_parse_as_docker_spells_them);
	RUN(durations_parse_and_negative_ones_are_refused);
	RUN(health_checks_are_validated_and_round_trip_through_config_json);
	RUN(an_images_hostile_healthcheck_is_refused);
	RUN(http_and_tcp_checks_are_validated_and_an_image_cannot_have_them);
	RUN(the_journal_appends_filters_by_time_skips_torn_lines_and_rotates);
	RUN(a_checks_output_is_made_valid_utf8);
	return cv_test_summary();
}
