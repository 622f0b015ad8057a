/*
 * A container's log records: see <chef/containerv/logs.h> for the format.
 * The time is always written with nine digits of fraction, so that every
 * record's stream and tag sit at fixed offsets and parsing is a few
 * comparisons, not a scan.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/log-record.h"

#define NS_PER_SECOND 1000000000LL

void containerv_logs_format_time(int64_t time_ns, char buffer[32])
{
	time_t seconds = (time_t)(time_ns / NS_PER_SECOND);
	struct tm utc;

	if (time_ns < 0 || gmtime_r(&seconds, &utc) == NULL || utc.tm_year + 1900 > 9999) {
		seconds = 0;
		time_ns = 0;
		gmtime_r(&seconds, &utc);
	}
	snprintf(buffer, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
	         utc.tm_hour, utc.tm_min, utc.tm_sec, (long long)(time_ns % NS_PER_SECOND));
}

size_t cv_log_record_encode(char *out, int stream, int64_t time_ns, const char *data, size_t length, bool partial)
{
	char time_text[32];

	if (length > CONTAINERV_LOG_RECORD_DATA_MAX)
		length = CONTAINERV_LOG_RECORD_DATA_MAX;
	containerv_logs_format_time(time_ns, time_text);
	memcpy(out, time_text, CV_LOG_TIME_LENGTH);
	memcpy(out + CV_LOG_TIME_LENGTH, stream == CONTAINERV_LOG_STDERR ? " stderr " : " stdout ", 8);
	out[CV_LOG_TIME_LENGTH + 8] = partial ? 'P' : 'F';
	out[CV_LOG_TIME_LENGTH + 9] = ' ';
	memcpy(out + CV_LOG_HEADER_LENGTH, data, length);
	out[CV_LOG_HEADER_LENGTH + length] = '\n';
	return CV_LOG_HEADER_LENGTH + length + 1;
}

/* Reads exactly count digits at text; -1 when one is not a digit. */
static long long fixed_digits(const char *text, int count)
{
	long long value = 0;

	for (int i = 0; i < count; i++) {
		if (!isdigit((unsigned char)text[i]))
			return -1;
		value = value * 10 + (text[i] - '0');
	}
	return value;
}

int cv_log_time_parse_fixed(const char *text, size_t length, int64_t *time_ns)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";
	struct tm utc = {0};

	if (length != CV_LOG_TIME_LENGTH)
		return cv_error_errno(EINVAL, "log record: bad time");
	for (size_t i = 0; i < CV_LOG_TIME_LENGTH; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)text[i]) : text[i] != shape[i])
			return cv_error_errno(EINVAL, "log record: bad time");
	utc.tm_year = (int)fixed_digits(text, 4) - 1900;
	utc.tm_mon = (int)fixed_digits(text + 5, 2) - 1;
	utc.tm_mday = (int)fixed_digits(text + 8, 2);
	utc.tm_hour = (int)fixed_digits(text + 11, 2);
	utc.tm_min = (int)fixed_digits(text + 14, 2);
	utc.tm_sec = (int)fixed_digits(text + 17, 2);
	*time_ns = (int64_t)timegm(&utc) * NS_PER_SECOND + fixed_digits(text + 20, 9);
	return 0;
}

int cv_log_record_parse(const char *line, size_t length, struct containerv_log_entry *entry)
{
	const char *stream = line + CV_LOG_TIME_LENGTH;
	char tag;

	/* The length first: a short line (a torn last record) must not be read past its end. */
	if (length < CV_LOG_HEADER_LENGTH || length - CV_LOG_HEADER_LENGTH > CONTAINERV_LOG_RECORD_DATA_MAX ||
	    cv_log_time_parse_fixed(line, CV_LOG_TIME_LENGTH, &entry->time_ns) < 0)
		return cv_error_errno(EINVAL, "log record: malformed");
	tag = line[CV_LOG_TIME_LENGTH + 8];
	if (memcmp(stream, " stdout ", 8) == 0)
		entry->stream = CONTAINERV_LOG_STDOUT;
	else if (memcmp(stream, " stderr ", 8) == 0)
		entry->stream = CONTAINERV_LOG_STDERR;
	else
		return cv_error_errno(EINVAL, "log record: unknown stream");
	if ((tag != 'F' && tag != 'P') || line[CV_LOG_TIME_LENGTH + 9] != ' ')
		return cv_error_errno(EINVAL, "log record: unknown tag");
	entry->partial = tag == 'P';
	entry->data = line + CV_LOG_HEADER_LENGTH;
	entry->length = length - CV_LOG_HEADER_LENGTH;
	return 0;
}

