/*
 * cv-attack: one escape or privilege attempt per invocation, run inside a
 * container by tests/integration/test_cli_security.sh. Linked statically so
 * that it runs in the busybox rootfs. Prints "ok" when the attempt worked,
 * else the errno name (EPERM, EROFS, ...), and exits 0 either way: the test
 * compares the printed outcome with the expected one for each level.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *errno_name(int err)
{
	static const struct {
		int value;
		const char *name;
	} names[] = {
	        {EPERM, "EPERM"},     {ENOENT, "ENOENT"},   {EACCES, "EACCES"},
	        {EROFS, "EROFS"},     {ENOSYS, "ENOSYS"},   {EINVAL, "EINVAL"},
	        {EBUSY, "EBUSY"},     {ENODEV, "ENODEV"},   {ENXIO, "ENXIO"},
	        {EFAULT, "EFAULT"},   {ESRCH, "ESRCH"},     {EEXIST, "EEXIST"},
	        {ENOTDIR, "ENOTDIR"}, {ENOTSUP, "ENOTSUP"}, {EAFNOSUPPORT, "EAFNOSUPPORT"},
	        {EBADF, "EBADF"},     {ELOOP, "ELOOP"},     {ETXTBSY, "ETXTBSY"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].value == err)
			return names[i].name;
	return "EOTHER";
}

static int report(long result)
{
	if (result < 0)
		printf("%s\n", errno_name(errno));
	else
		printf("ok\n");
	return 0;
}

/* --- sensitive binds (issue 9, attack 6) --- */

/* Writes "0" (the writer itself) into FILE: on cgroup v1 `tasks`, on v2 `cgroup.procs`. */
static int join_cgroup_file(const char *file)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	long written = fd < 0 ? -1 : write(fd, "0\n", 2);
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
	return written == 2 ? 0 : -1;
}

/*
 * With the host's cgroup tree bound at ROOT, move ourselves to its root
 * cgroup (out of the container's pids and memory limits), then prove it:
 * 64 children (more than the test's --pids-limit) and 128 MiB touched (more
 * than its --memory). "ok" means every step worked: the limits are gone.
 */
static long cgroup_escape(const char *root)
{
	char path[256];
	pid_t children[64];
	int forked = 0;
	long result = 0;

	snprintf(path, sizeof path, "%s/cgroup.procs", root);
	if (access(path, F_OK) == 0) {
		if (join_cgroup_file(path) < 0)
			return -1;
	} else {
		static const char *const controllers[] = {"pids", "memory"};
		for (size_t i = 0; i < 2; i++) {
			snprintf(path, sizeof path, "%s/%s/tasks", root, controllers[i]);
			if (join_cgroup_file(path) < 0)
				return -1;
		}
	}
	for (; forked < 64; forked++) {
		children[forked] = fork();
		if (children[forked] == 0) {
			pause();
			_exit(0);
		}
		if (children[forked] < 0) {
			result = -1;
			break;
		}
	}
	for (int i = 0; i < forked; i++) {
		kill(children[i], SIGKILL);
		waitpid(children[i], NULL, 0);
	}
	if (result < 0)
		return -1;
	size_t size = (size_t)128 << 20;
	char *memory = malloc(size);
	if (memory == NULL)
		return -1;
	memset(memory, 1, size); /* in the container's cgroup the OOM killer ends us here */
	free(memory);
	return 0;
}

