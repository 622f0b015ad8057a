/*
 * The container as a Job Object (windows.h): limits, the first process started suspended with
 * the level's token, assigned, resumed; wait, terminate and accounting.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/windows/windows.h"

struct cv_win_job {
	HANDLE job;
	HANDLE process; /* the first process */
	DWORD pid;
};

int cv_win_error(DWORD error, const char *format, ...)
{
	char what[512], text[256] = "";
	va_list arguments;
	int err;

	va_start(arguments, format);
	vsnprintf(what, sizeof(what), format, arguments);
	va_end(arguments);
	if (FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, error, 0, text,
	                   sizeof(text), NULL) > 0)
		text[strcspn(text, "\r\n")] = '\0';
	switch (error) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_MOD_NOT_FOUND:
	case ERROR_PROC_NOT_FOUND:
		err = ENOENT;
		break;
	case ERROR_ACCESS_DENIED:
	case ERROR_PRIVILEGE_NOT_HELD:
		err = EACCES;
		break;
	case ERROR_INVALID_PARAMETER:
	case ERROR_BAD_EXE_FORMAT:
		err = EINVAL;
		break;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		err = ENOMEM;
		break;
	case ERROR_CALL_NOT_IMPLEMENTED:
	case ERROR_NOT_SUPPORTED:
		err = ENOTSUP;
		break;
	case WAIT_TIMEOUT:
		err = ETIMEDOUT;
		break;
	case ERROR_ALREADY_EXISTS:
	case ERROR_FILE_EXISTS:
		err = EEXIST;
		break;
	case ERROR_SHARING_VIOLATION:
	case ERROR_LOCK_VIOLATION:
		err = EBUSY;
		break;
	default:
		err = EIO;
	}
	if (text[0] != '\0')
		return cv_error_errno(err, "%s: %s (error %lu)", what, text, (unsigned long)error);
	return cv_error_errno(err, "%s: error %lu", what, (unsigned long)error);
}

int cv_win_job_limits_from(const struct containerv_limits *limits, struct cv_win_job_limits *out)
{
	memset(out, 0, sizeof(*out));
	out->ui_restrictions = true;
	if (limits == NULL)
		return 0;
	if (limits->memory_bytes < 0)
		return cv_error_errno(EINVAL, "memory limit: %lld bytes", (long long)limits->memory_bytes);
	out->memory_bytes = limits->memory_bytes;
	if (limits->cpu_quota_us > 0) {
		uint64_t period = limits->cpu_period_us > 0 ? limits->cpu_period_us : 100000;
		uint64_t rate = limits->cpu_quota_us * 10000 / period;
		SYSTEM_INFO system;
		GetSystemInfo(&system);
		/* the job's rate is a share of the whole machine; --cpus counts CPUs */
		rate /= system.dwNumberOfProcessors > 0 ? system.dwNumberOfProcessors : 1;
		out->cpu_rate = (uint32_t)(rate < 1 ? 1 : rate > 10000 ? 10000 : rate);
	}
	if (limits->pids_max > 0)
		out->active_processes = limits->pids_max > UINT32_MAX ? UINT32_MAX : (uint32_t)limits->pids_max;
	if (limits->memory_swap_bytes > 0 && limits->memory_swap_bytes != limits->memory_bytes)
		return cv_error_errno(ENOTSUP, "--memory-swap: a job object has one memory limit (commit charge)");
	if (limits->cpu_shares > 0)
		return cv_error_errno(ENOTSUP, "--cpu-shares: not supported on Windows (use --cpus)");
	if (limits->cpuset_cpus[0] != '\0' || limits->cpuset_mems[0] != '\0')
		return cv_error_errno(ENOTSUP, "--cpuset-*: not supported on Windows yet");
	if (limits->io_weight > 0)
		return cv_error_errno(ENOTSUP, "--blkio-weight: not supported on Windows");
	if (limits->io_throttle_count > 0)
		return cv_error_errno(ENOTSUP, "I/O throttles: not supported on Windows");
	if (limits->hugetlb_count > 0)
		return cv_error_errno(ENOTSUP, "huge page limits: not supported on Windows");
	return 0;
}

