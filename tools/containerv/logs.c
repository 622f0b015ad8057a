/*
 * logs: the container's log file (containerv_log_path()), which receives
 * the main process's output when it runs detached.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

/* How often -f looks for more output and checks whether the container is still running. */
#define FOLLOW_INTERVAL_MS 200

static bool is_running(struct containerv_container *container)
{
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};

	return containerv_inspect(container, &info) == 0 && info.state == CV_STATE_RUNNING;
}

/* Copies fd from its current offset to the end; -1 when stdout cannot be written. */
static int copy_to_end(int fd)
{
	char buffer[65536];
	ssize_t length;

	while ((length = read(fd, buffer, sizeof buffer)) != 0) {
		if (length < 0) {
			if (errno == EINTR)
				continue;
			return cli_fail(-1, "read log: %s", strerror(errno));
		}
		if (fwrite(buffer, 1, (size_t)length, stdout) != (size_t)length)
			return -1;
	}
	/* Flush each round so that a follower sees lines as they come. */
	return fflush(stdout) == 0 ? 0 : -1;
}

/* The offset where the last lines of the file start (a final newline ends a line, it does not start one). */
static int64_t tail_offset(int fd, int64_t lines)
{
	struct stat info;
	char buffer[8192];
	int64_t position;
	bool skipped_final = false;

	if (fstat(fd, &info) < 0)
		return 0;
	position = info.st_size;
	if (lines == 0)
		return position;
	while (position > 0) {
		int64_t chunk = position < (int64_t)sizeof buffer ? position : (int64_t)sizeof buffer;

		if (pread(fd, buffer, (size_t)chunk, position - chunk) != chunk)
			return 0;
		for (int64_t i = chunk - 1; i >= 0; i--) {
			if (buffer[i] != '\n')
				continue;
			if (!skipped_final && position - chunk + i == info.st_size - 1) {
				skipped_final = true;
				continue;
			}
			if (--lines == 0)
				return position - chunk + i + 1;
		}
		position -= chunk;
	}
	return 0;
}

/* The log's descriptor; -1 when there is no log yet (a container never started), -2 after printing an error. */
static int open_log(struct containerv_container *container)
{
	int fd = open(containerv_log_path(container), O_RDONLY | O_CLOEXEC);

	if (fd >= 0 || errno == ENOENT)
		return fd;
	cli_fail(0, "open log of %s: %s", containerv_name(container), strerror(errno));
	return -2;
}

int logs_copy(struct containerv_container *container, int64_t offset, bool follow)
{
	_cleanup_close_ int fd = open_log(container);

	for (;;) {
		/* Check first, read second: output written before the container ended is then never missed. */
		bool running = follow && is_running(container);
		struct timespec pause = {0, FOLLOW_INTERVAL_MS * 1000000L};

		if (fd == -1)
			fd = open_log(container); /* the log appears at the first start */
		if (fd == -2)
			return -1;
		/*
		 * Ended: its log monitor holds the log flock'ed until it has copied the container's last
		 * output, so wait for that before the last read.
		 */
		if (follow && !running && fd >= 0)
			while (flock(fd, LOCK_SH) < 0 && errno == EINTR)
				;
		if (fd >= 0) {
			if (offset > 0 && lseek(fd, offset, SEEK_SET) >= 0)
				offset = 0;
			if (copy_to_end(fd) < 0)
				return -1;
		}
		if (!running)
			return 0;
		nanosleep(&pause, NULL);
	}
}

int cmd_logs(int argc, char **argv)
{
	static int follow;
	static const char *tail;
	static const struct flag table[] = {
	        {"follow", 'f', FLAG_BOOL, &follow, NULL, "Follow log output until the container stops"},
	        {"tail", 'n', FLAG_STRING, &tail, "string",
	         "Number of lines to show from the end of the logs (or \"all\")"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container", table, false, 1, 1, NULL,
	};
	_cleanup_free_ char **words = NULL;
	_cleanup_container_ struct containerv_container *container = NULL;
	struct arguments positional;
	int64_t lines = -1;
	int64_t offset = 0;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (tail != NULL && strcmp(tail, "all") != 0 && cli_parse_int64(tail, &lines) < 0)
		return cli_fail(EXIT_CLI_ERROR, "invalid --tail \"%s\": expected a number or \"all\"", tail);
	if (cli_open(positional.items[0], &container) < 0)
		return EXIT_CONTAINER_FAILURE;
	if (lines >= 0) {
		_cleanup_close_ int fd = open_log(container);

		if (fd >= 0)
			offset = tail_offset(fd, lines);
	}
	return logs_copy(container, offset, follow) < 0 ? EXIT_CONTAINER_FAILURE : 0;
}
