/*
 * Running more processes inside a running container (exec).
 *
 * A helper is forked (setns() on a mount namespace is refused in a
 * multi-threaded process, so the caller cannot do it itself); the helper
 * joins the container's cgroup, enters all its namespaces at once through
 * the init's pidfd, and clones the process with CLONE_PARENT so that it is
 * the caller's own child: the caller waits for it with waitpid() and no
 * process stays behind to relay its exit status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

extern char **environ;

struct spawn_plan {
	char **argv;
	char **env;
	const char *workdir;
	bool thp_disable; /* the container's (a performance profile's), as its init has it */
	uid_t uid;
	gid_t gid;
	int stdio[3];
	bool tty;
	unsigned short tty_rows, tty_columns;
	bool user_namespace;
	int setns_flags;
	int init_pidfd;
	struct cv_cgroup *cgroup;
	int cgroup_join_fds[CV_CGROUP_JOIN_FDS_MAX]; /* v1: the helper joins by itself (cgroup.h says why) */
	size_t cgroup_join_count;
	struct cv_security_plan security;
	struct cv_process_limits process_limits; /* the container's --ulimit and --oom-score-adj */
	const gid_t *groups;                     /* the container's supplementary groups (--group-add) */
	size_t group_count;
	int report_fd; /* close-on-exec pipe: a cv_sync_message on failure, EOF on exec */
};

static void __attribute__((noreturn)) report_and_exit(const struct spawn_plan *plan, int type)
{
	struct cv_sync_message message = {.type = type, .error = errno};

	snprintf(message.text, sizeof message.text, "%s", containerv_last_error());
	cv_write_all(plan->report_fd, &message, sizeof message);
	_exit(type == CV_SYNC_EXEC_ERROR ? (message.error == ENOENT ? 127 : 126) : 125);
}

static int switch_user(uid_t uid, gid_t gid, void *arg)
{
	const struct spawn_plan *plan = arg;

	if ((setgroups(plan->group_count, plan->groups) < 0 &&
	     !(plan->user_namespace && errno == EPERM && plan->group_count == 0)) ||
	    setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return cv_error_sys("switch to user %u:%u", (unsigned int)uid, (unsigned int)gid);
	return 0;
}

/* The process itself, now inside every namespace of the container. */
static void __attribute__((noreturn)) exec_process(const struct spawn_plan *plan)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (cv_install_stdio(plan->stdio) < 0)
		report_and_exit(plan, CV_SYNC_SETUP_ERROR);
	if (plan->tty && ioctl(0, TIOCSCTTY, 0) < 0) {
		cv_error_sys("set the controlling terminal");
		report_and_exit(plan, CV_SYNC_SETUP_ERROR);
	}
	if (cv_chdir_in_root(plan->workdir) < 0)
		report_and_exit(plan, CV_SYNC_SETUP_ERROR);
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	/* The limits the container's processes have, set while we may still raise them. */
	if (cv_process_limits_apply(&plan->process_limits, true, true) < 0)
		report_and_exit(plan, CV_SYNC_SETUP_ERROR);
	/* The container's walls, as its main command has them; seccomp goes in last. */
	if (cv_security_apply(&plan->security, plan->uid, plan->gid, switch_user, (void *)plan) < 0)
		report_and_exit(plan, CV_SYNC_SETUP_ERROR);
	environ = plan->env;
	execvp(plan->argv[0], plan->argv);
	if (errno == ENOENT)
		cv_error_errno(ENOENT, "exec \"%s\": executable file not found in $PATH", plan->argv[0]);
	else
		cv_error_sys("exec \"%s\"", plan->argv[0]);
	report_and_exit(plan, CV_SYNC_EXEC_ERROR);
}

/*
 * -t, in the helper, inside the container's mount namespace (setns made its root ours): the terminal is
 * made in the container's own devpts instance, never one of the host, and its slave is the stdio.
 */
