/*
 * What a level allows of the host's namespaces (--pid host, --ipc host,
 * --uts host, --cgroupns host) and of its devices (--device). The audit
 * reports each as a finding; this refuses the ones the level forbids
 * (docs/security.md, "Host namespaces and devices").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <chef/containerv/container.h>

#include "common/error.h"
#include "security/security-internal.h"

/*
 * The kernel's memory, I/O ports and log. Compared by device number with the host's own nodes, so that a
 * copy made elsewhere (mknod /tmp/m c 1 1) is known too; a host without one of them has nothing to match.
 */
static const char *const kernel_devices[] = {"/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg"};

int cv_device_classify(const char *host_path, enum cv_device_risk *risk)
{
	struct stat st, kernel;

	if (stat(host_path, &st) < 0)
		return cv_error_sys("device %s", host_path);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return cv_error_errno(EINVAL, "device %s: not a device node (a character or block device)", host_path);
	*risk = S_ISBLK(st.st_mode) ? CV_DEVICE_BLOCK : CV_DEVICE_ORDINARY;
	for (size_t i = 0; *risk == CV_DEVICE_ORDINARY && i < sizeof kernel_devices / sizeof *kernel_devices; i++)
		if (stat(kernel_devices[i], &kernel) == 0 && S_ISCHR(kernel.st_mode) && kernel.st_rdev == st.st_rdev)
			*risk = CV_DEVICE_KERNEL;
	return 0;
}

static const char *level_name(enum containerv_security_level level)
{
	static const char *const names[] = {"permissive", "restricted", "strict", "paranoid"};

	return (unsigned)level < 4 ? names[level] : "unknown";
}

/* The host's namespace of each kind, and the lowest level that refuses it. */
static const struct {
	unsigned int flag;
	int join; /* index in joined[], -1: cannot be joined */
	const char *flag_text;
	enum containerv_security_level refused_from;
	const char *why;
} host_namespaces[] = {
        {CV_NS_PID, 3, "--pid host", CV_SECURITY_RESTRICTED,
         "the container would see, signal and (with ptrace) enter every process of the host"},
        {CV_NS_IPC, 1, "--ipc host", CV_SECURITY_STRICT,
         "the container would read and write the host's System V shared memory and message queues"},
        {CV_NS_UTS, 2, "--uts host", CV_SECURITY_PARANOID, "the container would share the host's hostname"},
        {CV_NS_CGROUP, -1, "--cgroupns host", CV_SECURITY_PARANOID, "the container would see the host's cgroup paths"},
};

int cv_security_check_isolation(const struct cv_audit_subject *subject)
{
	const struct containerv_security *security = subject->security;
	enum containerv_security_level level = security != NULL ? security->level : CV_SECURITY_RESTRICTED;

	if (security != NULL && security->privileged)
		return 0;
	for (size_t i = 0; i < sizeof host_namespaces / sizeof *host_namespaces; i++) {
		bool joined = host_namespaces[i].join >= 0 && subject->joined[host_namespaces[i].join] != NULL;
		if ((subject->namespaces & host_namespaces[i].flag) && !joined)
			continue;
		if (joined || level < host_namespaces[i].refused_from)
			continue;
		return cv_error_errno(EPERM, "%s is refused at the %s security level: %s (allowed up to %s)",
		                      host_namespaces[i].flag_text, level_name(level), host_namespaces[i].why,
		                      level_name(host_namespaces[i].refused_from - 1));
	}
	for (size_t i = 0; i < subject->device_count; i++) {
		const char *host = subject->devices[i].host;
		enum cv_device_risk risk;
		if (cv_device_classify(host, &risk) < 0)
			return -1;
		if (level >= CV_SECURITY_STRICT)
			return cv_error_errno(EPERM,
			                      "--device %s is refused at the %s security level: it allows no device "
			                      "nodes (allowed at restricted and permissive)",
			                      host, level_name(level));
		if (level >= CV_SECURITY_RESTRICTED && risk != CV_DEVICE_ORDINARY)
			return cv_error_errno(EPERM,
			                      "--device %s is refused at the %s security level: %s (allowed at "
			                      "permissive)",
			                      host, level_name(level),
			                      risk == CV_DEVICE_BLOCK
			                              ? "a block device gives raw access to the host's storage, under "
			                                "every file permission"
			                              : "it reaches the kernel's memory, I/O ports or log");
	}
	return 0;
}
