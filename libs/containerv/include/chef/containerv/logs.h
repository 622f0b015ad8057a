/*
 * containerv: a detached container's log.
 *
 * The monitor of a detached container records its stdout and stderr apart,
 * one record per line (or per piece of a long line), each with its stream
 * and the time it was read, in the format of the Kubernetes CRI (containerd,
 * CRI-O):
 *
 *     2024-05-01T12:00:00.123456789Z stdout F the line
 *     2024-05-01T12:00:00.123456789Z stderr P 16 KiB of a longer line
 *
 * "F" ends a line, "P" is a piece of one that goes on in the stream's next
 * record. A record holds at most CONTAINERV_LOG_RECORD_DATA_MAX bytes of
 * output; the output may hold any byte but a newline (which ends a record),
 * so terminal escapes and NULs pass as they came and cannot forge a record.
 * The files rotate: when the current one would exceed the size limit it
 * becomes <log>.1 (the older ones move up, the oldest goes), so the log of a
 * container takes at most max_size * max_files bytes plus one record.
 */
#ifndef CHEF_CONTAINERV_LOGS_H
#define CHEF_CONTAINERV_LOGS_H

#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct containerv_container;
struct containerv_options;

/* The default limits of a container's log (those of docker's "local" driver): 20 MiB x 5 files. */
#define CONTAINERV_LOG_MAX_SIZE_DEFAULT (20 * 1024 * 1024)
#define CONTAINERV_LOG_MAX_FILES_DEFAULT 5
/* The most output bytes one record holds: a longer line is split into pieces (partial entries). */
#define CONTAINERV_LOG_RECORD_DATA_MAX 16384

enum containerv_log_stream {
	CONTAINERV_LOG_STDOUT = 1,
	CONTAINERV_LOG_STDERR = 2,
};

/* One record of the log, as containerv_logs_read() hands it over. */
struct containerv_log_entry {
	int stream;       /* enum containerv_log_stream */
	int64_t time_ns;  /* when the monitor read it, ns since the epoch (UTC); 0 in a log of the old format */
	int partial;      /* 1: the line goes on in this stream's next entry (no newline after data) */
	const char *data; /* not NUL-terminated; any byte but a newline */
	size_t length;
};

/* Called for each entry in order; a non-zero return stops the read (containerv_logs_read returns it). */
typedef int (*containerv_log_callback)(const struct containerv_log_entry *entry, void *user);

#define CONTAINERV_LOGS_OPTIONS_VERSION 1

/* What containerv_logs_read() reads. Initialize with CONTAINERV_LOGS_OPTIONS_INIT. */
struct containerv_logs_options {
	unsigned int version; /* CONTAINERV_LOGS_OPTIONS_VERSION */
	int64_t since_ns;     /* only entries at or after this time (ns since the epoch); 0: from the start */
	int64_t until_ns;     /* only entries before this time; 0: no end */
	int64_t tail;         /* only the last N lines (after since/until); -1: all */
	int follow;           /* then wait for more until the container has ended (or until_ns has passed) */
};

#define CONTAINERV_LOGS_OPTIONS_INIT                                                                                   \
	{                                                                                                              \
		CONTAINERV_LOGS_OPTIONS_VERSION, 0, 0, -1, 0                                                           \
	}

/*
 * Reads a container's log, oldest entry first, across its rotated files
 * (and a log written before streams were recorded: all of it as stdout,
 * time 0). With follow it returns once the container has ended and its
 * monitor has written its last output. Returns 0, the callback's non-zero
 * value, or -1 (EINVAL for bad options, or the error reading the log).
 */
CONTAINERV_API int containerv_logs_read(struct containerv_container *container,
                                        const struct containerv_logs_options *options, containerv_log_callback callback,
                                        void *user);

/*
 * The limits of the container's log (docker's --log-opt max-size, max-file):
 * each file at most max_size bytes, at most max_files files (the current
 * one included; 1 truncates the file instead of rotating). 0 for either
 * keeps its default (CONTAINERV_LOG_MAX_*_DEFAULT). Returns 0, or -1 with
 * EINVAL for max_size below 1024 bytes or max_files above 100.
 */
CONTAINERV_API int containerv_options_set_log_limits(struct containerv_options *options, int64_t max_size,
                                                     unsigned int max_files);

/*
 * Parses a time as docker's logs --since/--until take it: RFC 3339
 * ("2024-05-01T12:00:00Z", with fraction and offset, or a date alone),
 * Unix seconds ("1714564800", "1714564800.5"), or a duration before now
 * ("10m", "1h30m", "45s", "250ms"). Returns 0 with *time_ns set, or -1 with
 * EINVAL.
 */
CONTAINERV_API int containerv_logs_parse_time(const char *text, int64_t now_ns, int64_t *time_ns);

/* Writes time_ns as the log writes it: RFC 3339 in UTC with nanoseconds (31 bytes with the NUL). */
CONTAINERV_API void containerv_logs_format_time(int64_t time_ns, char buffer[32]);

#ifdef __cplusplus
}
#endif

#endif
