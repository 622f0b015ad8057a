/*
 * The Windows build's spelling of the POSIX names the portable layers use (common/, security/):
 * forced into every file of the Windows target with -include (cmake/ContainervWindows.cmake), so
 * that no shared file includes a platform header. Only names whose meaning carries over are here;
 * what has none (openat, flock, poll) keeps its file out of the Windows build.
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

/* Descriptors are not inherited by child processes unless asked (CreateProcess's bInheritHandles). */
#define O_CLOEXEC _O_NOINHERIT
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

/* platform/windows/posix.c */
char *realpath(const char *path, char *resolved);
void *memrchr(const void *memory, int byte, size_t length);
time_t timegm(struct tm *tm);
ssize_t getline(char **line, size_t *capacity, FILE *stream);
int lstat(const char *path, struct stat *st);
const char *strerrordesc_np(int error);

#endif
