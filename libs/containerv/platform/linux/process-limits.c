/*
 * --ulimit and --oom-score-adj for a container's processes (process-limits.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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
