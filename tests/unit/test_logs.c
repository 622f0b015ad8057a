/*
 * The log's records and times: round trips, the writer's splitting and
 * rotation bound, and refusals of malformed records and times.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "common/log-file.h"
#include "common/log-record.h"
#include "test.h"

#define NS 1000000000LL

TEST(record_round_trip)
{
	char record[CV_LOG_RECORD_MAX];
	struct containerv_log_entry entry;
	const char data[] = "a\0b\033[31mred\r";
	size_t length =
	        cv_log_record_encode(record, CONTAINERV_LOG_STDERR, 1714564800 * NS + 5, data, sizeof data - 1, true);

	CHECK(record[length - 1] == '\n');
	CHECK(memcmp(record, "2024-05-01T12:00:00.000000005Z stderr P ", CV_LOG_HEADER_LENGTH) == 0);
	CHECK_OK(cv_log_record_parse(record, length - 1, &entry));
	CHECK_EQ_INT(entry.stream, CONTAINERV_LOG_STDERR);
	CHECK(entry.time_ns == 1714564800 * NS + 5);
	CHECK_EQ_INT(entry.partial, 1);
	CHECK(entry.length == sizeof data - 1 && memcmp(entry.data, data, entry.length) == 0);
}

TEST(record_refused)
{
	struct containerv_log_entry entry;
	const char *bad[] = {"",
	                     "2024-05-01T12:00:00.000000005Z",
	                     "2024-05-01T12:00:00.000000005Z stdin F x",
	                     "2024-05-01T12:00:00.000000005Z stdout X x",
	                     "2024-05-01 12:00:00.000000005Z stdout F x",
	                     "garbage that is long enough to be a record header"};

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(cv_log_record_parse(bad[i], strlen(bad[i]), &entry) < 0);
}

TEST(times_docker_forms)
{
	int64_t now = 1714564800 * NS, t = 0;

	CHECK_OK(containerv_logs_parse_time("1714564700", now, &t));
	CHECK(t == 1714564700 * NS);
	CHECK_OK(containerv_logs_parse_time("1714564700.25", now, &t));
	CHECK(t == 1714564700 * NS + NS / 4);
	CHECK_OK(containerv_logs_parse_time("10m", now, &t));
	CHECK(t == now - 600 * NS);
	CHECK_OK(containerv_logs_parse_time("1h30m", now, &t));
	CHECK(t == now - 5400 * NS);
	CHECK_OK(containerv_logs_parse_time("250ms", now, &t));
	CHECK(t == now - NS / 4);
	CHECK_OK(containerv_logs_parse_time("2024-05-01T12:00:00Z", now, &t));
	CHECK(t == now);
	CHECK_OK(containerv_logs_parse_time("2024-05-01T14:00:00.5+02:00", now, &t));
	CHECK(t == now + NS / 2);
	const char *bad[] = {"", "yesterday", "10x", "2024-13-01", "2024-05-01T25:00:00Z", "1.", "-5m"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(containerv_logs_parse_time(bad[i], now, &t) < 0);
}

/* A flood of long lines into max-size 4 KiB x 3 files: at most 3 files, each within its size plus a record. */
TEST(writer_splits_and_rotates)
{
	char dir[] = "/tmp/cv-logs-test.XXXXXX";
	struct cv_log_writer writer;
	char *line = malloc(40000);
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dirfd >= 0 && line != NULL);
	memset(line, 'x', 40000);
	line[39999] = '\n';
	CHECK_OK(cv_log_writer_open(&writer, dirfd, 4096, 3));
	for (int i = 0; i < 10; i++)
		cv_log_writer_write(&writer, CONTAINERV_LOG_STDOUT, i * NS, line, 40000);
	cv_log_writer_close(&writer);
	uint64_t total = 0;
	const char *names[] = {CV_LOG_FILE, CV_LOG_FILE ".1", CV_LOG_FILE ".2"};
	for (size_t i = 0; i < 3; i++) {
		CHECK_OK(fstatat(dirfd, names[i], &st, 0));
		CHECK((uint64_t)st.st_size <= CV_LOG_RECORD_MAX);
		total += (uint64_t)st.st_size;
	}
	CHECK(fstatat(dirfd, CV_LOG_FILE ".3", &st, 0) < 0);
	CHECK(total <= 3 * CV_LOG_RECORD_MAX);
	for (size_t i = 0; i < 3; i++)
		unlinkat(dirfd, names[i], 0);
	close(dirfd);
	rmdir(dir);
	free(line);
}

int main(void)
{
	RUN(record_round_trip);
	RUN(record_refused);
	RUN(times_docker_forms);
	RUN(writer_splits_and_rotates);
	return cv_test_summary();
}