static int apply_limits(HANDLE job, const struct cv_win_job_limits *limits)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION extended;

	memset(&extended, 0, sizeof(extended));
	extended.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
	if (limits->memory_bytes > 0) {
		extended.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_JOB_MEMORY;
		extended.JobMemoryLimit = (SIZE_T)limits->memory_bytes;
	}
	if (limits->active_processes > 0) {
		extended.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_ACTIVE_PROCESS;
		extended.BasicLimitInformation.ActiveProcessLimit = limits->active_processes;
	}
	if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &extended, sizeof(extended)))
		return cv_win_error(GetLastError(), "job limits");
	if (limits->cpu_rate > 0) {
		JOBOBJECT_CPU_RATE_CONTROL_INFORMATION rate;
		memset(&rate, 0, sizeof(rate));
		rate.ControlFlags = JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP;
		rate.CpuRate = limits->cpu_rate;
		if (!SetInformationJobObject(job, JobObjectCpuRateControlInformation, &rate, sizeof(rate)))
			return cv_win_error(GetLastError(), "job CPU rate %u", limits->cpu_rate);
	}
	if (limits->ui_restrictions) {
		JOBOBJECT_BASIC_UI_RESTRICTIONS ui = {
		        .UIRestrictionsClass = JOB_OBJECT_UILIMIT_DESKTOP | JOB_OBJECT_UILIMIT_DISPLAYSETTINGS |
		                               JOB_OBJECT_UILIMIT_EXITWINDOWS | JOB_OBJECT_UILIMIT_GLOBALATOMS |
		                               JOB_OBJECT_UILIMIT_HANDLES | JOB_OBJECT_UILIMIT_READCLIPBOARD |
		                               JOB_OBJECT_UILIMIT_SYSTEMPARAMETERS | JOB_OBJECT_UILIMIT_WRITECLIPBOARD,
		};
		if (!SetInformationJobObject(job, JobObjectBasicUIRestrictions, &ui, sizeof(ui)))
			return cv_win_error(GetLastError(), "job UI restrictions");
	}
	return 0;
}

int cv_win_job_create(const char *name, const struct cv_win_job_limits *limits, struct cv_win_job **out)
{
	struct cv_win_job *job = cv_malloc0(sizeof(*job));

	if (job == NULL)
		return -1;
	job->job = CreateJobObjectA(NULL, name);
	if (job->job == NULL) {
		int result = cv_win_error(GetLastError(), "create job %s", name != NULL ? name : "(anonymous)");
		free(job);
		return result;
	}
	if (name != NULL && GetLastError() == ERROR_ALREADY_EXISTS) {
		cv_win_job_close(job);
		return cv_error_errno(EEXIST, "job %s: exists", name);
	}
	if (apply_limits(job->job, limits) < 0) {
		cv_win_job_close(job);
		return -1;
	}
	*out = job;
	return 0;
}

int cv_win_job_spawn(struct cv_win_job *job, const char *application, const char *command_line, const char *directory,
                     enum containerv_security_level level)
{
	const HANDLE stdio[3] = {GetStdHandle(STD_INPUT_HANDLE), GetStdHandle(STD_OUTPUT_HANDLE),
	                         GetStdHandle(STD_ERROR_HANDLE)};

	return cv_win_job_spawn_stdio(job, application, command_line, directory, level, stdio, false);
}

