/*
 * containerv_logs_read(): a container's log, across its rotated files, with
 * docker's filters (since, until, tail) and follow. Built on the public
 * handle only (containerv_log_path, containerv_inspect), so it does not
 * depend on the platform: the files and their format are the same
 * everywhere (log-file.h).
 *
 * tail reads twice: once to count the lines that pass the time filters,
 * once to hand over the last N. The log is bounded (max_size * max_files),
 * and reading it backwards across files and partial records is not worth
 * its complexity.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <chef/containerv/container.h>

#include "common/error.h"
#include "common/log-file.h"
#include "common/log-record.h"
#include "common/util.h"

/* How often a follower looks for more output and whether the container still runs. */
#define FOLLOW_INTERVAL_MS 200

struct read_state {
	const struct containerv_logs_options *options;
	containerv_log_callback callback;
	void *user;
	bool counting;      /* the first pass of tail: count lines, hand over nothing */
	int64_t lines;      /* lines counted */
	int64_t skip_lines; /* the second pass: lines to pass over before the tail */
};

/* The current file while following: read to its end, then the file that replaced it. */
struct follow_cursor {
	int fd;
	ino_t inode;
	size_t carried;
	char *carry;
};

static int filter_entry(const struct containerv_log_entry *entry, void *user)
{
	struct read_state *state = user;
	const struct containerv_logs_options *options = state->options;

	if ((options->since_ns != 0 && entry->time_ns < options->since_ns) ||
	    (options->until_ns != 0 && entry->time_ns >= options->until_ns))
		return 0;
	if (state->counting) {
		state->lines += !entry->partial;
		return 0;
	}
	if (state->skip_lines > 0) {
		state->skip_lines -= !entry->partial;
		return 0;
	}
	return state->callback(entry, state->user);
}

/* <container>/logs from the log's path, and the log of the old format beside it, <container>/container.log. */
static int log_paths(struct containerv_container *container, char *dir, char *legacy)
{
	const char *path = containerv_log_path(container);
	const char *slash = strrchr(path, '/');

	if (slash == NULL || (size_t)(slash - path) >= PATH_MAX)
		return cv_error_errno(EINVAL, "log path %s", path);
	snprintf(dir, PATH_MAX, "%.*s", (int)(slash - path), path);
	const char *parent = strrchr(dir, '/');
	snprintf(legacy, PATH_MAX, "%.*s/container.log", parent ? (int)(parent - dir) : 0, dir);
	return 0;
}

/*
 * Opens the log's files newest first: the current file, then .1, .2 ... A rotation in between
 * may make one file appear twice (as the current file and as .1): the same inode is kept once.
 */
static size_t open_files(int dirfd, int *fds, ino_t *inodes)
{
	size_t count = 0;

	for (unsigned int i = 0; i < CV_LOG_MAX_FILES_LIMIT; i++) {
		char name[sizeof CV_LOG_FILE + 8];
		struct stat st;
		if (i == 0)
			snprintf(name, sizeof name, "%s", CV_LOG_FILE);
		else
			snprintf(name, sizeof name, "%s.%u", CV_LOG_FILE, i);
		int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (i == 0)
				continue; /* not written yet; older ones may be there all the same */
			break;
		}
		bool seen = fstat(fd, &st) < 0 || !S_ISREG(st.st_mode);
		for (size_t k = 0; k < count && !seen; k++)
			seen = inodes[k] == st.st_ino;
		if (seen) {
			close(fd);
			continue;
		}
		inodes[count] = st.st_ino;
		fds[count++] = fd;
	}
	return count;
}

/*
 * One pass over the whole log, oldest first. The current file (if any) is left open in the
 * cursor at its end, for a follower.
 */
