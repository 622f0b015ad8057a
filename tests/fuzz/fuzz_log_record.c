/*
 * Fuzz harness: a container's log as `logs` reads it back. The first byte picks the parser:
 *   'r' one record (cv_log_record_parse: a line of container.log, whose data is the container's output;
 *       a torn or planted line must be refused, never read past its end)
 *   't' a --since/--until time (containerv_logs_parse_time: RFC 3339, Unix seconds, durations)
 * A record accepted has a known stream, its data inside the line and no longer than a record holds, and
 * written again (cv_log_record_encode) gives the same line when its time is in the writer's form; a time
 * accepted formats and parses again to within a second. A refusal sets errno.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log-record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_record(const char *line, size_t length)
{
	struct containerv_log_entry entry;
	char again[CV_LOG_RECORD_MAX], time[32];

	errno = 0;
	if (cv_log_record_parse(line, length, &entry) < 0) {
		if (errno == 0)
			abort();
		return;
	}
	if ((entry.stream != CONTAINERV_LOG_STDOUT && entry.stream != CONTAINERV_LOG_STDERR) || entry.data < line ||
	    entry.data + entry.length != line + length || entry.length > CONTAINERV_LOG_RECORD_DATA_MAX)
		abort();
	if (memchr(entry.data, '\n', entry.length) != NULL)
		return; /* the writer never puts one there: a reader splits lines first */
	containerv_logs_format_time(entry.time_ns, time);
	if (strlen(time) != CV_LOG_TIME_LENGTH || memcmp(time, line, CV_LOG_TIME_LENGTH) != 0)
		return; /* not the writer's own form (a month 13 that timegm carried over) */
	size_t written =
	        cv_log_record_encode(again, entry.stream, entry.time_ns, entry.data, entry.length, entry.partial != 0);
	if (written != length + 1 || memcmp(again, line, length) != 0 || again[length] != '\n')
		abort();
}

static void check_time(const char *text)
{
	int64_t now = 1700000000LL * 1000000000LL, time_ns, again;
	char formatted[32];

	errno = 0;
	if (containerv_logs_parse_time(text, now, &time_ns) < 0) {
		if (errno == 0)
			abort();
		return;
	}
	if (time_ns < 0 || time_ns / 1000000000LL >= 253402300800LL)
		return; /* before 1970 or after 9999: the writer's form has no such time */
	containerv_logs_format_time(time_ns, formatted);
	if (containerv_logs_parse_time(formatted, now, &again) < 0 || llabs(again - time_ns) >= 1000000000LL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	/* The record is read at its exact length (no NUL after it): ASan sees a read past the end. */
	text = malloc(size - 1 + (data[0] == 't'));
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	if (data[0] == 't') {
		text[size - 1] = '\0';
		if (strlen(text) == size - 1)
			check_time(text);
	} else {
		check_record(text, size - 1);
	}
	free(text);
	return 0;
}
