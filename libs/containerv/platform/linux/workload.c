/*
 * The workload of a held container (containerv_start_workload, pool.h): what a pool's take binds at the
 * release. The releaser's half builds one message (workload.h) and sends it with the stdio descriptors
 * over the release connection; the init's half checks it and points its plan into a static buffer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chef/containerv/pool.h>

#include "common/error.h"
#include "common/util.h"
#include "image/image-options.h"
#include "platform/linux/container-private.h"
#include "platform/linux/init-plan.h"
#include "platform/linux/workload.h"

/* ---- The init's half: no allocation (init-plan.h) ---- */

static char received_message[CV_WORKLOAD_MAX];
static char *received_words[CV_WORKLOAD_WORDS_MAX + 2]; /* argv, NULL, env, NULL */
static int received_stdio[3] = {-1, -1, -1};

/* The next NUL-terminated string at *offset of a message of size bytes; NULL when none fits. */
static char *next_string(size_t *offset, size_t size)
{
	char *start = received_message + *offset;
	char *end;

	if (*offset >= size || (end = memchr(start, '\0', size - *offset)) == NULL)
		return NULL;
	*offset += (size_t)(end - start) + 1;
	return start;
}

static int malformed(const int *fds, size_t count)
{
	for (size_t i = 0; i < count; i++)
		close(fds[i]);
	return cv_error_errno(EPROTO, "malformed workload at the release");
}

int cv_workload_receive(struct cv_init_plan *plan, const int *fds, size_t count)
{
	struct cv_workload_header header;
	size_t offset = sizeof header, used = 0, expected_fds = 0;
	ssize_t n;
	char *workdir = NULL;

	struct iovec iov = {.iov_base = received_message, .iov_len = sizeof received_message};
	struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
	n = cv_sync_recvmsg(plan->sync_fd, &message, MSG_TRUNC);
	if (n < (ssize_t)sizeof header || (size_t)n > sizeof received_message)
		return malformed(fds, count);
	memcpy(&header, received_message, sizeof header);
	for (int i = 0; i < 3; i++)
		expected_fds += (header.stdio_mask >> i) & 1;
	if (header.size != (uint32_t)n || expected_fds != count || header.stdio_mask > 7 ||
	    header.argc > CV_WORKLOAD_WORDS_MAX || header.envc > CV_WORKLOAD_WORDS_MAX - header.argc ||
	    ((header.flags & CV_WORKLOAD_ARGV) && header.argc == 0))
		return malformed(fds, count);
	if ((header.flags & CV_WORKLOAD_WORKDIR) &&
	    ((workdir = next_string(&offset, (size_t)n)) == NULL || workdir[0] != '/'))
		return malformed(fds, count);
	for (uint32_t i = 0; i < header.argc + header.envc; i++) {
		received_words[used] = next_string(&offset, (size_t)n);
		if (received_words[used++] == NULL)
			return malformed(fds, count);
		if (i + 1 == header.argc)
			received_words[used++] = NULL;
	}
	received_words[used] = NULL;
	if (offset != (size_t)n)
		return malformed(fds, count);

	/* Checked whole: now bind it. */
	if (header.flags & CV_WORKLOAD_ARGV)
		plan->argv = received_words;
	if (header.flags & CV_WORKLOAD_ENV)
		plan->env = received_words + (header.argc > 0 ? header.argc + 1 : 0);
	if (workdir != NULL)
		plan->workdir = workdir;
	if (header.flags & CV_WORKLOAD_USER) {
		plan->uid = (uid_t)header.uid;
		plan->gid = (gid_t)header.gid;
	}
	size_t next = 0;
	for (int i = 0; i < 3; i++) {
		received_stdio[i] = (header.stdio_mask >> i) & 1 ? fds[next++] : -1;
		plan->stdio[i] = received_stdio[i];
	}
	return 0;
}

void cv_workload_close_stdio(void)
{
	for (int i = 0; i < 3; i++) {
		if (received_stdio[i] >= 0)
			close(received_stdio[i]);
		received_stdio[i] = -1;
	}
}