static long attempt(const char *what, const char *arg)
{
	if (strcmp(what, "mount") == 0)
		return mount("none", "/mnt", "tmpfs", 0, NULL);
	if (strcmp(what, "umount") == 0)
		return umount2("/proc", MNT_DETACH);
	if (strcmp(what, "unshare") == 0)
		return unshare(CLONE_NEWUSER);
	if (strcmp(what, "unshare-net") == 0)
		return unshare(CLONE_NEWNET);
	if (strcmp(what, "setns") == 0) {
		int fd = open("/proc/self/ns/net", O_RDONLY);
		return fd < 0 ? -1 : setns(fd, CLONE_NEWNET);
	}
	if (strcmp(what, "ptrace") == 0) /* the container's init, or any other process of ours */
		return ptrace(PTRACE_ATTACH, 1, NULL, NULL);
	if (strcmp(what, "reboot") == 0)
		return syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF, NULL);
	if (strcmp(what, "kexec") == 0)
		return syscall(SYS_kexec_load, 0, 0, NULL, 0);
	if (strcmp(what, "init_module") == 0)
		return syscall(SYS_init_module, "", 0, "");
	if (strcmp(what, "swapon") == 0)
		return swapon("/nonexistent-swap", 0);
	if (strcmp(what, "raw_socket") == 0)
		return socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (strcmp(what, "vsock") == 0)
		return socket(40 /* AF_VSOCK */, SOCK_STREAM, 0);
	if (strcmp(what, "mknod_block") == 0)
		return mknod("/tmp/cv-sda", S_IFBLK | 0600, makedev(8, 0));
	if (strcmp(what, "open_block") == 0) { /* a block node made here, if mknod worked, must still not open */
		mknod("/tmp/cv-loop0", S_IFBLK | 0600, makedev(7, 0));
		return open("/tmp/cv-loop0", O_RDONLY);
	}
	if (strcmp(what, "open_mem") == 0) { /* /dev/mem is not in /dev; a node made for it must not open */
		if (open("/dev/mem", O_RDONLY) >= 0)
			return 0;
		mknod("/tmp/cv-mem", S_IFCHR | 0600, makedev(1, 1));
		return open("/tmp/cv-mem", O_RDONLY);
	}
	if (strcmp(what, "write") == 0) { /* write ARG (a file that exists) */
		int fd = open(arg, O_WRONLY);
		return fd < 0 ? -1 : write(fd, "1", 1);
	}
	if (strcmp(what, "read_size") == 0) { /* ok when ARG reads as empty (masked) */
		char buffer[64];
		int fd = open(arg, O_RDONLY);
		if (fd < 0)
			return -1;
		ssize_t n = read(fd, buffer, sizeof buffer);
		if (n > 0) {
			errno = EEXIST; /* it has content: not masked */
			return -1;
		}
		return n;
	}
	if (strcmp(what, "keyctl") == 0)
		return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
	if (strcmp(what, "add_key") == 0)
		return syscall(SYS_add_key, "user", "cv", "x", 1, -3);
	if (strcmp(what, "clock_settime") == 0) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		return clock_settime(CLOCK_REALTIME, &now);
	}
	if (strcmp(what, "chown") == 0)
		return chown(arg, 1, 1);
	if (strcmp(what, "mkdir") == 0)
		return mkdir(arg, 0755);
	if (strcmp(what, "euid") == 0) { /* prints the effective uid: a setuid-root copy of us shows 0 when it worked */
		printf("euid=%d\n", (int)geteuid());
		return 0;
	}
	if (strcmp(what, "exe") == 0) /* overwrite the init's binary, which is the runtime's (CVE-2019-5736) */
		return open("/proc/1/exe", O_WRONLY);
	if (strcmp(what, "personality") == 0)
		return syscall(SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */);
	if (strcmp(what, "clone3") == 0)
		return syscall(SYS_clone3, NULL, 0);
	if (strcmp(what, "newest") == 0) /* a syscall number no kernel has yet: ENOSYS, not EPERM */
		return syscall(1000);
	if (strcmp(what, "fds") == 0) { /* prints the descriptors we hold beyond 0-2 */
		int found = 0;
		for (int fd = 3; fd < 1024; fd++)
			if (fcntl(fd, F_GETFD) >= 0) {
				char link[64], target[256] = "";
				snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
				readlink(link, target, sizeof target - 1);
				printf("fd %d -> %s\n", fd, target);
				found++;
			}
		return found ? (errno = EEXIST, -1) : 0;
	}
	/* --- cp races (test_cli_cp_attacks.sh) --- */
	if (strcmp(what, "cp_race") ==
	    0) { /* ARG "MAJOR:MINOR": swap /race with a block node of that device, forever */
		unsigned int major, minor;
		if (sscanf(arg, "%u:%u", &major, &minor) != 2) {
			errno = EINVAL;
			return -1;
		}
		/* 4 KiB: a copy that loses the race to the header's size still carries whole marker strings. */
		char harmless[4096];
		memset(harmless, '.', sizeof harmless);
		int fd = open("/race", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, harmless, sizeof harmless) != (ssize_t)sizeof harmless || close(fd) < 0)
			return -1;
		unlink("/race-node");
		if (mknod("/race-node", S_IFBLK | 0600, makedev(major, minor)) < 0)
			return -1;
		printf("racing\n");
		fflush(stdout);
		for (;;)
			if (syscall(SYS_renameat2, AT_FDCWD, "/race", AT_FDCWD, "/race-node", 2 /* RENAME_EXCHANGE */) <
			    0)
				return -1;
	}
	/* --- end of cp races --- */
	/* stdio (issue 9, attack 4): what the container's descriptors 0-2 are; none may be a host file or terminal. */
	if (strcmp(what, "stdio") == 0) { /* "self N DEV INO TYPE" for our 0-2, "init ..." for PID 1's where visible */
		static const char *const owners[] = {"/proc/self/fd", "/proc/1/fd"};
		for (int owner = 0; owner < 2; owner++)
			for (int fd = 0; fd < 3; fd++) {
				char path[64];
				struct stat st;
				snprintf(path, sizeof path, "%s/%d", owners[owner], fd);
				if (stat(path, &st) < 0)
					continue; /* the init is not dumpable: its descriptors cannot be reached */
				const char *type = S_ISFIFO(st.st_mode)   ? "fifo"
				                   : S_ISCHR(st.st_mode)  ? "chr"
				                   : S_ISREG(st.st_mode)  ? "reg"
				                   : S_ISSOCK(st.st_mode) ? "sock"
				                                          : "other";
				dprintf(2, "%s %d %llu %llu %s\n", owner == 0 ? "self" : "init", fd,
				        (unsigned long long)st.st_dev, (unsigned long long)st.st_ino, type);
			}
		return 0;
	}
	if (strcmp(what, "stdio-reopen") == 0) { /* reopen our stdout for reading and writing: ok only for a file */
		int fd = open("/proc/self/fd/1", O_RDWR | O_NONBLOCK);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0)
			return -1;
		return S_ISREG(st.st_mode) ? 0 : (errno = ENOTSUP, -1);
	}
	/* --- sensitive binds (issue 9, attack 6) --- */
	if (strcmp(what, "cgroup_escape") == 0) /* ARG: where the host's /sys/fs/cgroup is bound */
		return cgroup_escape(arg);
	errno = EINVAL;
	fprintf(stderr, "cv-attack: unknown attempt %s\n", what);
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: cv-attack ATTEMPT [ARG]\n");
		return 2;
	}
	return report(attempt(argv[1], argc > 2 ? argv[2] : ""));
}
