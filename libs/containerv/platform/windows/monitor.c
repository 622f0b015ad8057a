/*
 * A detached container's start and its monitor (platform/windows/backend.c says what each is for).
 *
 * The monitor is containerv.dll's cv_win_monitor run by rundll32.exe: the library starts it without
 * knowing which program loaded it, and no helper executable has to be found. Its command line:
 *
 *   rundll32.exe "<containerv.dll>",cv_win_monitor JOB PROCESS ID ROOT
 *
 * JOB and PROCESS are handle values it inherited (PROC_THREAD_ATTRIBUTE_HANDLE_LIST: those two and
 * nothing else of the caller's), ID the container's, ROOT the state root (the rest of the line).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <windows.h>
/* objbase.h's "#define interface struct" would rename the shared headers' fields of that name. */
#undef interface

#include <jansson.h>

#include "common/error.h"
#include "common/log-file.h"
#include "common/state-files.h"
#include "common/util.h"
#include "core/backend.h"
#include "core/container.h"
#include "platform/windows/backend.h"
#include "platform/windows/quote.h"
#include "platform/windows/windows.h"

/* <rootfs>\PROGRAM, else <rootfs>\PROGRAM.exe (check_host refused a path in PROGRAM). */
static int find_program(const struct containerv_container *c, char *application, size_t size)
{
	const char *rootfs = c->config.layers[0], *program = c->config.argv[0];
	struct stat st;

	snprintf(application, size, "%s\\%s", rootfs, program);
	if (stat(application, &st) == 0 && S_ISREG(st.st_mode))
		return 0;
	snprintf(application, size, "%s\\%s.exe", rootfs, program);
	if (stat(application, &st) == 0 && S_ISREG(st.st_mode))
		return 0;
	return cv_error_errno(ENOENT, "%s: not found in %s", program, rootfs);
}

/* An inheritable handle of path opened for appending (the log) or reading (NUL). */
static HANDLE open_inheritable(const char *path, bool append)
{
	SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};

	return CreateFileA(path, append ? FILE_APPEND_DATA : GENERIC_READ,
	                   FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &inherit,
	                   append ? OPEN_ALWAYS : OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
}

/* The full path of the module (containerv.dll) this code is in. */
static int own_module(char *path, size_t size)
{
	HMODULE module;

	if (!GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
	                        (LPCSTR)(void *)own_module, &module) ||
	    GetModuleFileNameA(module, path, (DWORD)size) == 0)
		return cv_win_error(GetLastError(), "the path of containerv.dll");
	return 0;
}

/* Starts the monitor with job and process (made inheritable for it alone); its pid and creation time. */
static int spawn_monitor(struct containerv_container *c, HANDLE job, HANDLE process, PROCESS_INFORMATION *monitor)
{
	char dll[MAX_PATH], rundll32[MAX_PATH];
	cleanup_free char *line = NULL;
	HANDLE inherited[2] = {job, process};
	LPPROC_THREAD_ATTRIBUTE_LIST attributes = NULL;
	STARTUPINFOEXA startup;
	SIZE_T size = 0;
	int ret = -1;

	if (own_module(dll, sizeof dll) < 0)
		return -1;
	if (GetSystemDirectoryA(rundll32, sizeof rundll32) == 0)
		return cv_win_error(GetLastError(), "the system directory");
	strncat(rundll32, "\\rundll32.exe", sizeof rundll32 - strlen(rundll32) - 1);
	if (cv_asprintf(&line, "\"%s\" \"%s\",cv_win_monitor %" PRIuPTR " %" PRIuPTR " %s %s", rundll32, dll,
	                (uintptr_t)job, (uintptr_t)process, c->id, cv_context_root(c->context)) < 0)
		return -1;
	if (!SetHandleInformation(job, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT) ||
	    !SetHandleInformation(process, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT))
		return cv_win_error(GetLastError(), "monitor handles");
	memset(&startup, 0, sizeof startup);
	startup.StartupInfo.cb = sizeof startup;
	InitializeProcThreadAttributeList(NULL, 1, 0, &size);
	attributes = malloc(size);
	if (attributes == NULL || !InitializeProcThreadAttributeList(attributes, 1, 0, &size) ||
	    !UpdateProcThreadAttribute(attributes, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherited, sizeof inherited,
	                               NULL, NULL)) {
		cv_win_error(GetLastError(), "monitor attributes");
		goto out;
	}
	startup.lpAttributeList = attributes;
	if (!CreateProcessA(rundll32, line, NULL, NULL, TRUE, DETACHED_PROCESS | EXTENDED_STARTUPINFO_PRESENT, NULL,
	                    NULL, &startup.StartupInfo, monitor)) {
		cv_win_error(GetLastError(), "start the monitor (%s)", rundll32);
		goto out;
	}
	CloseHandle(monitor->hThread);
	ret = 0;
out:
	SetHandleInformation(job, HANDLE_FLAG_INHERIT, 0);
	SetHandleInformation(process, HANDLE_FLAG_INHERIT, 0);
	if (attributes != NULL) {
		DeleteProcThreadAttributeList(attributes);
		free(attributes);
	}
	return ret;
}

static int write_monitor_file(struct containerv_container *c, const PROCESS_INFORMATION *monitor)
{
	char text[128];
	int length = snprintf(text, sizeof text, "{\"pid\": %lu, \"start_time\": %" PRIu64 "}\n",
	                      (unsigned long)monitor->dwProcessId, cv_win_process_start_time(monitor->hProcess));

	return cv_write_file_atomic_in(c->dir, CV_WIN_MONITOR_FILE, NULL, text, (size_t)length, 0600);
}

