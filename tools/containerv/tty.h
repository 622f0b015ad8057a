/*
 * Terminal handling for attached containers: a pseudo-terminal for -t, raw
 * mode on our own terminal (restored at exit), window-size forwarding and
 * the copy loop between our terminal and the pty master.
 */
#ifndef CV_CLI_TTY_H
#define CV_CLI_TTY_H

/* Opens a new pty pair; both descriptors are close-on-exec, the slave is not our controlling terminal. */
int tty_open_pty(int *master, int *slave);

/* Puts terminal fd in raw mode; the previous mode comes back at exit or with tty_restore(). */
int tty_make_raw(int fd);
void tty_restore(void);

/* Copies the window size of terminal from to the pty master to; a no-op when from is not a terminal. */
void tty_copy_winsize(int from, int to);

/* Our terminal whose size a pty should follow: stdin or stdout when one is a terminal, else -1. */
int tty_size_source(void);

struct tty_relay {
	int master;         /* pty master, or -1 when the process writes to our descriptors directly */
	int input;          /* our descriptor to copy into the master (stdin), or -1 */
	int output;         /* where the master's output goes (stdout) */
	int done;           /* becomes readable once the process has ended */
	int signals;        /* signalfd for SIGWINCH and the signals to forward, or -1 */
	int winsize_source; /* terminal whose size the master follows, or -1 */
	void (*forward)(int signal, void *user);
	void *user;
};

/*
 * Copies between our terminal and the master, follows the window size and
 * forwards signals until relay->done is readable, then drains what the
 * process wrote last. Returns 0, or -1 with errno when polling fails.
 */
int tty_relay_run(const struct tty_relay *relay);

#endif
