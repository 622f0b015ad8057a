/*
 * containerv's init: PID 1 of every container. It is the cloned child of
 * the process that started the container (no exec, so no binary to find
 * and no extra start-up cost). It finishes the container's setup, starts
 * the main command, tells the parent how that went, then reaps zombies,
 * forwards signals to the main command and records its exit status in
 * exit.json when it ends. Its own exit then tears down the PID namespace,
 * which kills whatever is left in it.
 *
 * Runs in the cloned child: no memory allocation (see init-plan.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/container-private.h"
#include "platform/linux/init-plan.h"
#include "platform/linux/workload.h"

extern char **environ;

static void send_message(int fd, int type, int error, const char *text)
{
	struct cv_sync_message message = {.type = type, .error = error};

	snprintf(message.text, sizeof message.text, "%s", text);
	while (send(fd, &message, sizeof message, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

static void __attribute__((noreturn)) fail_setup(const struct cv_init_plan *plan)
{
	send_message(plan->sync_fd, CV_SYNC_SETUP_ERROR, errno, containerv_last_error());
	_exit(125);
}

static bool is_kept(const struct cv_init_plan *plan, int fd)
{
	for (int i = 0; i < plan->keep_count; i++) {
		if (plan->keep_fds[i] == fd)
			return true;
	}
	return false;
}

/* Closes every descriptor inherited from the caller except the plan's. */
static void close_inherited_fds(const struct cv_init_plan *plan)
{
	int start = 0;

	for (int fd = 0; fd < 1024; fd++) {
		if (!is_kept(plan, fd))
			continue;
		if (fd > start)
			close_range((unsigned int)start, (unsigned int)fd - 1, 0);
		start = fd + 1;
	}
	close_range((unsigned int)start, ~0U, 0);
	/* Occupy 0..2 again so that no descriptor opened later (a pipe) lands there and is clobbered by dup2. */
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			open("/dev/null", O_RDWR); /* takes the lowest free number: fd */
	}
}

