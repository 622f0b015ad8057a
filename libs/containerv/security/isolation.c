/*
 * What a level allows of the host's namespaces (--pid host, --ipc host,
 * --uts host, --cgroupns host) and of its devices (--device). The audit
 * reports each as a finding; this refuses the ones the level forbids
 * (docs/security.md, "Host namespaces and devices").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include <chef/containerv/container.h>

#include "common/error.h"
#include "security/security-internal.h"

/*
 * The character devices that reach past the container's own walls, by major and minor number as the
 * kernel's Documentation/admin-guide/devices.txt (and include/linux/miscdevice.h for major 10) assigns
 * them. Numbers, not paths: a symlink to /dev/sg0, or a copy made with mknod elsewhere, is still sg.
 */
#define ANY_MINOR 0, 0xfffffu

static const char storage_why[] = "it sends commands to the host's disks, under every file permission";
static const char console_why[] = "it reads or types on the host's consoles, terminals or screens";
static const char cpu_why[] =
        "it reads or writes the host CPUs' registers or microcode (an MSR write can take over the kernel)";
static const char kernel_why[] = "it reaches the kernel's memory, I/O ports, log, firmware or reboot";

static const struct {
	unsigned int major, minor_first, minor_last;
	enum cv_device_risk risk;
	const char *what;
} numbered_devices[] = {
        {1, 1, 2, CV_DEVICE_KERNEL, "kernel memory (/dev/mem, /dev/kmem)"},
        {1, 4, 4, CV_DEVICE_KERNEL, "I/O ports (/dev/port)"},
        {1, 6, 6, CV_DEVICE_KERNEL, "kernel core (/dev/core)"},
        {1, 11, 11, CV_DEVICE_KERNEL, "kernel log (/dev/kmsg)"},
        {1, 12, 12, CV_DEVICE_KERNEL, "the crashed kernel's memory (/dev/oldmem)"},
        {2, ANY_MINOR, CV_DEVICE_CONSOLE, "a BSD pseudo-terminal master (/dev/pty*)"},
        {3, ANY_MINOR, CV_DEVICE_CONSOLE, "a BSD pseudo-terminal (/dev/tty[p-z]*)"},
        {4, 0, 63, CV_DEVICE_CONSOLE, "a virtual console (/dev/tty0-63)"},
        {5, 1, 1, CV_DEVICE_CONSOLE, "the system console (/dev/console)"},
        {7, ANY_MINOR, CV_DEVICE_CONSOLE, "a virtual console's screen memory (/dev/vcs*)"},
        {9, ANY_MINOR, CV_DEVICE_STORAGE, "a SCSI tape (/dev/st*)"},
        {10, 130, 130, CV_DEVICE_KERNEL, "the watchdog (/dev/watchdog)"},
        {10, 144, 144, CV_DEVICE_KERNEL, "the firmware's NVRAM (/dev/nvram)"},
        {10, 184, 184, CV_DEVICE_CPU, "the CPU microcode loader (/dev/cpu/microcode)"},
        {10, 220, 222, CV_DEVICE_STORAGE, "a SAS controller's control node (/dev/mpt*ctl)"},
        {10, 223, 223, CV_DEVICE_CONSOLE, "the input event injector (/dev/uinput)"},
        {10, 231, 231, CV_DEVICE_KERNEL, "the hibernation image (/dev/snapshot)"},
        {10, 234, 234, CV_DEVICE_STORAGE, "btrfs control (/dev/btrfs-control)"},
        {10, 236, 237, CV_DEVICE_STORAGE, "device-mapper or loop control (/dev/mapper/control, /dev/loop-control)"},
        {10, 239, 240, CV_DEVICE_CONSOLE, "a keyboard injector like uinput (/dev/uhid, /dev/userio)"},
        {13, ANY_MINOR, CV_DEVICE_CONSOLE, "an input device (/dev/input/*)"},
        {21, ANY_MINOR, CV_DEVICE_STORAGE, "SCSI generic (/dev/sg*)"},
        {29, ANY_MINOR, CV_DEVICE_CONSOLE, "a frame buffer (/dev/fb*)"},
        {89, ANY_MINOR, CV_DEVICE_KERNEL, "an I2C/SMBus adapter: the board's EEPROMs and controllers (/dev/i2c-*)"},
        {90, ANY_MINOR, CV_DEVICE_STORAGE, "a raw flash chip (/dev/mtd*)"},
        {128, ANY_MINOR, CV_DEVICE_CONSOLE, "a Unix98 pseudo-terminal master (/dev/ptm)"},
        {136, ANY_MINOR, CV_DEVICE_CONSOLE, "a host pseudo-terminal (/dev/pts/*)"},
        {137, ANY_MINOR, CV_DEVICE_CONSOLE, "a host pseudo-terminal (/dev/pts/*)"},
        {138, ANY_MINOR, CV_DEVICE_CONSOLE, "a host pseudo-terminal (/dev/pts/*)"},
        {139, ANY_MINOR, CV_DEVICE_CONSOLE, "a host pseudo-terminal (/dev/pts/*)"},
        {140, ANY_MINOR, CV_DEVICE_CONSOLE, "a host pseudo-terminal (/dev/pts/*)"},
        {141, ANY_MINOR, CV_DEVICE_CONSOLE, "a host pseudo-terminal (/dev/pts/*)"},
        {142, ANY_MINOR, CV_DEVICE_CONSOLE, "a host pseudo-terminal (/dev/pts/*)"},
        {143, ANY_MINOR, CV_DEVICE_CONSOLE, "a host pseudo-terminal (/dev/pts/*)"},
        {162, ANY_MINOR, CV_DEVICE_STORAGE, "a raw block device (/dev/raw/*)"},
        {202, ANY_MINOR, CV_DEVICE_CPU, "a CPU's model-specific registers (/dev/cpu/*/msr)"},
        {203, ANY_MINOR, CV_DEVICE_CPU, "a CPU's CPUID (/dev/cpu/*/cpuid)"},
};

