/*
 * Shared by the unit tests that make containers: their output captured,
 * and what a failed CHECK left behind (it jumps over the test's own
 * cleanup) removed before the next test, so that one failure does not
 * cascade into leak reports in the others.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "test.h"

static int remove_callback(const struct containerv_info *info, void *user)
{
	struct containerv_container *c = NULL;

	(*(int *)user)++;
	if (containerv_open(info->id, &c) == 0)
		containerv_remove(c, CV_REMOVE_VOLUMES);
	return 0;
}

void cv_test_remove_all_containers(void)
{
	int removed = 0;

	containerv_list(remove_callback, &removed);
	if (removed > 0)
		fprintf(stderr, "  (removed %d container(s) a failed test left)\n", removed);
}

/* The ids of the containers this program made: leftover checks judge only those. */
static char recorded_ids[1024][65];
static size_t recorded_count;

int cv_test_create(const struct containerv_options *o, struct containerv_container **c)
{
	int ret = containerv_create(o, c);

	if (ret == 0 && recorded_count < sizeof recorded_ids / sizeof recorded_ids[0])
		snprintf(recorded_ids[recorded_count++], sizeof recorded_ids[0], "%s", containerv_id(*c));
	return ret;
}

size_t cv_test_created_count(void)
{
	return recorded_count;
}

const char *cv_test_created_id(size_t index)
{
	return index < recorded_count ? recorded_ids[index] : NULL;
}

char *cv_test_read_all(int fd)
{
	static char buffer[65536];
	size_t used = 0;
	ssize_t n;

	while (used < sizeof buffer - 1 && (n = read(fd, buffer + used, sizeof buffer - 1 - used)) > 0)
		used += (size_t)n;
	buffer[used] = '\0';
	return buffer;
}

char *cv_test_run_capture(struct containerv_options *o, struct containerv_exit *exit_status)
{
	struct containerv_container *c = NULL;
	struct containerv_exit status;
	int fds[2];
	char *out;

	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	CHECK_OK(containerv_options_set_stdio(o, -1, fds[1], 2));
	CHECK_OK(cv_test_create(o, &c));
	close(fds[1]);
	out = cv_test_read_all(fds[0]);
	close(fds[0]);
	CHECK_OK(containerv_wait(c, exit_status != NULL ? exit_status : &status));
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);
	return out;
}
