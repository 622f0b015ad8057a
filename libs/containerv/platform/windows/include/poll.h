/*
 * poll() for the Windows build (on the include path of the Windows target only): the shared code's
 * waits without descriptors (poll(NULL, 0, ms): a sleep) work; descriptors have no Windows
 * counterpart that poll could wait on (pipes and files are not waitable as sockets are), so a
 * call with any fails with ENOSYS and the caller's Windows path must not need it.
 */
#ifndef CONTAINERV_PLATFORM_WINDOWS_POLL_H
#define CONTAINERV_PLATFORM_WINDOWS_POLL_H

#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020

struct pollfd {
	int fd;
	short events;
	short revents;
};
typedef unsigned long nfds_t;

int poll(struct pollfd *fds, nfds_t count, int timeout_ms);

#endif