/* Go's time.ParseDuration, as docker reads "10m", "1h30m", "1.5s", "250ms": ns, or -1. */
static int64_t parse_duration(const char *text)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
	double total = 0;

	if (*text == '\0')
		return -1;
	while (*text != '\0') {
		char *end;
		size_t unit_length = 0;
		double value;
		if (!isdigit((unsigned char)*text) && *text != '.')
			return -1;
		value = strtod(text, &end);
		if (end == text)
			return -1;
		while (isalpha((unsigned char)end[unit_length]))
			unit_length++;
		size_t i = 0;
		for (; i < sizeof units / sizeof *units; i++)
			if (strlen(units[i].unit) == unit_length && strncmp(end, units[i].unit, unit_length) == 0)
				break;
		if (i == sizeof units / sizeof *units)
			return -1;
		total += value * units[i].ns;
		if (total > 1e18)
			return -1;
		text = end + unit_length;
	}
	return (int64_t)total;
}

/* "1714564800" or "1714564800.123456789": ns, or -1. */
static int64_t parse_unix_seconds(const char *text)
{
	long long seconds = 0, fraction = 0;
	int digits = 0;

	if (!isdigit((unsigned char)*text))
		return -1;
	for (; isdigit((unsigned char)*text); text++) {
		if (seconds > 9000000000LL)
			return -1;
		seconds = seconds * 10 + (*text - '0');
	}
	if (*text == '.')
		for (text++; isdigit((unsigned char)*text) && digits < 9; text++, digits++)
			fraction = fraction * 10 + (*text - '0');
	if (*text != '\0' || (digits == 0 && text[-1] == '.'))
		return -1;
	for (; digits < 9; digits++)
		fraction *= 10;
	return (int64_t)(seconds * NS_PER_SECOND + fraction);
}

/*
 * RFC 3339 and the shorter forms docker takes: a date, a date and time without seconds, an optional
 * fraction, and Z or an offset (none: local time, as docker reads it). ns, or -1.
 */
static int64_t parse_rfc3339(const char *text)
{
	struct tm when = {0};
	long long fraction = 0;
	int digits = 0, offset_seconds = 0;
	bool zoned = false;
	const char *p = text;

	if (strlen(text) < 10 || text[4] != '-' || text[7] != '-' || fixed_digits(text, 4) < 0 ||
	    fixed_digits(text + 5, 2) < 1 || fixed_digits(text + 5, 2) > 12 || fixed_digits(text + 8, 2) < 1 ||
	    fixed_digits(text + 8, 2) > 31)
		return -1;
	when.tm_year = (int)fixed_digits(text, 4) - 1900;
	when.tm_mon = (int)fixed_digits(text + 5, 2) - 1;
	when.tm_mday = (int)fixed_digits(text + 8, 2);
	p += 10;
	if (*p == 'T' || *p == 't') {
		if (fixed_digits(p + 1, 2) < 0 || fixed_digits(p + 1, 2) > 23 || p[3] != ':' ||
		    fixed_digits(p + 4, 2) < 0 || fixed_digits(p + 4, 2) > 59)
			return -1;
		when.tm_hour = (int)fixed_digits(p + 1, 2);
		when.tm_min = (int)fixed_digits(p + 4, 2);
		p += 6;
		if (*p == ':') {
			if (fixed_digits(p + 1, 2) < 0 || fixed_digits(p + 1, 2) > 60)
				return -1;
			when.tm_sec = (int)fixed_digits(p + 1, 2);
			p += 3;
			if (*p == '.') {
				for (p++; isdigit((unsigned char)*p); p++, digits++)
					if (digits < 9)
						fraction = fraction * 10 + (*p - '0');
				if (digits == 0)
					return -1;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			zoned = true;
			p++;
		} else if (*p == '+' || *p == '-') {
			if (fixed_digits(p + 1, 2) < 0 || fixed_digits(p + 1, 2) > 23 || p[3] != ':' ||
			    fixed_digits(p + 4, 2) < 0 || fixed_digits(p + 4, 2) > 59)
				return -1;
			offset_seconds = (int)(fixed_digits(p + 1, 2) * 3600 + fixed_digits(p + 4, 2) * 60);
			if (*p == '-')
				offset_seconds = -offset_seconds;
			zoned = true;
			p += 6;
		}
	}
	if (*p != '\0')
		return -1;
	for (; digits < 9; digits++)
		fraction *= 10;
	time_t seconds;
	if (zoned) {
		seconds = timegm(&when) - offset_seconds;
	} else {
		when.tm_isdst = -1;
		seconds = mktime(&when);
	}
	return seconds < 0 ? -1 : (int64_t)seconds * NS_PER_SECOND + fraction;
}

int containerv_logs_parse_time(const char *text, int64_t now_ns, int64_t *time_ns)
{
	int64_t value;

	cv_error_clear();
	if (text == NULL || time_ns == NULL)
		return cv_error_errno(EINVAL, "time: missing");
	if ((value = parse_unix_seconds(text)) >= 0) {
		*time_ns = value;
		return 0;
	}
	if ((value = parse_duration(text)) >= 0) {
		*time_ns = now_ns - value;
		return 0;
	}
	if ((value = parse_rfc3339(text)) >= 0) {
		*time_ns = value;
		return 0;
	}
	return cv_error_errno(EINVAL,
	                      "invalid time \"%s\": expected RFC 3339 (2024-05-01T12:00:00Z), Unix seconds or a "
	                      "duration (10m, 1h)",
	                      text);
}