static int open_terminal(struct spawn_plan *plan, int *master)
{
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int slave, number, ret;

	if (root < 0)
		return cv_error_sys("open the container's root");
	ret = cv_pty_open_in_root(root, plan->tty_rows, plan->tty_columns, master, &slave, &number);
	close(root);
	if (ret < 0)
		return -1;
	plan->stdio[0] = plan->stdio[1] = plan->stdio[2] = slave;
	return 0;
}

/* The forked helper: joins, clones the process as the caller's child, reports its pid (and -t's master), exits. */
static void __attribute__((noreturn)) run_helper(struct spawn_plan *plan, int pid_fd)
{
	struct clone_args args = {.flags = CLONE_PARENT};
	int master = -1;
	pid_t pid;

	/*
	 * Until it executes the command, the process is a copy of the caller: its /proc/PID/exe is the
	 * caller's binary on the host. Not dumpable, a process of the container cannot open it (or our
	 * memory) to overwrite the binary (CVE-2019-5736); execve makes the command dumpable again.
	 */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (plan->thp_disable && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0) {
		cv_error_sys("disable transparent huge pages");
		report_and_exit(plan, CV_SYNC_SETUP_ERROR);
	}
	if (plan->cgroup_join_count > 0 ? cv_cgroup_join_self(plan->cgroup_join_fds, plan->cgroup_join_count) < 0
	                                : plan->cgroup != NULL && cv_cgroup_add_pid(plan->cgroup, getpid()) < 0)
		report_and_exit(plan, CV_SYNC_SETUP_ERROR);
	if (setns(plan->init_pidfd, plan->setns_flags) < 0) {
		cv_error_sys("enter the container's namespaces");
		report_and_exit(plan, CV_SYNC_SETUP_ERROR);
	}
	if (plan->tty && open_terminal(plan, &master) < 0)
		report_and_exit(plan, CV_SYNC_SETUP_ERROR);
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
	if (pid < 0) {
		cv_error_sys("clone into the container");
		report_and_exit(plan, CV_SYNC_SETUP_ERROR);
	}
	if (pid == 0)
		exec_process(plan);
	cv_send_with_fd(pid_fd, &pid, sizeof pid, master);
	_exit(0);
}

/* The caller's and the process's ends of spawn's pipes (stdio.c says why no host descriptor goes in). */
struct spawn_stdio {
	int process_ends[3];
	int host_ends[3];
};

static void spawn_stdio_close(struct spawn_stdio *io)
{
	for (int i = 0; i < 3; i++) {
		if (io->process_ends[i] >= 0)
			close(io->process_ends[i]);
		if (io->host_ends[i] >= 0)
			close(io->host_ends[i]);
		io->process_ends[i] = io->host_ends[i] = -1;
	}
}

/* The options' stdio values checked, pipes made for CONTAINERV_STDIO_PIPE; -t's terminal comes later. */
static int prepare_spawn_stdio(const struct containerv_spawn_options *o, struct spawn_plan *plan,
                               struct spawn_stdio *io)
{
	const int values[3] = {o->stdin_fd, o->stdout_fd, o->stderr_fd};
	bool can_return = o->version >= 2 && o->stdio_out != NULL;

	for (int i = 0; i < 3; i++)
		io->process_ends[i] = io->host_ends[i] = plan->stdio[i] = -1;
	if (o->flags & CV_SPAWN_TTY)
		return can_return ? 0 : cv_error_errno(EINVAL, "tty: the master needs options version 2 and stdio_out");
	for (int i = 0; i < 3; i++) {
		int value = values[i];
		if (value < CONTAINERV_STDIO_STDOUT ||
		    (value == CONTAINERV_STDIO_STDOUT && (i != 2 || values[1] != CONTAINERV_STDIO_PIPE)))
			return cv_error_errno(EINVAL, "stdio: invalid descriptor %d", value);
		if (value >= 0) {
			plan->stdio[i] = value; /* the caller's, handed in as it is (documented) */
		} else if (value == CONTAINERV_STDIO_STDOUT) {
			plan->stdio[i] = plan->stdio[1];
		} else if (value == CONTAINERV_STDIO_PIPE) {
			int ends[2];
			if (!can_return)
				return cv_error_errno(EINVAL, "stdio: a pipe needs options version 2 and stdio_out");
			if (pipe2(ends, O_CLOEXEC) < 0)
				return cv_error_sys("stdio pipe");
			io->process_ends[i] = plan->stdio[i] = ends[i == 0 ? 0 : 1];
			io->host_ends[i] = ends[i == 0 ? 1 : 0];
		}
	}
	return 0;
}

