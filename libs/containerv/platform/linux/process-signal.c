/*
 * Signals to a recorded process through a pidfd: the pidfd pins the process, so the start time read
 * after opening it is the start time of the process the signal goes to (common/process.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "common/process.h"
#include "common/util.h"
#include "platform/linux/container-private.h"

void cv_process_self(pid_t *pid, uint64_t *start_time)
{
	*pid = getpid();
	if (cv_process_start_time(*pid, start_time) < 0) {
		*start_time = 0;
		cv_error_clear();
	}
}

int cv_process_signal(pid_t pid, uint64_t start_time, int signal)
{
	cleanup_close int pidfd = -1;

	if (pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -1;
	/* Opened: the number cannot move to another process while we hold it. Is it still ours? */
	if (!cv_process_alive(pid, start_time)) {
		errno = ESRCH;
		return -1;
	}
	return (int)syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0);
}
