/*
 * Process-isolated and Hyper-V containers through the Host Compute Service (computecore.dll,
 * Windows 10 1809 / Server 2019 and later with the Containers feature). Written against the
 * documented HCS JSON schema (schema version 2.1: ComputeSystem with a Container or a
 * VirtualMachine, Storage.Layers as Windows layer folders, a scratch folder) and API (HcsCreate-
 * ComputeSystem, HcsStartComputeSystem, HcsTerminateComputeSystem, HcsWaitForOperationResult).
 * Loaded at run time so the DLL starts where HCS is absent; UNTESTED: no Windows host here, wine
 * has no computecore.dll (docs/windows.md; `containerv version` says so).
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/windows/windows.h"

typedef HANDLE hcs_operation;
typedef HANDLE hcs_system;
typedef hcs_operation(WINAPI *create_operation_fn)(void *context, void *callback);
typedef void(WINAPI *close_operation_fn)(hcs_operation operation);
typedef HRESULT(WINAPI *wait_fn)(hcs_operation operation, DWORD timeout_ms, PWSTR *result);
typedef HRESULT(WINAPI *create_system_fn)(PCWSTR id, PCWSTR configuration, hcs_operation operation,
                                          const SECURITY_DESCRIPTOR *descriptor, hcs_system *system);
typedef HRESULT(WINAPI *open_system_fn)(PCWSTR id, DWORD access, hcs_system *system);
typedef HRESULT(WINAPI *system_operation_fn)(hcs_system system, hcs_operation operation, PCWSTR options);
typedef void(WINAPI *close_system_fn)(hcs_system system);

static struct {
	INIT_ONCE once;
	bool loaded;
	create_operation_fn create_operation;
	close_operation_fn close_operation;
	wait_fn wait;
	create_system_fn create_system;
	open_system_fn open_system;
	system_operation_fn start_system, terminate_system;
	close_system_fn close_system;
} hcs = {INIT_ONCE_STATIC_INIT, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};

static BOOL CALLBACK load(PINIT_ONCE once, PVOID parameter, PVOID *context)
{
	HMODULE module = LoadLibraryExW(L"computecore.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);

	if (module == NULL)
		return TRUE;
#define CV_HCS_BIND(field, type, name)                                                                                 \
	if ((hcs.field = (type)(void (*)(void))GetProcAddress(module, name)) == NULL)                                  \
		return TRUE;
	CV_HCS_BIND(create_operation, create_operation_fn, "HcsCreateOperation")
	CV_HCS_BIND(close_operation, close_operation_fn, "HcsCloseOperation")
	CV_HCS_BIND(wait, wait_fn, "HcsWaitForOperationResult")
	CV_HCS_BIND(create_system, create_system_fn, "HcsCreateComputeSystem")
	CV_HCS_BIND(open_system, open_system_fn, "HcsOpenComputeSystem")
	CV_HCS_BIND(start_system, system_operation_fn, "HcsStartComputeSystem")
	CV_HCS_BIND(terminate_system, system_operation_fn, "HcsTerminateComputeSystem")
	CV_HCS_BIND(close_system, close_system_fn, "HcsCloseComputeSystem")
#undef CV_HCS_BIND
	hcs.loaded = true;
	return TRUE;
}

bool cv_win_hcs_available(void)
{
	InitOnceExecuteOnce(&hcs.once, load, NULL, NULL);
	return hcs.loaded;
}

static wchar_t *widen(const char *text)
{
	int size = MultiByteToWideChar(CP_UTF8, 0, text, -1, NULL, 0);
	wchar_t *wide = size > 0 ? malloc((size_t)size * sizeof(wchar_t)) : NULL;

	if (wide != NULL)
		MultiByteToWideChar(CP_UTF8, 0, text, -1, wide, size);
	return wide;
}

/* Waits for an operation and turns a failed HRESULT (and the service's JSON answer) into the last error. */
static int finish(hcs_operation operation, HRESULT hr, const char *what)
{
	PWSTR answer = NULL;

	if (SUCCEEDED(hr))
		hr = hcs.wait(operation, INFINITE, &answer);
	hcs.close_operation(operation);
	if (FAILED(hr)) {
		int result = cv_win_error((DWORD)hr, "HCS %s%s%ls", what, answer != NULL ? ": " : "",
		                          answer != NULL ? answer : L"");
		LocalFree(answer);
		return result;
	}
	LocalFree(answer);
	return 0;
}

