/* Internal: limits checked against what this host has. */
#ifndef CV_LINUX_HOST_LIMITS_H
#define CV_LINUX_HOST_LIMITS_H

#include <chef/containerv/limits.h>

/*
 * Refuses limits this host cannot give, with one line saying what it has: a CPU
 * quota above its online CPUs, a cpuset naming a CPU or memory node it lacks.
 * Checked at create and update, before anything is made or written.
 */
int cv_host_limits_check(const struct containerv_limits *limits);

#endif