/* Drivers whose major the kernel picks at boot: known by the name it lists in /proc/devices. */
static const struct {
	const char *driver;
	enum cv_device_risk risk;
	const char *what;
} named_devices[] = {
        {"bsg", CV_DEVICE_STORAGE, "a SCSI block layer generic node (/dev/bsg/*)"},
        {"nvme", CV_DEVICE_STORAGE, "an NVMe controller (/dev/nvme*)"},
        {"nvme-generic", CV_DEVICE_STORAGE, "an NVMe namespace's generic node (/dev/ng*)"},
        {"ubi", CV_DEVICE_STORAGE, "a UBI flash volume (/dev/ubi*)"},
        {"dax", CV_DEVICE_STORAGE, "persistent memory (/dev/dax*)"},
        {"ndctl", CV_DEVICE_STORAGE, "an NVDIMM bus (/dev/ndctl*)"},
        {"dimmctl", CV_DEVICE_STORAGE, "an NVDIMM (/dev/nmem*)"},
        {"ublk-char", CV_DEVICE_STORAGE, "a userspace block device's control (/dev/ublkc*)"},
        {"watchdog", CV_DEVICE_KERNEL, "a watchdog (/dev/watchdog*)"},
        {"ipmidev", CV_DEVICE_KERNEL, "the IPMI controller, which powers the host off and on (/dev/ipmi*)"},
};

static const char *risk_why(enum cv_device_risk risk)
{
	switch (risk) {
	case CV_DEVICE_BLOCK:
		return "a block device gives raw access to the host's storage, under every file permission";
	case CV_DEVICE_STORAGE:
		return storage_why;
	case CV_DEVICE_CONSOLE:
		return console_why;
	case CV_DEVICE_CPU:
		return cpu_why;
	case CV_DEVICE_KERNEL:
		return kernel_why;
	case CV_DEVICE_ORDINARY:
		break;
	}
	return "a host device's driver is reachable from the container";
}

void cv_device_classify(const struct cv_device_identity *identity, struct cv_device_class *class)
{
	*class = (struct cv_device_class){CV_DEVICE_ORDINARY, NULL, risk_why(CV_DEVICE_ORDINARY)};
	if (identity->type == 'b') {
		*class = (struct cv_device_class){CV_DEVICE_BLOCK, "a block device", risk_why(CV_DEVICE_BLOCK)};
		return;
	}
	for (size_t i = 0; i < sizeof numbered_devices / sizeof *numbered_devices; i++)
		if (numbered_devices[i].major == identity->major &&
		    identity->minor >= numbered_devices[i].minor_first &&
		    identity->minor <= numbered_devices[i].minor_last) {
			*class = (struct cv_device_class){numbered_devices[i].risk, numbered_devices[i].what,
			                                  risk_why(numbered_devices[i].risk)};
			return;
		}
	for (size_t i = 0; identity->driver[0] != '\0' && i < sizeof named_devices / sizeof *named_devices; i++)
		if (strcmp(named_devices[i].driver, identity->driver) == 0) {
			*class = (struct cv_device_class){named_devices[i].risk, named_devices[i].what,
			                                  risk_why(named_devices[i].risk)};
			return;
		}
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
		struct cv_device_identity identity;
		if (cv_device_identify(subject->devices[i].host, &identity) < 0 ||
		    cv_security_check_device(security, subject->devices[i].host, &identity) < 0)
			return -1;
	}
	return 0;
}

int cv_security_check_device(const struct containerv_security *security, const char *host_path,
                             const struct cv_device_identity *identity)
{
	enum containerv_security_level level = security != NULL ? security->level : CV_SECURITY_RESTRICTED;
	struct cv_device_class class;

	if (security != NULL && security->privileged)
		return 0;
	if (level >= CV_SECURITY_STRICT)
		return cv_error_errno(EPERM,
		                      "--device %s is refused at the %s security level: it allows no device "
		                      "nodes (allowed at restricted and permissive)",
		                      host_path, level_name(level));
	cv_device_classify(identity, &class);
	if (level >= CV_SECURITY_RESTRICTED && class.risk != CV_DEVICE_ORDINARY)
		return cv_error_errno(EPERM,
		                      "--device %s is refused at the %s security level: %s %u:%u is %s: %s "
		                      "(allowed at permissive)",
		                      host_path, level_name(level), identity->type == 'b' ? "block" : "char",
		                      identity->major, identity->minor, class.what, class.why);
	return 0;
}
