/*
 * Terminal handling for attached containers: a pseudo-terminal for -t, raw
 * mode on our own terminal (restored at exit), window-size forwarding and
 * the copy loop between our terminal and the pty master.
 */
#ifndef CV_CLI_TTY_H
#define CV_CLI_TTY_H

/* Puts terminal fd in raw mode; the previous mode comes back at exit or with tty_restore(). */
int tty_make_raw(int fd);
void tty_restore(void);

/* Copies the window size of terminal from to the pty master to; a no-op when from is not a terminal. */
void tty_copy_winsize(int from, int to);

/* The size of terminal fd (0x0 when it is none), for a pty made in the container before its process starts. */
void tty_get_size(int fd, unsigned short *rows, unsigned short *columns);

/* Our terminal whose size a pty should follow: stdin or stdout when one is a terminal, else -1. */
int tty_size_source(void);

struct tty_relay {
	int master;         /* pty master (-t), or -1 */
	int out_pipe;       /* without -t: the read ends of the process's stdout and stderr pipes, or -1 */
	int err_pipe;       /* (-1 also when stderr shares stdout's pipe) */
	int in_pipe;        /* without -t: the write end of the process's stdin pipe (-i), or -1; the relay closes it */
	int input;          /* our descriptor to copy into the master or in_pipe (stdin), or -1 */
	int output;         /* where the master's and out_pipe's output goes (stdout) */
	int done;           /* becomes readable once the process has ended */
	int signals;        /* signalfd for SIGWINCH and the signals to forward, or -1 */
	int winsize_source; /* terminal whose size the master follows, or -1 */
	void (*forward)(int signal, void *user);
	void *user;
};

/*
 * Copies between our terminal and the master (or our stdio and the pipes),
 * follows the window size and forwards signals until relay->done is
 * readable, then drains what the process wrote last. Returns 0, or -1 with
 * errno when polling fails.
 */
int tty_relay_run(const struct tty_relay *relay);

#endif
