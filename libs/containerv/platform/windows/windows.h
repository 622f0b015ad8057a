/*
 * Internal: the Windows backend (docs/windows.md). A container is a Job Object holding its
 * processes, with the limits applied to the job (memory, CPU rate, active processes,
 * kill-on-close, UI restrictions); its first process is created suspended with the token of the
 * security level, assigned to the job, then resumed. Volumes with a size are virtual disks
 * (VHDX); process-isolated and Hyper-V containers go through HCS when computecore.dll is there.
 *
 * Every function returns 0 or -1 with errno and the last error set (a Windows error code is
 * named in the message), as the rest of the library.
 */
#ifndef CV_PLATFORM_WINDOWS_H
#define CV_PLATFORM_WINDOWS_H

#include <chef/containerv/limits.h>
#include <chef/containerv/security.h>
#include <stdbool.h>
#include <stdint.h>
#include <windows.h>

/*
 * containerv.dll exports these for containerv.exe and the Windows test program (tests/windows):
 * they are not public API (no stability promise) until core/ runs on Windows and they move
 * behind struct cv_backend_ops.
 */
#ifdef CONTAINERV_BUILDING_DLL
#define CV_WIN_API __declspec(dllexport)
#else
#define CV_WIN_API
#endif

/* ---- job.c: the container as a Job Object */

struct cv_win_job;

/* The limits of a job, from the portable limits: memory_bytes (job memory), cpu_quota_us over
 * cpu_period_us (CPU rate, hard cap), pids_max (active processes). Anything else set there that a
 * job cannot express fails with ENOTSUP naming it. */
struct cv_win_job_limits {
	int64_t memory_bytes;      /* JOB_OBJECT_LIMIT_JOB_MEMORY; 0 none */
	uint32_t cpu_rate;         /* JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP, 1..10000 (1/100 %); 0 none */
	uint32_t active_processes; /* JOB_OBJECT_LIMIT_ACTIVE_PROCESS; 0 none */
	bool ui_restrictions;      /* desktop, clipboard, global atoms, system parameters, exit Windows */
};

/* Converts portable limits (see struct cv_win_job_limits); fails with ENOTSUP naming what a job cannot express. */
CV_WIN_API int cv_win_job_limits_from(const struct containerv_limits *limits, struct cv_win_job_limits *out);

/* A new job with kill-on-close set (the job's processes end when its last handle closes) and the
 * limits applied. name may be NULL (an anonymous job). */
CV_WIN_API int cv_win_job_create(const char *name, const struct cv_win_job_limits *limits, struct cv_win_job **job);

/* Starts command_line (CreateProcess's rules; application may be NULL: the first word, searched in
 * directory then PATH) in directory, with the token of level, suspended, assigns it to the job,
 * and resumes it. The caller's standard handles are inherited. */
CV_WIN_API int cv_win_job_spawn(struct cv_win_job *job, const char *application, const char *command_line,
                                const char *directory, enum containerv_security_level level);

/* The same with the standard handles given (stdin, stdout, stderr; inheritable); with only_stdio the
 * process inherits those and no other handle of ours (PROC_THREAD_ATTRIBUTE_HANDLE_LIST). */
CV_WIN_API int cv_win_job_spawn_stdio(struct cv_win_job *job, const char *application, const char *command_line,
                                      const char *directory, enum containerv_security_level level,
                                      const HANDLE stdio[3], bool only_stdio);

/* Opens the job name made by another process (query and terminate access; no process of it). */
CV_WIN_API int cv_win_job_open(const char *name, struct cv_win_job **job);
/* The job's handle and its first process's (NULL before spawn), owned by job. */
CV_WIN_API HANDLE cv_win_job_handle(const struct cv_win_job *job);
CV_WIN_API HANDLE cv_win_job_process(const struct cv_win_job *job);

/* Waits for the first process to end (timeout_ms, INFINITE for no limit; ETIMEDOUT when it
 * passes) and gives its exit code. */
