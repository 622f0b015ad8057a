/*
 * attach: follows a running container's output from now on, each stream to
 * its own descriptor, and exits with the container's exit code, as docker
 * attach does. A container started detached has no stdin left to join (its
 * main process's stdin is /dev/null or the pipe its creator held), so only
 * the output is attached. With --sig-proxy (the default) SIGINT, SIGTERM
 * and SIGHUP received by the CLI go to the container; a thread waits for
 * them with sigwait on a handle of its own, so no library call runs in a
 * signal handler.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

struct signal_proxy {
	char id[65]; /* a full id */
	sigset_t signals;
};

static void *forward_signals(void *user)
{
	struct signal_proxy *proxy = user;
	_cleanup_container_ struct containerv_container *container = NULL;
	int signal;

	if (containerv_open(proxy->id, &container) < 0)
		return NULL;
	while (sigwait(&proxy->signals, &signal) == 0)
		containerv_kill(container, signal);
	return NULL;
}

/* Blocks the forwarded signals in every thread, then starts the one that waits for them. */
static int start_signal_proxy(struct signal_proxy *proxy, const char *id)
{
	pthread_t thread;

	snprintf(proxy->id, sizeof proxy->id, "%s", id);
	sigemptyset(&proxy->signals);
	sigaddset(&proxy->signals, SIGINT);
	sigaddset(&proxy->signals, SIGTERM);
	sigaddset(&proxy->signals, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &proxy->signals, NULL) != 0 ||
	    pthread_create(&thread, NULL, forward_signals, proxy) != 0)
		return cli_fail(-1, "attach: cannot forward signals");
	pthread_detach(thread);
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	static int no_stdin;
	static int sig_proxy = 1;
	static const char *detach_keys;
	static const struct flag table[] = {
	        {"no-stdin", 0, FLAG_BOOL, &no_stdin, NULL, "Do not attach STDIN (it never is: see below)"},
	        {"sig-proxy", 0, FLAG_BOOL, &sig_proxy, NULL,
	         "Proxy all received signals to the process (default true)"},
	        {"detach-keys", 0, FLAG_STRING, &detach_keys, "string",
	         "Refused: stdin is not attached, so no keys are read (Ctrl-C with --sig-proxy=false detaches)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "attach",
	        "[OPTIONS] CONTAINER",
	        "Attach to a running container's output and wait for it to end",
	        table,
	        false,
	        1,
	        1,
	        "The container's stdout and stderr from now on go to ours; stdin is not attached (a detached\n"
	        "container's input is closed). Exits with the container's exit code.",
	};
	static struct signal_proxy proxy;
	_cleanup_free_ char **words = NULL;
	_cleanup_container_ struct containerv_container *container = NULL;
	struct containerv_logs_options options = CONTAINERV_LOGS_OPTIONS_INIT;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	struct containerv_exit exit_status;
	struct arguments positional;
	struct timespec now;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (detach_keys != NULL)
		return cli_fail(EXIT_CLI_ERROR,
		                "attach --detach-keys: not supported: stdin is not attached, so no keys "
		                "are read; Ctrl-C with --sig-proxy=false detaches");
	if (cli_open(positional.items[0], &container) < 0)
		return EXIT_CONTAINER_FAILURE;
	if (containerv_inspect(container, &info) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, "attach %s", positional.items[0]);
	if (info.state != CV_STATE_RUNNING)
		return cli_fail(EXIT_CONTAINER_FAILURE, "you cannot attach to a stopped container, start it first");
	if (info.paused)
		return cli_fail(EXIT_CONTAINER_FAILURE, "you cannot attach to a paused container, unpause it first");
	if (sig_proxy && start_signal_proxy(&proxy, containerv_id(container)) < 0)
		return EXIT_CONTAINER_FAILURE;
	clock_gettime(CLOCK_REALTIME, &now);
	options.since_ns = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
	options.follow = 1;
	if (logs_copy(container, &options, false) < 0)
		return EXIT_CONTAINER_FAILURE;
	if (containerv_wait(container, &exit_status) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, "wait %s", positional.items[0]);
	return exit_status.code;
}
