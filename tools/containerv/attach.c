/*
 * containerv_wait() blocks, but while waiting the CLI must also copy pty
 * traffic and forward signals. A waiter thread makes the blocking call and
 * signals an eventfd; the main thread runs the relay loop with a signalfd,
 * so nothing is done in a signal handler.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "attach.h"
#include "cli.h"
#include "tty.h"

struct waiter {
	const struct attach_options *options;
	int done;
	int result;
	int error;
	struct containerv_exit exit_status;
	char reason[1024];
};

static void *waiter_main(void *argument)
{
	struct waiter *waiter = argument;
	const struct attach_options *options = waiter->options;
	uint64_t one = 1;

	if (options->pid > 0)
		waiter->result = containerv_wait_process(options->container, options->pid, &waiter->exit_status);
	else
		/* The creating handle: it reaps the init, so the exit status survives an autoremove. */
		waiter->result = containerv_wait(options->container, &waiter->exit_status);
	waiter->error = errno;
	/* The last error is thread-local: copy it out for the main thread. */
	snprintf(waiter->reason, sizeof waiter->reason, "%s", containerv_last_error());
	if (write(waiter->done, &one, sizeof one) < 0) {
		/* An eventfd counter cannot overflow after one write; nothing to do. */
	}
	return NULL;
}

static void forward_signal(int signal, void *user)
{
	const struct attach_options *options = user;

	struct containerv_container *own = NULL;

	if (options->pid > 0) {
		kill(options->pid, signal);
		return;
	}
	/* A handle of its own: the waiter thread is using the creating one. */
	if (containerv_open(containerv_id(options->container), &own) == 0)
		containerv_kill(own, signal);
	containerv_close(own);
}

static int block_signals(sigset_t *forwarded, sigset_t *previous)
{
	sigemptyset(forwarded);
	sigaddset(forwarded, SIGINT);
	sigaddset(forwarded, SIGTERM);
	sigaddset(forwarded, SIGHUP);
	sigaddset(forwarded, SIGWINCH);
	return pthread_sigmask(SIG_BLOCK, forwarded, previous) == 0 ? 0 : -1;
}

int attach_wait(const struct attach_options *options, struct containerv_exit *exit_status, const char **reason)
{
	static struct waiter waiter;
	sigset_t forwarded, previous;
	_cleanup_close_ int signals = -1;
	pthread_t thread;
	struct tty_relay relay;
	int error;

	memset(&waiter, 0, sizeof waiter);
	waiter.options = options;
	*reason = "";
	/* Block before the thread starts: it inherits the mask, so the signals reach only the signalfd. */
	block_signals(&forwarded, &previous);
	/*
	 * A CLI started in the background by a shell has SIGINT ignored, and an ignored signal never reaches
	 * the signalfd: proxying takes them back (they stay blocked), as docker's CLI does.
	 */
	if (!options->no_signal_proxy) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
	}
	signals = signalfd(-1, &forwarded, SFD_CLOEXEC);
	waiter.done = eventfd(0, EFD_CLOEXEC);
	if (signals < 0 || waiter.done < 0) {
		*reason = "cannot wait for the container: signalfd/eventfd failed";
		pthread_sigmask(SIG_SETMASK, &previous, NULL);
		return -1;
	}
	error = pthread_create(&thread, NULL, waiter_main, &waiter);
	if (error != 0) {
		*reason = "cannot wait for the container: thread creation failed";
		close(waiter.done);
		pthread_sigmask(SIG_SETMASK, &previous, NULL);
		return -1;
	}
	if (options->master >= 0 && options->interactive && isatty(STDIN_FILENO))
		tty_make_raw(STDIN_FILENO);
	/* Our write to the stdin pipe of a process that has gone must fail with EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	relay = (struct tty_relay){
	        .master = options->master,
	        .out_pipe = options->stdio[1],
	        .err_pipe = options->stdio[2],
	        .in_pipe = options->stdio[0],
	        .input = options->interactive ? STDIN_FILENO : -1,
	        .output = STDOUT_FILENO,
	        .done = waiter.done,
	        .signals = signals,
	        .winsize_source = tty_size_source(),
	        .forward = options->no_signal_proxy ? NULL : forward_signal,
	        .user = (void *)options,
	};
	tty_relay_run(&relay); /* closes the stdin pipe */
	pthread_join(thread, NULL);
	for (int i = 1; i < 3; i++)
		if (options->stdio[i] >= 0)
			close(options->stdio[i]);
	tty_restore();
	close(waiter.done);
	/*
	 * The signals stay blocked: one arriving now would otherwise kill the
	 * CLI before --rm has removed the container. The CLI exits soon anyway.
	 */
	if (waiter.result < 0) {
		*reason = waiter.reason;
		errno = waiter.error;
		return -1;
	}
	*exit_status = waiter.exit_status;
	return 0;
}
