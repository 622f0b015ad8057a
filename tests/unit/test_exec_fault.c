/*
 * The exec path's helper killed at its one dangerous point: after clone3 made the process (the caller's
 * own child, CLONE_PARENT) and before it sent the pid. Without the fix the process ran on unknown to the
 * caller and, once it ended, stayed a zombie of any long-lived caller (a supervisor, a library user)
 * for good. The fault is real: a seccomp filter that kills on sendmsg(2), which the helper calls only to
 * send that pid, installed in a forked caller so that only it and its helper carry it.
 */
#define _GNU_SOURCE
#include <chef/containerv.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

static char root[256];

/* SECCOMP_RET_KILL_PROCESS on sendmsg, everything else allowed (x86_64 and aarch64 numbers alike by name). */
static int kill_on_sendmsg(void)
{
	struct sock_filter code[] = {
	        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_sendmsg, 0, 1),
	        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog program = {sizeof code / sizeof *code, code};

	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -1 : prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program);
}

/* In the forked caller: 0 when the exec failed and left no child of ours, else a code saying what went wrong. */
static int caller(struct containerv_container *c)
{
	struct containerv_spawn_options spawn = CONTAINERV_SPAWN_OPTIONS_INIT;
	const char *const command[] = {"sleep", "30", NULL};
	pid_t pid = -1;

	if (kill_on_sendmsg() < 0)
		return 10;
	spawn.argv = command;
	if (containerv_spawn(c, &spawn, &pid, NULL) == 0)
		return 11; /* the helper was not killed: the fault did not happen */
	if (strstr(containerv_last_error(), "helper died") == NULL) {
		fprintf(stderr, "  unexpected error: %s\n", containerv_last_error());
		return 12;
	}
	/* Nothing of ours left to reap, running or zombie. */
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD) {
		fprintf(stderr, "  the exec's process was left as an unknown child of the caller\n");
		return 13;
	}
	return 0;
}

TEST(a_helper_killed_between_clone_and_pid_leaves_no_child)
{
	struct containerv_options *o = NULL;
	struct containerv_container *c = NULL;
	int status;

	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_rootfs(o, CV_TEST_ROOTFS));
	CHECK_OK(containerv_create(o, &c));
	for (int round = 0; round < 3; round++) {
		pid_t child = fork();
		CHECK(child >= 0);
		if (child == 0)
			_exit(caller(c));
		CHECK(waitpid(child, &status, 0) == child);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fprintf(stderr, "  round %d: caller status %d (exit %d)\n", round, status, WEXITSTATUS(status));
		CHECK(WIFEXITED(status));
		CHECK_EQ_INT(WEXITSTATUS(status), 0);
	}
	/* The container itself is unharmed: an exec without the fault still works. */
	struct containerv_spawn_options spawn = CONTAINERV_SPAWN_OPTIONS_INIT;
	const char *const truth[] = {"true", NULL};
	struct containerv_exit e;
	pid_t pid;
	spawn.argv = truth;
	spawn.flags = CV_SPAWN_WAIT;
	CHECK_OK(containerv_spawn(c, &spawn, &pid, &e));
	CHECK_EQ_INT(e.code, 0);
	CHECK_OK(containerv_remove(c, CV_REMOVE_VOLUMES));
	containerv_options_delete(o);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("skip: containers need root\n0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	snprintf(root, sizeof root, "/tmp/cvtest-exec-fault-%d", (int)getpid());
	if (containerv_set_root(root) != 0) {
		fprintf(stderr, "set_root: %s\n", containerv_last_error());
		return 1;
	}
	cv_test_after_each = cv_test_remove_all_containers; /* what a failed CHECK jumped over */
	RUN(a_helper_killed_between_clone_and_pid_leaves_no_child);
	char command[512];
	snprintf(command, sizeof command, "rm -rf %s", root);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return cv_test_summary();
}
