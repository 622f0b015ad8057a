/*
 * A process named by its pid and its start time. A pid written to a file is a promise that lasts
 * only as long as the process: once it ends, the kernel gives the number to another. The start time
 * (clock ticks since boot on Linux) tells the two apart, so a stale record never kills or trusts a
 * stranger. Implemented by the platform (platform/linux/state.c, process-signal.c).
 */
#ifndef CONTAINERV_COMMON_PROCESS_H
#define CONTAINERV_COMMON_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The calling process: its pid and start time (start 0 where it cannot be read). */
void cv_process_self(pid_t *pid, uint64_t *start_time);

/* Whether pid is still the process that started at start_time, and not a zombie. */
bool cv_process_alive(pid_t pid, uint64_t start_time);

/*
 * Sends signal to pid only if it is still the process that started at start_time: 0, or -1 with
 * errno ESRCH (gone, or the pid is another process's now) or the kernel's error. No window for the
 * pid to be reused between the check and the signal.
 */
int cv_process_signal(pid_t pid, uint64_t start_time, int signal);

#endif
