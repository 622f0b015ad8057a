/*
 * The events journal: one append-only file of JSON lines per state root
 * (<root>/events.log), in docker's events message format, written by the
 * processes that change state (the CLI, a library user, a supervisor), read
 * and followed by containerv_journal_read().
 *
 * Writers take the file's flock for each entry, so that entries never
 * interleave and a rotation (a rename to events.log.1 past
 * CV_JOURNAL_MAX_BYTES) is never raced by a writer still holding the old
 * file: a writer that finds, under the lock, that its descriptor is no longer
 * the path's opens it again. The files are the host's (0600 in the root):
 * nothing inside a container can reach them, so a container cannot forge an
 * event.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <chef/containerv/supervise.h>

#include "common/error.h"
#include "common/util.h"
#include "core/backend.h"
#include "core/context.h"
#include "core/events-journal.h"

/* Opens <root>/events.log for appending, locked, rotated first when it is full. */
static int open_locked(const char *root)
{
	char path[PATH_MAX], rotated[PATH_MAX];

	if (snprintf(path, sizeof path, "%s/" CV_JOURNAL_FILE, root) >= (int)sizeof path ||
	    snprintf(rotated, sizeof rotated, "%s/" CV_JOURNAL_ROTATED, root) >= (int)sizeof rotated)
		return cv_error_errno(ENAMETOOLONG, "events journal: root path too long");
	for (int attempt = 0; attempt < 8; attempt++) {
		struct stat held, named;
		int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return cv_error_sys("open %s", path);
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				close(fd);
				return cv_error_sys("lock %s", path);
			}
		}
		/* Rotated (or removed) while we waited for the lock: the path is another file now. */
		if (fstat(fd, &held) < 0 || stat(path, &named) < 0 || held.st_ino != named.st_ino ||
		    held.st_dev != named.st_dev) {
			close(fd);
			continue;
		}
		if (held.st_size < CV_JOURNAL_MAX_BYTES)
			return fd;
		if (rename(path, rotated) < 0) {
			close(fd);
			return cv_error_sys("rotate %s", path);
		}
		close(fd);
	}
	return cv_error_errno(EAGAIN, "events journal %s: rotated under us too often", path);
}

static json_t *attributes_to_json(const char *const *attributes)
{
	json_t *object = json_object();

	for (size_t i = 0; attributes != NULL && attributes[i] != NULL; i++) {
		const char *equals = strchr(attributes[i], '=');
		if (equals == NULL)
			continue;
		cleanup_free char *key = strndup(attributes[i], (size_t)(equals - attributes[i]));
		if (key != NULL)
			json_object_set_new(object, key, json_string(equals + 1));
	}
	return object;
}

static int append(const char *root, const char *type, const char *action, const char *id, const char *const *attributes)
{
	int64_t now = cv_now_ns();
	json_t *actor_attributes = attributes_to_json(attributes);
	const char *image = json_string_value(json_object_get(actor_attributes, "image"));
	json_t *entry = json_pack("{s:s,s:s,s:{s:s,s:o},s:s,s:I,s:I}", "Type", type, "Action", action, "Actor", "ID",
	                          id, "Attributes", actor_attributes, "scope", "local", "time",
	                          (json_int_t)(now / 1000000000), "timeNano", (json_int_t)now);
	cleanup_free char *text = NULL, *line = NULL;
	int fd, ret = 0;

	if (entry == NULL)
		return cv_error_errno(ENOMEM, "events journal: cannot encode");
	/* docker's older fields, which `{{.Status}}`, `{{.ID}}` and `{{.From}}` templates read. */
	if (strcmp(type, "container") == 0) {
		json_object_set_new(entry, "status", json_string(action));
		json_object_set_new(entry, "id", json_string(id));
		if (image != NULL)
			json_object_set_new(entry, "from", json_string(image));
	}
	text = json_dumps(entry, JSON_COMPACT);
	json_decref(entry);
	if (text == NULL || cv_asprintf(&line, "%s\n", text) < 0)
		return cv_error_errno(ENOMEM, "events journal: cannot encode");
	fd = open_locked(root);
	if (fd < 0)
		return -1;
	/* A writer killed mid-line left no newline: end its torn line, so that only it is lost. */
	struct stat st;
	char last = '\n';
	if (fstat(fd, &st) == 0 && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) < 0)
		last = '\n';
	if (last != '\n' && cv_write_all(fd, "\n", 1) < 0)
		ret = cv_error_sys("write the events journal");
	if (ret == 0 && cv_write_all(fd, line, strlen(line)) < 0)
		ret = cv_error_sys("write the events journal");
	close(fd); /* drops the lock */
	return ret;
}

int containerv_journal_append(struct containerv_context *context, const char *type, const char *action, const char *id,
                              const char *const *attributes)
{
	cv_error_clear();
	if (type == NULL || action == NULL || id == NULL || type[0] == '\0' || action[0] == '\0')
		return cv_error_errno(EINVAL, "events journal: type, action and id are required");
	return append(cv_context_root(cv_context_or_current(context)), type, action, id, attributes);
}

