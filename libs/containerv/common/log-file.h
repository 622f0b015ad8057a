/*
 * Internal: the files of a container's log, in a directory of their own
 * (<container>/logs/): CV_LOG_FILE is written, CV_LOG_FILE.1 is the one
 * before it, and so on up to max_files - 1. The writer is the detached
 * container's monitor; readers (containerv_logs_read) go oldest first.
 */
#ifndef CV_COMMON_LOG_FILE_H
#define CV_COMMON_LOG_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <chef/containerv/logs.h>

#define CV_LOG_DIR "logs"
#define CV_LOG_FILE "container.log"
#define CV_LOG_MAX_FILES_LIMIT 100

struct cv_log_writer {
	int dirfd; /* the log's directory (not owned) */
	int fd;    /* the current file, O_APPEND */
	uint64_t size;
	uint64_t max_size;
	unsigned int max_files;
	size_t pending; /* bytes of records in buffer, not written yet */
	char *buffer;   /* CV_LOG_WRITER_BUFFER bytes */
};

/* Opens (creates) the current file in dirfd. max_size and max_files of 0 take the defaults. */
int cv_log_writer_open(struct cv_log_writer *writer, int dirfd, uint64_t max_size, unsigned int max_files);
/*
 * Records what one read of a stream returned: complete lines as "F", the rest (a line not ended yet,
 * or a piece of one longer than a record) as "P", all stamped time_ns. Rotates as the limits say.
 * Never fails: a log that cannot be written loses output, the container goes on.
 */
void cv_log_writer_write(struct cv_log_writer *writer, int stream, int64_t time_ns, const char *data, size_t length);
void cv_log_writer_close(struct cv_log_writer *writer);

/*
 * The monitor's loop: records what comes from the container's stdout and stderr pipes (either may
 * be -1) until both have ended or ended_fd (a pidfd of the container's init) is readable; then it
 * drains what is left in the pipes without waiting for an end of file that a process outside the
 * container's PID namespace could hold back forever.
 */
void cv_log_copy_until_ended(struct cv_log_writer *writer, int out, int err, int ended_fd);

/* Called for each record read; non-zero stops the read and is returned. */
typedef int (*cv_log_entry_fn)(const struct containerv_log_entry *entry, void *user);

/*
 * Reads records from a descriptor, from its offset to its end. Whole lines only: an unfinished
 * last line stays in carry (CV_LOG_RECORD_MAX bytes, *carried of them used) for the next call,
 * so a follower can read a file that is being written. Malformed lines are skipped.
 */
int cv_log_read_records(int fd, char *carry, size_t *carried, cv_log_entry_fn fn, void *user);

/* Reads a log written before records existed: all of it stdout, time 0, split at newlines. */
int cv_log_read_raw(int fd, cv_log_entry_fn fn, void *user);

/* Waits until the monitor that writes the log in dir (it holds dir flock'ed) has written its last output. */
void cv_log_wait_writer(const char *dir);

#endif
