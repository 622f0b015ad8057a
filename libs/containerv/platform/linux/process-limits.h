/*
 * Internal: what every process of a container gets besides its command, from
 * the config: its resource limits (--ulimit) and its OOM score adjustment
 * (--oom-score-adj). Built by the parent; applied in the child (the init's
 * main command, and each spawned process) without allocating.
 */
#ifndef CV_LINUX_PROCESS_LIMITS_H
#define CV_LINUX_PROCESS_LIMITS_H

#include <stdbool.h>
#include <sys/resource.h>

#include <chef/containerv/container.h>

struct containerv_options;

struct cv_process_limits {
	struct {
		int resource;     /* RLIMIT_* */
		const char *name; /* docker's (static) */
		struct rlimit limit;
	} rlimits[CONTAINERV_ULIMITS_MAX];
	size_t rlimit_count;
	bool oom_score_adj_set;
	int oom_score_adj;
	int io_priority; /* ioprio_set(2)'s value; 0: inherited */
	bool scheduler_set;
	struct containerv_scheduler scheduler;
};

/* The config's --ulimit and --oom-score-adj. */
int cv_process_limits_build(const struct containerv_options *config, struct cv_process_limits *limits);
/*
 * With RLIMITS, setrlimit each; with OOM_SCORE_ADJ, write /proc/self/oom_score_adj. Before the privileges
 * are dropped (raising a hard limit or lowering the score needs CAP_SYS_RESOURCE). No allocation.
 */
int cv_process_limits_apply(const struct cv_process_limits *limits, bool rlimits, bool oom_score_adj);

/* The main command's I/O priority and scheduling policy, before its capabilities go. No allocation. */
int cv_process_scheduling_apply(const struct cv_process_limits *limits);

#endif
