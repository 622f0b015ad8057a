/*
 * The files of a container's log: see log-file.h. The writer batches the
 * records of one read into one write(); the total on disk stays within
 * max_size * max_files plus one record, since a file is rotated before a
 * record would take it over max_size.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log-file.h"
#include "common/log-record.h"
#include "common/util.h"

/* Room for the records of one 64 KiB read of short lines is not needed: the buffer is flushed when full. */
#define CV_LOG_WRITER_BUFFER (4 * CV_LOG_RECORD_MAX)

static int open_current(int dirfd)
{
	return openat(dirfd, CV_LOG_FILE, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
}

int cv_log_writer_open(struct cv_log_writer *writer, int dirfd, uint64_t max_size, unsigned int max_files)
{
	struct stat st;

	memset(writer, 0, sizeof *writer);
	writer->dirfd = dirfd;
	writer->max_size = max_size ? max_size : CONTAINERV_LOG_MAX_SIZE_DEFAULT;
	writer->max_files = max_files ? max_files : CONTAINERV_LOG_MAX_FILES_DEFAULT;
	writer->buffer = malloc(CV_LOG_WRITER_BUFFER);
	if (writer->buffer == NULL)
		return cv_error_errno(ENOMEM, "log buffer");
	writer->fd = open_current(dirfd);
	if (writer->fd < 0 || fstat(writer->fd, &st) < 0) {
		int saved = errno;
		cv_log_writer_close(writer);
		return cv_error_errno(saved, "open the log " CV_LOG_FILE);
	}
	writer->size = (uint64_t)st.st_size;
	return 0;
}

void cv_log_writer_close(struct cv_log_writer *writer)
{
	if (writer->fd >= 0)
		close(writer->fd);
	writer->fd = -1;
	free(writer->buffer);
	writer->buffer = NULL;
}

static void flush_pending(struct cv_log_writer *writer)
{
	if (writer->pending == 0)
		return;
	if (writer->fd >= 0 && cv_write_all(writer->fd, writer->buffer, writer->pending) == (ssize_t)writer->pending)
		writer->size += writer->pending;
	writer->pending = 0;
}

/*
 * The current file becomes .1, .1 becomes .2 ... and the oldest goes; with one file only, it is
 * emptied. A reader that holds a rotated file open reads it to its end and then follows the new one.
 */
static void rotate(struct cv_log_writer *writer)
{
	char from[sizeof CV_LOG_FILE + 8], to[sizeof CV_LOG_FILE + 8];

	if (writer->max_files <= 1) {
		if (ftruncate(writer->fd, 0) == 0)
			writer->size = 0;
		return;
	}
	snprintf(to, sizeof to, "%s.%u", CV_LOG_FILE, writer->max_files - 1);
	unlinkat(writer->dirfd, to, 0);
	for (unsigned int i = writer->max_files - 1; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof from, "%s", CV_LOG_FILE);
		else
			snprintf(from, sizeof from, "%s.%u", CV_LOG_FILE, i - 1);
		snprintf(to, sizeof to, "%s.%u", CV_LOG_FILE, i);
		renameat(writer->dirfd, from, writer->dirfd, to);
	}
	close(writer->fd);
	writer->fd = open_current(writer->dirfd);
	writer->size = 0;
}

static void add_record(struct cv_log_writer *writer, int stream, int64_t time_ns, const char *data, size_t length,
                       bool partial)
{
	size_t record = CV_LOG_HEADER_LENGTH + length + 1;

	if (writer->pending + record > CV_LOG_WRITER_BUFFER)
		flush_pending(writer);
	if (writer->size + writer->pending + record > writer->max_size && writer->size + writer->pending > 0) {
		flush_pending(writer);
		rotate(writer);
	}
	writer->pending +=
	        cv_log_record_encode(writer->buffer + writer->pending, stream, time_ns, data, length, partial);
}

void cv_log_writer_write(struct cv_log_writer *writer, int stream, int64_t time_ns, const char *data, size_t length)
{
	while (length > 0) {
		const char *newline = memchr(data, '\n', length);
		size_t line = newline ? (size_t)(newline - data) : length;
		bool partial = newline == NULL || line > CONTAINERV_LOG_RECORD_DATA_MAX;

		if (line > CONTAINERV_LOG_RECORD_DATA_MAX)
			line = CONTAINERV_LOG_RECORD_DATA_MAX;
		add_record(writer, stream, time_ns, data, line, partial);
		/* The newline ends the record: it is the "F", not data. */
		if (!partial) {
			data += line + 1;
			length -= line + 1;
		} else {
			data += line;
			length -= line;
		}
	}
	flush_pending(writer);
}

