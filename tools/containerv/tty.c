/*
 * Terminal handling. This is the only kernel work the CLI does: the pty a
 * container's -t process gets is created here and its slave side handed to
 * the library as the process's stdio.
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

int tty_open_pty(int *master, int *slave)
{
	char name[128];
	int master_fd;
	int slave_fd;

	master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master_fd < 0)
		return -1;
	if (grantpt(master_fd) < 0 || unlockpt(master_fd) < 0 || ptsname_r(master_fd, name, sizeof name) != 0)
		goto fail;
	slave_fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave_fd < 0)
		goto fail;
	*master = master_fd;
	*slave = slave_fd;
	return 0;
fail : {
	int saved = errno;

	close(master_fd);
	errno = saved;
}
	return -1;
}

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

/* Copies one read's worth; returns bytes copied, 0 at end of file (EIO from a master whose slaves are closed). */
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

/*
 * The process has ended but the pty may still hold its last output: the
 * kernel moves pty data through a work queue, so read until it has been
 * quiet for a short while.
 */
static void drain_master(int master, int output)
{
	struct pollfd entry = {.fd = master, .events = POLLIN};

	while (poll(&entry, 1, 100) > 0) {
		if (copy_once(master, output) <= 0)
			break;
	}
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

/* After stdin ends, the process still sees an open terminal: send it the end-of-file character instead. */
static void send_eof(int master)
{
	struct termios mode;
	char eof = 4; /* ^D */

	if (tcgetattr(master, &mode) == 0 && mode.c_cc[VEOF] != 0)
		eof = (char)mode.c_cc[VEOF];
	write_all(master, &eof, 1);
}

int tty_relay_run(const struct tty_relay *relay)
{
	bool master_open = relay->master >= 0;
	bool input_open = relay->input >= 0 && master_open;

	for (;;) {
		struct pollfd entries[4];
		nfds_t count = 0;
		int master_index = -1, input_index = -1, signal_index = -1;

		entries[count++] = (struct pollfd){.fd = relay->done, .events = POLLIN};
		if (master_open) {
			master_index = (int)count;
			entries[count++] = (struct pollfd){.fd = relay->master, .events = POLLIN};
		}
		if (input_open) {
			input_index = (int)count;
			entries[count++] = (struct pollfd){.fd = relay->input, .events = POLLIN};
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
		if (master_index >= 0 && entries[master_index].revents != 0 &&
		    copy_once(relay->master, relay->output) <= 0)
			master_open = false;
		if (input_index >= 0 && entries[input_index].revents != 0 &&
		    copy_once(relay->input, relay->master) <= 0) {
			input_open = false;
			send_eof(relay->master);
		}
		if (entries[0].revents != 0) {
			if (master_open)
				drain_master(relay->master, relay->output);
			return 0;
		}
	}
}