/* The caller's permitted capabilities (what an exec'd process may be given at most). */
static uint64_t our_permitted_capabilities(void)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &header, data) < 0)
		return 0;
	return (uint64_t)data[0].permitted | (uint64_t)data[1].permitted << 32;
}

static int build_spawn_plan(struct containerv_container *c, const struct containerv_spawn_options *o,
                            struct spawn_plan *plan)
{
	memset(plan, 0, sizeof *plan);
	plan->init_pidfd = -1;
	plan->argv = (char **)o->argv;
	if (o->env != NULL) {
		plan->env = cv_strv_dup(o->env);
	} else {
		plan->env = cv_strv_dup((const char *const *)c->config.env);
		if (plan->env == NULL && c->config.env != NULL)
			return -1;
	}
	if (cv_env_get(plan->env, "PATH") == NULL && cv_strv_append(&plan->env, "PATH=" CV_DEFAULT_PATH) < 0)
		return -1;
	plan->workdir = o->workdir ? o->workdir : (c->config.workdir ? c->config.workdir : "/");
	plan->thp_disable = c->config.thp_disable;
	plan->uid = o->uid >= 0 ? (uid_t)o->uid : c->config.uid;
	plan->gid = o->gid >= 0 ? (gid_t)o->gid : c->config.gid;
	plan->tty = (o->flags & CV_SPAWN_TTY) != 0;
	if (o->version >= 2) {
		plan->tty_rows = o->tty_rows;
		plan->tty_columns = o->tty_columns;
	}
	plan->user_namespace = (c->config.namespaces & CV_NS_USER) != 0;
	plan->setns_flags = cv_namespace_flags(c->config.namespaces);
	plan->cgroup = cv_container_cgroup(c);
	if (plan->cgroup != NULL) {
		int joins = cv_cgroup_open_join_fds(plan->cgroup, plan->cgroup_join_fds, CV_CGROUP_JOIN_FDS_MAX);
		if (joins < 0)
			return -1;
		plan->cgroup_join_count = (size_t)joins;
	}
	if (cv_security_plan_prepare(&c->config, &plan->security) < 0 ||
	    cv_process_limits_build(&c->config, &plan->process_limits) < 0)
		return -1;
	/*
	 * CV_SPAWN_PRIVILEGED (containerv_spawn checked the level): every capability we hold ourselves (a
	 * capability missing from our own permitted set cannot be given); the filter is the container's.
	 */
	if ((o->flags & CV_SPAWN_PRIVILEGED) && !plan->security.privileged) {
		int last = plan->security.last_capability < 63 ? plan->security.last_capability : 63;
		uint64_t all =
		        (last == 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1) & our_permitted_capabilities();
		plan->security.capabilities = all;
		plan->security.capability_sets = true;
		plan->security.effective = plan->security.permitted = all;
		plan->security.inheritable = plan->security.ambient = 0;
	}
	plan->groups = c->config.supplementary_groups;
	plan->group_count = c->config.supplementary_group_count;
	plan->init_pidfd = (int)syscall(SYS_pidfd_open, c->state.pid, 0);
	if (plan->init_pidfd < 0 || !cv_process_alive(c->state.pid, c->state.pid_start_time))
		return cv_error_errno(ESRCH, "container %s is not running", containerv_name(c));
	return 0;
}