static void reset_signals(void)
{
	sigset_t all;

	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/*
 * Raw system calls, not glibc's set*id(): those signal every thread glibc believes the process has,
 * and in this clone of a multi-threaded caller they are the caller's threads, so they would wait forever.
 */
static int switch_user(uid_t uid, gid_t gid, bool in_user_namespace, const gid_t *groups, size_t group_count)
{
	/* Dropping every group may be denied in a user namespace (it has none to drop); asked-for groups may not. */
	if (syscall(SYS_setgroups, group_count, groups) < 0 &&
	    !(in_user_namespace && errno == EPERM && group_count == 0))
		return cv_error_sys("setgroups");
	if (syscall(SYS_setresgid, gid, gid, gid) < 0)
		return cv_error_sys("setgid %u", (unsigned int)gid);
	if (syscall(SYS_setresuid, uid, uid, uid) < 0)
		return cv_error_sys("setuid %u", (unsigned int)uid);
	return 0;
}

static int switch_user_of_plan(uid_t uid, gid_t gid, void *arg)
{
	const struct cv_init_plan *plan = arg;

	return switch_user(uid, gid, plan->namespaces & CV_NS_USER, plan->groups, plan->group_count);
}

/* The namespaces joined rather than made, entered before anything is set up in them; their descriptors go. */
static void join_namespaces(struct cv_init_plan *plan)
{
	for (int i = 0; i < 3; i++) {
		if (plan->join_fds[i] < 0)
			continue;
		if (setns(plan->join_fds[i], plan->join_types[i]) < 0) {
			cv_error_sys("join a namespace (setns)");
			fail_setup(plan);
		}
		close(plan->join_fds[i]);
		plan->join_fds[i] = -1;
	}
}

/* The main command's side of the fork: never returns. Failures go to error_fd as a sync message. */
static void __attribute__((noreturn)) exec_main(const struct cv_init_plan *plan, int error_fd)
{
	struct cv_sync_message message = {.type = CV_SYNC_SETUP_ERROR};

	reset_signals();
	setsid();
	if (cv_install_stdio(plan->stdio) < 0)
		goto fail;
	if (plan->tty && ioctl(0, TIOCSCTTY, 0) < 0) {
		cv_error_sys("set the controlling terminal");
		goto fail;
	}
	if (cv_chdir_in_root(plan->workdir) < 0)
		goto fail;
	if (plan->umask >= 0)
		umask((mode_t)plan->umask);
	/* Before seccomp: a filter may allow only the harmless personas, and this is one of them. */
	if (plan->personality != CV_PERSONALITY_INHERIT &&
	    personality(plan->personality == CV_PERSONALITY_LINUX32 ? PER_LINUX32 : PER_LINUX) < 0) {
		cv_error_sys("personality");
		goto fail;
	}
	/* --ulimit: the command's own limits (not the init's, which must keep its descriptors), while we may raise
	 * them. */
	if (cv_process_limits_apply(&plan->process_limits, true, false) < 0)
		goto fail;
	/* Capabilities, no_new_privileges, Landlock and seccomp last, with the user switch in their midst. */
	if (cv_security_apply(&plan->security, plan->uid, plan->gid, switch_user_of_plan, (void *)plan) < 0)
		goto fail;
	environ = plan->env;
	execvp(plan->argv[0], plan->argv);
	message.type = CV_SYNC_EXEC_ERROR;
	if (errno == ENOENT)
		cv_error_errno(ENOENT, "exec \"%s\": executable file not found in $PATH", plan->argv[0]);
	else
		cv_error_sys("exec \"%s\"", plan->argv[0]);
fail:
	message.error = errno;
	snprintf(message.text, sizeof message.text, "%s", containerv_last_error());
	cv_write_all(error_fd, &message, sizeof message);
	_exit(message.type == CV_SYNC_EXEC_ERROR ? (message.error == ENOENT ? 127 : 126) : 125);
}

/* The main command's side before its exec: runs on main_stack, in our memory (start_main). */
struct main_child {
	const struct cv_init_plan *plan;
	int read_fd, error_fd;
};

static int main_child(void *arg)
{
	const struct main_child *child = arg;

	close(child->read_fd);
	exec_main(child->plan, child->error_fd);
}

/* The stack of the main command's process until its exec: ours is the init's, in use meanwhile. */
static char main_stack[256 * 1024] __attribute__((aligned(16)));

/* Starts the main command; returns its pid once it has executed, or -1 with *failure filled. */
static pid_t start_main(const struct cv_init_plan *plan, struct cv_sync_message *failure)
{
	int pipe_fds[2];
	pid_t pid;
	ssize_t n;

	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return cv_error_sys("pipe");
	/*
	 * clone(), not fork(): glibc's fork() takes the malloc locks, and in this clone of a multi-threaded
	 * caller a lock held by another thread at clone time is held forever. CLONE_VM | CLONE_VFORK (as
	 * posix_spawn): our memory is a copy of the caller's (a pool keeper's threads and arenas, a library
	 * user's heap), and copying its page tables for a process that execs at once, then tearing them down
	 * in the exec, was most of the CPU a start spent between the release and the command. We are stopped
	 * until the child has executed or exited; it has its own descriptors, signal handlers and
	 * credentials, and writes nothing of ours but errno and the error text (what we would report).
	 */
	struct main_child child = {plan, pipe_fds[0], pipe_fds[1]};
	pid = clone(main_child, main_stack + sizeof main_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &child);
	if (pid < 0) {
		int saved = errno;
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		errno = saved;
		return cv_error_sys("fork the main command");
	}
	close(pipe_fds[1]);
	/* EOF means the exec succeeded (the descriptor was close-on-exec). */
	n = cv_read_all(pipe_fds[0], failure, sizeof *failure);
	close(pipe_fds[0]);
	if (n == (ssize_t)sizeof *failure) {
		waitpid(pid, NULL, 0);
		errno = failure->error;
		return -1;
	}
	return pid;
}

static void record_exit(const struct cv_init_plan *plan, int status)
{
	struct containerv_exit exit_status;
	char text[160];
	int length;

	if (plan->exit_fd < 0)
		return;
	cv_exit_from_wait_status(status, &exit_status);
	length = snprintf(text, sizeof text, "{\"code\": %d, \"signal\": %d, \"finished_ns\": %lld}\n",
	                  exit_status.code, exit_status.signal, (long long)cv_now_ns());
	/* One write to an empty file; readers look only once the init is gone, so they never see a part. */
	cv_write_all(plan->exit_fd, text, (size_t)length);
}

/* Reaps every child; returns when the main command has ended. */
static void __attribute__((noreturn)) supervise(const struct cv_init_plan *plan, pid_t main_pid)
{
	sigset_t all;
	siginfo_t info;

	sigfillset(&all);
	for (;;) {
		int sig = sigwaitinfo(&all, &info);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			if (main_pid > 0)
				kill(main_pid, sig);
			else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
				/* An idle container stops on these, as if its main command had been killed. */
				record_exit(plan, sig);
				_exit(128 + sig);
			}
			continue;
		}
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, WNOHANG);
			if (pid <= 0)
				break;
			if (pid == main_pid) {
				struct containerv_exit exit_status;
				record_exit(plan, status);
				cv_exit_from_wait_status(status, &exit_status);
				_exit(exit_status.code);
			}
		}
	}
}