static void journal_one(struct containerv_container *c, const char *action, const char *const *extra);

/* docker's volume mount (before the container's start) and unmount (after its death), one per volume. */
static void journal_volumes(struct containerv_container *c, const char *action)
{
	for (size_t i = 0; i < c->config.mount_count; i++) {
		const struct cv_mount *mount = &c->config.mounts[i];
		cleanup_free char *container = NULL, *destination = NULL;
		if (mount->type != CV_MOUNT_TYPE_VOLUME || mount->source == NULL)
			continue;
		if (cv_asprintf(&container, "container=%s", c->id) < 0 ||
		    cv_asprintf(&destination, "destination=%s", mount->target) < 0)
			continue;
		const char *read_write = (mount->flags & CV_MOUNT_READONLY) ? "read/write=false" : "read/write=true";
		const char *mounted[] = {container, destination, "driver=local", read_write, NULL};
		const char *unmounted[] = {container, "driver=local", NULL};
		cv_journal_note("volume", action, mount->source, strcmp(action, "mount") == 0 ? mounted : unmounted);
	}
}

void cv_journal_exec(struct containerv_container *c, const char *action, const char *exec_id, int exit_code)
{
	char id[80], code[32];
	const char *extra[] = {id, code, NULL};

	snprintf(id, sizeof id, "execID=%s", exec_id);
	snprintf(code, sizeof code, "exitCode=%d", exit_code);
	if (strcmp(action, "exec_die") != 0)
		extra[1] = NULL;
	cv_journal_container(c, action, extra);
}

/*
 * The labels an event carries, in bytes: an image's labels are its author's and may fill its 8 MiB config;
 * each event (a health check that flips every millisecond makes one each time) would otherwise write them
 * all again, the host's disk and CPU spent outside the container's limits. Past the budget, labels are left
 * out of the event (a label longer than a fifth of it always is); name and image are always there.
 */
#define JOURNAL_LABELS_MAX_BYTES 16384

void cv_journal_container(struct containerv_container *c, const char *action, const char *const *extra)
{
	if (strcmp(action, "start") == 0)
		journal_volumes(c, "mount");
	journal_one(c, action, extra);
	if (strcmp(action, "die") == 0)
		journal_volumes(c, "unmount");
}

static void journal_one(struct containerv_container *c, const char *action, const char *const *extra)
{
	cleanup_strv char **attributes = NULL;
	cleanup_free char *name = NULL, *image = NULL;
	struct cv_error_saved saved;
	size_t budget = JOURNAL_LABELS_MAX_BYTES;

	cv_error_save(&saved);
	/* Labels first: name and image, as docker's, win over a label of that key. */
	for (size_t i = 0; c->config.labels != NULL && c->config.labels[i] != NULL; i++) {
		size_t length = strlen(c->config.labels[i]);
		if (length > JOURNAL_LABELS_MAX_BYTES / 5 || length > budget)
			continue;
		budget -= length;
		cv_strv_append(&attributes, c->config.labels[i]);
	}
	if (cv_asprintf(&name, "name=%s", containerv_name(c)) == 0)
		cv_strv_append(&attributes, name);
	if (c->config.image != NULL && cv_asprintf(&image, "image=%s", c->config.image) == 0)
		cv_strv_append(&attributes, image);
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		cv_strv_append(&attributes, extra[i]);
	if (append(cv_context_root(c->context), "container", action, c->id, (const char *const *)attributes) < 0)
		cv_log(CONTAINERV_LOG_WARNING, "%s", containerv_last_error());
	cv_error_restore(&saved);
}

/* ---- reading ---- */

struct reader {
	int64_t since_ns, until_ns;
	int (*callback)(const struct containerv_journal_event *event, void *user);
	void *user;
	char *pending; /* a line not ended yet */
	size_t pending_length;
};

static int deliver_line(struct reader *r, const char *line)
{
	json_t *entry = json_loads(line, 0, NULL);
	json_t *attributes;
	const char *key;
	json_t *value;
	cleanup_strv char **pairs = NULL;
	int ret = 0;

	if (!json_is_object(entry)) {
		json_decref(entry);
		return 0; /* a torn line (a writer killed mid-write): skipped */
	}
	struct containerv_journal_event event = {
	        .version = CONTAINERV_JOURNAL_EVENT_VERSION,
	        .type = json_string_value(json_object_get(entry, "Type")),
	        .action = json_string_value(json_object_get(entry, "Action")),
	        .id = json_string_value(json_object_get(json_object_get(entry, "Actor"), "ID")),
	        .time_ns = (int64_t)json_integer_value(json_object_get(entry, "timeNano")),
	        .json = line,
	};
	attributes = json_object_get(json_object_get(entry, "Actor"), "Attributes");
	json_object_foreach(attributes, key, value)
	{
		cleanup_free char *pair = NULL;
		if (json_is_string(value) && cv_asprintf(&pair, "%s=%s", key, json_string_value(value)) == 0)
			cv_strv_append(&pairs, pair);
	}
	event.attributes = (const char *const *)(pairs != NULL ? pairs : (char *[]){NULL});
	if (event.type != NULL && event.action != NULL && event.id != NULL &&
	    (r->since_ns == 0 || event.time_ns >= r->since_ns) && (r->until_ns == 0 || event.time_ns <= r->until_ns))
		ret = r->callback(&event, r->user);
	json_decref(entry);
	return ret;
}

