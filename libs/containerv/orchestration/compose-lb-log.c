/*
 * The balancer process's own output (compose-lb-daemon.c): its stdout and
 * stderr (the library's warnings through the caller's log callback, an
 * autoscaling change that failed) go to lb.log in the project's directory
 * instead of /dev/null, bounded: past CV_COMPOSE_LB_LOG_MAX bytes the file
 * becomes lb.log.1 (the one before is dropped) and a new one is begun, so
 * the two hold at most twice that (plus what one refresh writes).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "orchestration/compose-lb.h"

static int open_log_at(int directory)
{
	return openat(directory, CV_COMPOSE_LB_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
}

int cv_compose_lb_log_open(const char *directory)
{
	int dirfd = open(directory, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd;

	if (dirfd < 0)
		return cv_error_sys("open %s", directory);
	fd = open_log_at(dirfd);
	close(dirfd);
	if (fd < 0)
		return cv_error_sys("open %s/" CV_COMPOSE_LB_LOG, directory);
	return fd;
}

void cv_compose_lb_log_bound(int directory)
{
	struct stat st;
	int fd;

	if (fstat(STDERR_FILENO, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < CV_COMPOSE_LB_LOG_MAX)
		return;
	if (renameat(directory, CV_COMPOSE_LB_LOG, directory, CV_COMPOSE_LB_LOG ".1") < 0)
		return;
	fd = open_log_at(directory);
	if (fd < 0)
		return; /* the old file goes on growing under its new name until the next try */
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}
