/*
 * Pieces shared by the two ways a process enters a container: the init's
 * main command (init.c) and containerv_spawn() (spawn.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/error.h"
#include "platform/linux/init-plan.h"

#include <chef/containerv/container.h>

int cv_namespace_flags(unsigned int namespaces)
{
	int flags = CLONE_NEWNS;

	if (namespaces & CV_NS_PID)
		flags |= CLONE_NEWPID;
	if (namespaces & CV_NS_UTS)
		flags |= CLONE_NEWUTS;
	if (namespaces & CV_NS_IPC)
		flags |= CLONE_NEWIPC;
	if (namespaces & CV_NS_NET)
		flags |= CLONE_NEWNET;
	if (namespaces & CV_NS_CGROUP)
		flags |= CLONE_NEWCGROUP;
	if (namespaces & CV_NS_USER)
		flags |= CLONE_NEWUSER;
	if (namespaces & CV_NS_TIME)
		flags |= CLONE_NEWTIME;
	return flags;
}

/* Puts the main command's descriptors on 0, 1, 2 (they may already overlap each other). */
int cv_install_stdio(const int stdio[3])
{
	int moved[3];

	for (int i = 0; i < 3; i++) {
		int source = stdio[i] >= 0 ? stdio[i] : open("/dev/null", O_RDWR | O_CLOEXEC);
		if (source < 0)
			return cv_error_sys("open /dev/null");
		/* Move out of the 0..2 range first so that dup2 below cannot clobber a source. */
		moved[i] = fcntl(source, F_DUPFD_CLOEXEC, 10);
		if (moved[i] < 0)
			return cv_error_sys("duplicate stdio");
	}
	for (int i = 0; i < 3; i++) {
		if (dup2(moved[i], i) < 0)
			return cv_error_sys("install stdio");
		close(moved[i]);
	}
	return 0;
}

int cv_namespace_open(const char *path, int type, int *fd)
{
	char reopen[64];
	struct statfs fs;
	int located, opened, actual;

	located = open(path, O_PATH | O_CLOEXEC);
	if (located < 0)
		return cv_error_sys("namespace %s", path);
	if (fstatfs(located, &fs) < 0 || fs.f_type != NSFS_MAGIC) {
		close(located);
		return cv_error_errno(EINVAL, "namespace %s: not a namespace file", path);
	}
	snprintf(reopen, sizeof reopen, "/proc/self/fd/%d", located);
	opened = open(reopen, O_RDONLY | O_CLOEXEC);
	close(located);
	if (opened < 0)
		return cv_error_sys("namespace %s", path);
	actual = ioctl(opened, NS_GET_NSTYPE);
	if (actual != type) {
		close(opened);
		return actual < 0 ? cv_error_sys("namespace %s: its type", path)
		                  : cv_error_errno(EINVAL, "namespace %s: a namespace of another type", path);
	}
	*fd = opened;
	return 0;
}
