/*
 * The path-based file helpers of common/util.h on Windows (the POSIX ones, common/files.c, use
 * *at() calls): whole-file read and write, mkdir -p, rm -rf. Paths are the C runtime's (ANSI code
 * page); both separators are accepted.
 */
#include <errno.h>
#include <fcntl.h>
#include <direct.h>
#include <io.h>
#include <string.h>
#include <sys/stat.h>
#include <windows.h>

#include "common/error.h"
#include "common/util.h"

int cv_read_file(const char *path, char **content, size_t *length, size_t max)
{
	int fd = _open(path, _O_RDONLY | _O_BINARY | _O_NOINHERIT);
	int result;

	if (fd < 0)
		return cv_error_sys("open %s", path);
	result = cv_read_fd(fd, path, content, length, max);
	_close(fd);
	return result;
}

int cv_write_file(const char *path, const char *text)
{
	int fd = _open(path, _O_WRONLY | _O_BINARY | _O_NOINHERIT);
	size_t length = strlen(text);

	if (fd < 0)
		return cv_error_sys("open %s", path);
	if (cv_write_all(fd, text, length) != (ssize_t)length) {
		int saved = errno;
		_close(fd);
		return cv_error_errno(saved, "write %s", path);
	}
	if (_close(fd) < 0)
		return cv_error_sys("close %s", path);
	return 0;
}

static int is_separator(char c)
{
	return c == '/' || c == '\\';
}

int cv_mkdir_p(const char *path, mode_t mode)
{
	cleanup_free char *copy = cv_strdup(path);

	if (copy == NULL)
		return -1;
	for (char *p = copy; *p != '\0'; p++) {
		/* not the root of a drive ("C:\") nor the leading separators of a UNC path */
		if (!is_separator(*p) || p == copy || p[-1] == ':' || is_separator(p[-1]))
			continue;
		char saved = *p;
		*p = '\0';
		if (_mkdir(copy) < 0 && errno != EEXIST)
			return cv_error_sys("mkdir %s", copy);
		*p = saved;
	}
	if (_mkdir(copy) < 0 && errno != EEXIST)
		return cv_error_sys("mkdir %s", copy);
	return 0;
}

/* Deletes a tree; a reparse point (junction, symbolic link, mount point) is removed as a link,
 * never entered, so the tree never reaches outside itself. */
static int remove_tree(const wchar_t *path)
{
	size_t length = wcslen(path);
	wchar_t *pattern = malloc((length + 3) * sizeof(wchar_t));
	WIN32_FIND_DATAW entry;
	HANDLE find;
	int result = 0;

	if (pattern == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	swprintf(pattern, length + 3, L"%ls\\*", path);
	find = FindFirstFileW(pattern, &entry);
	free(pattern);
	if (find == INVALID_HANDLE_VALUE)
		return GetLastError() == ERROR_FILE_NOT_FOUND ? 0 : cv_error_errno(EIO, "list %ls", path);
	do {
		if (wcscmp(entry.cFileName, L".") == 0 || wcscmp(entry.cFileName, L"..") == 0)
			continue;
		size_t size = length + wcslen(entry.cFileName) + 2;
		wchar_t *child = malloc(size * sizeof(wchar_t));
		if (child == NULL) {
			result = cv_error_errno(ENOMEM, "out of memory");
			break;
		}
		swprintf(child, size, L"%ls\\%ls", path, entry.cFileName);
		if (entry.dwFileAttributes & FILE_ATTRIBUTE_READONLY)
			SetFileAttributesW(child, entry.dwFileAttributes & ~(DWORD)FILE_ATTRIBUTE_READONLY);
		BOOL ok;
		if (entry.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
			if (!(entry.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) && remove_tree(child) < 0) {
				free(child);
				result = -1;
				break;
			}
			ok = RemoveDirectoryW(child);
		} else {
			ok = DeleteFileW(child);
		}
		if (!ok) {
			result = cv_error_errno(EIO, "remove %ls (error %lu)", child, GetLastError());
			free(child);
			break;
		}
		free(child);
	} while (FindNextFileW(find, &entry));
	FindClose(find);
	return result;
}

int cv_rm_rf(const char *path)
{
	int size = MultiByteToWideChar(CP_ACP, 0, path, -1, NULL, 0);
	wchar_t *wide;
	DWORD attributes;
	int result = 0;

	if (size <= 0 || (wide = malloc((size_t)size * sizeof(wchar_t))) == NULL)
		return cv_error_errno(EINVAL, "%s: not a path", path);
	MultiByteToWideChar(CP_ACP, 0, path, -1, wide, size);
	attributes = GetFileAttributesW(wide);
	if (attributes == INVALID_FILE_ATTRIBUTES) {
		free(wide);
		return 0;
	}
	if (!(attributes & FILE_ATTRIBUTE_DIRECTORY))
		result = DeleteFileW(wide) ? 0 : cv_error_errno(EIO, "remove %s", path);
	else if ((attributes & FILE_ATTRIBUTE_REPARSE_POINT) || remove_tree(wide) == 0)
		result = RemoveDirectoryW(wide) ? 0 : cv_error_errno(EIO, "remove %s", path);
	else
		result = -1;
	free(wide);
	return result;
}

int cv_mkdir_private(const char *root, const char *leaf, char *buffer, size_t size)
{
	int n = leaf != NULL ? snprintf(buffer, size, "%s/%s", root, leaf) : snprintf(buffer, size, "%s", root);

	if (n < 0 || (size_t)n >= size)
		return cv_error_errno(ENAMETOOLONG, "state root %s: too long", root);
	/*
	 * Private by the ACL the root inherits: %ProgramData%'s gives users read access, so a root made
	 * there is readable by them; the state holds no setuid files or device nodes on Windows.
	 */
	if (cv_mkdir_p(root, 0700) < 0 || (leaf != NULL && cv_mkdir_p(buffer, 0700) < 0))
		return cv_error_prefix("state root %s", root);
	return 0;
}

bool cv_path_is_absolute(const char *path)
{
	if (is_separator(path[0]) && is_separator(path[1]))
		return true; /* \\server\share\... */
	return ((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' && path[0] <= 'z')) && path[1] == ':' &&
	       is_separator(path[2]);
}

const char *cv_default_state_root(void)
{
	static char root[MAX_PATH];

	if (root[0] == '\0') {
		const char *data = getenv("ProgramData");
		snprintf(root, sizeof root, "%s\\containerv",
		         data != NULL && data[0] != '\0' ? data : "C:\\ProgramData");
	}
	return root;
}
