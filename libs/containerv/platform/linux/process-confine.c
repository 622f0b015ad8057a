/*
 * cv_process_confine (common/process.h): what is left of root to a process
 * that reads traffic from the network. It keeps uid 0, so that it still
 * reads and writes the state store (root's files, reached as their owner),
 * and loses everything a capability or an unusual system call would give:
 * an exploit of its parser gets a process that cannot mount, enter or make
 * namespaces, load code into the kernel, trace or exec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "common/process.h"

#ifndef SECBIT_NOROOT
#define SECBIT_NOROOT (1 << 0)
#define SECBIT_NOROOT_LOCKED (1 << 1)
#define SECBIT_NO_SETUID_FIXUP (1 << 2)
#define SECBIT_NO_SETUID_FIXUP_LOCKED (1 << 3)
#define SECBIT_KEEP_CAPS_LOCKED (1 << 5)
#endif

/* Refused with EPERM: none is on the path of a relay, a listing of the store or a status file. */
static const char *const refused_calls[] = {
        "execve",
        "execveat",
        "unshare",
        "setns",
        "mount",
        "umount2",
        "pivot_root",
        "chroot",
        "move_mount",
        "open_tree",
        "fsopen",
        "fsconfig",
        "fsmount",
        "fspick",
        "mount_setattr",
        "ptrace",
        "process_vm_readv",
        "process_vm_writev",
        "kexec_load",
        "kexec_file_load",
        "init_module",
        "finit_module",
        "delete_module",
        "bpf",
        "perf_event_open",
        "keyctl",
        "add_key",
        "request_key",
        "userfaultfd",
        "open_by_handle_at",
        "name_to_handle_at",
        "mknod",
        "mknodat",
        "reboot",
        "swapon",
        "swapoff",
        "acct",
        "quotactl",
        "settimeofday",
        "clock_settime",
        "clock_adjtime",
        "adjtimex",
        "sethostname",
        "setdomainname",
        "iopl",
        "ioperm",
        "personality",
        "syslog",
        "lookup_dcookie",
        "fanotify_init",
        "pidfd_getfd",
        "kcmp",
        "setuid",
        "setgid",
        "setreuid",
        "setregid",
        "setresuid",
        "setresgid",
        "setgroups",
        "setfsuid",
        "setfsgid",
        "capset",
        "seccomp",
        "memfd_secret",
};

static int load_filter(void)
{
	scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
	int ret = 0;

	if (filter == NULL)
		return cv_error_errno(ENOMEM, "seccomp_init");
	for (size_t i = 0; ret == 0 && i < sizeof refused_calls / sizeof *refused_calls; i++) {
		int number = seccomp_syscall_resolve_name(refused_calls[i]);
		if (number != __NR_SCMP_ERROR)
			ret = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), number, 0);
	}
	/*
	 * clone: threads yes, namespaces no (one rule per flag: rules of a call are ORed). clone3 takes its
	 * flags in memory a filter cannot read: ENOSYS, and glibc falls back to clone.
	 */
	static const unsigned long namespace_flags[] = {CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
	                                                CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET};
	for (size_t i = 0; ret == 0 && i < sizeof namespace_flags / sizeof *namespace_flags; i++)
		ret = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		                       SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i], namespace_flags[i]));
	ret = ret == 0 ? seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) : ret;
	if (ret == 0)
		ret = seccomp_load(filter);
	seccomp_release(filter);
	return ret < 0 ? cv_error_errno(-ret, "load the balancer's seccomp filter") : 0;
}

int cv_process_confine(unsigned int flags)
{
	struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	int last_capability = CAP_LAST_CAP;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return cv_error_sys("no_new_privs");
	/* A kernel newer than our headers may know more: drop up to the first it does not know. */
	for (int capability = 0; capability <= 63; capability++) {
		if ((flags & CV_CONFINE_BIND_SERVICE) && capability == CAP_NET_BIND_SERVICE)
			continue;
		if (prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) < 0) {
			if (errno == EINVAL && capability > last_capability)
				break;
			return cv_error_sys("drop capability %d from the bounding set", capability);
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return cv_error_sys("clear the ambient capabilities");
	/* uid 0 gains nothing from an exec or a uid change either (an exec is refused anyway). */
	if (prctl(PR_SET_SECUREBITS,
	          SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
	                  SECBIT_KEEP_CAPS_LOCKED,
	          0, 0, 0) < 0)
		return cv_error_sys("set the securebits");
	memset(data, 0, sizeof data);
	if (flags & CV_CONFINE_BIND_SERVICE)
		data[0].effective = data[0].permitted = 1u << CAP_NET_BIND_SERVICE;
	if (syscall(SYS_capset, &header, data) < 0)
		return cv_error_sys("drop the capabilities");
	return load_filter();
}
