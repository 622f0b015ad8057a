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

/* cv_process_confine: keep CAP_NET_BIND_SERVICE (a port below 1024 is still to be bound). */
#define CV_CONFINE_BIND_SERVICE 1u

/*
 * Confines the calling process, for one that parses hostile input and needs no privilege for it (the
 * compose balancer; platform/linux/process-confine.c): no_new_privs, every capability dropped from
 * every set and the bounding set but what FLAGS keep, SECBIT_NOROOT locked, and a seccomp filter that
 * refuses (EPERM) what such a process never does: exec, namespaces, mounts, ptrace, modules, BPF,
 * keys, raw kernel interfaces. Call it before the process starts threads (capabilities are per
 * thread; those made later inherit them). 0, or -1 with the error.
 */
int cv_process_confine(unsigned int flags);

#endif
