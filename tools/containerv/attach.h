/*
 * Staying attached to a process until it ends: the container's main
 * process (run, start -a) or one started by exec. Forwards SIGINT, SIGTERM
 * and SIGHUP received by the CLI, relays the pty for -t, and returns how
 * the process ended.
 */
#ifndef CV_CLI_ATTACH_H
#define CV_CLI_ATTACH_H

#include <stdbool.h>
#include <sys/types.h>

#include <chef/containerv.h>

struct attach_options {
	struct containerv_container *container;
	pid_t pid;        /* a process from containerv_spawn(), or 0 for the container's main process */
	int master;       /* pty master for -t, or -1 */
	bool interactive; /* -i with -t: copy our stdin into the pty (without -t stdin is passed directly) */
};

/*
 * Waits for the process; fills exit_status. Returns 0, or -1 with the
 * library's reason in *reason (static storage).
 */
int attach_wait(const struct attach_options *options, struct containerv_exit *exit_status, const char **reason);

#endif