/* One read of a stream into the log; false at its end (or on an error: the pipe is of no more use). */
static bool record_once(struct cv_log_writer *writer, int fd, int stream, char *buffer, size_t size)
{
	ssize_t n;

	do
		n = read(fd, buffer, size);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		cv_log_writer_write(writer, stream, cv_now_ns(), buffer, (size_t)n);
	return n > 0;
}

void cv_log_copy_until_ended(struct cv_log_writer *writer, int out, int err, int ended_fd)
{
	const int pipes[2] = {out, err};
	const int streams[2] = {CONTAINERV_LOG_STDOUT, CONTAINERV_LOG_STDERR};
	bool open_pipes[2] = {out >= 0, err >= 0};
	/*
	 * Static, not malloc'd: the monitor calling this is a fork of a caller that may have threads, and
	 * an allocator lock another thread held at the fork is never released in the child (seen under ASan).
	 */
	static char buffer[65536];

	while (open_pipes[0] || open_pipes[1]) {
		struct pollfd entries[3] = {{.fd = ended_fd, .events = POLLIN},
		                            {.fd = open_pipes[0] ? out : -1, .events = POLLIN},
		                            {.fd = open_pipes[1] ? err : -1, .events = POLLIN}};
		if (poll(entries, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (int i = 0; i < 2; i++)
			if (open_pipes[i] && entries[i + 1].revents != 0)
				open_pipes[i] = record_once(writer, pipes[i], streams[i], buffer, 65536);
		if (ended_fd >= 0 && entries[0].revents != 0) {
			/* The init is gone, and with it its PID namespace: what the container wrote is in the pipes. */
			for (int i = 0; i < 2; i++) {
				if (!open_pipes[i])
					continue;
				fcntl(pipes[i], F_SETFL, O_NONBLOCK);
				while (record_once(writer, pipes[i], streams[i], buffer, 65536))
					;
			}
			return;
		}
	}
}

static ssize_t read_some(int fd, char *buffer, size_t size)
{
	ssize_t n;

	do
		n = read(fd, buffer, size);
	while (n < 0 && errno == EINTR);
	return n;
}

int cv_log_read_records(int fd, char *carry, size_t *carried, cv_log_entry_fn fn, void *user)
{
	for (;;) {
		ssize_t n = read_some(fd, carry + *carried, CV_LOG_RECORD_MAX - *carried);
		size_t used = *carried, start = 0;

		if (n < 0)
			return cv_error_sys("read the log");
		if (n == 0)
			return 0;
		used += (size_t)n;
		for (;;) {
			char *newline = memchr(carry + start, '\n', used - start);
			struct containerv_log_entry entry;
			if (newline == NULL)
				break;
			size_t line = (size_t)(newline - (carry + start));
			if (cv_log_record_parse(carry + start, line, &entry) == 0) {
				int stop = fn(&entry, user);
				if (stop != 0)
					return stop;
			}
			start += line + 1;
		}
		/* A line longer than any record is not one: dropped, so that a damaged file cannot stall a reader. */
		if (start == 0 && used == CV_LOG_RECORD_MAX)
			start = used;
		memmove(carry, carry + start, used - start);
		*carried = used - start;
	}
}

int cv_log_read_raw(int fd, cv_log_entry_fn fn, void *user)
{
	cleanup_free char *buffer = malloc(65536);

	if (buffer == NULL)
		return cv_error_errno(ENOMEM, "read the log");
	for (;;) {
		ssize_t n = read_some(fd, buffer, 65536);
		const char *data = buffer;
		size_t length = n > 0 ? (size_t)n : 0;

		if (n < 0)
			return cv_error_sys("read the log");
		if (n == 0)
			return 0;
		while (length > 0) {
			const char *newline = memchr(data, '\n', length);
			size_t line = newline ? (size_t)(newline - data) : length;
			struct containerv_log_entry entry = {.stream = CONTAINERV_LOG_STDOUT,
			                                     .partial = newline == NULL,
			                                     .data = data,
			                                     .length = line};
			int stop = fn(&entry, user);
			if (stop != 0)
				return stop;
			line += newline != NULL;
			data += line;
			length -= line;
		}
	}
}