static int read_all(const char *dir, const char *legacy, struct read_state *state, struct follow_cursor *cursor)
{
	int fds[CV_LOG_MAX_FILES_LIMIT];
	ino_t inodes[CV_LOG_MAX_FILES_LIMIT];
	cleanup_close int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int legacy_fd = open(legacy, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	size_t count = 0;
	int ret = 0;
	bool current_open = false;

	if (legacy_fd >= 0)
		ret = cv_log_read_raw(legacy_fd, filter_entry, state);
	if (dirfd < 0)
		return ret; /* never started, or started before logs/ existed */
	count = open_files(dirfd, fds, inodes);
	struct stat current;
	current_open = fstatat(dirfd, CV_LOG_FILE, &current, AT_SYMLINK_NOFOLLOW) == 0 && count > 0 &&
	               inodes[0] == current.st_ino;
	for (size_t i = count; i-- > 0;) {
		bool keep = i == 0 && current_open;
		cursor->carried = 0;
		if (ret == 0)
			ret = cv_log_read_records(fds[i], cursor->carry, &cursor->carried, filter_entry, state);
		if (keep) {
			cursor->fd = fds[i];
			cursor->inode = inodes[i];
		} else {
			close(fds[i]);
		}
	}
	return ret;
}

/* More of the current file; when it was rotated away, the rest of it and then the new one. */
static int follow_once(const char *dir, struct read_state *state, struct follow_cursor *cursor)
{
	char path[PATH_MAX + sizeof CV_LOG_FILE + 1];
	struct stat named, held;

	snprintf(path, sizeof path, "%s/%s", dir, CV_LOG_FILE);
	for (;;) {
		if (cursor->fd >= 0) {
			/* Emptied in place (one file only): from its start again. */
			if (fstat(cursor->fd, &held) == 0 && held.st_size < lseek(cursor->fd, 0, SEEK_CUR)) {
				lseek(cursor->fd, 0, SEEK_SET);
				cursor->carried = 0;
			}
			int ret = cv_log_read_records(cursor->fd, cursor->carry, &cursor->carried, filter_entry, state);
			if (ret != 0)
				return ret;
		}
		if (stat(path, &named) < 0 || (cursor->fd >= 0 && named.st_ino == cursor->inode))
			return 0;
		/* Rotated (or first written): what the old file got before is read; now the new one. */
		if (cursor->fd >= 0)
			close(cursor->fd);
		cursor->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		cursor->carried = 0;
		if (cursor->fd < 0 || fstat(cursor->fd, &held) < 0)
			return 0;
		cursor->inode = held.st_ino;
	}
}

static bool is_running(struct containerv_container *container)
{
	struct containerv_info *info = calloc(1, sizeof *info);
	bool running;

	if (info == NULL)
		return false;
	info->version = CONTAINERV_INFO_VERSION;
	running = containerv_inspect(container, info) == 0 && info->state == CV_STATE_RUNNING;
	free(info);
	return running;
}

void cv_log_wait_writer(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return; /* no log: nothing of this container was ever logged */
	while (flock(fd, LOCK_SH) < 0 && errno == EINTR)
		;
	close(fd);
}

static int follow(struct containerv_container *container, const char *dir, struct read_state *state,
                  struct follow_cursor *cursor)
{
	for (;;) {
		/* Check first, read second: output written before the container ended is then never missed. */
		bool running = is_running(container);
		struct timespec pause = {0, FOLLOW_INTERVAL_MS * 1000000L};

		/* Ended: its monitor holds the log's directory flock'ed until it has written the last output. */
		if (!running)
			cv_log_wait_writer(dir);
		int ret = follow_once(dir, state, cursor);
		if (ret != 0 || !running)
			return ret;
		if (state->options->until_ns != 0 && cv_now_ns() >= state->options->until_ns)
			return 0;
		nanosleep(&pause, NULL);
	}
}

int containerv_logs_read(struct containerv_container *container, const struct containerv_logs_options *options,
                         containerv_log_callback callback, void *user)
{
	char dir[PATH_MAX], legacy[PATH_MAX];
	struct read_state state = {.options = options, .callback = callback, .user = user};
	struct follow_cursor cursor = {.fd = -1};
	int ret;

	cv_error_clear();
	if (container == NULL || options == NULL || callback == NULL)
		return cv_error_errno(EINVAL, "logs: missing argument");
	if (options->version != CONTAINERV_LOGS_OPTIONS_VERSION || options->tail < -1)
		return cv_error_errno(EINVAL, "logs: bad options");
	if (log_paths(container, dir, legacy) < 0)
		return -1;
	cursor.carry = malloc(CV_LOG_RECORD_MAX);
	if (cursor.carry == NULL)
		return cv_error_errno(ENOMEM, "logs of %s", containerv_name(container));
	if (options->tail >= 0) {
		state.counting = true;
		ret = read_all(dir, legacy, &state, &cursor);
		if (cursor.fd >= 0)
			close(cursor.fd);
		cursor.fd = -1;
		state.counting = false;
		state.skip_lines = state.lines > options->tail ? state.lines - options->tail : 0;
		if (ret != 0)
			goto done;
	}
	ret = read_all(dir, legacy, &state, &cursor);
	if (ret == 0 && options->follow)
		ret = follow(container, dir, &state, &cursor);
done:
	if (cursor.fd >= 0)
		close(cursor.fd);
	free(cursor.carry);
	if (ret < 0)
		cv_error_prefix("logs of %s", containerv_name(container));
	return ret;
}
