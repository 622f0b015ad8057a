/*
 * Terminal handling and the stdio relay. The pty a container's -t process
 * gets is made by the library inside the container (never one of the host's:
 * the container could reopen it through /proc/self/fd); here we relay between
 * our own terminal or stdio and the master or the process's pipes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "tty.h"

static struct termios saved_mode;
static int saved_fd = -1;

void tty_restore(void)
{
	if (saved_fd < 0)
		return;
	tcsetattr(saved_fd, TCSADRAIN, &saved_mode);
	saved_fd = -1;
}

int tty_make_raw(int fd)
{
	static bool registered;
	struct termios raw;

	if (tcgetattr(fd, &saved_mode) < 0)
		return -1;
	raw = saved_mode;
	cfmakeraw(&raw);
	/* Keep output post-processing: our own messages after the relay still need \n -> \r\n until restored. */
	raw.c_oflag |= OPOST;
	if (tcsetattr(fd, TCSADRAIN, &raw) < 0)
		return -1;
	saved_fd = fd;
	if (!registered) {
		atexit(tty_restore);
		registered = true;
	}
	return 0;
}

void tty_copy_winsize(int from, int to)
{
	struct winsize size;

	if (from < 0 || to < 0 || ioctl(from, TIOCGWINSZ, &size) < 0)
		return;
	ioctl(to, TIOCSWINSZ, &size);
}

void tty_get_size(int fd, unsigned short *rows, unsigned short *columns)
{
	struct winsize size = {0};

	if (fd >= 0)
		ioctl(fd, TIOCGWINSZ, &size);
	*rows = size.ws_row;
	*columns = size.ws_col;
}

int tty_size_source(void)
{
	if (isatty(STDIN_FILENO))
		return STDIN_FILENO;
	if (isatty(STDOUT_FILENO))
		return STDOUT_FILENO;
	return -1;
}