int cv_win_start_detached(struct containerv_container *c)
{
	char application[MAX_PATH], job_name[96], logs[PATH_MAX];
	struct cv_win_job_limits limits;
	struct cv_win_job *job = NULL;
	cleanup_free char *line = NULL;
	HANDLE stdio[3] = {INVALID_HANDLE_VALUE, INVALID_HANDLE_VALUE, INVALID_HANDLE_VALUE};
	PROCESS_INFORMATION monitor = {0};
	int ret = -1;

	if (find_program(c, application, sizeof application) < 0 ||
	    cv_win_job_limits_from(&c->config.limits, &limits) < 0)
		return -1;
	line = cv_windows_command_line((const char *const *)c->config.argv);
	if (line == NULL)
		return cv_error_errno(ENOMEM, "command line: out of memory");
	snprintf(logs, sizeof logs, "%s/" CV_LOG_DIR, c->dir);
	if (cv_mkdir_p(logs, 0700) < 0)
		return -1;
	stdio[0] = open_inheritable("NUL", false);
	stdio[1] = stdio[2] = open_inheritable(c->log_path, true);
	if (stdio[0] == INVALID_HANDLE_VALUE || stdio[1] == INVALID_HANDLE_VALUE) {
		cv_win_error(GetLastError(), "open %s", c->log_path);
		goto out;
	}
	cv_win_job_name(c->id, job_name, sizeof job_name);
	if (cv_win_job_create(job_name, &limits, &job) < 0 ||
	    cv_win_job_spawn_stdio(job, application, line, c->config.layers[0],
	                           containerv_security_level(c->config.security), stdio, true) < 0)
		goto out;
	c->state.pid = (containerv_pid_t)cv_win_job_pid(job);
	c->state.pid_start_time = cv_win_process_start_time(cv_win_job_process(job));
	if (spawn_monitor(c, cv_win_job_handle(job), cv_win_job_process(job), &monitor) < 0)
		goto fail;
	if (write_monitor_file(c, &monitor) < 0)
		goto fail;
	c->state.status = CV_STATE_RUNNING;
	c->state.started_ns = cv_now_ns();
	c->state.finished_ns = 0;
	memset(&c->state.exit, 0, sizeof c->state.exit);
	cv_file_remove_in(c->dir, "exit.json");
	if (cv_state_save(c) < 0)
		goto fail;
	ret = 0;
	goto out;
fail:
	cv_win_job_terminate(job, 128 + SIGKILL);
	if (monitor.hProcess != NULL)
		TerminateProcess(monitor.hProcess, 1);
out:
	if (monitor.hProcess != NULL)
		CloseHandle(monitor.hProcess);
	cv_win_job_close(job); /* the monitor holds the job now (kill-on-close: it ends with the monitor) */
	if (stdio[0] != INVALID_HANDLE_VALUE)
		CloseHandle(stdio[0]);
	if (stdio[1] != INVALID_HANDLE_VALUE)
		CloseHandle(stdio[1]);
	return ret;
}

/* Records the end of the container's first process: exit.json, then state.json under the lock. */
static void record_exit(struct containerv_context *context, const char *id, DWORD pid, DWORD code)
{
	const struct cv_backend_ops *backend = cv_backend();
	struct containerv_container *c = NULL;
	char text[160];
	int64_t finished = cv_now_ns();
	int length = snprintf(text, sizeof text, "{\"code\": %lu, \"signal\": 0, \"finished_ns\": %" PRId64 "}\n",
	                      (unsigned long)code, finished);

	if (cv_state_load(context, id, &c) < 0)
		return;
	/* Under the lock: a removal holding it (containerv_remove's terminate, then destroy) is not raced. */
	if (backend->lock(c) < 0) {
		containerv_close(c);
		return;
	}
	if (c->state.pid == (containerv_pid_t)pid && cv_state_has_init(c)) {
		cv_write_file_atomic_in(c->dir, "exit.json", NULL, text, (size_t)length, 0600);
		c->state.status = CV_STATE_EXITED;
		c->state.exit.code = (int)code;
		c->state.exit.signal = 0;
		c->state.finished_ns = finished;
		cv_state_save(c);
	}
	if (c->config.autoremove)
		backend->destroy(c, true);
	backend->unlock(c);
	containerv_close(c);
}

/* rundll32's entry: see the top of this file. Returns when the container has ended and is recorded. */
__declspec(dllexport) void CALLBACK cv_win_monitor(HWND window, HINSTANCE instance, LPSTR arguments, int show)
{
	unsigned long long job_value = 0, process_value = 0;
	char id[CV_ID_LENGTH + 1];
	int consumed = 0;
	struct containerv_context *context = NULL;
	HANDLE job, process;
	DWORD code = 128 + SIGKILL, pid;

	(void)window, (void)instance, (void)show;
	if (sscanf(arguments, "%llu %llu %64s %n", &job_value, &process_value, id, &consumed) != 3 || consumed == 0)
		return;
	job = (HANDLE)(uintptr_t)job_value;
	process = (HANDLE)(uintptr_t)process_value;
	pid = GetProcessId(process);
	WaitForSingleObject(process, INFINITE);
	GetExitCodeProcess(process, &code);
	/* What the first process left running ends with it, as a pid namespace's processes do with its init. */
	TerminateJobObject(job, code);
	if (containerv_context_open(arguments + consumed, &context) == 0) {
		CV_CONTEXT_SCOPE(context);
		record_exit(context, id, pid, code);
	}
	containerv_context_close(context);
	CloseHandle(process);
	CloseHandle(job);
}
