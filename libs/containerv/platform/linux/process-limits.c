/*
 * --ulimit, --oom-score-adj, I/O priority and scheduler for a container's processes (process-limits.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "config/options.h"
#include "platform/linux/process-limits.h"

/* cv_ulimit_names' order (config/process-options.c). */
static const int ulimit_resources[] = {
        RLIMIT_AS,      RLIMIT_CORE,     RLIMIT_CPU,        RLIMIT_DATA,   RLIMIT_FSIZE, RLIMIT_LOCKS,
        RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, RLIMIT_NICE,       RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_RSS,
        RLIMIT_RTPRIO,  RLIMIT_RTTIME,   RLIMIT_SIGPENDING, RLIMIT_STACK,
};

static rlim_t rlimit_value(int64_t value)
{
	return value < 0 ? RLIM_INFINITY : (rlim_t)value;
}

int cv_process_limits_build(const struct containerv_options *config, struct cv_process_limits *limits)
{
	memset(limits, 0, sizeof *limits);
	for (size_t i = 0; i < config->ulimit_count; i++) {
		size_t index = 0;
		while (cv_ulimit_names[index] != NULL && strcmp(cv_ulimit_names[index], config->ulimits[i].name) != 0)
			index++;
		if (cv_ulimit_names[index] == NULL || index >= sizeof ulimit_resources / sizeof *ulimit_resources)
			return cv_error_errno(EINVAL, "ulimit %s: not a resource", config->ulimits[i].name);
		limits->rlimits[limits->rlimit_count].resource = ulimit_resources[index];
		limits->rlimits[limits->rlimit_count].name = cv_ulimit_names[index];
		limits->rlimits[limits->rlimit_count].limit.rlim_cur = rlimit_value(config->ulimits[i].soft);
		limits->rlimits[limits->rlimit_count].limit.rlim_max = rlimit_value(config->ulimits[i].hard);
		limits->rlimit_count++;
	}
	limits->oom_score_adj_set = config->oom_score_adj_set;
	limits->oom_score_adj = config->oom_score_adj;
	limits->io_priority = config->io_priority;
	limits->scheduler_set = config->scheduler_set;
	limits->scheduler = config->scheduler;
	return 0;
}

/* sched_setattr(2)'s argument (glibc 2.36 has neither the call nor the structure). */
struct cv_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

int cv_process_scheduling_apply(const struct cv_process_limits *limits)
{
	/* IOPRIO_WHO_PROCESS (1), this process (0). */
	if (limits->io_priority != 0 && syscall(SYS_ioprio_set, 1, 0, limits->io_priority) < 0)
		return cv_error_sys("io priority (ioprio_set class %d level %d)", limits->io_priority >> 13,
		                    limits->io_priority & 0x1fff);
	if (!limits->scheduler_set)
		return 0;
	const struct containerv_scheduler *s = &limits->scheduler;
	struct cv_sched_attr attr = {
	        .size = sizeof attr,
	        .sched_policy = (uint32_t)s->policy,
	        .sched_flags = s->flags,
	        .sched_nice = s->nice,
	        .sched_priority = (uint32_t)s->priority,
	        .sched_runtime = s->runtime,
	        .sched_deadline = s->deadline,
	        .sched_period = s->period,
	};
	if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
		return cv_error_sys("scheduler (sched_setattr policy %d)", s->policy);
	return 0;
}

int cv_process_limits_apply(const struct cv_process_limits *limits, bool rlimits, bool oom_score_adj)
{
	for (size_t i = 0; rlimits && i < limits->rlimit_count; i++)
		if (setrlimit(limits->rlimits[i].resource, &limits->rlimits[i].limit) < 0)
			return cv_error_sys("ulimit %s", limits->rlimits[i].name);
	if (oom_score_adj && limits->oom_score_adj_set) {
		char text[16];
		int length = snprintf(text, sizeof text, "%d", limits->oom_score_adj);
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return cv_error_sys("open /proc/self/oom_score_adj");
		ssize_t written = write(fd, text, (size_t)length);
		int saved = errno;
		close(fd);
		if (written != length) {
			errno = written < 0 ? saved : EIO;
			return cv_error_sys("oom score adjustment %d", limits->oom_score_adj);
		}
	}
	return 0;
}
