/*
 * The few POSIX functions the portable layers call that the Windows C runtime lacks (declared in
 * compat.h): each on its Windows counterpart.
 */
#include <errno.h>
#include <io.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

char *realpath(const char *path, char *resolved)
{
	char *full = _fullpath(resolved, path, _MAX_PATH);
	struct _stat64 st;

	if (full == NULL)
		return NULL;
	if (_stat64(full, &st) < 0) { /* realpath fails for a missing path */
		if (resolved == NULL)
			free(full);
		return NULL;
	}
	return full;
}

void *memrchr(const void *memory, int byte, size_t length)
{
	const unsigned char *bytes = memory;

	while (length-- > 0)
		if (bytes[length] == (unsigned char)byte)
			return (void *)(bytes + length);
	return NULL;
}

time_t timegm(struct tm *tm)
{
	return _mkgmtime(tm);
}

ssize_t getline(char **line, size_t *capacity, FILE *stream)
{
	size_t length = 0;
	int c;

	if (line == NULL || capacity == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (*line == NULL || *capacity == 0) {
		*capacity = 128;
		if ((*line = realloc(*line, *capacity)) == NULL)
			return -1;
	}
	while ((c = fgetc(stream)) != EOF) {
		if (length + 2 > *capacity) {
			size_t bigger = *capacity * 2;
			char *grown = realloc(*line, bigger);
			if (grown == NULL)
				return -1;
			*line = grown;
			*capacity = bigger;
		}
		(*line)[length++] = (char)c;
		if (c == '\n')
			break;
	}
	if (length == 0)
		return -1;
	(*line)[length] = '\0';
	return (ssize_t)length;
}

int lstat(const char *path, struct stat *st)
{
	return stat(path, st); /* no POSIX symbolic links: a reparse point is seen through */
}

const char *strerrordesc_np(int error)
{
	return strerror(error); /* the C runtime's text, in a per-thread buffer */
}

int flock(int fd, int operation)
{
	HANDLE file = (HANDLE)_get_osfhandle(fd);
	OVERLAPPED whole = {0};
	DWORD flags = 0;

	if (file == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return -1;
	}
	if (operation & LOCK_UN) {
		if (!UnlockFileEx(file, 0, MAXDWORD, MAXDWORD, &whole)) {
			errno = EINVAL;
			return -1;
		}
		return 0;
	}
	if (operation & LOCK_EX)
		flags |= LOCKFILE_EXCLUSIVE_LOCK;
	if (operation & LOCK_NB)
		flags |= LOCKFILE_FAIL_IMMEDIATELY;
	if (!LockFileEx(file, flags, 0, MAXDWORD, MAXDWORD, &whole)) {
		errno = GetLastError() == ERROR_LOCK_VIOLATION ? EWOULDBLOCK : EIO;
		return -1;
	}
	return 0;
}

int fcntl(int fd, int command, ...)
{
	HANDLE copy;

	if (command != F_DUPFD_CLOEXEC) {
		errno = EINVAL;
		return -1;
	}
	/* Not inheritable: CreateProcess hands a child only the handles given to it. */
	if (!DuplicateHandle(GetCurrentProcess(), (HANDLE)_get_osfhandle(fd), GetCurrentProcess(), &copy, 0, FALSE,
	                     DUPLICATE_SAME_ACCESS)) {
		errno = EBADF;
		return -1;
	}
	int duplicate = _open_osfhandle((intptr_t)copy, 0);
	if (duplicate < 0)
		CloseHandle(copy);
	return duplicate;
}

int poll(struct pollfd *fds, nfds_t count, int timeout_ms)
{
	(void)fds;
	if (count > 0) {
		errno = ENOSYS;
		return -1;
	}
	Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
	return 0;
}

char *strndup(const char *text, size_t length)
{
	size_t n = strnlen(text, length);
	char *copy = malloc(n + 1);

	if (copy == NULL)
		return NULL;
	memcpy(copy, text, n);
	copy[n] = '\0';
	return copy;
}

ssize_t pread(int fd, void *buffer, size_t length, off_t offset)
{
	HANDLE file = (HANDLE)_get_osfhandle(fd);
	OVERLAPPED at = {0};
	DWORD read = 0;

	if (file == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return -1;
	}
	at.Offset = (DWORD)((uint64_t)offset & 0xffffffff);
	at.OffsetHigh = (DWORD)((uint64_t)offset >> 32);
	if (!ReadFile(file, buffer, length > 0x7fffffff ? 0x7fffffff : (DWORD)length, &read, &at) &&
	    GetLastError() != ERROR_HANDLE_EOF) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)read;
}

int kill(pid_t pid, int signal)
{
	HANDLE process;
	DWORD code = 0;

	if (signal != 0) {
		errno = ENOSYS;
		return -1;
	}
	process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
	if (process == NULL) {
		errno = GetLastError() == ERROR_ACCESS_DENIED ? EPERM : ESRCH;
		return -1;
	}
	if (GetExitCodeProcess(process, &code) && code != STILL_ACTIVE) {
		CloseHandle(process);
		errno = ESRCH; /* ended, its object kept by a handle */
		return -1;
	}
	CloseHandle(process);
	return 0;
}