/*
 * This thread's children, as /proc lists them ("" when it cannot be read; free()). The exec's process is
 * one of them: CLONE_PARENT makes the helper's clone a child of the thread that forked the helper.
 */
static char *thread_children(void)
{
	char *text = NULL;
	size_t length = 0;

	if (cv_read_file("/proc/thread-self/children", &text, &length, 1 << 20) < 0) {
		cv_error_clear();
		return NULL;
	}
	return text;
}

static bool listed(const char *children, pid_t pid)
{
	char token[16];
	int used;

	for (const char *p = children; p != NULL && sscanf(p, "%15s%n", token, &used) == 1; p += used)
		if (atoi(token) == pid)
			return true;
	return false;
}

/*
 * The helper died before it sent the pid (killed, OOM) but may have cloned already: that process is ours
 * (CLONE_PARENT) and no one else knows its pid, so in a long-lived caller it would run on and then stay a
 * zombie for good. It is the child of this thread that was not there before the helper was forked, is
 * not the helper, and is in the container's pid namespace: killed and reaped here. Our own unreaped child,
 * so its pid cannot have been reused.
 */
static void reap_orphaned_clone(const char *before, pid_t helper, pid_t init)
{
	char *now = thread_children(), path[64];
	struct stat container_ns, ns;
	char token[16];
	int used;

	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)init);
	/* Without the list from before, a child of an earlier exec could not be told from this one. */
	if (before == NULL || now == NULL || stat(path, &container_ns) < 0) {
		free(now);
		return;
	}
	for (const char *p = now; sscanf(p, "%15s%n", token, &used) == 1; p += used) {
		pid_t child = atoi(token);
		snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)child);
		if (child <= 0 || child == helper || listed(before, child) || stat(path, &ns) < 0 ||
		    ns.st_ino != container_ns.st_ino || ns.st_dev != container_ns.st_dev)
			continue;
		kill(child, SIGKILL);
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(now);
}

/* Collects the helper and the report; returns the process's pid (and -t's master in *master) or -1. */
static pid_t collect(pid_t helper, int pid_fd, int report_fd, int *master, const char *children_before, pid_t init)
{
	struct cv_sync_message message;
	pid_t pid = -1;
	ssize_t n;
	int status;

	n = cv_receive_with_fd(pid_fd, &pid, sizeof pid, master, 0);
	while (waitpid(helper, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof pid || pid <= 0)
		reap_orphaned_clone(children_before, helper, init);
	/* EOF on the report pipe: the process executed (or the helper failed before cloning). */
	ssize_t reported = cv_read_all(report_fd, &message, sizeof message);
	if (reported == (ssize_t)sizeof message) {
		if (n == (ssize_t)sizeof pid && pid > 0)
			waitpid(pid, NULL, 0);
		if (*master >= 0)
			close(*master);
		*master = -1;
		message.text[sizeof message.text - 1] = '\0';
		if (message.type == CV_SYNC_EXEC_ERROR)
			return cv_error_code(CONTAINERV_E_EXEC, message.error ? message.error : EIO, "%s",
			                     message.text);
		cv_error_errno(message.error ? message.error : EIO, "%s", message.text);
		/* errno ENOENT and EACCES mean the command itself (documented); the code keeps what it was. */
		if (errno == ENOENT || errno == EACCES)
			errno = EIO;
		return -1;
	}
	if (n != (ssize_t)sizeof pid || pid <= 0) {
		if (*master >= 0)
			close(*master);
		*master = -1;
		return cv_error_errno(EIO, "the exec helper died");
	}
	return pid;
}

int cv_linux_exec(struct containerv_container *container, const struct containerv_spawn_options *options,
                  containerv_pid_t *pid_out, struct containerv_exit *exit_status)
{
	struct spawn_plan plan;
	struct spawn_stdio io;
	int pid_pipe[2] = {-1, -1}, report_pipe[2] = {-1, -1};
	pid_t helper, pid = -1;
	int master = -1;
	int ret = -1;
	char *children_before = NULL; /* this thread's children before the helper (reap_orphaned_clone) */

	memset(&plan, 0, sizeof plan);
	plan.init_pidfd = -1;
	for (int i = 0; i < 3; i++)
		io.process_ends[i] = io.host_ends[i] = -1;
	if (build_spawn_plan(container, options, &plan) < 0 || prepare_spawn_stdio(options, &plan, &io) < 0)
		goto done;
	/* A socket, not a pipe: -t's master comes back with the pid (SCM_RIGHTS). */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pid_pipe) < 0 || pipe2(report_pipe, O_CLOEXEC) < 0) {
		cv_error_sys("pipe");
		goto done;
	}
	plan.report_fd = report_pipe[1];
	children_before = thread_children();
	helper = fork();
	if (helper < 0) {
		cv_error_sys("fork");
		goto done;
	}
	if (helper == 0)
		run_helper(&plan, pid_pipe[1]);
	close(pid_pipe[1]);
	pid_pipe[1] = -1;
	close(report_pipe[1]);
	report_pipe[1] = -1;
	pid = collect(helper, pid_pipe[0], report_pipe[0], &master, children_before, container->state.pid);
	/* The helper has joined (or failed): the tasks files need not stay open while the command runs. */
	for (size_t i = 0; i < plan.cgroup_join_count; i++)
		close(plan.cgroup_join_fds[i]);
	plan.cgroup_join_count = 0;
	if (pid < 0)
		goto done;
	if (pid_out != NULL)
		*pid_out = pid;
	if (options->version >= 2 && options->stdio_out != NULL) {
		for (int i = 0; i < 3; i++) {
			options->stdio_out[i] = io.host_ends[i];
			io.host_ends[i] = -1;
		}
		if (master >= 0)
			options->stdio_out[0] = master;
		master = -1;
	}
	ret = 0;
	if (options->flags & CV_SPAWN_WAIT)
		ret = containerv_wait_process(container, pid, exit_status);
