/*
 * A container's statistics and processes from its job object (core's stats and processes
 * operations): QueryInformationJobObject's accounting (CPU time, processes, I/O) and limits, the
 * job's process list (JobObjectBasicProcessIdList), and each process's memory
 * (GetProcessMemoryInfo: the job reports only its peak). Wine implements a part of it: the
 * feature table of docs/windows.md says which.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <psapi.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/windows/backend.h"
#include "platform/windows/windows.h"

/* The job's process ids, at most max of them: their count, or -1. */
static int job_process_ids(struct cv_win_job *job, ULONG_PTR *ids, size_t max, size_t *count)
{
	size_t size = sizeof(JOBOBJECT_BASIC_PROCESS_ID_LIST) + max * sizeof(ULONG_PTR);
	cleanup_free JOBOBJECT_BASIC_PROCESS_ID_LIST *list = cv_malloc0(size);

	if (list == NULL)
		return -1;
	if (!QueryInformationJobObject(cv_win_job_handle(job), JobObjectBasicProcessIdList, list, (DWORD)size, NULL) &&
	    GetLastError() != ERROR_MORE_DATA)
		return cv_win_error(GetLastError(), "job process list");
	*count = list->NumberOfProcessIdsInList < max ? list->NumberOfProcessIdsInList : max;
	memcpy(ids, list->ProcessIdList, *count * sizeof(ULONG_PTR));
	return 0;
}

/* Private bytes of one process, 0 when it cannot be read (it ended meanwhile). */
static uint64_t process_memory(HANDLE process)
{
	PROCESS_MEMORY_COUNTERS_EX counters;

	memset(&counters, 0, sizeof counters);
	if (!GetProcessMemoryInfo(process, (PROCESS_MEMORY_COUNTERS *)&counters, sizeof counters))
		return 0;
	return counters.PrivateUsage;
}

int cv_win_job_container_stats(struct cv_win_job *job, struct containerv_stats *stats)
{
	struct cv_win_job_stats accounting;
	ULONG_PTR ids[256];
	size_t count = 0;

	if (cv_win_job_stats(job, &accounting) < 0)
		return -1;
	stats->cpu_time_ns = (accounting.user_time_100ns + accounting.kernel_time_100ns) * 100;
	stats->active_processes = accounting.active_processes;
	stats->total_processes = accounting.total_processes;
	stats->read_bytes = accounting.read_bytes;
	stats->write_bytes = accounting.write_bytes;
	stats->memory_peak = accounting.peak_job_memory;
	if (accounting.memory_limit > 0) {
		stats->memory_limit = (uint64_t)accounting.memory_limit;
	} else {
		MEMORYSTATUSEX host = {.dwLength = sizeof host};
		if (GlobalMemoryStatusEx(&host))
			stats->memory_limit = host.ullTotalPhys;
	}
	if (job_process_ids(job, ids, sizeof ids / sizeof ids[0], &count) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		HANDLE process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)ids[i]);
		if (process == NULL)
			continue;
		stats->memory_usage += process_memory(process);
		CloseHandle(process);
	}
	if (stats->memory_peak < stats->memory_usage)
		stats->memory_peak = stats->memory_usage;
	return 0;
}

int cv_win_job_processes(struct cv_win_job *job, struct containerv_process_info *list, size_t max, size_t *count)
{
	ULONG_PTR ids[256];
	size_t found = 0;

	*count = 0;
	if (job_process_ids(job, ids, sizeof ids / sizeof ids[0], &found) < 0)
		return -1;
	for (size_t i = 0; i < found; i++) {
		HANDLE process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)ids[i]);
		FILETIME created, exited, kernel, user;
		char image[MAX_PATH];
		DWORD length = sizeof image;

		if (process == NULL)
			continue;
		if (*count < max) {
			struct containerv_process_info *entry = &list[*count];
			memset(entry, 0, sizeof *entry);
			entry->pid = (containerv_pid_t)ids[i];
			entry->container_pid = entry->pid; /* no pid namespace: the host's */
			if (QueryFullProcessImageNameA(process, 0, image, &length)) {
				const char *base = strrchr(image, '\\');
				snprintf(entry->name, sizeof entry->name, "%s", base != NULL ? base + 1 : image);
				snprintf(entry->command, sizeof entry->command, "%s", image);
			}
			entry->memory_rss = process_memory(process);
			if (GetProcessTimes(process, &created, &exited, &kernel, &user)) {
				ULARGE_INTEGER k = {.LowPart = kernel.dwLowDateTime, .HighPart = kernel.dwHighDateTime};
				ULARGE_INTEGER u = {.LowPart = user.dwLowDateTime, .HighPart = user.dwHighDateTime};
				entry->cpu_time_ns = (k.QuadPart + u.QuadPart) * 100;
			}
		}
		(*count)++;
		CloseHandle(process);
	}
	return 0;
}
