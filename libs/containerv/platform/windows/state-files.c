/*
 * The state store's file primitives on Windows (common/state-files.h):
 *
 * - locks: a directory cannot be locked with LockFileEx, and a file held open inside it would stop
 *   its rename and removal; so a container directory's lock is LockFileEx on <parent>\.lock-<id>,
 *   keyed by the id (the last 64 characters of the directory's name: <id>, .creating-<id> and
 *   .removing-<id> share one lock, as the flock of an inode follows a rename on Linux). The file is
 *   opened FILE_FLAG_DELETE_ON_CLOSE: it goes with its last holder, and a killed holder's lock goes
 *   with its handles.
 * - names: a file holding the id, written under a temporary name and moved into place with
 *   MoveFileEx without MOVEFILE_REPLACE_EXISTING (the move fails when the name has an entry: the
 *   atomic create that a symbolic link is on Linux; links need a privilege on Windows).
 * - atomic rewrites: a temporary file moved over the old one with MOVEFILE_REPLACE_EXISTING. No
 *   spare files (core/spare-dirs.h): cv_spare_take finds none, cv_spare_recycle_or_remove removes.
 */
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <windows.h>
/* objbase.h's "#define interface struct" would rename the shared headers' fields of that name. */
#undef interface

#include "common/error.h"
#include "common/state-files.h"
#include "common/util.h"
#include "core/container.h"
#include "core/spare-dirs.h"
#include "platform/windows/windows.h"

/* A unique temporary name beside dir\name: per process and thread, as two writers may race. */
static void temporary_name(const char *dir, const char *name, char *buffer, size_t size)
{
	snprintf(buffer, size, "%s\\.%s.tmp.%lu.%lu", dir, name, (unsigned long)GetCurrentProcessId(),
	         (unsigned long)GetCurrentThreadId());
}

static int write_temporary(const char *path, const char *content, size_t length)
{
	HANDLE file = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	DWORD written = 0;

	if (file == INVALID_HANDLE_VALUE)
		return cv_win_error(GetLastError(), "create %s", path);
	while (length > 0) {
		DWORD chunk = length > 1u << 30 ? 1u << 30 : (DWORD)length;
		if (!WriteFile(file, content, chunk, &written, NULL)) {
			int ret = cv_win_error(GetLastError(), "write %s", path);
			CloseHandle(file);
			DeleteFileA(path);
			return ret;
		}
		content += written;
		length -= written;
	}
	CloseHandle(file);
	return 0;
}

/* Writes content under a temporary name and moves it to dir\name with flags. */
static int write_and_move(const char *dir, const char *name, const char *content, size_t length, DWORD flags)
{
	char temporary[MAX_PATH], path[MAX_PATH];

	temporary_name(dir, name, temporary, sizeof temporary);
	snprintf(path, sizeof path, "%s\\%s", dir, name);
	if (write_temporary(temporary, content, length) < 0)
		return -1;
	if (!MoveFileExA(temporary, path, flags)) {
		int ret = cv_win_error(GetLastError(), "%s", name);
		DeleteFileA(temporary);
		return ret;
	}
	return 0;
}

int cv_name_entry_create(const char *dir, const char *name, const char *target)
{
	return write_and_move(dir, name, target, strlen(target), 0);
}

ssize_t cv_name_entry_read(const char *dir, const char *name, char *buffer, size_t size)
{
	char path[MAX_PATH];
	cleanup_free char *content = NULL;
	size_t length = 0;

	snprintf(path, sizeof path, "%s\\%s", dir, name);
	if (size == 0 || cv_read_file(path, &content, &length, size - 1) < 0)
		return -1;
	memcpy(buffer, content, length + 1);
	return (ssize_t)length;
}

void cv_file_remove_in(const char *dir, const char *name)
{
	char path[MAX_PATH];

	snprintf(path, sizeof path, "%s\\%s", dir, name);
	DeleteFileA(path);
}

