/*
 * Internal: one record of a container's log (the format is described in
 * <chef/containerv/logs.h>) and the times the log and `logs` use.
 */
#ifndef CV_COMMON_LOG_RECORD_H
#define CV_COMMON_LOG_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/logs.h>

/* "2024-05-01T12:00:00.123456789Z": always this long, so that a record's fields sit at fixed places. */
#define CV_LOG_TIME_LENGTH 30
/* Time, stream, tag and the spaces between: "<time> stdout F ". */
#define CV_LOG_HEADER_LENGTH (CV_LOG_TIME_LENGTH + 10)
/* The longest record, its newline included. */
#define CV_LOG_RECORD_MAX (CV_LOG_HEADER_LENGTH + CONTAINERV_LOG_RECORD_DATA_MAX + 1)

/*
 * Writes one record into out (CV_LOG_RECORD_MAX bytes): at most
 * CONTAINERV_LOG_RECORD_DATA_MAX bytes of data, which hold no newline.
 * Returns the record's length.
 */
size_t cv_log_record_encode(char *out, int stream, int64_t time_ns, const char *data, size_t length, bool partial);

/* Reads one record (without its newline); -1 (EINVAL) when it is not one. entry->data points into line. */
int cv_log_record_parse(const char *line, size_t length, struct containerv_log_entry *entry);

/* Parses exactly the writer's CV_LOG_TIME_LENGTH form; -1 (EINVAL) on anything else. */
int cv_log_time_parse_fixed(const char *text, size_t length, int64_t *time_ns);

#endif
