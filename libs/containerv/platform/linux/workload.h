/*
 * Internal: the workload of a held container, sent with its release (containerv_start_workload, pool.h).
 *
 * The releaser sends CV_RELEASE_WORKLOAD with the workload's stdio descriptors (SCM_RIGHTS), then one
 * message: a struct cv_workload_header and the strings it counts, each NUL-terminated: the working
 * directory (CV_WORKLOAD_WORKDIR), argc words of the command, envc words of the environment. The init
 * checks every count and bound against what it received (the releaser is root, but a parser that trusts
 * its input is a bug waiting) and points its plan into a static buffer: no allocation in the init.
 */
#ifndef CV_LINUX_WORKLOAD_H
#define CV_LINUX_WORKLOAD_H

#include <stdint.h>

/* The release byte that says a workload follows (beside CV_RELEASE_GO). */
#define CV_RELEASE_WORKLOAD 'w'
/* One SOCK_SEQPACKET message: under the default socket buffer (net.core.wmem_default, 208 KiB). */
#define CV_WORKLOAD_MAX (128 * 1024)
/* Words of the command and the environment together. */
#define CV_WORKLOAD_WORDS_MAX 8192

enum cv_workload_flags {
	CV_WORKLOAD_ARGV = 0x1,
	CV_WORKLOAD_ENV = 0x2, /* the whole environment: the releaser merged it with the container's */
	CV_WORKLOAD_WORKDIR = 0x4,
	CV_WORKLOAD_USER = 0x8,
};

struct cv_workload_header {
	uint32_t size; /* of the whole message, this header included */
	uint32_t flags;
	uint32_t uid, gid;
	uint32_t argc, envc;
	uint32_t stdio_mask; /* bit i: stream i came as the next descriptor; else /dev/null */
};

struct cv_init_plan;
/*
 * In the init, after CV_RELEASE_WORKLOAD with count descriptors: receives the message on plan->sync_fd and
 * binds it into the plan (command, environment, working directory, user, stdio). -1 with errno and the
 * reason on a malformed one. No allocation.
 */
int cv_workload_receive(struct cv_init_plan *plan, const int *fds, size_t count);
/* In the init, once the main command runs: closes the stdio descriptors received with the workload. */
void cv_workload_close_stdio(void);

#endif