int cv_win_job_spawn_stdio(struct cv_win_job *job, const char *application, const char *command_line,
                           const char *directory, enum containerv_security_level level, const HANDLE stdio[3],
                           bool only_stdio)
{
	struct cv_win_sandbox sandbox;
	STARTUPINFOEXA startup;
	PROCESS_INFORMATION process;
	LPPROC_THREAD_ATTRIBUTE_LIST attributes = NULL;
	HANDLE inherited[3];
	DWORD inherited_count = 0, attribute_count = 0;
	cleanup_free char *line = cv_strdup(command_line); /* CreateProcess may write into it */
	SIZE_T size = 0;
	BOOL created;
	int result = -1;

	if (line == NULL)
		return -1;
	if (job->process != NULL)
		return cv_error_errno(EBUSY, "job: a process was started already");
	if (cv_win_sandbox_open(level, NULL, &sandbox) < 0)
		return -1;
	memset(&startup, 0, sizeof(startup));
	startup.StartupInfo.cb = sizeof(startup);
	startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	startup.StartupInfo.hStdInput = stdio[0];
	startup.StartupInfo.hStdOutput = stdio[1];
	startup.StartupInfo.hStdError = stdio[2];
	DWORD flags = CREATE_SUSPENDED;
	/* A detached container inherits its standard handles and nothing else of ours (our caller's pipes
	 * would stay open as long as it runs). */
	for (int i = 0; only_stdio && i < 3; i++) {
		bool seen = false;
		for (DWORD j = 0; j < inherited_count; j++)
			seen = seen || inherited[j] == stdio[i];
		if (!seen && stdio[i] != NULL && stdio[i] != INVALID_HANDLE_VALUE)
			inherited[inherited_count++] = stdio[i];
	}
	attribute_count = (sandbox.app_container ? 1 : 0) + (inherited_count > 0 ? 1 : 0);
	if (attribute_count > 0) {
		InitializeProcThreadAttributeList(NULL, attribute_count, 0, &size);
		attributes = malloc(size);
		if (attributes == NULL || !InitializeProcThreadAttributeList(attributes, attribute_count, 0, &size)) {
			cv_win_error(GetLastError(), "process attributes");
			goto out;
		}
		if (sandbox.app_container &&
		    !UpdateProcThreadAttribute(attributes, 0, PROC_THREAD_ATTRIBUTE_SECURITY_CAPABILITIES,
		                               &sandbox.capabilities, sizeof(sandbox.capabilities), NULL, NULL)) {
			cv_win_error(GetLastError(), "AppContainer attributes");
			goto out;
		}
		if (inherited_count > 0 &&
		    !UpdateProcThreadAttribute(attributes, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherited,
		                               inherited_count * sizeof(HANDLE), NULL, NULL)) {
			cv_win_error(GetLastError(), "inherited handle list");
			goto out;
		}
		startup.StartupInfo.cb = sizeof(STARTUPINFOEXA);
		startup.lpAttributeList = attributes;
		flags |= EXTENDED_STARTUPINFO_PRESENT;
	}
	if (sandbox.token != NULL)
		created = CreateProcessAsUserA(sandbox.token, application, line, NULL, NULL, TRUE, flags, NULL,
		                               directory, &startup.StartupInfo, &process);
	else
		created = CreateProcessA(application, line, NULL, NULL, TRUE, flags, NULL, directory,
		                         &startup.StartupInfo, &process);
	if (!created) {
		cv_win_error(GetLastError(), "start %s", command_line);
		goto out;
	}
	/* In the job before its first instruction: nothing it starts escapes the limits. */
	if (!AssignProcessToJobObject(job->job, process.hProcess)) {
		cv_win_error(GetLastError(), "assign process %lu to the job", (unsigned long)process.dwProcessId);
		TerminateProcess(process.hProcess, 1);
		CloseHandle(process.hThread);
		CloseHandle(process.hProcess);
		goto out;
	}
	if (ResumeThread(process.hThread) == (DWORD)-1) {
		cv_win_error(GetLastError(), "resume process %lu", (unsigned long)process.dwProcessId);
		TerminateJobObject(job->job, 1);
		CloseHandle(process.hThread);
		CloseHandle(process.hProcess);
		goto out;
	}
	CloseHandle(process.hThread);
	job->process = process.hProcess;
	job->pid = process.dwProcessId;
	result = 0;
out:
	if (attributes != NULL) {
		DeleteProcThreadAttributeList(attributes);
		free(attributes);
	}
	cv_win_sandbox_close(&sandbox);
	return result;
}