/* The schema 2.1 document of a container: its layers and scratch; Hyper-V isolation adds a
 * utility VM (HvRuntime) sized by the defaults. */
static char *document(const char *id, const char *const *layers, const char *scratch, bool hyperv)
{
	json_t *root = json_pack("{s:s, s:{s:i, s:i}, s:b}", "Owner", "containerv", "SchemaVersion", "Major", 2,
	                         "Minor", 1, "ShouldTerminateOnLastHandleClosed", 1);
	json_t *array = json_array();
	char *text = NULL;

	if (root == NULL || array == NULL)
		goto out;
	for (size_t i = 0; layers != NULL && layers[i] != NULL; i++)
		json_array_append_new(array, json_pack("{s:s, s:s}", "Id", id, "Path", layers[i]));
	json_t *container = json_pack("{s:{s:o, s:s}}", "Storage", "Layers", array, "Path", scratch);
	array = NULL;
	if (container == NULL)
		goto out;
	if (hyperv) {
		json_object_set_new(root, "VirtualMachine",
		                    json_pack("{s:{s:s}}", "Chipset", "Uefi", "BootThis", "UtilityVM"));
		json_object_set_new(root, "HostingSystemId", json_string(""));
	}
	json_object_set_new(root, "Container", container);
	text = json_dumps(root, JSON_COMPACT);
out:
	json_decref(array);
	json_decref(root);
	if (text == NULL)
		cv_error_errno(ENOMEM, "HCS document of %s", id);
	return text;
}

int cv_win_hcs_start(const char *id, const char *const *layers, const char *scratch, bool hyperv)
{
	hcs_system system = NULL;
	wchar_t *wide_id = NULL, *wide_document = NULL;
	char *text = NULL;
	int result = -1;

	if (!cv_win_hcs_available())
		return cv_error_errno(ENOTSUP,
		                      "HCS: computecore.dll is not available (the Windows Containers feature)");
	if ((text = document(id, layers, scratch, hyperv)) == NULL)
		return -1;
	wide_id = widen(id);
	wide_document = widen(text);
	if (wide_id == NULL || wide_document == NULL) {
		cv_error_errno(ENOMEM, "out of memory");
		goto out;
	}
	hcs_operation operation = hcs.create_operation(NULL, NULL);
	HRESULT hr = hcs.create_system(wide_id, wide_document, operation, NULL, &system);
	if (finish(operation, hr, "create compute system") < 0)
		goto out;
	operation = hcs.create_operation(NULL, NULL);
	hr = hcs.start_system(system, operation, NULL);
	if (finish(operation, hr, "start compute system") < 0)
		goto out;
	result = 0;
out:
	if (system != NULL)
		hcs.close_system(system);
	free(wide_document);
	free(wide_id);
	free(text);
	return result;
}

int cv_win_hcs_terminate(const char *id)
{
	hcs_system system = NULL;
	wchar_t *wide_id;
	int result;

	if (!cv_win_hcs_available())
		return cv_error_errno(ENOTSUP,
		                      "HCS: computecore.dll is not available (the Windows Containers feature)");
	if ((wide_id = widen(id)) == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	HRESULT hr = hcs.open_system(wide_id, GENERIC_ALL, &system);
	free(wide_id);
	if (FAILED(hr))
		return cv_win_error((DWORD)hr, "HCS open compute system %s", id);
	hcs_operation operation = hcs.create_operation(NULL, NULL);
	result = finish(operation, hcs.terminate_system(system, operation, NULL), "terminate compute system");
	hcs.close_system(system);
	return result;
}
