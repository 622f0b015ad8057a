/*
 * containerv-supervise ROOT ID: the supervisor of one container
 * (containerv_supervise(), core/supervise.c), started detached by the
 * library at the container's start. Not for users: it has no options.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include <chef/containerv.h>

int main(int argc, char **argv)
{
	sigset_t none;

	if (argc != 3) {
		fprintf(stderr, "usage: containerv-supervise ROOT ID (started by the library)\n");
		return 2;
	}
	/* A blocked or ignored signal of the starter's is not ours. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	/* Its end goes with its starter's session only when asked: it has its own (setsid at the spawn). */
	prctl(PR_SET_NAME, "containerv-sup");
	return containerv_supervise(argv[1], argv[2]) == 0 ? 0 : 1;
}