int cv_win_job_wait(struct cv_win_job *job, DWORD timeout_ms, DWORD *exit_code)
{
	if (job->process == NULL)
		return cv_error_errno(ECHILD, "job: no process started");
	switch (WaitForSingleObject(job->process, timeout_ms)) {
	case WAIT_OBJECT_0:
		break;
	case WAIT_TIMEOUT:
		return cv_error_errno(ETIMEDOUT, "process %lu: still running after %lu ms", (unsigned long)job->pid,
		                      (unsigned long)timeout_ms);
	default:
		return cv_win_error(GetLastError(), "wait for process %lu", (unsigned long)job->pid);
	}
	if (!GetExitCodeProcess(job->process, exit_code))
		return cv_win_error(GetLastError(), "exit code of process %lu", (unsigned long)job->pid);
	return 0;
}

int cv_win_job_terminate(struct cv_win_job *job, unsigned int exit_code)
{
	if (!TerminateJobObject(job->job, exit_code))
		return cv_win_error(GetLastError(), "terminate the job");
	return 0;
}

int cv_win_job_stats(struct cv_win_job *job, struct cv_win_job_stats *stats)
{
	JOBOBJECT_BASIC_AND_IO_ACCOUNTING_INFORMATION accounting;
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION extended;

	memset(stats, 0, sizeof(*stats));
	memset(&accounting, 0, sizeof(accounting));
	if (!QueryInformationJobObject(job->job, JobObjectBasicAndIoAccountingInformation, &accounting,
	                               sizeof(accounting), NULL)) {
		/* without the I/O counters where only the basic class is implemented (wine 8) */
		DWORD error = GetLastError();
		if ((error != ERROR_INVALID_FUNCTION && error != ERROR_NOT_SUPPORTED) ||
		    !QueryInformationJobObject(job->job, JobObjectBasicAccountingInformation, &accounting.BasicInfo,
		                               sizeof(accounting.BasicInfo), NULL))
			return cv_win_error(error, "job accounting");
	}
	stats->user_time_100ns = (uint64_t)accounting.BasicInfo.TotalUserTime.QuadPart;
	stats->kernel_time_100ns = (uint64_t)accounting.BasicInfo.TotalKernelTime.QuadPart;
	stats->total_processes = accounting.BasicInfo.TotalProcesses;
	stats->active_processes = accounting.BasicInfo.ActiveProcesses;
	stats->terminated_processes = accounting.BasicInfo.TotalTerminatedProcesses;
	stats->read_bytes = accounting.IoInfo.ReadTransferCount;
	stats->write_bytes = accounting.IoInfo.WriteTransferCount;
	if (!QueryInformationJobObject(job->job, JobObjectExtendedLimitInformation, &extended, sizeof(extended), NULL))
		return cv_win_error(GetLastError(), "job limits");
	stats->peak_job_memory = extended.PeakJobMemoryUsed;
	if (extended.BasicLimitInformation.LimitFlags & JOB_OBJECT_LIMIT_JOB_MEMORY)
		stats->memory_limit = (int64_t)extended.JobMemoryLimit;
	if (extended.BasicLimitInformation.LimitFlags & JOB_OBJECT_LIMIT_ACTIVE_PROCESS)
		stats->active_process_limit = extended.BasicLimitInformation.ActiveProcessLimit;
	return 0;
}

DWORD cv_win_job_pid(const struct cv_win_job *job)
{
	return job->pid;
}

int cv_win_job_open(const char *name, struct cv_win_job **out)
{
	struct cv_win_job *job = cv_malloc0(sizeof(*job));

	if (job == NULL)
		return -1;
	job->job = OpenJobObjectA(JOB_OBJECT_QUERY | JOB_OBJECT_TERMINATE, FALSE, name);
	if (job->job == NULL) {
		int result = cv_win_error(GetLastError(), "job %s", name);
		free(job);
		return result;
	}
	*out = job;
	return 0;
}

HANDLE cv_win_job_handle(const struct cv_win_job *job)
{
	return job->job;
}

HANDLE cv_win_job_process(const struct cv_win_job *job)
{
	return job->process;
}

void cv_win_job_close(struct cv_win_job *job)
{
	if (job == NULL)
		return;
	if (job->process != NULL)
		CloseHandle(job->process);
	if (job->job != NULL)
		CloseHandle(job->job);
	free(job);
}
