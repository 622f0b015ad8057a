/*
 * The security levels on Windows (windows.h): restricted tokens, integrity levels and
 * AppContainers.
 */
#include <errno.h>
#include <string.h>
#include <windows.h>
#include <sddl.h>

#include "common/error.h"
#include "platform/windows/windows.h"

static int restricted_token(bool low_integrity, HANDLE *out)
{
	HANDLE own = NULL, restricted = NULL;
	PSID low = NULL;
	int result = -1;

	if (!OpenProcessToken(GetCurrentProcess(),
	                      TOKEN_DUPLICATE | TOKEN_ASSIGN_PRIMARY | TOKEN_QUERY | TOKEN_ADJUST_DEFAULT, &own))
		return cv_win_error(GetLastError(), "open the process token");
	if (!CreateRestrictedToken(own, DISABLE_MAX_PRIVILEGE, 0, NULL, 0, NULL, 0, NULL, &restricted)) {
		cv_win_error(GetLastError(), "restricted token");
		goto out;
	}
	if (low_integrity) {
		TOKEN_MANDATORY_LABEL label;
		if (!ConvertStringSidToSidA("S-1-16-4096", &low)) { /* Mandatory Label\Low Mandatory Level */
			cv_win_error(GetLastError(), "low integrity SID");
			goto out;
		}
		memset(&label, 0, sizeof(label));
		label.Label.Attributes = SE_GROUP_INTEGRITY;
		label.Label.Sid = low;
		if (!SetTokenInformation(restricted, TokenIntegrityLevel, &label, sizeof(label) + GetLengthSid(low))) {
			cv_win_error(GetLastError(), "low integrity level");
			goto out;
		}
	}
	*out = restricted;
	restricted = NULL;
	result = 0;
out:
	if (low != NULL)
		LocalFree(low);
	if (restricted != NULL)
		CloseHandle(restricted);
	CloseHandle(own);
	return result;
}

typedef HRESULT(WINAPI *create_profile_fn)(PCWSTR name, PCWSTR display_name, PCWSTR description,
                                           PSID_AND_ATTRIBUTES capabilities, DWORD count, PSID *sid);
typedef HRESULT(WINAPI *derive_sid_fn)(PCWSTR name, PSID *sid);

static int app_container(const char *profile_name, SECURITY_CAPABILITIES *capabilities)
{
	/* Bound at run time: userenv.dll has them from Windows 8 on (wine 8: not at all), and the DLL
	 * must load without them. */
	HMODULE userenv = LoadLibraryExW(L"userenv.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	create_profile_fn create_profile =
	        userenv != NULL
	                ? (create_profile_fn)(void (*)(void))GetProcAddress(userenv, "CreateAppContainerProfile")
	                : NULL;
	derive_sid_fn derive_sid = userenv != NULL ? (derive_sid_fn)(void (*)(void))GetProcAddress(
	                                                     userenv, "DeriveAppContainerSidFromAppContainerName")
	                                           : NULL;
	wchar_t name[64];
	PSID sid = NULL;
	HRESULT hr;

	if (create_profile == NULL || derive_sid == NULL)
		return cv_error_errno(ENOTSUP, "security level paranoid: AppContainers are not available here "
		                               "(userenv.dll has no CreateAppContainerProfile)");

	/* One profile per name, kept (its folders are the container's writable places); the
	 * same name gives the same SID. */
	swprintf(name, sizeof(name) / sizeof(name[0]), L"containerv.%hs",
	         profile_name != NULL ? profile_name : "default");
	hr = create_profile(name, name, L"containerv sandbox", NULL, 0, &sid);
	if (hr == HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS))
		hr = derive_sid(name, &sid);
	if (FAILED(hr))
		return cv_win_error((DWORD)hr, "AppContainer profile %ls", name);
	memset(capabilities, 0, sizeof(*capabilities));
	capabilities->AppContainerSid = sid; /* no capability: no network, no user libraries */
	return 0;
}

int cv_win_sandbox_open(enum containerv_security_level level, const char *profile_name, struct cv_win_sandbox *sandbox)
{
	memset(sandbox, 0, sizeof(*sandbox));
	switch (level) {
	case CV_SECURITY_PERMISSIVE:
		return 0;
	case CV_SECURITY_RESTRICTED:
		return restricted_token(false, &sandbox->token);
	case CV_SECURITY_STRICT:
		return restricted_token(true, &sandbox->token);
	case CV_SECURITY_PARANOID:
		if (app_container(profile_name, &sandbox->capabilities) < 0)
			return -1;
		sandbox->app_container = true;
		return 0;
	}
	return cv_error_errno(EINVAL, "security level %d", (int)level);
}

void cv_win_sandbox_close(struct cv_win_sandbox *sandbox)
{
	if (sandbox->token != NULL)
		CloseHandle(sandbox->token);
	if (sandbox->capabilities.AppContainerSid != NULL)
		FreeSid(sandbox->capabilities.AppContainerSid);
	memset(sandbox, 0, sizeof(*sandbox));
}
