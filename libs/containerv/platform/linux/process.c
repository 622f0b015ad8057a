/*
 * Pieces shared by the two ways a process enters a container: the init's
 * main command (init.c) and containerv_spawn() (spawn.c).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
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
