/*
 * The pool keeper (containerv_pool_keeper_run): refills a pool by its policy with a few worker threads
 * (config.concurrency: namespace creation and overlay mounts serialize in the kernel, more do not go
 * faster), removes the ended containers it was given, shrinks an idle pool. A take never waits for it:
 * it claims a ready entry by itself (pool.c), and the keeper runs at nice 10 so that on a busy machine
 * the takes' workloads get the CPU before the refill.
 *
 * Killed at any point it leaves a state the next keeper converges from: its first round removes every
 * held container of the pool that is not ready (half-made, or claimed by a take that died before its
 * release) and every ready entry whose container is no longer held.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/process.h"
#include "common/util.h"
#include "pool/pool-internal.h"

/* A round every so often even without a take: ended containers to remove, an idle pool to shrink. */
#define KEEPER_ROUND_MS 500
/* keeper.log is rotated to keeper.log.1 past this size: two files at most, whatever the keeper's age. */
#define KEEPER_LOG_MAX (256 * 1024)
/* A sweep every so many rounds (30 s), besides the first. */
#define KEEPER_SWEEP_ROUNDS 60

struct keeper {
	const char *name;
	int dirfd;
	struct containerv_pool_config config;
	struct containerv_options *template;
	struct containerv_context *context; /* the root of the call that started the keeper */
	pthread_mutex_t lock;
	pthread_cond_t work;
	unsigned int to_make;  /* containers the workers should make now */
	unsigned int making;   /* being made */
	unsigned int failures; /* in a row: back off, and do not spin on a template that cannot start */
	bool stopping;
	uint64_t takes;
	int64_t last_take_ns;
	unsigned int recent_takes; /* hybrid: takes since the pool was last idle */
	int64_t last_refill_ns;
};

/*
 * One line in <pool>/keeper.log ("2026-12-03T19:00:00Z refill failed: ..."): what a daemon with no
 * terminal has to say. Bounded: past KEEPER_LOG_MAX the log becomes keeper.log.1 and a new one starts.
 */
