/*
 * Staying attached to a process until it ends: the container's main
 * process (run) or one started by exec. Forwards SIGINT, SIGTERM and SIGHUP
 * received by the CLI, relays the pty for -t or the process's pipes (never
 * are our own descriptors handed into a container), and returns how the
 * process ended.
 */
#ifndef CV_CLI_ATTACH_H
#define CV_CLI_ATTACH_H

#include <stdbool.h>
#include <sys/types.h>

#include <chef/containerv.h>

struct attach_options {
	struct containerv_container *container;
	containerv_pid_t pid; /* a process from containerv_spawn(), or 0 for the container's main process */
	int master;           /* pty master for -t, or -1 */
	/*
	 * Without -t: the write end of its stdin pipe (-i) and the read ends of its stdout and stderr pipes,
	 * or -1 each (attach_wait closes them all).
	 */
	containerv_fd_t stdio[3];
	bool interactive; /* -i: copy our stdin into the pty or the stdin pipe */
	/*
	 * --sig-proxy=false: SIGINT, SIGTERM and SIGHUP received by the CLI are not passed on, and do not end
	 * it either: it holds the process's only streams, so leaving would cut its output (no daemon keeps it).
	 */
	bool no_signal_proxy;
};

/*
 * Waits for the process; fills exit_status. Returns 0, or -1 with the
 * library's reason in *reason (static storage).
 */
int attach_wait(const struct attach_options *options, struct containerv_exit *exit_status, const char **reason);

#endif
