/*
 * What other processes tell a project's balancer process (compose-lb-daemon.c),
 * as marks in <root>/compose/<project>/:
 *
 *   drain@<container>           scale-down: the replica leaves the rotation and
 *                               its connections finish before it is stopped;
 *   autoscale-paused@<service>  a manual scale: autoscaling leaves the service
 *                               alone until the next up;
 *   scale@<service>             not a mark: the lock (flock) every change of the
 *                               service's replica count holds, manual or not.
 *
 * A mark is an empty file: made and removed atomically, read with one
 * faccessat() by the balancer at each refresh, and gone with the directory at
 * down. '@' is in no service or container name, so a mark never meets a
 * service's own directory (secrets, configs) there.
 */
#define _GNU_SOURCE
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

#include "common/error.h"
#include "common/util.h"
#include "orchestration/compose-lb.h"
#include "orchestration/compose-up.h"

#define DRAIN_POLL_MS 100

static int mark_path(const char *project, const char *kind, const char *name, char *path, size_t size)
{
	char directory[PATH_MAX];

	if (cv_compose_files_directory(project, NULL, NULL, directory, sizeof directory) < 0)
		return -1;
	if (!cv_name_is_valid(name, 255))
		return cv_error_errno(EINVAL, "invalid name \"%s\"", name);
	if (snprintf(path, size, "%s/%s@%s", directory, kind, name) >= (int)size)
		return cv_error_errno(ENAMETOOLONG, "compose %s: path too long", project);
	return 0;
}

/* Makes the mark; the project's directory when missing too (a pause before any balancer ran). */
static int set_mark(const char *project, const char *kind, const char *name)
{
	char path[PATH_MAX + 300], compose[PATH_MAX], directory[PATH_MAX];
	int fd;

	if (mark_path(project, kind, name, path, sizeof path) < 0 ||
	    cv_compose_files_directory(project, NULL, NULL, directory, sizeof directory) < 0)
		return -1;
	if (cv_mkdir_private(containerv_root(), "compose", compose, sizeof compose) < 0)
		return -1;
	if (mkdir(directory, 0700) < 0 && errno != EEXIST)
		return cv_error_sys("mkdir %s", directory);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cv_error_sys("create %s", path);
	close(fd);
	return 0;
}

static void clear_mark(const char *project, const char *kind, const char *name)
{
	char path[PATH_MAX + 300];

	if (mark_path(project, kind, name, path, sizeof path) == 0)
		unlink(path);
	cv_error_clear();
}

static bool has_mark(int directory, const char *kind, const char *name)
{
	char file[300];

	if (snprintf(file, sizeof file, "%s@%s", kind, name) >= (int)sizeof file)
		return false;
	return faccessat(directory, file, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int cv_compose_autoscale_pause(const char *project, const char *service)
{
	return set_mark(project, "autoscale-paused", service);
}

void cv_compose_autoscale_resume(const char *project, const char *service)
{
	clear_mark(project, "autoscale-paused", service);
}

bool cv_compose_autoscale_paused(int directory, const char *service)
{
	return has_mark(directory, "autoscale-paused", service);
}

int cv_compose_scale_lock(const char *project, const char *service)
{
	char path[PATH_MAX + 300];
	int fd;

	/* The directory and the file, as a mark's; then held for the whole change. */
	if (set_mark(project, "scale", service) < 0 || mark_path(project, "scale", service, path, sizeof path) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return cv_error_sys("open %s", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int saved = errno;
			close(fd);
			return cv_error_errno(saved, "lock %s", path);
		}
	}
	return fd;
}

void cv_compose_scale_unlock(int lock)
{
	if (lock >= 0)
		close(lock);
}

bool cv_compose_lb_draining(int directory, const char *container)
{
	return has_mark(directory, "drain", container);
}

/* Is every named container out of the balancer's rotation with nothing open (or not a backend at all)? */
static bool drained(const char *status_path, char *const *containers)
{
	char *text = NULL;
	json_t *balancers, *balancer, *backend;
	size_t i, k;
	bool done = true;

	if (cv_read_file(status_path, &text, NULL, 64 << 20) < 0) {
		cv_error_clear();
		return true; /* no balancer any more: nothing to wait for */
	}
	balancers = json_loads(text, 0, NULL);
	free(text);
	json_array_foreach(balancers, i, balancer)
	{
		json_array_foreach(json_object_get(balancer, "backends"), k, backend)
		{
			const char *name = json_string_value(json_object_get(backend, "container"));
			json_int_t state = json_integer_value(json_object_get(backend, "state"));
			for (size_t c = 0; name != NULL && containers[c] != NULL; c++) {
				if (strcmp(name, containers[c]) != 0)
					continue;
				if ((state != CONTAINERV_LB_BACKEND_DRAINING &&
				     state != CONTAINERV_LB_BACKEND_REMOVED) ||
				    json_integer_value(json_object_get(backend, "active")) > 0)
					done = false;
			}
		}
	}
	json_decref(balancers);
	return done;
}

int cv_compose_lb_drain(const char *project, char *const *containers, unsigned int timeout_seconds)
{
	char directory[PATH_MAX], status[PATH_MAX + 32];
	int64_t deadline = cv_monotonic_ns() + (int64_t)timeout_seconds * 1000000000LL;

	if (containers == NULL || containers[0] == NULL)
		return 0;
	if (cv_compose_files_directory(project, NULL, NULL, directory, sizeof directory) < 0)
		return -1;
	snprintf(status, sizeof status, "%s/lb-status.json", directory);
	if (!cv_compose_lb_serving(directory))
		return 0; /* the project has no balancer: nothing routes to the replicas */
	for (size_t i = 0; containers[i] != NULL; i++) {
		if (set_mark(project, "drain", containers[i]) < 0)
			return cv_error_prefix("drain %s", containers[i]);
	}
	if (containerv_compose_lb_refresh(project) < 0)
		return -1;
	/* The status is rewritten at each refresh: the marked ones show draining, then drained. */
	while (cv_compose_lb_serving(directory) && !drained(status, containers) && cv_monotonic_ns() < deadline)
		nanosleep(&(struct timespec){0, DRAIN_POLL_MS * 1000000L}, NULL);
	return 0;
}

void cv_compose_lb_undrain(const char *project, char *const *containers)
{
	for (size_t i = 0; containers != NULL && containers[i] != NULL; i++)
		clear_mark(project, "drain", containers[i]);
}
