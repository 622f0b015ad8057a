/*
 * The built-in seccomp profiles. Permissive and Restricted get an allow-list
 * equivalent to docker's default profile: every call an ordinary program
 * needs, the dangerous ones (mount, kexec, modules, keyrings, clock, swap,
 * reboot, namespaces, bpf, perf ...) only when the container holds the
 * capability that makes them meaningful, argument filters on clone (no new
 * namespaces), personality (only the harmless personas) and socket (no
 * AF_VSOCK); every other call fails with EPERM, and calls newer than the
 * profile fail with ENOSYS so that programs fall back to older ones. Strict
 * and Paranoid take further calls away (see docs/security.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "security/security-internal.h"

/* Allowed for every level. Names a libseccomp does not know on an architecture are skipped there. */
static const char *const allowed_always[] = {
        "accept",
        "accept4",
        "access",
        "adjtimex",
        "alarm",
        "bind",
        "brk",
        "cachestat",
        "capget",
        "capset",
        "chdir",
        "chmod",
        "chown",
        "chown32",
        "clock_adjtime",
        "clock_adjtime64",
        "clock_getres",
        "clock_getres_time64",
        "clock_gettime",
        "clock_gettime64",
        "clock_nanosleep",
        "clock_nanosleep_time64",
        "close",
        "close_range",
        "connect",
        "copy_file_range",
        "creat",
        "dup",
        "dup2",
        "dup3",
        "epoll_create",
        "epoll_create1",
        "epoll_ctl",
        "epoll_ctl_old",
        "epoll_pwait",
        "epoll_pwait2",
        "epoll_wait",
        "epoll_wait_old",
        "eventfd",
        "eventfd2",
        "execve",
        "execveat",
        "exit",
        "exit_group",
        "faccessat",
        "faccessat2",
        "fadvise64",
        "fadvise64_64",
        "fallocate",
        "fanotify_mark",
        "fchdir",
        "fchmod",
        "fchmodat",
        "fchmodat2",
        "fchown",
        "fchown32",
        "fchownat",
        "fcntl",
        "fcntl64",
        "fdatasync",
        "fgetxattr",
        "flistxattr",
        "flock",
        "fork",
        "fremovexattr",
        "fsetxattr",
        "fstat",
        "fstat64",
        "fstatat64",
        "fstatfs",
        "fstatfs64",
        "fsync",
        "ftruncate",
        "ftruncate64",
        "futex",
        "futex_requeue",
        "futex_time64",
        "futex_wait",
        "futex_waitv",
        "futex_wake",
        "futimesat",
        "getcpu",
        "getcwd",
        "getdents",
        "getdents64",
        "getegid",
        "getegid32",
        "geteuid",
        "geteuid32",
        "getgid",
        "getgid32",
        "getgroups",
        "getgroups32",
        "getitimer",
        "getpeername",
        "getpgid",
        "getpgrp",
        "getpid",
        "getppid",
        "getpriority",
        "getrandom",
        "getresgid",
        "getresgid32",
        "getresuid",
        "getresuid32",
        "getrlimit",
        "get_robust_list",
        "getrusage",
        "getsid",
        "getsockname",
        "getsockopt",
        "get_thread_area",
        "gettid",
        "gettimeofday",
        "getuid",
        "getuid32",
        "getxattr",
        "inotify_add_watch",
        "inotify_init",
        "inotify_init1",
        "inotify_rm_watch",
        "io_cancel",
        "ioctl",
        "io_destroy",
        "io_getevents",
        "io_pgetevents",
        "io_pgetevents_time64",
        "ioprio_get",
        "ioprio_set",
        "io_setup",
        "io_submit",
        "ipc",
        "kill",
        "landlock_add_rule",
        "landlock_create_ruleset",
        "landlock_restrict_self",
        "lchown",
        "lchown32",
        "lgetxattr",
        "link",
        "linkat",
        "listen",
        "listxattr",
        "llistxattr",
        "_llseek",
        "lremovexattr",
        "lseek",
        "lsetxattr",
        "lstat",
        "lstat64",
        "madvise",
        "map_shadow_stack",
        "membarrier",
        "memfd_create",
        "mincore",
        "mkdir",
        "mkdirat",
        "mlock",
        "mlock2",
        "mlockall",
        "mmap",
        "mmap2",
        "mprotect",
        "mq_getsetattr",
        "mq_notify",
        "mq_open",
        "mq_timedreceive",
        "mq_timedreceive_time64",
        "mq_timedsend",
        "mq_timedsend_time64",
        "mq_unlink",
        "mremap",
        "msgctl",
        "msgget",
        "msgrcv",
        "msgsnd",
        "msync",
        "munlock",
        "munlockall",
        "munmap",
        "nanosleep",
        "newfstatat",
        "_newselect",
        "open",
        "openat",
        "openat2",
        "pause",
        "pidfd_open",
        "pidfd_send_signal",
        "pipe",
        "pipe2",
        "poll",
        "ppoll",
        "ppoll_time64",
        "prctl",
        "pread64",
        "preadv",
        "preadv2",
        "prlimit64",
        "process_mrelease",
        "pselect6",
        "pselect6_time64",
        "pwrite64",
        "pwritev",
        "pwritev2",
        "read",
        "readahead",
        "readlink",
        "readlinkat",
        "readv",
        "recv",
        "recvfrom",
        "recvmmsg",
        "recvmmsg_time64",
        "recvmsg",
        "remap_file_pages",
        "removexattr",
        "rename",
        "renameat",
        "renameat2",
        "restart_syscall",
        "rmdir",
        "rseq",
        "rt_sigaction",
        "rt_sigpending",
        "rt_sigprocmask",
        "rt_sigqueueinfo",
        "rt_sigreturn",
        "rt_sigsuspend",
        "rt_sigtimedwait",
        "rt_sigtimedwait_time64",
        "rt_tgsigqueueinfo",
        "sched_getaffinity",
        "sched_getattr",
        "sched_getparam",
        "sched_get_priority_max",
        "sched_get_priority_min",
        "sched_getscheduler",
        "sched_rr_get_interval",
        "sched_rr_get_interval_time64",
        "sched_setaffinity",
        "sched_setattr",
        "sched_setparam",
        "sched_setscheduler",
        "sched_yield",
        "seccomp",
        "select",
        "semctl",
        "semget",
        "semop",
        "semtimedop",
        "semtimedop_time64",
        "send",
        "sendfile",
        "sendfile64",
        "sendmmsg",
        "sendmsg",
        "sendto",
        "setfsgid",
        "setfsgid32",
        "setfsuid",
        "setfsuid32",
        "setgid",
        "setgid32",
        "setgroups",
        "setgroups32",
        "setitimer",
        "setpgid",
        "setpriority",
        "setregid",
        "setregid32",
        "setresgid",
        "setresgid32",
        "setresuid",
        "setresuid32",
        "setreuid",
        "setreuid32",
        "setrlimit",
        "set_robust_list",
        "setsid",
        "setsockopt",
        "set_thread_area",
        "set_tid_address",
        "setuid",
        "setuid32",
        "setxattr",
        "shmat",
        "shmctl",
        "shmdt",
        "shmget",
        "shutdown",
        "sigaltstack",
        "signalfd",
        "signalfd4",
        "sigprocmask",
        "sigreturn",
        "socketcall",
        "socketpair",
        "splice",
        "stat",
        "stat64",
        "statfs",
        "statfs64",
        "statx",
        "symlink",
        "symlinkat",
        "sync",
        "sync_file_range",
        "syncfs",
        "sysinfo",
        "tee",
        "tgkill",
        "time",
        "timer_create",
        "timer_delete",
        "timer_getoverrun",
        "timer_gettime",
        "timer_gettime64",
        "timer_settime",
        "timer_settime64",
        "timerfd_create",
        "timerfd_gettime",
        "timerfd_gettime64",
        "timerfd_settime",
        "timerfd_settime64",
        "times",
        "tkill",
        "truncate",
        "truncate64",
        "ugetrlimit",
        "umask",
        "uname",
        "unlink",
        "unlinkat",
        "utime",
        "utimensat",
        "utimensat_time64",
        "utimes",
        "vfork",
        "wait4",
        "waitid",
        "waitpid",
        "write",
        "writev",
        NULL,
};