/* <parent>\.lock-<id> of a container directory path. */
static int lock_path(const char *path, char *buffer, size_t size)
{
	const char *slash = strrchr(path, '/'), *backslash = strrchr(path, '\\');
	const char *base = slash > backslash ? slash : backslash;
	size_t length = strlen(path), base_length = base != NULL ? strlen(base + 1) : length;

	if (base == NULL || base_length < CV_ID_LENGTH)
		return cv_error_errno(EINVAL, "lock %s: not a container directory", path);
	snprintf(buffer, size, "%.*s.lock-%s", (int)(base + 1 - path), path, path + length - CV_ID_LENGTH);
	return 0;
}

int cv_dir_lock(const char *path, bool wait)
{
	char lock[MAX_PATH];
	OVERLAPPED whole = {0};
	DWORD attributes = GetFileAttributesA(path);
	HANDLE file;
	int fd;

	if (attributes == INVALID_FILE_ATTRIBUTES || !(attributes & FILE_ATTRIBUTE_DIRECTORY)) {
		errno = ENOENT;
		return -1;
	}
	if (lock_path(path, lock, sizeof lock) < 0)
		return -1;
	file = CreateFileA(lock, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
	                   NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_HIDDEN | FILE_FLAG_DELETE_ON_CLOSE, NULL);
	if (file == INVALID_HANDLE_VALUE)
		return cv_win_error(GetLastError(), "lock %s", path);
	if (!LockFileEx(file, LOCKFILE_EXCLUSIVE_LOCK | (wait ? 0 : LOCKFILE_FAIL_IMMEDIATELY), 0, 1, 0, &whole)) {
		DWORD error = GetLastError();
		CloseHandle(file);
		if (error == ERROR_LOCK_VIOLATION || error == ERROR_IO_PENDING) {
			errno = EWOULDBLOCK;
			return -1;
		}
		return cv_win_error(error, "lock %s", path);
	}
	fd = _open_osfhandle((intptr_t)file, 0);
	if (fd < 0)
		CloseHandle(file);
	return fd;
}

void cv_dir_unlock(int lock)
{
	if (lock >= 0)
		_close(lock); /* the lock goes with the handle, the file with its last handle */
}

bool cv_dir_lock_is_of(int lock, const char *path)
{
	(void)lock; /* keyed by the id, not by what the name points at */
	(void)path;
	return true;
}

int cv_file_exists_in(const char *dir, const char *name)
{
	char path[MAX_PATH];

	snprintf(path, sizeof path, "%s\\%s", dir, name);
	if (GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES)
		return 1;
	switch (GetLastError()) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
		errno = ENOENT;
		return 0;
	default:
		errno = EIO;
		return -1;
	}
}

int cv_file_mtime_in(const char *dir, const char *name, int64_t *mtime_ns)
{
	char path[MAX_PATH];
	WIN32_FILE_ATTRIBUTE_DATA data;
	ULARGE_INTEGER written;

	snprintf(path, sizeof path, "%s\\%s", dir, name);
	if (!GetFileAttributesExA(path, GetFileExInfoStandard, &data))
		return cv_win_error(GetLastError(), "stat %s", path);
	written.LowPart = data.ftLastWriteTime.dwLowDateTime;
	written.HighPart = data.ftLastWriteTime.dwHighDateTime;
	/* 100 ns ticks since 1601 */
	*mtime_ns = ((int64_t)written.QuadPart - 116444736000000000LL) * 100;
	return 0;
}

int cv_read_file_in(const char *dir, const char *name, char **content, size_t *length, size_t max)
{
	char path[MAX_PATH];

	snprintf(path, sizeof path, "%s\\%s", dir, name);
	return cv_read_file(path, content, length, max);
}

int cv_write_file_atomic_in(const char *dir, const char *name, const char *spare, const char *content, size_t length,
                            mode_t mode)
{
	(void)spare;
	(void)mode; /* the directory's ACL, inherited, says who may read it */
	return write_and_move(dir, name, content, length, MOVEFILE_REPLACE_EXISTING);
}

int cv_spare_take(const char *containers, const char *dir)
{
	(void)containers;
	(void)dir;
	errno = ENOENT;
	return -1;
}

int cv_spare_recycle_or_remove(const char *containers, const char *doomed, bool recyclable)
{
	(void)containers;
	(void)recyclable;
	return cv_rm_rf(doomed);
}