done:
	if (ret < 0)
		cv_error_prefix("exec in %s", containerv_name(container));
	for (int i = 0; i < 2; i++) {
		if (pid_pipe[i] >= 0)
			close(pid_pipe[i]);
		if (report_pipe[i] >= 0)
			close(report_pipe[i]);
	}
	if (plan.init_pidfd >= 0)
		close(plan.init_pidfd);
	if (master >= 0)
		close(master);
	spawn_stdio_close(&io); /* the process has its ends; the caller's were handed over (or go on failure) */
	for (size_t i = 0; i < plan.cgroup_join_count; i++)
		close(plan.cgroup_join_fds[i]);
	cv_strv_free(plan.env);
	cv_security_plan_clear(&plan.security);
	free(children_before);
	return ret;
}

int containerv_join(const char *id_or_name, const char *const *argv, struct containerv_exit *exit_status)
{
	struct containerv_spawn_options options = CONTAINERV_SPAWN_OPTIONS_INIT;
	struct containerv_container *container = NULL;
	int ends[3] = {-1, -1, -1};
	pid_t pid;
	int ret;

	if (containerv_open(id_or_name, &container) < 0)
		return -1;
	/* Pipes relayed here: the caller's own descriptors never go into the container. */
	options.argv = argv;
	options.stdout_fd = options.stderr_fd = CONTAINERV_STDIO_PIPE;
	options.stdio_out = ends;
	ret = containerv_spawn(container, &options, &pid, NULL);
	if (ret == 0) {
		/* Until the process ends, not until its pipes do: something it left behind may hold them. */
		int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		ret = cv_stdio_relay(ends[1], ends[2], pidfd);
		if (pidfd >= 0)
			close(pidfd);
		if (containerv_wait_process(container, pid, exit_status) < 0)
			ret = -1;
	}
	for (int i = 0; i < 3; i++)
		if (ends[i] >= 0)
			close(ends[i]);
	containerv_close(container);
	return ret;
}