/* ---- The releaser's half ---- */

int cv_release_send_payload(int fd, const struct cv_release_payload *payload)
{
	if (cv_sync_send(fd, CV_RELEASE_WORKLOAD, payload->fds, payload->fd_count) < 0)
		return -1;
	while (send(fd, payload->data, payload->size, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* A growing message; on overflow E2BIG (set once, checked at the end). */
struct message_builder {
	char *data;
	size_t size;
	bool overflow;
};

static void add_string(struct message_builder *b, const char *text)
{
	size_t length = strlen(text) + 1;

	if (b->overflow || b->size + length > CV_WORKLOAD_MAX) {
		b->overflow = true;
		return;
	}
	memcpy(b->data + b->size, text, length);
	b->size += length;
}

static size_t key_length(const char *entry)
{
	const char *equals = strchr(entry, '=');

	return equals != NULL ? (size_t)(equals - entry) : strlen(entry);
}

/* An entry of the container's environment that the workload's does not replace. */
static bool env_kept(const char *entry, const char *const *overrides)
{
	size_t length = key_length(entry);

	for (size_t i = 0; overrides != NULL && overrides[i] != NULL; i++) {
		if (key_length(overrides[i]) == length && strncmp(entry, overrides[i], length) == 0)
			return false;
	}
	return true;
}

static size_t count_words(const char *const *words)
{
	size_t n = 0;

	while (words != NULL && words[n] != NULL)
		n++;
	return n;
}

/*
 * The message: working directory, command (the image's entrypoint first, as docker run's), environment
 * (the container's with the workload's keys replaced or added).
 */
static int build_message(const struct containerv_container *c, const struct containerv_workload *w,
                         struct message_builder *b, struct cv_workload_header *header)
{
	const char *const *entrypoint = (const char *const *)c->config.image_entrypoint;

	memset(header, 0, sizeof *header);
	b->size = sizeof *header;
	if (w->workdir != NULL) {
		if (w->workdir[0] != '/')
			return cv_error_errno(EINVAL, "workload of %s: the working directory %s is not absolute",
			                      containerv_name(c), w->workdir);
		header->flags |= CV_WORKLOAD_WORKDIR;
		add_string(b, w->workdir);
	}
	if (w->argv != NULL && w->argv[0] != NULL) {
		header->flags |= CV_WORKLOAD_ARGV;
		header->argc = (uint32_t)(count_words(entrypoint) + count_words(w->argv));
		for (size_t i = 0; entrypoint != NULL && entrypoint[i] != NULL; i++)
			add_string(b, entrypoint[i]);
		for (size_t i = 0; w->argv[i] != NULL; i++)
			add_string(b, w->argv[i]);
	}
	if (w->env != NULL && w->env[0] != NULL) {
		header->flags |= CV_WORKLOAD_ENV;
		for (size_t i = 0; c->config.env != NULL && c->config.env[i] != NULL; i++) {
			if (env_kept(c->config.env[i], w->env)) {
				add_string(b, c->config.env[i]);
				header->envc++;
			}
		}
		for (size_t i = 0; w->env[i] != NULL; i++) {
			if (strchr(w->env[i], '=') == NULL)
				return cv_error_errno(EINVAL, "workload of %s: %s is not KEY=VALUE", containerv_name(c),
				                      w->env[i]);
			add_string(b, w->env[i]);
			header->envc++;
		}
	}
	if (w->user_set) {
		header->flags |= CV_WORKLOAD_USER;
		header->uid = (uint32_t)w->uid;
		header->gid = (uint32_t)w->gid;
	}
	if (b->overflow || header->argc + header->envc > CV_WORKLOAD_WORDS_MAX)
		return cv_error_errno(E2BIG, "workload of %s: larger than %d KiB or %d words", containerv_name(c),
		                      CV_WORKLOAD_MAX / 1024, CV_WORKLOAD_WORDS_MAX);
	header->size = (uint32_t)b->size;
	memcpy(b->data, header, sizeof *header);
	return 0;
}

/* The stdio to send (container ends) and to keep (the caller's ends of pipes), as a start makes them. */
struct workload_stdio {
	int send[3];
	size_t count;
	uint32_t mask;
	int host_ends[3];
	int container_ends[3]; /* pipes' ends we made: closed once sent */
};

static void workload_stdio_close(struct workload_stdio *io, bool host_too)
{
	for (int i = 0; i < 3; i++) {
		if (io->container_ends[i] >= 0)
			close(io->container_ends[i]);
		if (host_too && io->host_ends[i] >= 0)
			close(io->host_ends[i]);
		io->container_ends[i] = -1;
		if (host_too)
			io->host_ends[i] = -1;
	}
}

static int prepare_stdio(const struct containerv_workload *w, struct workload_stdio *io)
{
	int pipe_fds[2];

	for (int i = 0; i < 3; i++)
		io->host_ends[i] = io->container_ends[i] = -1;
	io->count = 0;
	io->mask = 0;
	if (!w->stdio_set)
		return 0;
	for (int i = 0; i < 3; i++) {
		int value = (int)w->stdio[i], container_end;
		if (value == CONTAINERV_STDIO_NULL)
			continue;
		if (value == CONTAINERV_STDIO_STDOUT) {
			if (i != 2 || !(io->mask & 2))
				return cv_error_errno(EINVAL,
				                      "workload: CONTAINERV_STDIO_STDOUT is for stderr after stdout");
			container_end = io->send[io->count - 1];
		} else if (value == CONTAINERV_STDIO_PIPE) {
			if (pipe2(pipe_fds, O_CLOEXEC) < 0)
				return cv_error_sys("workload: pipe");
			io->container_ends[i] = pipe_fds[i == 0 ? 0 : 1];
			io->host_ends[i] = pipe_fds[i == 0 ? 1 : 0];
			container_end = io->container_ends[i];
		} else if (value >= 0) {
			container_end = value;
		} else {
			return cv_error_errno(EINVAL, "workload: stdio %d is not a descriptor", value);
		}
		io->send[io->count++] = container_end;
		io->mask |= 1u << i;
	}
	return 0;
}

/* count packed NUL-terminated strings as a new vector; *cursor moves past them. NULL when out of memory. */
static char **unpack_words(const char **cursor, uint32_t count)
{
	char **words = calloc((size_t)count + 1, sizeof *words);

	for (uint32_t i = 0; words != NULL && i < count; i++) {
		words[i] = strdup(*cursor);
		if (words[i] == NULL) {
			cv_strv_free(words);
			return NULL;
		}
		*cursor += strlen(*cursor) + 1;
	}
	return words;
}

/* The container's config now says what runs (inspect, exec's environment): argv, env, workdir, user. */
static int record_workload(struct containerv_container *c, const struct containerv_workload *w,
                           const struct cv_workload_header *header, const char *strings)
{
	const char *cursor = strings;
	char **argv = NULL, **env = NULL, *workdir = NULL;

	if (header->flags & CV_WORKLOAD_WORKDIR) {
		workdir = strdup(cursor);
		cursor += strlen(cursor) + 1;
	}
	if (header->argc > 0)
		argv = unpack_words(&cursor, header->argc);
	if (header->envc > 0)
		env = unpack_words(&cursor, header->envc);
	if ((workdir == NULL && (header->flags & CV_WORKLOAD_WORKDIR)) || (argv == NULL && header->argc > 0) ||
	    (env == NULL && header->envc > 0)) {
		free(workdir);
		cv_strv_free(argv);
		cv_strv_free(env);
		return cv_error_errno(ENOMEM, "record the workload of %s", containerv_name(c));
	}
	if (workdir != NULL) {
		free(c->config.workdir);
		c->config.workdir = workdir;
	}
	if (argv != NULL) {
		cv_strv_free(c->config.argv);
		c->config.argv = argv;
	}
	if (env != NULL) {
		cv_strv_free(c->config.env);
		c->config.env = env;
	}
	if (w->user_set) {
		c->config.uid = (uid_t)w->uid;
		c->config.gid = (gid_t)w->gid;
		c->config.user_set = true;
	}
	return cv_container_write_config(c);
}

/* A user given by name (docker's -u): resolved in the container's layers, as create resolves its own. */
static int resolve_user(const struct containerv_container *c, struct containerv_workload *w)
{
	uid_t uid;
	gid_t gid;

	if (w->user == NULL)
		return 0;
	if (cv_image_parse_user(c->config.layers, w->user, &uid, &gid) < 0)
		return cv_error_prefix("workload of %s", containerv_name(c));
	w->user_set = 1;
	w->uid = (containerv_uid_t)uid;
	w->gid = (containerv_gid_t)gid;
	return 0;
}

/* Locked and held: sends the workload, records the start (or the failure, as a start does). */
static int release_with_workload(struct containerv_container *c, const struct containerv_workload *given)
{
	struct containerv_workload resolved = *given, *w = &resolved;

	cleanup_free char *data = malloc(CV_WORKLOAD_MAX);
	struct message_builder builder = {.data = data};
	struct cv_workload_header header;
	struct workload_stdio io;
	bool exec_failed;
	int ret;

	if (data == NULL)
		return cv_error_errno(ENOMEM, "workload of %s", containerv_name(c));
	if (c->config.tty)
		return cv_error_errno(EINVAL, "container %s has a terminal: a workload cannot be bound to it",
		                      containerv_name(c));
	if (resolve_user(c, w) < 0 || build_message(c, w, &builder, &header) < 0)
		return -1;
	if (prepare_stdio(w, &io) < 0) {
		workload_stdio_close(&io, true);
		return -1;
	}
	header.stdio_mask = io.mask;
	memcpy(data, &header, sizeof header);
	struct cv_release_payload payload = {data, builder.size, io.send, io.count};
	ret = cv_runtime_release(c, &payload, &exec_failed);
	workload_stdio_close(&io, ret < 0);
	if (ret < 0) {
		/* Nobody waiting (ESRCH): not ours to start the template's command instead; the caller takes another.
		 */
		if (errno != ESRCH)
			cv_release_failed(c, exec_failed);
		if (!exec_failed && (errno == ENOENT || errno == EACCES))
			errno = EIO;
		return -1;
	}
	if (c->platform->have_stdio_host)
		for (int i = 0; i < 3; i++)
			if (c->platform->stdio_host[i] >= 0)
				close(c->platform->stdio_host[i]);
	memcpy(c->platform->stdio_host, io.host_ends, sizeof io.host_ends);
	c->platform->have_stdio_host = true;
	c->state.status = CV_STATE_RUNNING;
	c->state.started_ns = cv_now_ns();
	/* The command runs already: a failure to record it is reported, the container stays running. */
	if (cv_state_save(c) < 0)
		return -1;
	return record_workload(c, w, &header, data + sizeof header);
}

int containerv_start_workload(struct containerv_container *container, const struct containerv_workload *workload)
{
	int ret;

	cv_error_clear();
	if (container == NULL || workload == NULL || workload->version != CONTAINERV_WORKLOAD_VERSION)
		return cv_error_errno(EINVAL, "start a workload: no container, no workload or an unknown version");
	if (cv_state_lock(container) < 0)
		return cv_error_prefix("start %s", containerv_name(container));
	cv_state_refresh(container);
	if (container->state.status != CV_STATE_HELD) {
		cv_state_unlock(container);
		return cv_error_errno(EINVAL, "start %s: a workload is bound only to a held container (it is %s)",
		                      containerv_name(container), containerv_state_name(container->state.status));
	}
	ret = release_with_workload(container, workload);
	cv_state_unlock(container);
	if (ret < 0)
		return cv_error_prefix("start %s", containerv_name(container));
	return 0;
}
