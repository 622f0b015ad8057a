/*
 * Size-limited volumes as virtual disks through the Virtual Disk API (windows.h): VHDX files,
 * dynamic or fixed, attached without a drive letter. Needs a real Windows kernel (wine has no
 * virtdisk implementation): compiled here, untested (docs/windows.md).
 */
#include <errno.h>
#include <string.h>
#include <windows.h>
#include <initguid.h>
#include <virtdisk.h>

#include "common/error.h"
#include "platform/windows/windows.h"

static int widen(const char *path, wchar_t *wide, size_t size)
{
	if (MultiByteToWideChar(CP_ACP, 0, path, -1, wide, (int)size) <= 0)
		return cv_win_error(GetLastError(), "path %s", path);
	return 0;
}

int cv_win_vhd_create(const char *path, uint64_t bytes, bool dynamic)
{
	VIRTUAL_STORAGE_TYPE type = {VIRTUAL_STORAGE_TYPE_DEVICE_VHDX, VIRTUAL_STORAGE_TYPE_VENDOR_MICROSOFT};
	CREATE_VIRTUAL_DISK_PARAMETERS parameters;
	wchar_t wide[MAX_PATH];
	HANDLE disk = NULL;
	DWORD error;

	if (bytes == 0 || bytes % 512 != 0)
		return cv_error_errno(EINVAL, "virtual disk %s: size %llu is not a positive multiple of 512", path,
		                      (unsigned long long)bytes);
	if (widen(path, wide, MAX_PATH) < 0)
		return -1;
	memset(&parameters, 0, sizeof(parameters));
	parameters.Version = CREATE_VIRTUAL_DISK_VERSION_2;
	parameters.Version2.MaximumSize = bytes;
	parameters.Version2.BlockSizeInBytes = 0; /* the default */
	parameters.Version2.SectorSizeInBytes = 0;
	error = CreateVirtualDisk(&type, wide, VIRTUAL_DISK_ACCESS_NONE, NULL,
	                          dynamic ? CREATE_VIRTUAL_DISK_FLAG_NONE
	                                  : CREATE_VIRTUAL_DISK_FLAG_FULL_PHYSICAL_ALLOCATION,
	                          0, &parameters, NULL, &disk);
	if (error != ERROR_SUCCESS)
		return cv_win_error(error, "create virtual disk %s", path);
	CloseHandle(disk);
	return 0;
}

int cv_win_vhd_attach(const char *path, bool read_only, HANDLE *handle)
{
	VIRTUAL_STORAGE_TYPE type = {VIRTUAL_STORAGE_TYPE_DEVICE_VHDX, VIRTUAL_STORAGE_TYPE_VENDOR_MICROSOFT};
	OPEN_VIRTUAL_DISK_PARAMETERS open_parameters;
	ATTACH_VIRTUAL_DISK_PARAMETERS attach;
	wchar_t wide[MAX_PATH];
	HANDLE disk = NULL;
	DWORD error;

	if (widen(path, wide, MAX_PATH) < 0)
		return -1;
	memset(&open_parameters, 0, sizeof(open_parameters));
	open_parameters.Version = OPEN_VIRTUAL_DISK_VERSION_2;
	open_parameters.Version2.ReadOnly = read_only;
	error = OpenVirtualDisk(&type, wide, VIRTUAL_DISK_ACCESS_NONE, OPEN_VIRTUAL_DISK_FLAG_NONE, &open_parameters,
	                        &disk);
	if (error != ERROR_SUCCESS)
		return cv_win_error(error, "open virtual disk %s", path);
	memset(&attach, 0, sizeof(attach));
	attach.Version = ATTACH_VIRTUAL_DISK_VERSION_1;
	error = AttachVirtualDisk(disk, NULL,
	                          ATTACH_VIRTUAL_DISK_FLAG_NO_DRIVE_LETTER |
	                                  (read_only ? ATTACH_VIRTUAL_DISK_FLAG_READ_ONLY : 0),
	                          0, &attach, NULL);
	if (error != ERROR_SUCCESS) {
		CloseHandle(disk);
		return cv_win_error(error, "attach virtual disk %s", path);
	}
	*handle = disk;
	return 0;
}

int cv_win_vhd_detach(HANDLE handle)
{
	DWORD error = DetachVirtualDisk(handle, DETACH_VIRTUAL_DISK_FLAG_NONE, 0);

	CloseHandle(handle);
	if (error != ERROR_SUCCESS)
		return cv_win_error(error, "detach virtual disk");
	return 0;
}