CV_WIN_API int cv_win_job_wait(struct cv_win_job *job, DWORD timeout_ms, DWORD *exit_code);

/* Ends every process of the job with exit_code (TerminateJobObject). */
CV_WIN_API int cv_win_job_terminate(struct cv_win_job *job, unsigned int exit_code);

/* Accounting of the job (QueryInformationJobObject). */
struct cv_win_job_stats {
	uint64_t user_time_100ns;         /* TotalUserTime */
	uint64_t kernel_time_100ns;       /* TotalKernelTime */
	uint32_t total_processes;         /* processes ever in the job */
	uint32_t active_processes;        /* processes in it now */
	uint32_t terminated_processes;    /* ended by a limit */
	uint64_t read_bytes, write_bytes; /* I/O accounting */
	uint64_t peak_job_memory;         /* PeakJobMemoryUsed (extended limit information) */
	int64_t memory_limit;             /* JobMemoryLimit as the job reports it; 0 none */
	uint32_t active_process_limit;    /* as the job reports it; 0 none */
};
CV_WIN_API int cv_win_job_stats(struct cv_win_job *job, struct cv_win_job_stats *stats);

/* The process id of the first process (0 before spawn). */
CV_WIN_API DWORD cv_win_job_pid(const struct cv_win_job *job);

/* Closes the job: with kill-on-close, its processes end. NULL is fine. */
CV_WIN_API void cv_win_job_close(struct cv_win_job *job);

/* ---- token.c: the security levels
 *   permissive  the caller's token
 *   restricted  a restricted token: every privilege but SeChangeNotify removed
 *   strict      the same at low integrity (no writes to medium-integrity objects)
 *   paranoid    an AppContainer (a low-box token) with no capability: no network, no user files
 * For paranoid, *capabilities is filled for PROC_THREAD_ATTRIBUTE_SECURITY_CAPABILITIES and
 * *token stays NULL; else *token is the primary token for CreateProcessAsUser (NULL: the caller's). */
struct cv_win_sandbox {
	HANDLE token;
	SECURITY_CAPABILITIES capabilities;
	bool app_container;
};
CV_WIN_API int cv_win_sandbox_open(enum containerv_security_level level, const char *profile_name,
                                   struct cv_win_sandbox *sandbox);
CV_WIN_API void cv_win_sandbox_close(struct cv_win_sandbox *sandbox);

/* ---- vhd.c: size-limited volumes as virtual disks (VHDX) */
/* Creates path (.vhdx) of bytes, dynamic (grows to bytes) or fixed (all allocated now). */
CV_WIN_API int cv_win_vhd_create(const char *path, uint64_t bytes, bool dynamic);
/* Attaches path (no drive letter); *handle keeps it attached until cv_win_vhd_detach. */
CV_WIN_API int cv_win_vhd_attach(const char *path, bool read_only, HANDLE *handle);
CV_WIN_API int cv_win_vhd_detach(HANDLE handle);

/* ---- hcs.c: HCS (computecore.dll), untested here */
/* Whether computecore.dll and the functions used are there (Windows 10 1809 and later with the
 * Containers feature). */
CV_WIN_API bool cv_win_hcs_available(void);
/* Creates and starts a process-isolated (hyperv false) or Hyper-V compute system id from the
 * layers (the image's layer folders, base first) and a scratch folder; see hcs.c for the schema
 * document. */
CV_WIN_API int cv_win_hcs_start(const char *id, const char *const *layers, const char *scratch, bool hyperv);
CV_WIN_API int cv_win_hcs_terminate(const char *id);

/* ---- version.c */
/* One line per Windows mechanism: "name: tested under wine" / "untested here" (containerv version). */
CV_WIN_API const char *cv_win_mechanisms(void);

/* A Windows error code as a message for the last error: "what: text (error N)", errno from err. */
CV_WIN_API int cv_win_error(DWORD error, const char *format, ...) __attribute__((format(gnu_printf, 2, 3)));

#endif