/* The overlay's directories and the mounts' sources, opened while we are host root (init-plan.h). */
static void open_sources(struct cv_init_plan *plan, char go)
{
	if (cv_rootfs_open(plan, go) < 0)
		fail_setup(plan);
}

/*
 * The config's sysctls, through the host's /proc while we still see it: /proc/sys/net and the IPC keys
 * resolve to the writer's own namespaces, which are the container's now. Before the root is set up, as
 * runc does, so that a read-only /proc/sys (readonlyPaths) does not stop them.
 */
static int write_sysctls(const struct cv_init_plan *plan)
{
	for (size_t i = 0; plan->sysctl_paths != NULL && plan->sysctl_paths[i] != NULL; i++) {
		const char *value = plan->sysctl_values[i];
		int fd = open(plan->sysctl_paths[i], O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return cv_error_sys("sysctl %s", plan->sysctl_paths[i] + strlen("/proc/sys/"));
		ssize_t written = write(fd, value, strlen(value));
		int saved = errno;
		close(fd);
		if (written != (ssize_t)strlen(value)) {
			errno = written < 0 ? saved : EIO;
			return cv_error_sys("sysctl %s = %s", plan->sysctl_paths[i] + strlen("/proc/sys/"), value);
		}
	}
	return 0;
}

/* Hostname, sysctls and root filesystem; no process is created here. */
static void set_up(struct cv_init_plan *plan)
{
	if (write_sysctls(plan) < 0)
		fail_setup(plan);
	if ((plan->namespaces & CV_NS_UTS) && plan->hostname[0] != '\0' &&
	    sethostname(plan->hostname, strlen(plan->hostname)) < 0) {
		cv_error_sys("sethostname");
		fail_setup(plan);
	}
	if ((plan->namespaces & CV_NS_UTS) && plan->domainname[0] != '\0' &&
	    setdomainname(plan->domainname, strlen(plan->domainname)) < 0) {
		cv_error_sys("setdomainname");
		fail_setup(plan);
	}
	if (cv_rootfs_setup(plan) < 0)
		fail_setup(plan);
}

/* cgroup v1: the parent's CV_SYNC_CGROUP, then "0" to each descriptor. Nothing of the workload has run yet. */
static void join_cgroup(const struct cv_init_plan *plan)
{
	int fds[CV_CGROUP_JOIN_FDS_MAX];
	size_t count = 0;
	int ret;

	if (!plan->cgroup_follows)
		return;
	if (cv_sync_receive(plan->sync_fd, fds, CV_CGROUP_JOIN_FDS_MAX, &count) != CV_SYNC_CGROUP)
		_exit(125); /* the parent failed or died: it reports why */
	ret = cv_cgroup_join_self(fds, count);
	for (size_t i = 0; i < count; i++)
		close(fds[i]);
	if (ret < 0)
		fail_setup(plan);
}

/*
 * Held start: everything is set up and the main command not executed. Tell the parent, then wait for a
 * release, which may come from any process that can reach the state directory (root). The releaser's
 * connection replaces the sync socket (on its descriptor number), so what follows reports to it. A plain
 * "go" keeps no descriptor sent along; a workload (workload.c) keeps its three stdio descriptors only.
 */
static void wait_for_release(struct cv_init_plan *plan)
{
	int stdio[3];
	size_t count;
	int connection;

	/* Our name says held until "go": whoever finds the releaser gone can tell a released init (state.c). */
	prctl(PR_SET_NAME, CV_HELD_INIT_NAME);
	send_message(plan->sync_fd, CV_SYNC_HELD, 0, "");
	for (;;) {
		connection = accept4(plan->release_fd, NULL, NULL, SOCK_CLOEXEC);
		if (connection >= 0)
			break;
		if (errno != EINTR && errno != ECONNABORTED)
			_exit(125);
	}
	/* One release only: the listening socket goes at once. */
	close(plan->release_fd);
	if (dup3(connection, plan->sync_fd, O_CLOEXEC) < 0)
		_exit(125);
	close(connection);
	/* A workload (containerv_start_workload) comes with its stdio; any other descriptor is dropped. */
	switch (cv_sync_receive(plan->sync_fd, stdio, 3, &count)) {
	case CV_RELEASE_WORKLOAD:
		if (cv_workload_receive(plan, stdio, count) < 0)
			fail_setup(plan);
		break;
	case CV_RELEASE_GO:
		for (size_t i = 0; i < count; i++)
			close(stdio[i]);
		break;
	default:
		_exit(125);
	}
	/* Released: from here on the main command runs, whether or not the releaser lives to record it. */
	prctl(PR_SET_NAME, CV_INIT_NAME);
}

void cv_init_main(struct cv_init_plan *plan)
{
	sigset_t all;
	char go;
	pid_t main_pid = 0;
	int devnull;

	close_inherited_fds(plan);
	join_namespaces(plan);
	prctl(PR_SET_NAME, CV_INIT_NAME);
	/* Our command line is still the caller's (we are its clone): write ours over it for ps and top. */
	if (plan->arguments_length > sizeof "containerv-init") {
		memset(plan->arguments, 0, plan->arguments_length);
		memcpy(plan->arguments, "containerv-init", sizeof "containerv-init");
	}
	/* Our memory is a copy of the caller's: keep it out of reach of ptrace and /proc/1/mem. */
	prctl(PR_SET_DUMPABLE, 0);
	/* A performance profile's THP policy: kept across fork and execve, so it holds for every process. */
	if (plan->thp_disable && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0) {
		cv_error_sys("disable transparent huge pages");
		fail_setup(plan);
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	/*
	 * The parent makes our cgroup (and writes the id maps, attaches the network) meanwhile; "go"
	 * says it is done. Without a user namespace the mounts need nothing from it, so they overlap
	 * with its work. With one, they wait for the maps.
	 */
	bool setup_first = !(plan->namespaces & CV_NS_USER);
	if (setup_first) {
		open_sources(plan, CV_GO_PLAIN);
		set_up(plan);
	}
	join_cgroup(plan);
	go = (char)cv_sync_receive(plan->sync_fd, plan->idmap_fds, CV_IDMAP_LAYERS_MAX, &plan->idmap_count);
	if (go != CV_GO_PLAIN && go != CV_GO_IDMAPPED && go != CV_GO_SHIFTED)
		_exit(125);
	if (!setup_first) {
		/* Before the switch: as host root we may open the state root's directories (0700, root's). */
		open_sources(plan, go);
		if (switch_user(0, 0, true, NULL, 0) < 0) {
			cv_error_prefix("become root in the user namespace");
			fail_setup(plan);
		}
		set_up(plan);
	}
	/* Only once we sit in our cgroup: the new cgroup namespace is rooted where we are. */
	if ((plan->namespaces & CV_NS_CGROUP) && unshare(CLONE_NEWCGROUP) < 0) {
		cv_error_sys("unshare the cgroup namespace");
		fail_setup(plan);
	}
	/* Only in our own cgroup namespace: a cgroup mount outside it would show the host's whole tree. */
	if ((plan->namespaces & CV_NS_CGROUP) && (plan->namespaces & CV_NS_MOUNT) &&
	    cv_mount_cgroup_view(!plan->cgroup_follows) < 0)
		fail_setup(plan);
	/* --oom-score-adj: ours, so that every process started in the container inherits it. */
	if (cv_process_limits_apply(&plan->process_limits, false, true) < 0)
		fail_setup(plan);
	/* Out of the caller's session: terminal signals must reach us only through containerv_kill(). */
	setsid();
	if (plan->hold)
		wait_for_release(plan);
	if (plan->argv != NULL) {
		struct cv_sync_message failure = {0};
		main_pid = start_main(plan, &failure);
		if (main_pid < 0) {
			if (failure.type == 0) {
				failure.type = CV_SYNC_SETUP_ERROR;
				failure.error = errno;
				snprintf(failure.text, sizeof failure.text, "%s", containerv_last_error());
			}
			send_message(plan->sync_fd, failure.type, failure.error, failure.text);
			_exit(125);
		}
	}
	/* The terminal is the main command's: the master must see its end when the command's last holder is gone. */
	if (plan->tty_slave >= 0)
		close(plan->tty_slave);
	send_message(plan->sync_fd, CV_SYNC_READY, 0, "");
	/* Let go of everything that belongs to the caller: its pipes and our socket. */
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3; fd++)
		dup2(devnull, fd);
	close(devnull);
	for (int i = 0; i < plan->keep_count; i++) {
		if (plan->keep_fds[i] > 2 && plan->keep_fds[i] != plan->exit_fd)
			close(plan->keep_fds[i]);
	}
	cv_workload_close_stdio();
	supervise(plan, main_pid);
}