/* Allowed up to Restricted (docker allows them); Strict and Paranoid take them away. */
static const char *const allowed_up_to_restricted[] = {
        "mknod",     "mknodat",       "ptrace",       "name_to_handle_at", "pkey_alloc",
        "pkey_free", "pkey_mprotect", "memfd_secret", "vmsplice",          NULL,
};

/* Only allowed with a capability: each call, and the capability that makes it meaningful. */
static const struct {
	const char *name;
	const char *capability;
} capability_gated[] = {
        {"bpf", "SYS_ADMIN"},
        {"bpf", "BPF"},
        {"fanotify_init", "SYS_ADMIN"},
        {"fsconfig", "SYS_ADMIN"},
        {"fsmount", "SYS_ADMIN"},
        {"fsopen", "SYS_ADMIN"},
        {"fspick", "SYS_ADMIN"},
        {"lookup_dcookie", "SYS_ADMIN"},
        {"mount", "SYS_ADMIN"},
        {"mount_setattr", "SYS_ADMIN"},
        {"move_mount", "SYS_ADMIN"},
        {"open_tree", "SYS_ADMIN"},
        {"perf_event_open", "SYS_ADMIN"},
        {"perf_event_open", "PERFMON"},
        {"quotactl", "SYS_ADMIN"},
        {"quotactl_fd", "SYS_ADMIN"},
        {"setdomainname", "SYS_ADMIN"},
        {"sethostname", "SYS_ADMIN"},
        {"setns", "SYS_ADMIN"},
        {"syslog", "SYS_ADMIN"},
        {"syslog", "SYSLOG"},
        {"umount", "SYS_ADMIN"},
        {"umount2", "SYS_ADMIN"},
        {"unshare", "SYS_ADMIN"},
        {"clone", "SYS_ADMIN"},
        {"clone3", "SYS_ADMIN"},
        {"reboot", "SYS_BOOT"},
        {"chroot", "SYS_CHROOT"},
        {"delete_module", "SYS_MODULE"},
        {"init_module", "SYS_MODULE"},
        {"finit_module", "SYS_MODULE"},
        {"acct", "SYS_PACCT"},
        {"kcmp", "SYS_PTRACE"},
        {"pidfd_getfd", "SYS_PTRACE"},
        {"process_madvise", "SYS_PTRACE"},
        {"process_vm_readv", "SYS_PTRACE"},
        {"process_vm_writev", "SYS_PTRACE"},
        {"ptrace", "SYS_PTRACE"},
        {"iopl", "SYS_RAWIO"},
        {"ioperm", "SYS_RAWIO"},
        {"settimeofday", "SYS_TIME"},
        {"stime", "SYS_TIME"},
        {"clock_settime", "SYS_TIME"},
        {"clock_settime64", "SYS_TIME"},
        {"vhangup", "SYS_TTY_CONFIG"},
        {"get_mempolicy", "SYS_NICE"},
        {"mbind", "SYS_NICE"},
        {"set_mempolicy", "SYS_NICE"},
        {"set_mempolicy_home_node", "SYS_NICE"},
        {"open_by_handle_at", "DAC_READ_SEARCH"},
};