/* Feeds bytes read from the journal: each complete line is delivered. */
static int feed(struct reader *r, const char *bytes, size_t length)
{
	char *grown = realloc(r->pending, r->pending_length + length + 1);

	if (grown == NULL)
		return cv_error_errno(ENOMEM, "events journal: out of memory");
	r->pending = grown;
	memcpy(r->pending + r->pending_length, bytes, length);
	r->pending_length += length;
	r->pending[r->pending_length] = '\0';
	char *start = r->pending, *newline;
	while ((newline = memchr(start, '\n', r->pending_length - (size_t)(start - r->pending))) != NULL) {
		*newline = '\0';
		int ret = deliver_line(r, start);
		start = newline + 1;
		if (ret != 0) {
			r->pending_length = 0;
			return ret;
		}
	}
	r->pending_length -= (size_t)(start - r->pending);
	memmove(r->pending, start, r->pending_length);
	return 0;
}

/* Reads what fd has from where it is to its end. */
static int drain(struct reader *r, int fd)
{
	char buffer[16384];

	for (;;) {
		ssize_t n = read(fd, buffer, sizeof buffer);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cv_error_sys("read the events journal");
		if (n == 0)
			return 0;
		int ret = feed(r, buffer, (size_t)n);
		if (ret != 0)
			return ret;
	}
}

/* The path is no longer the file fd reads (rotated): the reader moves on to the new one. */
static bool rotated_away(int fd, const char *path)
{
	struct stat held, named;

	if (fstat(fd, &held) < 0)
		return true;
	if (stat(path, &named) < 0)
		return false; /* not made again yet */
	return held.st_ino != named.st_ino || held.st_dev != named.st_dev;
}

static int follow(struct reader *r, const char *root, const char *path, int fd)
{
	containerv_fd_t watched;
	cleanup_close int current = fd;

	if (cv_backend()->dir_watch_open(root, &watched) < 0)
		return -1;
	cleanup_close int watch = (int)watched;
	for (;;) {
		int ret = drain(r, current);
		if (ret != 0)
			return ret;
		if (rotated_away(current, path)) {
			close(current);
			r->pending_length = 0;
			current = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (current < 0 && errno != ENOENT)
				return cv_error_sys("open %s", path);
			if (current < 0)
				current = open("/dev/null", O_RDONLY | O_CLOEXEC);
			continue;
		}
		int timeout = -1;
		if (r->until_ns != 0) {
			int64_t left = r->until_ns - cv_now_ns();
			if (left <= 0)
				return 0;
			timeout = (int)(left / 1000000 + 1);
		}
		/* A second's wake-up at most: a rotation between our drain and our poll is seen then. */
		if (timeout < 0 || timeout > 1000)
			timeout = 1000;
		struct pollfd ready = {.fd = watch, .events = POLLIN};
		if (poll(&ready, 1, timeout) < 0 && errno != EINTR)
			return cv_error_sys("wait for events");
		char discard[4096];
		while (read(watch, discard, sizeof discard) > 0)
			;
	}
}

int containerv_journal_read(struct containerv_context *context, int64_t since_ns, int64_t until_ns, int follow_new,
                            int (*callback)(const struct containerv_journal_event *event, void *user), void *user)
{
	struct reader r = {.since_ns = since_ns, .until_ns = until_ns, .callback = callback, .user = user};
	const char *root;
	char path[PATH_MAX], rotated[PATH_MAX];
	int ret = 0;

	cv_error_clear();
	if (callback == NULL)
		return cv_error_errno(EINVAL, "events: no callback");
	root = cv_context_root(cv_context_or_current(context));
	if (snprintf(path, sizeof path, "%s/" CV_JOURNAL_FILE, root) >= (int)sizeof path ||
	    snprintf(rotated, sizeof rotated, "%s/" CV_JOURNAL_ROTATED, root) >= (int)sizeof rotated)
		return cv_error_errno(ENAMETOOLONG, "events journal: root path too long");
	/* Open the current one first: a rotation in between then shows its entries in the rotated file. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno != ENOENT)
		return cv_error_sys("open %s", path);
	if (fd >= 0 && rotated_away(fd, path)) {
		/* Rotated between the two opens: the rotated file is what we hold. */
		close(fd);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	int old = open(rotated, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (old >= 0) {
		ret = drain(&r, old);
		close(old);
		r.pending_length = 0;
	}
	if (ret == 0 && !follow_new && fd >= 0)
		ret = drain(&r, fd);
	if (ret == 0 && follow_new) {
		if (fd < 0)
			fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		ret = follow(&r, root, path, fd);
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
	free(r.pending);
	return ret;
}
