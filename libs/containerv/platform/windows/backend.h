/*
 * Internal: what the Windows backend's files share (platform/windows/backend.c, monitor.c, job.c).
 */
#ifndef CV_PLATFORM_WINDOWS_BACKEND_H
#define CV_PLATFORM_WINDOWS_BACKEND_H

#include <stdint.h>
#include <windows.h>
/* objbase.h's "#define interface struct" would rename the shared headers' fields of that name. */
#undef interface

#include "core/container.h"

struct cv_win_job;

/* <dir>\monitor.json: the monitor's pid and creation time. */
#define CV_WIN_MONITOR_FILE "monitor.json"

/* The job object's name of container id: containerv-<id>. */
void cv_win_job_name(const char *id, char *buffer, size_t size);
/* A process's creation time (100 ns ticks since 1601), 0 when it cannot be read. */
uint64_t cv_win_process_start_time(HANDLE process);
/* Process pid with access, if it is the one created at start_time (0: any); else NULL. */
HANDLE cv_win_open_process(DWORD pid, uint64_t start_time, DWORD access);
/* Reads monitor.json of the container. */
int cv_win_monitor_read(const struct containerv_container *c, DWORD *pid, uint64_t *start_time);

/*
 * start(): the container's first process in its job, its output in its log, then its monitor;
 * records state.json (running) and monitor.json. Under the container's lock.
 */
int cv_win_start_detached(struct containerv_container *c);

/* One statistics sample of the job (core's contract for struct containerv_stats). */
int cv_win_job_container_stats(struct cv_win_job *job, struct containerv_stats *stats);
/* The processes of the job (JobObjectBasicProcessIdList). */
int cv_win_job_processes(struct cv_win_job *job, struct containerv_process_info *list, size_t max, size_t *count);

#endif