/* Paranoid also denies these, which Strict allows: side channels and rarely needed kernel interfaces. */
static const char *const denied_paranoid[] = {
        "mincore",        "remap_file_pages",
        "sched_setattr",  "sched_setscheduler",
        "sched_setparam", "setpriority",
        "ioprio_set",     "io_setup",
        "io_submit",      "io_cancel",
        "io_destroy",     "io_getevents",
        "io_pgetevents",  "io_pgetevents_time64",
        "fanotify_mark",  "personality",
        "seccomp",        NULL,
};

/* The namespace flags of clone(2): CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET (0x7E020000). */
#define CLONE_NAMESPACE_FLAGS UINT64_C(0x7E020000)
#define AF_VSOCK_FAMILY 40

static bool in_list(const char *const *list, const char *name)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static struct cv_seccomp_rule *add_rule(struct cv_seccomp_profile *p, enum cv_seccomp_action action)
{
	struct cv_seccomp_rule *grown = realloc(p->rules, (p->rule_count + 1) * sizeof *grown);

	if (grown == NULL) {
		cv_error_errno(ENOMEM, "out of memory");
		return NULL;
	}
	p->rules = grown;
	memset(&p->rules[p->rule_count], 0, sizeof p->rules[0]);
	p->rules[p->rule_count].action = action;
	p->rules[p->rule_count].names = cv_malloc0(sizeof(char *));
	if (p->rules[p->rule_count].names == NULL)
		return NULL;
	return &p->rules[p->rule_count++];
}

static int add_names(struct cv_seccomp_rule *rule, const char *const *names, const char *const *except)
{
	for (size_t i = 0; names[i] != NULL; i++) {
		if (except != NULL && in_list(except, names[i]))
			continue;
		if (cv_strv_append(&rule->names, names[i]) < 0)
			return -1;
	}
	return 0;
}

static int add_one(struct cv_seccomp_profile *p, const char *name, enum cv_seccomp_action action,
                   struct cv_seccomp_rule **out)
{
	struct cv_seccomp_rule *rule = add_rule(p, action);

	if (rule == NULL || cv_strv_append(&rule->names, name) < 0)
		return -1;
	if (out != NULL)
		*out = rule;
	return 0;
}

