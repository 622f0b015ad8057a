/*
 * The Windows build's spelling of the POSIX names the portable layers use (common/, security/):
 * forced into every file of the Windows target with -include (cmake/ContainervWindows.cmake), so
 * that no shared file includes a platform header. Only names whose meaning carries over are here;
 * what has none (openat, O_PATH) keeps its file out of the Windows build. platform/windows/include/
 * holds the few POSIX headers the shared files include that mingw lacks (poll.h, arpa/inet.h).
 */
#ifndef CONTAINERV_PLATFORM_WINDOWS_COMPAT_H
#define CONTAINERV_PLATFORM_WINDOWS_COMPAT_H

/* gmtime_r and localtime_r from mingw-w64's time.h */
#ifndef _POSIX_THREAD_SAFE_FUNCTIONS
#define _POSIX_THREAD_SAFE_FUNCTIONS 200112L
#endif

#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* Numeric ids of a Linux image's users: plain numbers here (no Windows meaning). */
typedef uint32_t uid_t;
typedef uint32_t gid_t;

/*
 * Descriptors are not inherited by child processes unless asked (CreateProcess's bInheritHandles).
 * Every open of the shared code says O_CLOEXEC (STYLE.md): it carries _O_BINARY too, so that no
 * file of ours is read or written in the C runtime's text mode (no \n -> \r\n).
 */
#define O_CLOEXEC (_O_NOINHERIT | _O_BINARY)
/* Windows' open() does not follow symbolic links of the POSIX kind; reparse points are refused by
 * platform/windows/files.c where a path comes from a container. */
#define O_NOFOLLOW 0
#define O_DIRECTORY 0

#ifndef S_ISLNK
#define S_ISLNK(mode) 0
#endif

#ifndef EMEDIUMTYPE
#define EMEDIUMTYPE 124
#endif
#ifndef EHOSTDOWN
#define EHOSTDOWN 160 /* above mingw's POSIX supplement (100-140) */
#endif

/*
 * Signal numbers: the API's (docker's) numbers, as on Linux, for what a container is asked to do;
 * the Windows backend turns any ending signal into TerminateJobObject (docs/windows.md). The C
 * runtime's own (SIGINT, SIGTERM ...) keep their values, which are Linux's.
 */
#include <signal.h>
#ifndef SIGHUP
#define SIGHUP 1
#endif
#ifndef SIGQUIT
#define SIGQUIT 3
#endif
#ifndef SIGKILL
#define SIGKILL 9
#endif
#ifndef SIGUSR1
#define SIGUSR1 10
#endif
#ifndef SIGUSR2
#define SIGUSR2 12
#endif
#ifndef SIGPIPE
#define SIGPIPE 13
#endif
#ifndef SIGALRM
#define SIGALRM 14
#endif
#ifndef SIGCHLD
#define SIGCHLD 17
#endif
#ifndef SIGCONT
#define SIGCONT 18
#endif
#ifndef SIGSTOP
#define SIGSTOP 19
#endif
#ifndef SIGTSTP
#define SIGTSTP 20
#endif
#ifndef SIGTTIN
#define SIGTTIN 21
#endif
#ifndef SIGTTOU
#define SIGTTOU 22
#endif
#ifndef SIGURG
#define SIGURG 23
#endif
#ifndef SIGWINCH
#define SIGWINCH 28
#endif
#undef NSIG
#define NSIG 65

/* flock on a file descriptor: LockFileEx/UnlockFileEx on its handle (platform/windows/posix.c). */
#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8
int flock(int fd, int operation);

/* fcntl: F_DUPFD_CLOEXEC only (a duplicate not inherited by child processes). */
#define F_DUPFD_CLOEXEC 1030
int fcntl(int fd, int command, ...);

/* platform/windows/posix.c */
char *strndup(const char *text, size_t length);
/* kill(pid, 0) only: whether process pid exists (ESRCH); any signal fails with ENOSYS. */
int kill(pid_t pid, int signal);
ssize_t pread(int fd, void *buffer, size_t length, off_t offset);
char *realpath(const char *path, char *resolved);
void *memrchr(const void *memory, int byte, size_t length);
time_t timegm(struct tm *tm);
ssize_t getline(char **line, size_t *capacity, FILE *stream);
int lstat(const char *path, struct stat *st);
const char *strerrordesc_np(int error);

#endif