static void keeper_log(struct keeper *k, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void keeper_log(struct keeper *k, const char *format, ...)
{
	static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
	char line[1024], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	struct stat st;
	va_list args;
	int fd, length;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	length = snprintf(line, sizeof line, "%s ", stamp);
	va_start(args, format);
	length += vsnprintf(line + length, sizeof line - (size_t)length - 1, format, args);
	va_end(args);
	if (length > (int)sizeof line - 2)
		length = (int)sizeof line - 2;
	line[length++] = '\n';
	pthread_mutex_lock(&log_lock);
	fd = openat(k->dirfd, "keeper.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > KEEPER_LOG_MAX) {
		close(fd);
		renameat(k->dirfd, "keeper.log", k->dirfd, "keeper.log.1");
		fd = openat(k->dirfd, "keeper.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	}
	if (fd >= 0) {
		ssize_t ignored = write(fd, line, (size_t)length);
		(void)ignored;
		close(fd);
	}
	pthread_mutex_unlock(&log_lock);
}

static int64_t monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/*
 * The init was cloned by a worker at the keeper's nice 10, which it and the workload it starts would keep:
 * a warm workload would then run behind every other process of a busy machine. Nice 0 again before it is
 * published (the keeper is root; the init is idle until its release).
 */
static void give_back_priority(struct containerv_container *container)
{
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};

	if (containerv_inspect(container, &info) == 0 && info.pid > 0)
		setpriority(PRIO_PROCESS, (id_t)info.pid, 0);
}

/* One container made held, then published in ready/. */
static void make_one(struct keeper *k)
{
	struct containerv_container *container = NULL;
	int64_t start = monotonic_ns();
	bool ok = cv_pool_make_held(k->template, &container) == 0;

	if (ok)
		give_back_priority(container);
	if (ok && cv_pool_mark(k->dirfd, "ready", containerv_id(container)) < 0) {
		containerv_destroy(container);
		container = NULL;
		ok = false;
	}
	containerv_close(container);
	if (!ok)
		keeper_log(k, "refill: %s", containerv_last_error());
	pthread_mutex_lock(&k->lock);
	k->making--;
	if (ok) {
		k->failures = 0;
		k->last_refill_ns = monotonic_ns() - start;
	} else {
		k->failures++;
	}
	pthread_mutex_unlock(&k->lock);
	cv_error_clear();
}

static void *worker(void *arg)
{
	struct keeper *k = arg;

	/* A new thread starts in the default context: the workers act in the keeper's. */
	containerv_context_enter(k->context);
	pthread_mutex_lock(&k->lock);
	for (;;) {
		while (!k->stopping && k->to_make == 0)
			pthread_cond_wait(&k->work, &k->lock);
		if (k->stopping)
			break;
		k->to_make--;
		k->making++;
		pthread_mutex_unlock(&k->lock);
		make_one(k);
		pthread_mutex_lock(&k->lock);
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

/* How many should be ready now, by the policy (pool.h). */
static unsigned int target(struct keeper *k, int64_t now)
{
	const struct containerv_pool_config *c = &k->config;
	bool recent = k->last_take_ns != 0 && now - k->last_take_ns < (int64_t)c->idle_seconds * 1000000000;
	unsigned int n;

	switch (c->policy) {
	case CV_POOL_ON_DEMAND:
		return recent ? (c->min > 0 ? c->min : 1) : 0;
	case CV_POOL_HYBRID:
		if (!recent)
			k->recent_takes = 0;
		n = c->min + k->recent_takes;
		return n < c->max ? n : c->max;
	default:
		return c->min;
	}
}

/* Calls fn for each entry of sub/ (a 64-hex-digit id). */
static void each_entry(int dirfd, const char *sub, void (*fn)(struct keeper *, const char *), struct keeper *k)
{
	int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *entry;

	if (dir == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] != '.')
			fn(k, entry->d_name);
	}
	closedir(dir);
}

static unsigned int ready_count;

static void count_ready(struct keeper *k, const char *id)
{
	(void)k;
	(void)id;
	ready_count++;
}

/* remove/<id>: once the container has ended (or is gone), it goes. */
static void remove_if_ended(struct keeper *k, const char *id)
{
	struct containerv_container *container = NULL;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	char path[96];

	snprintf(path, sizeof path, "remove/%s", id);
	if (containerv_open(id, &container) == 0) {
		/* Held: its take has not released it yet (a take that died is the sweep's). */
		if (containerv_inspect(container, &info) == 0 &&
		    (info.state == CV_STATE_RUNNING || info.state == CV_STATE_HELD)) {
			containerv_close(container);
			return;
		}
		if (containerv_remove(container, CV_REMOVE_VOLUMES) < 0 && errno != ENOENT) {
			keeper_log(k, "remove %.12s: %s (again next round)", id, containerv_last_error());
			return; /* kept for the next round */
		}
	}
	unlinkat(k->dirfd, path, 0);
	cv_error_clear();
}

/* More ready than the policy wants (idle): the surplus goes, each claimed first as a take would. */
static void shrink(struct keeper *k, unsigned int surplus)
{
	int fd = openat(k->dirfd, "ready", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *entry;

	while (dir != NULL && surplus > 0 && (entry = readdir(dir)) != NULL) {
		struct containerv_container *container = NULL;
		int claim;
		if (entry->d_name[0] == '.' || (claim = cv_pool_claim(k->dirfd, entry->d_name)) < 0)
			continue;
		if (unlinkat(fd, entry->d_name, 0) == 0) {
			if (containerv_open(entry->d_name, &container) == 0)
				containerv_remove(container, CV_REMOVE_VOLUMES);
			surplus--;
		}
		cv_pool_unclaim(k->dirfd, entry->d_name, claim);
	}
	if (dir != NULL)
		closedir(dir);
	else if (fd >= 0)
		close(fd);
	cv_error_clear();
}

static void write_status(struct keeper *k)
{
	char text[200];
	pid_t pid;
	uint64_t start;
	int length;

	/* With its start time: pool rm signals this pid only while it is still this keeper. */
	cv_process_self(&pid, &start);
	length = snprintf(text, sizeof text,
	                  "{\"pid\": %d, \"start\": %llu, \"takes\": %llu, \"last_refill_ns\": %lld}\n", (int)pid,
	                  (unsigned long long)start, (unsigned long long)k->takes, (long long)k->last_refill_ns);

	cv_write_file_atomic_at(k->dirfd, "keeper.json", text, (size_t)length, 0600);
}

/* One round: removals, then the number to make (or to drop) against the policy. */
static void round_of(struct keeper *k)
{
	int64_t now = monotonic_ns();
	unsigned int wanted;

	each_entry(k->dirfd, "remove", remove_if_ended, k);
	ready_count = 0;
	each_entry(k->dirfd, "ready", count_ready, k);
	pthread_mutex_lock(&k->lock);
	wanted = target(k, now);
	unsigned int have = ready_count + k->making;
	/* After failures in a row, one at a time and not more than once a round. */
	unsigned int allowed = k->failures > 0 ? 1 : k->config.concurrency;
	k->to_make = have < wanted ? (wanted - have < allowed ? wanted - have : allowed) : 0;
	if (k->to_make > 0)
		pthread_cond_broadcast(&k->work);
	pthread_mutex_unlock(&k->lock);
	if (ready_count > wanted && k->making == 0)
		shrink(k, ready_count - wanted);
	write_status(k);
}

/* Takes came (datagrams on the socket): the demand the policies follow. */
static void drain_takes(struct keeper *k, int socket_fd)
{
	char byte;

	while (recv(socket_fd, &byte, 1, MSG_DONTWAIT) == 1) {
		k->takes++;
		k->recent_takes++;
		k->last_take_ns = monotonic_ns();
	}
}

static int bind_socket(struct keeper *k)
{
	struct sockaddr_un address;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return cv_error_sys("keeper socket");
	cv_pool_socket_address(k->dirfd, &address);
	unlinkat(k->dirfd, "keeper.sock", 0); /* a killed keeper's */
	if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) {
		close(fd);
		return cv_error_sys("keeper socket");
	}
	return fd;
}

/* SIGTERM, SIGINT or SIGHUP pending (they are blocked in the keeper: the threads never see them). */
static bool asked_to_stop(void)
{
	sigset_t stop;
	struct timespec zero = {0, 0};

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	return sigtimedwait(&stop, NULL, &zero) > 0;
}

static int keeper_loop(struct keeper *k, int socket_fd)
{
	pthread_t threads[16];
	unsigned int started = 0, count = k->config.concurrency < 16 ? k->config.concurrency : 16;
	struct pollfd entry = {.fd = socket_fd, .events = POLLIN};

	for (; started < count; started++) {
		if (pthread_create(&threads[started], NULL, worker, k) != 0)
			break;
	}
	if (started == 0)
		return cv_error_errno(EAGAIN, "pool %s: no keeper thread", k->name);
	/* Converge from whatever a killed keeper or a dead take left behind. */
	cv_pool_sweep(k->dirfd, k->name, false);
	for (unsigned int round = 1;
	     !asked_to_stop() && faccessat(k->dirfd, "pool.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0; round++) {
		/* Again now and then: a take that dies before its release leaves a held container behind. */
		if (round % KEEPER_SWEEP_ROUNDS == 0)
			cv_pool_sweep(k->dirfd, k->name, false);
		round_of(k);
		if (poll(&entry, 1, KEEPER_ROUND_MS) > 0)
			drain_takes(k, socket_fd);
	}
	pthread_mutex_lock(&k->lock);
	k->stopping = true;
	pthread_cond_broadcast(&k->work);
	pthread_mutex_unlock(&k->lock);
	for (unsigned int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	return 0;
}

int containerv_pool_keeper_run(const char *name)
{
	cleanup_close int dirfd = -1, lock = -1, socket_fd = -1;
	struct keeper k = {.name = name, .lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER};
	sigset_t stop;
	int ret;

	cv_error_clear();
	if (cv_pool_open(name, &dirfd) < 0 || cv_pool_read_config(dirfd, &k.config) < 0)
		return cv_error_prefix("pool keeper");
	lock = openat(dirfd, "keeper.lock", O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0)
		return cv_error_sys("pool keeper %s: lock", name);
	if (flock(lock, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? cv_error_errno(EBUSY, "pool %s: a keeper runs already", name)
		                            : cv_error_sys("pool keeper %s: lock", name);
	/* pool rm unlinks pool.json before it looks for a keeper: one that locks after that look ends here. */
	if (faccessat(dirfd, "pool.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return cv_error_errno(ENOENT, "pool %s: being removed", name);
	k.dirfd = dirfd;
	if (containerv_context_open(containerv_root(), &k.context) < 0)
		return cv_error_prefix("pool keeper %s", name);
	if (cv_pool_load_template(dirfd, name, &k.template) < 0) {
		containerv_context_close(k.context);
		return -1;
	}
	socket_fd = bind_socket(&k);
	if (socket_fd < 0) {
		containerv_options_delete(k.template);
		containerv_context_close(k.context);
		return cv_error_prefix("pool keeper %s", name);
	}
	/* Takes first: a refill only gets the CPU a workload leaves. */
	setpriority(PRIO_PROCESS, 0, 10);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	write_status(&k);
	keeper_log(&k, "keeper %d started: %s, min %u, max %u", (int)getpid(),
	           containerv_pool_policy_name(k.config.policy), k.config.min, k.config.max);
	ret = keeper_loop(&k, socket_fd);
	keeper_log(&k, "keeper %d stopped", (int)getpid());
	unlinkat(dirfd, "keeper.sock", 0);
	unlinkat(dirfd, "keeper.json", 0);
	containerv_options_delete(k.template);
	containerv_context_close(k.context);
	return ret;
}