static int add_argument_filtered(struct cv_seccomp_profile *p, enum containerv_security_level level)
{
	static const uint64_t personas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};
	struct cv_seccomp_rule *rule;
	uint64_t sys_admin = CV_CAP_BIT(cv_capability_number("SYS_ADMIN"));

	/* clone without namespace flags, unless CAP_SYS_ADMIN (then the gated rule allows it all). */
	if (add_one(p, "clone", CV_SECCOMP_ALLOW, &rule) < 0)
		return -1;
	rule->args[0] = (struct cv_seccomp_arg){0, CLONE_NAMESPACE_FLAGS, 0, CV_SECCOMP_OP_MASKED_EQ};
	rule->arg_count = 1;
	rule->caps_none = sys_admin;
	/* clone3's flags sit in memory where no filter can read them: ENOSYS makes glibc fall back to clone. */
	if (add_one(p, "clone3", CV_SECCOMP_ERRNO, &rule) < 0)
		return -1;
	rule->errno_ret = ENOSYS;
	rule->has_errno = true;
	rule->caps_none = sys_admin;
	/* socket, except AF_VSOCK (host-guest channels have had escapes). */
	if (add_one(p, "socket", CV_SECCOMP_ALLOW, &rule) < 0)
		return -1;
	rule->args[0] = (struct cv_seccomp_arg){0, AF_VSOCK_FAMILY, 0, CV_SECCOMP_OP_NE};
	rule->arg_count = 1;
	if (level == CV_SECURITY_PARANOID)
		return 0;
	for (size_t i = 0; i < sizeof personas / sizeof personas[0]; i++) {
		if (add_one(p, "personality", CV_SECCOMP_ALLOW, &rule) < 0)
			return -1;
		rule->args[0] = (struct cv_seccomp_arg){0, personas[i], 0, CV_SECCOMP_OP_EQ};
		rule->arg_count = 1;
	}
	/* x86 segment set-up that glibc and Wine use; only exists there. */
	if (add_one(p, "arch_prctl", CV_SECCOMP_ALLOW, &rule) < 0 ||
	    add_one(p, "modify_ldt", CV_SECCOMP_ALLOW, &rule) < 0)
		return -1;
	rule->arches = CV_ARCH_X86_64 | CV_ARCH_X86 | CV_ARCH_X32;
	return 0;
}

int cv_seccomp_profile_for_level(enum containerv_security_level level, struct cv_seccomp_profile *p)
{
	struct cv_seccomp_rule *rule;

	memset(p, 0, sizeof *p);
	p->default_action = CV_SECCOMP_ERRNO;
	p->default_errno = EPERM;
	p->unknown_enosys = true;
	rule = add_rule(p, CV_SECCOMP_ALLOW);
	if (rule == NULL || add_names(rule, allowed_always, level == CV_SECURITY_PARANOID ? denied_paranoid : NULL) < 0)
		goto fail;
	if (level <= CV_SECURITY_RESTRICTED) {
		rule = add_rule(p, CV_SECCOMP_ALLOW);
		if (rule == NULL || add_names(rule, allowed_up_to_restricted, NULL) < 0)
			goto fail;
	}
	if (level == CV_SECURITY_PARANOID && add_one(p, "arch_prctl", CV_SECCOMP_ALLOW, &rule) < 0)
		goto fail;
	if (add_argument_filtered(p, level) < 0)
		goto fail;
	/* A gated call is only there when the container holds its capability; Paranoid holds none. */
	for (size_t i = 0; i < sizeof capability_gated / sizeof capability_gated[0]; i++) {
		if (add_one(p, capability_gated[i].name, CV_SECCOMP_ALLOW, &rule) < 0)
			goto fail;
		rule->caps_all = CV_CAP_BIT(cv_capability_number(capability_gated[i].capability));
	}
	return 0;
fail:
	cv_seccomp_profile_clear(p);
	return -1;
}

void cv_seccomp_profile_clear(struct cv_seccomp_profile *p)
{
	for (size_t i = 0; i < p->rule_count; i++)
		cv_strv_free(p->rules[i].names);
	free(p->rules);
	memset(p, 0, sizeof *p);
}

int cv_seccomp_profile_of(const struct containerv_security *s, struct cv_seccomp_profile *profile, bool *enabled)
{
	memset(profile, 0, sizeof *profile);
	*enabled = !s->privileged && s->seccomp_mode != CV_SECCOMP_UNCONFINED;
	if (!*enabled)
		return 0;
	if (s->seccomp_mode == CV_SECCOMP_CUSTOM)
		return cv_seccomp_profile_parse(s->seccomp_json, profile);
	return cv_seccomp_profile_for_level(s->level, profile);
}