static int write_all(int fd, const char *buffer, size_t length)
{
	while (length > 0) {
		ssize_t written = write(fd, buffer, length);

		if (written < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buffer += written;
		length -= (size_t)written;
	}
	return 0;
}

/*
 * Copies one read's worth; returns bytes copied, 0 at end of file (EIO from a master whose slaves are closed),
 * -1 with errno (EAGAIN: nothing to read now, from a master we made non-blocking).
 */
static ssize_t copy_once(int from, int to)
{
	char buffer[16384];
	ssize_t length;

	do
		length = read(from, buffer, sizeof buffer);
	while (length < 0 && errno == EINTR);
	if (length < 0 && errno == EIO)
		return 0;
	if (length <= 0)
		return length;
	/* A reader that went away (closed stdout) must not stop the relay: the process still has to end. */
	write_all(to, buffer, (size_t)length);
	return length;
}

/* Whether a stream is done: its end of file or an error other than "nothing now". */
static bool stream_ended(ssize_t copied)
{
	return copied == 0 || (copied < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/*
 * The process has ended but the pty may still hold its last output: the
 * kernel moves pty data through a work queue, so read until it has been
 * quiet for a short while.
 */
static void drain_master(int master, int output)
{
	struct pollfd entry = {.fd = master, .events = POLLIN};

	while (poll(&entry, 1, 100) > 0) {
		if (stream_ended(copy_once(master, output)))
			break;
	}
}

/*
 * The process has ended: whatever it wrote is already in the pipes (a pipe has no work queue). Read what
 * is there without waiting for an end of file, which a process it left behind could hold back.
 */
static void drain_pipe(int pipe_fd, int output)
{
	if (pipe_fd < 0)
		return;
	fcntl(pipe_fd, F_SETFL, O_NONBLOCK);
	while (copy_once(pipe_fd, output) > 0)
		;
}

static void handle_signal(const struct tty_relay *relay)
{
	struct signalfd_siginfo info;

	if (read(relay->signals, &info, sizeof info) != sizeof info)
		return;
	if (info.ssi_signo == SIGWINCH)
		tty_copy_winsize(relay->winsize_source, relay->master);
	else if (relay->forward != NULL)
		relay->forward((int)info.ssi_signo, relay->user);
}

/*
 * Our stdin on its way to the process, which may not read it: what was read and not yet written. The
 * target (master or stdin pipe) is non-blocking and written only when poll says so, because a blocking
 * write to a process that does not read would stop the relay of its output, and a process whose output
 * is not read never ends (a deadlock the CLI could not even be signalled out of).
 */
struct pending_input {
	char buffer[16384];
	size_t start, end;
	bool at_end; /* our stdin has ended: after the buffer, the end-of-file character or the pipe's close */
};

/* After stdin ends, the process still sees an open terminal: queue the end-of-file character instead. */
static void queue_eof(int master, struct pending_input *pending)
{
	struct termios mode;
	char eof = 4; /* ^D */

	if (tcgetattr(master, &mode) == 0 && mode.c_cc[VEOF] != 0)
		eof = (char)mode.c_cc[VEOF];
	if (pending->end < sizeof pending->buffer)
		pending->buffer[pending->end++] = eof;
}

/* Reads our stdin into the empty buffer; at its end, queues what tells the process so. */
static void read_input(const struct tty_relay *relay, struct pending_input *pending)
{
	ssize_t length;

	do
		length = read(relay->input, pending->buffer, sizeof pending->buffer - 1); /* room for the EOF */
	while (length < 0 && errno == EINTR);
	if (length < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	pending->start = 0;
	pending->end = length > 0 ? (size_t)length : 0;
	if (length <= 0) {
		pending->at_end = true;
		if (relay->master >= 0)
			queue_eof(relay->master, pending);
	}
}

/*
 * Writes what the target takes now. Returns false once no more input can go there: everything, end
 * included, has been delivered (a pipe is then closed, so the process reads its end), or the process
 * closed its side (EPIPE, EIO).
 */
static bool write_input(int target, struct pending_input *pending, int *in_pipe)
{
	while (pending->start < pending->end) {
		ssize_t written = write(target, pending->buffer + pending->start, pending->end - pending->start);
		if (written < 0 && errno == EINTR)
			continue;
		if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (written <= 0) {
			pending->start = pending->end = 0;
			pending->at_end = true;
			break;
		}
		pending->start += (size_t)written;
	}
	pending->start = pending->end = 0;
	if (!pending->at_end)
		return true;
	if (*in_pipe >= 0) {
		close(*in_pipe);
		*in_pipe = -1;
	}
	return false;
}

int tty_relay_run(const struct tty_relay *relay)
{
	static struct pending_input pending;
	int in_pipe = relay->in_pipe;
	int streams[3] = {relay->master, relay->out_pipe, relay->err_pipe};
	int outputs[3] = {relay->output, relay->output, STDERR_FILENO};
	int target = relay->master >= 0 ? relay->master : in_pipe;
	bool input_open = relay->input >= 0 && target >= 0;

	pending = (struct pending_input){.start = 0};
	/* The master and the stdin pipe are ours alone: non-blocking, and written only when they take it. */
	if (input_open)
		fcntl(target, F_SETFL, fcntl(target, F_GETFL) | O_NONBLOCK);
	for (;;) {
		struct pollfd entries[6];
		nfds_t count = 0;
		int stream_index[3] = {-1, -1, -1}, input_index = -1, target_index = -1, signal_index = -1;

		entries[count++] = (struct pollfd){.fd = relay->done, .events = POLLIN};
		for (int i = 0; i < 3; i++) {
			if (streams[i] >= 0) {
				stream_index[i] = (int)count;
				entries[count++] = (struct pollfd){.fd = streams[i], .events = POLLIN};
			}
		}
		/* Our stdin is read only when what was read before has gone (no buffer grows without bound). */
		if (input_open && pending.start == pending.end && !pending.at_end) {
			input_index = (int)count;
			entries[count++] = (struct pollfd){.fd = relay->input, .events = POLLIN};
		} else if (input_open) {
			target_index = (int)count;
			entries[count++] = (struct pollfd){.fd = target, .events = POLLOUT};
		}
		if (relay->signals >= 0) {
			signal_index = (int)count;
			entries[count++] = (struct pollfd){.fd = relay->signals, .events = POLLIN};
		}
		if (poll(entries, count, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (signal_index >= 0 && entries[signal_index].revents != 0)
			handle_signal(relay);
		for (int i = 0; i < 3; i++) {
			if (stream_index[i] >= 0 && entries[stream_index[i]].revents != 0 &&
			    stream_ended(copy_once(streams[i], outputs[i])))
				streams[i] = -1; /* its end: the descriptor itself is the caller's to close */
		}
		if (input_index >= 0 && entries[input_index].revents != 0)
			read_input(relay, &pending);
		if (input_open && (pending.start < pending.end || pending.at_end) &&
		    (input_index >= 0 || (target_index >= 0 && entries[target_index].revents != 0)))
			input_open = write_input(target, &pending, &in_pipe);
		if (entries[0].revents != 0) {
			if (streams[0] >= 0)
				drain_master(streams[0], relay->output);
			drain_pipe(streams[1], outputs[1]);
			drain_pipe(streams[2], outputs[2]);
			/* Nothing of ours reaches what the process left behind (a background reader) once we stop. */
			if (in_pipe >= 0)
				close(in_pipe);
			return 0;
		}
	}
}
