/*
 * Fuzz harness: the workload message a held init receives at its release (cv_workload_receive,
 * linux/workload.h), the bytes of a releaser the init must not trust. The first byte says how many
 * descriptors came with the release byte (0 to 3); the rest is the message. Accepted: every word lies in
 * the message and the plan's stdio are the descriptors given. Refused: EPROTO, every descriptor closed.
 * Either way no descriptor is left open that was not before (none would reach the container).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "platform/linux/init-plan.h"
#include "platform/linux/workload.h"

/* Descriptors open in this process (a leak shows as one more). */
static int open_count(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *entry;
	int n = 0;

	if (dir == NULL)
		abort();
	while ((entry = readdir(dir)) != NULL)
		n += entry->d_name[0] != '.';
	closedir(dir);
	return n;
}

static void check_accepted(const struct cv_init_plan *plan, const int *fds, size_t count)
{
	size_t next = 0;

	for (int i = 0; i < 3; i++) {
		if (plan->stdio[i] >= 0 && (next >= count || plan->stdio[i] != fds[next++]))
			abort();
	}
	if (next != count || (plan->workdir != NULL && plan->workdir[0] != '/'))
		abort();
	for (size_t i = 0; plan->argv != NULL && plan->argv[i] != NULL; i++)
		(void)strlen(plan->argv[i]); /* terminated inside the buffer (ASan would see otherwise) */
	for (size_t i = 0; plan->env != NULL && plan->env[i] != NULL; i++)
		(void)strlen(plan->env[i]);
	if (plan->argv != NULL && plan->argv[0] == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cv_init_plan plan;
	int pair[2], fds[3], before = open_count();
	size_t count;

	if (size == 0 || size > CV_WORKLOAD_MAX + 1024)
		return 0;
	count = data[0] % 4;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		abort();
	for (size_t i = 0; i < count; i++)
		fds[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
	memset(&plan, 0, sizeof plan);
	plan.sync_fd = pair[1];
	plan.stdio[0] = plan.stdio[1] = plan.stdio[2] = -1;
	if (send(pair[0], data + 1, size - 1, 0) != (ssize_t)(size - 1))
		abort();
	if (cv_workload_receive(&plan, fds, count) == 0) {
		check_accepted(&plan, fds, count);
		cv_workload_close_stdio();
	} else if (errno != EPROTO) {
		abort();
	}
	close(pair[0]);
	close(pair[1]);
	if (open_count() != before)
		abort(); /* a descriptor kept: it would have gone into the container */
	return 0;
}
