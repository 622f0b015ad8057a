/*
 * containerv: container lifecycle.
 *
 * A container is a set of namespaces, a cgroup and a root filesystem with
 * containerv's own small init as PID 1. The init starts the main command (if
 * the options name one), reaps zombies, forwards signals to the main
 * process and records its exit status; the container stops when the main
 * process exits. More processes run inside with containerv_spawn().
 *
 * Containers are identified by a 64-hex-digit id and an optional name; all
 * their state lives under <root>/containers/<id>/ so that any process can
 * open a container by id or name, unique prefixes of the id included.
 */
#ifndef CHEF_CONTAINERV_CONTAINER_H
#define CHEF_CONTAINERV_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/common.h>
#include <chef/containerv/limits.h>
#include <chef/containerv/volume.h>

#ifdef __cplusplus
extern "C" {
#endif

struct containerv_options;
struct containerv_container;

/* Namespaces a container gets. The default is all of them but USER. */
enum containerv_namespace {
	CV_NS_PID = 0x01,
	CV_NS_MOUNT = 0x02, /* always on: the rootfs needs it */
	CV_NS_UTS = 0x04,
	CV_NS_IPC = 0x08,
	CV_NS_NET = 0x10, /* a private network stack with loopback up */
	CV_NS_CGROUP = 0x20,
	CV_NS_USER = 0x40, /* implied by containerv_options_set_users() */
	CV_NS_TIME = 0x80, /* CLONE_NEWTIME (Linux 5.6+), implied by containerv_options_set_time_offset() */
};
#define CV_NS_DEFAULT (CV_NS_PID | CV_NS_MOUNT | CV_NS_UTS | CV_NS_IPC | CV_NS_NET | CV_NS_CGROUP)

/* Creates an empty options object. */
CONTAINERV_API int containerv_options_new(struct containerv_options **options);

/* Frees options; NULL is allowed. */
CONTAINERV_API void containerv_options_delete(struct containerv_options *options);

/*
 * The root filesystem: a directory that is never modified. The container
 * writes to a private overlay upper layer that is removed with it.
 */
CONTAINERV_API int containerv_options_set_rootfs(struct containerv_options *options, const char *directory);

/*
 * The container's cgroup, instead of containerv's own "containerv/<id>":
 * PATH absolute ("/pod1/c1": from the root of each cgroup hierarchy, outside
 * "/containerv") or relative ("pod1/c1": under containerv's own
 * "containerv/.relative/"); components of [A-Za-z0-9_.:@-], no "." or "..",
 * at most 512 characters. Missing parent cgroups are made and stay (as runc
 * leaves them); the cgroup itself must not exist yet, and is removed with the
 * container. NULL: containerv's own again.
 */
CONTAINERV_API int containerv_options_set_cgroup_path(struct containerv_options *options, const char *path);

/*
 * With ENABLED, the root filesystem given to containerv_options_set_rootfs is
 * the container's root as it is, with no overlay on top: the container writes
 * into that directory (an OCI bundle's rootfs, a snapshot an engine made for
 * it). Needs exactly one layer; containerv_options_set_readonly_rootfs still
 * applies. The container's filesystem changes cannot be committed or diffed.
 */
CONTAINERV_API int containerv_options_set_rootfs_in_place(struct containerv_options *options, int enabled);

/*
 * The root filesystem as read-only layers, lowest first (as OCI image layers
 * are ordered), stacked with OverlayFS under a private writable layer.
 * Replaces any rootfs set before.
 */
CONTAINERV_API int containerv_options_set_layers(struct containerv_options *options, const char *const *layers,
                                                 size_t count);

/* A unique name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters). */
CONTAINERV_API int containerv_options_set_name(struct containerv_options *options, const char *name);

/* The hostname inside (default: the first 12 digits of the id). */
CONTAINERV_API int containerv_options_set_hostname(struct containerv_options *options, const char *hostname);

/*
 * The main command: argv[0] is looked up in the container's PATH. Without a
 * command the init idles until the container is stopped, which suits a
 * container used only through containerv_spawn().
 */
CONTAINERV_API int containerv_options_set_command(struct containerv_options *options, const char *const *argv);

/* Adds one "KEY=VALUE" to the environment; a later KEY replaces an earlier one. */
CONTAINERV_API int containerv_options_add_env(struct containerv_options *options, const char *key_value);

/* The working directory of the main command, inside the container (default "/"). */
CONTAINERV_API int containerv_options_set_workdir(struct containerv_options *options, const char *directory);

/* The uid and gid the main command runs as inside the container (default 0:0). */
CONTAINERV_API int containerv_options_set_user(struct containerv_options *options, containerv_uid_t uid,
                                               containerv_gid_t gid);

/*
 * A kernel parameter of the container's own namespaces, written before its
 * command runs (docker's --sysctl): KEY as in sysctl(8) ("net.ipv4.ip_forward").
 * Only namespaced ones are taken: "net.*" (needs the network namespace),
 * kernel.msgmax, msgmnb, msgmni, sem, shmall, shmmax, shmmni, shm_rmid_forced
 * and "fs.mqueue.*" (need the IPC namespace); any other would change the host.
 */
CONTAINERV_API int containerv_options_add_sysctl(struct containerv_options *options, const char *key,
                                                 const char *value);

/*
 * A device node made in the container at create (OCI's linux.devices): PATH
 * absolute without "." or ".." (made inside the container's root, never
 * through a symbolic link out of it; missing parents are made), TYPE 'c' (or
 * 'u'), 'b' or 'p' (a FIFO: major and minor ignored), MODE permission bits, owned by
 * UID:GID (ids inside the container). In a user namespace, where mknod is not
 * allowed, the host's node of the same path is bound instead, and must be of
 * that type and number. A node does not make the device usable: the device
 * cgroup must allow it too (containerv_options_allow_device).
 */
CONTAINERV_API int containerv_options_add_device(struct containerv_options *options, const char *path, char type,
                                                 uint32_t major, uint32_t minor, uint32_t mode, containerv_uid_t uid,
                                                 containerv_gid_t gid);

/*
 * One more device the container may use (the device cgroup), besides
 * containerv's default list (null, zero, full, random, urandom, tty, console,
 * ptmx, pts, tun, and mknod): TYPE 'a' (all), 'c' or 'b'; MAJOR and MINOR, -1
 * for any; ACCESS letters of "rwm". Rules are applied in the order added,
 * before the defaults. A privileged container's devices are not restricted.
 */
CONTAINERV_API int containerv_options_allow_device(struct containerv_options *options, char type, int64_t major,
                                                   int64_t minor, const char *access);

/*
 * A limit on the container's huge pages of one size (OCI's linux.resources.hugepageLimits): PAGE_SIZE in
 * bytes (2097152 for "2MB"; a size the kernel has, checked at create), LIMIT_BYTES a whole number of
 * such pages, 0 forbidding them. Setting a size again replaces its limit. It lands in the options'
 * limits (containerv_limits.hugetlb); containerv_options_set_limits afterwards replaces them all.
 */
CONTAINERV_API int containerv_options_set_hugetlb_limit(struct containerv_options *options, uint64_t page_size,
                                                        uint64_t limit_bytes);

/*
 * A cgroup v2 file of the container's cgroup written at create, after the limits (OCI's
 * linux.resources.unified, e.g. "memory.oom.group" = "1"): KEY a plain file name
 * "<controller>.<name>" of a controller enabled for the container (cgroup.procs, cgroup.threads,
 * cgroup.subtree_control, cgroup.kill, cgroup.type and cgroup.freeze refused), VALUE written as it is
 * (at most 4096 bytes: the kernel takes one page; longer fails with EINVAL). The create
 * fails, leaving nothing behind, when the kernel refuses it or the host's controllers are cgroup v1
 * (as runc refuses it there). A key given twice fails with EEXIST.
 */
CONTAINERV_API int containerv_options_set_cgroup_file(struct containerv_options *options, const char *key,
                                                      const char *value);

/* The main command's file mode creation mask (umask(2)), 0 to 0777; -1 (the default): the creator's. */
CONTAINERV_API int containerv_options_set_umask(struct containerv_options *options, int mask);

/* The I/O scheduling class of the main command (ioprio_set(2); OCI's process.ioPriority). */
enum containerv_io_class {
	CV_IO_CLASS_RT = 1,   /* real time (needs CAP_SYS_ADMIN in the container, as the kernel checks) */
	CV_IO_CLASS_BE = 2,   /* best effort, the kernel's default */
	CV_IO_CLASS_IDLE = 3, /* only when the disk is otherwise idle */
};

/*
 * Sets the main command's I/O priority: CLASS and LEVEL 0 (highest) to 7, applied by the init just before
 * the command is executed, as `ionice -c CLASS -n LEVEL` (IDLE takes no level: give 0). Exec'd
 * processes keep the creator's. EINVAL: an unknown class or a level out of range.
 */
CONTAINERV_API int containerv_options_set_io_priority(struct containerv_options *options,
                                                      enum containerv_io_class io_class, int level);

/* Scheduling policies (sched_setattr(2), the kernel's numbers; OCI's process.scheduler.policy). */
enum containerv_sched_policy {
	CV_SCHED_OTHER = 0,
	CV_SCHED_FIFO = 1,
	CV_SCHED_RR = 2,
	CV_SCHED_BATCH = 3,
	CV_SCHED_IDLE = 5,
	CV_SCHED_DEADLINE = 6,
};

/* sched_setattr(2)'s flags, the kernel's bits (OCI's SCHED_FLAG_* names). */
#define CONTAINERV_SCHED_FLAG_RESET_ON_FORK 0x01u
#define CONTAINERV_SCHED_FLAG_RECLAIM 0x02u
#define CONTAINERV_SCHED_FLAG_DL_OVERRUN 0x04u
#define CONTAINERV_SCHED_FLAG_KEEP_POLICY 0x08u
#define CONTAINERV_SCHED_FLAG_KEEP_PARAMS 0x10u
#define CONTAINERV_SCHED_FLAG_UTIL_CLAMP_MIN 0x20u
#define CONTAINERV_SCHED_FLAG_UTIL_CLAMP_MAX 0x40u

/* The main command's scheduling, as sched_setattr(2) takes it. */
struct containerv_scheduler {
	int policy;        /* enum containerv_sched_policy */
	int nice;          /* -20..19: OTHER and BATCH */
	int priority;      /* 1..99 for FIFO and RR, else 0 */
	uint64_t flags;    /* CONTAINERV_SCHED_FLAG_* */
	uint64_t runtime;  /* DEADLINE: nanoseconds of CPU per period (at least 1024) */
	uint64_t deadline; /* DEADLINE: ns; runtime <= deadline <= period */
	uint64_t period;   /* DEADLINE: ns; 0 means deadline */
};

/*
 * Sets the main command's scheduling policy (OCI's process.scheduler), applied by the init just before the
 * command is executed, while it still has its capabilities (FIFO, RR and DEADLINE need CAP_SYS_NICE). Exec'd
 * processes keep the creator's. EINVAL: a value the kernel would refuse (checked here, not at start).
 */
CONTAINERV_API int containerv_options_set_scheduler(struct containerv_options *options,
                                                    const struct containerv_scheduler *scheduler);

/* The clocks a time namespace offsets (OCI's linux.timeOffsets). */
enum containerv_clock {
	CV_CLOCK_MONOTONIC = 1, /* CLOCK_MONOTONIC's number */
	CV_CLOCK_BOOTTIME = 7,  /* CLOCK_BOOTTIME's: /proc/uptime follows it */
};

/*
 * Gives the container a time namespace of its own (CV_NS_TIME) in which CLOCK reads SECONDS and
 * NANOSECONDS (0..999999999) ahead of the host's (negative: behind; the clock must stay positive, which
 * the kernel checks at start). The init enters it before the main command starts; exec'd processes join
 * it. Setting a clock again replaces its offset.
 */
CONTAINERV_API int containerv_options_set_time_offset(struct containerv_options *options, enum containerv_clock clock,
                                                      int64_t seconds, int64_t nanoseconds);

/* The execution domain of the main command (OCI linux.personality, personality(2)). */
enum containerv_personality {
	CV_PERSONALITY_INHERIT = 0, /* the default: the creator's */
	CV_PERSONALITY_LINUX = 1,   /* PER_LINUX */
	CV_PERSONALITY_LINUX32 = 2, /* PER_LINUX32: uname reports a 32-bit machine (i686 on x86_64) */
};

/*
 * Sets the main command's execution domain, as `setarch` does: applied by the
 * init just before the command is executed (exec'd processes keep the
 * creator's). EINVAL: not one of enum containerv_personality.
 */
CONTAINERV_API int containerv_options_set_personality(struct containerv_options *options,
                                                      enum containerv_personality personality);

/*
 * The propagation of the container's root mount, set once it is in place
 * (default private); the mounts below keep their own (containerv_mount's
 * propagation). Nothing propagates to or from the host either way: the
 * mounts were made private first, so a shared root shares only with the
 * container's own binds of it.
 */
CONTAINERV_API int containerv_options_set_root_propagation(struct containerv_options *options,
                                                           enum containerv_mount_propagation propagation);

/*
 * The signal containerv_stop() sends when given none (docker's --stop-signal),
 * replacing the image's StopSignal; default SIGTERM. EINVAL: not a signal.
 */
CONTAINERV_API int containerv_options_set_stop_signal(struct containerv_options *options, int signal);

/*
 * How long containerv_stop() waits, given CONTAINERV_STOP_TIMEOUT_DEFAULT,
 * before it kills (docker's --stop-timeout): 0 to 86400 seconds; -1 is
 * containerv's default of 10 again. EINVAL: out of range.
 */
CONTAINERV_API int containerv_options_set_stop_timeout(struct containerv_options *options, int seconds);

/* At most this many resource limits per container (containerv_options_add_ulimit). */
#define CONTAINERV_ULIMITS_MAX 16
/* An rlimit value without a limit (RLIM_INFINITY). */
#define CONTAINERV_ULIMIT_UNLIMITED (-1)

/*
 * A per-process resource limit of the container's processes (docker's
 * --ulimit), set in the init before the main command runs and on every
 * process containerv_spawn() starts: NAME is docker's ("nofile", "nproc",
 * "core", "memlock", "stack", "cpu", "data", "fsize", "locks", "msgqueue",
 * "nice", "rss", "rtprio", "rttime", "sigpending", "as"), SOFT at most HARD,
 * each >= 0 or CONTAINERV_ULIMIT_UNLIMITED. A later NAME replaces an earlier
 * one. A hard limit above the caller's own needs the privilege to raise it
 * (the start fails with EPERM otherwise). EINVAL: unknown name or values.
 */
CONTAINERV_API int containerv_options_add_ulimit(struct containerv_options *options, const char *name, int64_t soft,
                                                 int64_t hard);

/*
 * The size of the container's /dev/shm tmpfs (docker's --shm-size): bytes > 0;
 * default 64 MiB as docker's. 0: no /dev/shm at all (docker's --ipc none).
 */
CONTAINERV_API int containerv_options_set_shm_size(struct containerv_options *options, int64_t bytes);

/*
 * The OOM killer's adjustment of the container's processes (docker's
 * --oom-score-adj): -1000 (never killed) to 1000 (killed first), written for
 * the init (so every process it starts inherits it) and for each process
 * containerv_spawn() starts. EINVAL: out of range.
 */
CONTAINERV_API int containerv_options_set_oom_score_adj(struct containerv_options *options, int adjustment);

/*
 * docker's create -i (Config.OpenStdin): a later start through a handle that set no stdio (a detached
 * start, whose output goes to the log) gives the main process a stdin pipe; that handle takes its write
 * end with containerv_take_stdio() (fds[0]). A start whose handle does not take it closes it when the
 * handle is closed: the process then reads end-of-file (no daemon keeps a stdin open). Ignored with
 * containerv_options_set_stdio() or a terminal, which settle stdin themselves.
 */
CONTAINERV_API int containerv_options_set_open_stdin(struct containerv_options *options, int enabled);

/*
 * The NIS domain name of the container's UTS namespace (docker's
 * --domainname), as setdomainname(2) takes it: at most 64 characters of
 * [A-Za-z0-9.-]. Needs the container's own UTS namespace. NULL: none.
 */
CONTAINERV_API int containerv_options_set_domainname(struct containerv_options *options, const char *domainname);

/* At most this many host devices (containerv_options_add_host_device). */
#define CONTAINERV_DEVICES_MAX 32

/*
 * A host device node made in the container (docker's --device
 * HOST[:CONTAINER[:PERMISSIONS]]): HOST_PATH must be a character or block
 * device of the host (its type, major and minor are read with stat at this
 * call and checked again at each start); CONTAINER_PATH (NULL: the same path)
 * an absolute path under /dev; PERMISSIONS (NULL: "rwm") a non-empty subset
 * of "rwm" as the device cgroup takes it. The node is made in the
 * container's /dev with the host's numbers, and the container's device
 * allow-list (devices.allow on cgroup v1, the eBPF device program on v2)
 * lets exactly that device through with those permissions. The audit reports
 * each. Refused below the permissive security level for a device that reaches
 * the host's storage or memory (block devices, /dev/mem, /dev/kmsg, ...):
 * see docs/security.md. EINVAL: not a device node, or a bad path or
 * permissions; ENOENT: no such host path.
 */
CONTAINERV_API int containerv_options_add_host_device(struct containerv_options *options, const char *host_path,
                                                      const char *container_path, const char *permissions);

/* At most this many supplementary groups (containerv_options_set_supplementary_groups). */
#define CONTAINERV_SUPPLEMENTARY_GROUPS_MAX 32

/*
 * The main command's supplementary groups (default none: every group of the
 * caller is dropped), COUNT gids inside the container, replacing earlier ones.
 * With a user namespace each must be mapped, or the start fails.
 */
CONTAINERV_API int containerv_options_set_supplementary_groups(struct containerv_options *options,
                                                               const containerv_gid_t *gids, size_t count);

/*
 * Maps count uids starting at child_start inside to host_start outside and
 * turns on the user namespace. set_groups does the same for gids; when only
 * one is given the other gets the same map.
 */
CONTAINERV_API int containerv_options_set_users(struct containerv_options *options, containerv_uid_t host_start,
                                                containerv_uid_t child_start, uint32_t count);
CONTAINERV_API int containerv_options_set_groups(struct containerv_options *options, containerv_gid_t host_start,
                                                 containerv_gid_t child_start, uint32_t count);

/*
 * --userns=auto: the container gets a user namespace whose 65536 ids are a
 * range of unprivileged host ids leased for it alone (from /etc/subuid's
 * "containerv" entry, else from 100000 up), released when it is removed.
 * Ignored when id maps are set. The image's files show up as the
 * container root's through id-mapped layers.
 */
CONTAINERV_API int containerv_options_set_userns_auto(struct containerv_options *options, int enabled);

/* Chooses namespaces (enum containerv_namespace bits). */
CONTAINERV_API int containerv_options_set_namespaces(struct containerv_options *options, unsigned int namespaces);

/*
 * The container joins an existing namespace instead of making one (a pod's
 * containers share the network and IPC namespaces of the first): NAMESPACE
 * is one of CV_NS_NET, CV_NS_IPC, CV_NS_UTS, CV_NS_PID, and must also be
 * among the chosen namespaces; PATH an absolute path to a namespace file
 * (/proc/PID/ns/net, /run/netns/NAME). At start the file is opened without
 * following it into anything but a namespace, and must be one of that type
 * (else the start fails); the container's processes, its exec'd ones too,
 * then live in it. Not with a user namespace of the container's own (it
 * would not own what it joins). NULL PATH: a new namespace again.
 */
CONTAINERV_API int containerv_options_join_namespace(struct containerv_options *options, unsigned int namespace_type,
                                                     const char *path);

/*
 * The container joins a namespace of another container of the same state
 * root (docker's --pid/--ipc container:NAME): NAMESPACE as for
 * containerv_options_join_namespace(), CONTAINER its id, a unique prefix or
 * its name. containerv_create() resolves it to the id (it must exist then);
 * each start finds that container's init (it must be running, or the start
 * fails with ESRCH) and joins its namespace, checked to still be that
 * process's. The same limits as a namespace path. NULL: a new namespace again.
 */
CONTAINERV_API int containerv_options_join_container(struct containerv_options *options, unsigned int namespace_type,
                                                     const char *container);

/* Resource limits; validated here and again at create. */
CONTAINERV_API int containerv_options_set_limits(struct containerv_options *options,
                                                 const struct containerv_limits *limits);

/*
 * Stdio values for containerv_options_set_stdio() and the *_fd fields of
 * struct containerv_spawn_options, besides a descriptor of the caller:
 * CONTAINERV_STDIO_NULL: /dev/null, opened inside the container.
 * CONTAINERV_STDIO_PIPE: a new pipe; the container gets one end, the caller
 *   the other (containerv_take_stdio(), or spawn's stdio_out): stdin's write
 *   end, stdout's and stderr's read ends, all close-on-exec.
 * CONTAINERV_STDIO_STDOUT (stderr only): the same pipe as stdout, so that the
 *   two streams keep their order.
 */
#define CONTAINERV_STDIO_NULL (-1)
#define CONTAINERV_STDIO_PIPE (-2)
#define CONTAINERV_STDIO_STDOUT (-3)

/*
 * Where the main command's stdin, stdout and stderr go: the CONTAINERV_STDIO_*
 * values above, or a descriptor of the caller (containerv_fd_t: a file
 * descriptor on Linux), duplicated at create (the caller may close its own
 * afterwards) and handed into the container AS IS:
 * a process of the container can reopen a descriptor it holds through
 * /proc/self/fd/N (chmod, truncate, read the file's content), so pass only
 * what the container may own, never a host file or terminal. The safe way is
 * CONTAINERV_STDIO_PIPE and relaying the caller's ends.
 *
 * The default (nothing set) suits a detached container: stdin is /dev/null,
 * stdout and stderr are one pipe read by a small monitor process outside the
 * container that appends to the container's log file (containerv_log_path())
 * and exits once the container has ended; containerv_wait() returns after the
 * monitor has written everything. Returns 0, or -1 with errno EINVAL.
 */
CONTAINERV_API int containerv_options_set_stdio(struct containerv_options *options, containerv_fd_t in,
                                                containerv_fd_t out, containerv_fd_t err);

/*
 * The main command gets a controlling terminal: a pseudo-terminal made inside
 * the container, in its own devpts instance (never a terminal of the host).
 * Its master is the caller's through containerv_take_stdio() (in fds[0]);
 * stdio set with containerv_options_set_stdio() must then be left unset or
 * all CONTAINERV_STDIO_PIPE. Without a creating handle to take the master (a
 * later containerv_start()), the container runs without a terminal and logs.
 * Returns 0, or -1 with errno EINVAL.
 */
CONTAINERV_API int containerv_options_set_tty(struct containerv_options *options, int enabled);

/* The size of the terminal of containerv_options_set_tty(), set before the command starts (0: the kernel's 0x0). */
CONTAINERV_API int containerv_options_set_tty_size(struct containerv_options *options, unsigned short rows,
                                                   unsigned short columns);

/*
 * Whether containerv_create() starts the container (default 1). With 0 the
 * container is only registered, as `docker create` does; start it later
 * with containerv_start().
 */
CONTAINERV_API int containerv_options_set_autostart(struct containerv_options *options, int enabled);

/*
 * Held start (default 0): containerv_create() sets the container up completely
 * (namespaces, root filesystem and mounts, cgroup with the init in it, network,
 * id maps) and stops before the main command is executed, in state
 * CV_STATE_HELD. containerv_start() then only releases it (executes the
 * command), from this process or from any other that opens the container by
 * id or name. The held init waits on a socket in the container's state
 * directory, root's alone; nothing of it reaches the workload. Implies a
 * start: it takes precedence over containerv_options_set_autostart(0). A held
 * container holds its resources (process, address, published ports, cgroup)
 * until it is started or removed; one whose init was killed (a reboot) is
 * CV_STATE_CREATED again. Returns 0, or -1 with errno EINVAL.
 */
CONTAINERV_API int containerv_options_set_hold(struct containerv_options *options, int enabled);

/* How an autoremove container goes once its main process has ended (containerv_options_set_autoremove). */
enum containerv_autoremove {
	CV_AUTOREMOVE_OFF = 0,
	/*
	 * A small monitor process outside the container waits for the end and
	 * removes it, as `docker run -d --rm` does. Nobody else should wait for
	 * the exit status of such a container, which may be gone by then.
	 */
	CV_AUTOREMOVE_MONITOR = 1,
	/*
	 * The creating handle waits (containerv_wait() reaps the init, so it
	 * gets the exit status) and then removes it, as attached `docker run
	 * --rm` does: no monitor process. Should the caller die first, the
	 * next containerv_list() or a create of the same name removes it.
	 * No exit.json is kept: a signal N that ended the command shows as
	 * code 128+N (signal 0), as a shell reports it.
	 */
	CV_AUTOREMOVE_BY_WAITER = 2,
};

/* Remove the container once it has ended: enum containerv_autoremove (default CV_AUTOREMOVE_OFF). */
CONTAINERV_API int containerv_options_set_autoremove(struct containerv_options *options, int mode);

/* Free-form labels ("key=value"), kept with the container and shown by inspect. */
CONTAINERV_API int containerv_options_add_label(struct containerv_options *options, const char *key_value);

/*
 * Creates a container from the options: validates them completely, records
 * the container under the state root and (unless autostart is off) starts
 * it. On failure nothing is left behind: no cgroup, mount, state directory
 * or process. The options may be deleted afterwards.
 */
CONTAINERV_API int containerv_create(const struct containerv_options *options, struct containerv_container **container);

/* containerv_create() in a context (containerv_context_open()); NULL: the default context. */
CONTAINERV_API int containerv_create_in(struct containerv_context *context, const struct containerv_options *options,
                                        struct containerv_container **container);

/*
 * Starts a created or exited container again (its writable layer is kept).
 * A held container (containerv_options_set_hold()) is released instead: its
 * main command is executed in the namespaces, mounts and cgroup made at
 * create, which is all this call then costs; any process may release it.
 * Fails with EBUSY when it is running; with ENOENT or EACCES when the
 * command cannot be executed (a held container has then exited, 127 or 126).
 */
CONTAINERV_API int containerv_start(struct containerv_container *container);

/* How one container of containerv_start_all() fared. */
struct containerv_start_result {
	int error;                       /* 0 when it started, else the errno of its containerv_start() */
	enum containerv_error_code code; /* its containerv_last_error_code() when it failed */
	char message[512];               /* its containerv_last_error() when it failed, else "" */
};

/*
 * Starts count containers at once, at most concurrency at a time (0: the
 * default, twice the online CPUs, at most 16: namespace creation and overlay
 * mounts serialize in the kernel, so more threads only queue; bench/parallel.sh
 * measures the curve). Each is containerv_start(); results[i] says how
 * containers[i] fared. Returns 0 when all started; -1 when any failed, with
 * errno and containerv_last_error() those of the first failure in order.
 */
CONTAINERV_API int containerv_start_all(struct containerv_container *const *containers, size_t count,
                                        unsigned int concurrency, struct containerv_start_result *results);

/* Opens an existing container by id, unique id prefix or name. ENOENT when none matches. */
CONTAINERV_API int containerv_open(const char *id_or_name, struct containerv_container **container);

/* containerv_open() in a context; NULL: the default context. */
CONTAINERV_API int containerv_open_in(struct containerv_context *context, const char *id_or_name,
                                      struct containerv_container **container);

/* Frees a handle; the container itself goes on. NULL is allowed. */
CONTAINERV_API void containerv_close(struct containerv_container *container);

/*
 * Kills every process of the container, releases its cgroup, mounts and
 * state, and frees the handle (also on failure). A named volume or the
 * rootfs directory given by the caller is never touched.
 */
CONTAINERV_API int containerv_destroy(struct containerv_container *container);

enum containerv_remove_flags {
	CV_REMOVE_VOLUMES = 0x1, /* also the anonymous volumes made for it (`docker rm -v`); named ones stay */
	/* only a created or exited container, as its lock decides (EBUSY: started meanwhile); prune's removal */
	CV_REMOVE_IF_STOPPED = 0x2,
};

/*
 * containerv_destroy() with options: flags are enum containerv_remove_flags.
 * Frees the handle, also on failure.
 */
CONTAINERV_API int containerv_remove(struct containerv_container *container, unsigned int flags);

/* The container's 64-hex-digit id. Never NULL for a valid handle. */
CONTAINERV_API const char *containerv_id(const struct containerv_container *container);

/* The container's name, or its id's first 12 digits when it has none. */
CONTAINERV_API const char *containerv_name(const struct containerv_container *container);

/* The file that receives the main command's output by default. */
CONTAINERV_API const char *containerv_log_path(const struct containerv_container *container);

/*
 * Hands over the caller's ends of the main command's CONTAINERV_STDIO_PIPE
 * descriptors (and the master of its terminal, containerv_options_set_tty(),
 * in fds[0]) made by the last start through this handle; -1 for each stream
 * that has none. The caller owns and closes them. Returns 0, or -1 with errno
 * EINVAL when an argument is NULL.
 */
CONTAINERV_API int containerv_take_stdio(struct containerv_container *container, containerv_fd_t fds[3]);

enum containerv_state {
	CV_STATE_CREATED = 1, /* registered, never started */
	CV_STATE_RUNNING = 2,
	CV_STATE_EXITED = 3, /* the main process ended; resources kept until destroy */
	/*
	 * Set up by a held start (containerv_options_set_hold()): the init runs in
	 * the container's namespaces and cgroup, the main command has not been
	 * executed yet. docker has no such state: its dialect shows it as "created".
	 */
	CV_STATE_HELD = 4,
};

/* "created", "running", "exited" (as docker names the states) or "held". Never NULL. */
CONTAINERV_API const char *containerv_state_name(enum containerv_state state);

/* How a process ended. */
struct containerv_exit {
	int code;       /* docker's convention: the exit code, or 128+signal when killed */
	int signal;     /* the signal that killed it, or 0 */
	int oom_killed; /* 1 when the kernel's OOM killer killed a process of the container */
};

/* 2 added paused, 3 image_digest; structures of earlier versions (without them) are still filled. */
#define CONTAINERV_INFO_VERSION 3

/* A snapshot of a container's configuration and state. */
struct containerv_info {
	unsigned int version; /* set by the caller to CONTAINERV_INFO_VERSION */
	char id[65];
	char name[129];
	char hostname[65];
	enum containerv_state state;
	containerv_pid_t pid;        /* host pid of the init while running or held, else 0 */
	int64_t created_ns;          /* wall-clock times, nanoseconds since the epoch */
	int64_t started_ns;          /* 0 when never started */
	int64_t finished_ns;         /* 0 while running or never started */
	struct containerv_exit exit; /* valid in CV_STATE_EXITED */
	char rootfs[4096];           /* the rootfs directory, or the top layer */
	char command[4096];          /* the main command, words joined by spaces */
	struct containerv_limits limits;
	char image[512]; /* the image it was created from (a full reference), "" for a root filesystem */
	/* version 2: 1 while running with its processes frozen (containerv_pause()); state stays CV_STATE_RUNNING */
	int paused;
	/* version 3: the manifest digest of its image ("sha256:<hex>", what containerv_image_inspect() takes), "" for a
	 * root filesystem; it names the image even after its name moved to another */
	char image_digest[72];
};

/*
 * The run settings beyond the limits as a JSON object with docker's
 * HostConfig names (what `inspect` prints): Ulimits, ShmSize, Devices,
 * GroupAdd, OomScoreAdj, OomKillDisable, MemoryReservation, PidMode,
 * IpcMode, UTSMode, CgroupnsMode, and Domainname, StopTimeout, MacAddress.
 * A namespace shared with the host is "host", one joined "container:ID" or
 * the path. Free *json with free().
 */
CONTAINERV_API int containerv_get_host_config(struct containerv_container *container, char **json);

/* Which of a container's string lists containerv_get_strings() copies. */
enum containerv_strings {
	CV_STRINGS_COMMAND = 1, /* the main command, one word per entry (empty without one) */
	CV_STRINGS_ENV = 2,     /* the environment of the main command, "KEY=VALUE" */
	CV_STRINGS_LABELS = 3,  /* the labels, "key=value", in the order given */
};

/*
 * Copies one of the container's string lists, as recorded at create, into
 * a new NULL-terminated vector *strings, to be freed with
 * containerv_strings_free(); *count (count may be NULL) is its length.
 * Used by inspect (Config.Cmd, Config.Env, Config.Labels) and by exec -e,
 * which adds to the container's environment rather than replacing it.
 */
CONTAINERV_API int containerv_get_strings(struct containerv_container *container, enum containerv_strings which,
                                          char ***strings, size_t *count);

/* Frees a vector from containerv_get_strings(); NULL is allowed. */
CONTAINERV_API void containerv_strings_free(char **strings);

/*
 * The bytes the container's writable layer takes on disk (docker's SizeRw:
 * what it wrote, changed or deleted over its image), into *bytes; 0 for a
 * container never started. Links and mounts inside it are not followed.
 */
CONTAINERV_API int containerv_disk_usage(struct containerv_container *container, uint64_t *bytes);

/*
 * Fills info about the container as it is now (state is refreshed: a
 * container whose init died is reported exited).
 */
CONTAINERV_API int containerv_inspect(struct containerv_container *container, struct containerv_info *info);

/*
 * Calls callback for each container under the state root, in creation
 * order. A callback returning non-zero stops the walk; that value is then
 * returned. Containers that vanish during the walk are skipped.
 */
CONTAINERV_API int containerv_list(int (*callback)(const struct containerv_info *info, void *user), void *user);

/* containerv_list() of a context's containers; NULL: the default context. */
CONTAINERV_API int containerv_list_in(struct containerv_context *context,
                                      int (*callback)(const struct containerv_info *info, void *user), void *user);

/*
 * Waits until the main process ends and reports how. Returns at once for a
 * container that has already exited; EINVAL for one never started. A held
 * container is waited for like a running one (until it is released and ends);
 * ESRCH when its init is killed before a release (nothing ran). A loop over
 * containerv_watch_fd() does the same without blocking.
 */
CONTAINERV_API int containerv_wait(struct containerv_container *container, struct containerv_exit *exit_status);

/*
 * A descriptor that becomes readable (POLLIN in poll/epoll/select) when the
 * container's state may have changed: its init ended (the container exited),
 * it was started or released (by any process), or it was removed. It is a
 * file descriptor on Linux (an epoll descriptor watching the init's pidfd and the
 * state directory), close-on-exec, owned by the handle: do not close it,
 * containerv_close() does. The same descriptor is returned on every call.
 * When it is readable, call containerv_watch_state(), which never blocks,
 * takes the events off it and says what the state is now. Returns 0, or -1
 * with errno (ENOENT: the container is gone).
 */
CONTAINERV_API int containerv_watch_fd(struct containerv_container *container, containerv_fd_t *fd);

/*
 * Without blocking: takes the pending events off the descriptor of
 * containerv_watch_fd(), re-reads the container's state and returns it in
 * *state. Once the container has exited its descriptor is quiet until the
 * container is started again. Returns 0, or -1 with errno ENOENT when the
 * container has been removed (the descriptor then stays quiet).
 */
CONTAINERV_API int containerv_watch_state(struct containerv_container *container, enum containerv_state *state);

/* What happened to a container (struct containerv_event). */
enum containerv_event_type {
	CV_EVENT_CREATED = 0, /* created (a context subscription's first event of a new container), or created
	                         again: a held container whose init died before a release */
	CV_EVENT_HELD = 1,    /* set up and waiting for a release (containerv_options_set_hold()) */
	CV_EVENT_STARTED = 2, /* its main command runs (a start, or the release of a held one) */
	CV_EVENT_OOM = 3,     /* the OOM killer killed a process of it; reported with its exit, just before */
	CV_EVENT_EXITED = 4,  /* its main command ended: exit says how */
	CV_EVENT_PAUSED = 5,  /* containerv_pause() */
	CV_EVENT_RESUMED = 6, /* containerv_resume() */
	CV_EVENT_REMOVED = 7, /* it is gone; the last event of a subscription */
};

#define CONTAINERV_EVENT_VERSION 1

/* One state change, valid during the callback only. */
struct containerv_event {
	unsigned int version; /* CONTAINERV_EVENT_VERSION */
	enum containerv_event_type type;
	const char *id;              /* the container's full id */
	const char *name;            /* its name, or its short id */
	struct containerv_exit exit; /* CV_EVENT_EXITED and CV_EVENT_OOM: how it ended; zero otherwise */
	int64_t time_ns;             /* when it happened where known (start, exit), else when it was seen */
};

/* Receives the events of a subscription, in the order they happened. */
typedef void (*containerv_event_fn)(const struct containerv_event *event, void *user);

/*
 * Subscribes callback to the state changes of the container, made by any
 * process: it is called from containerv_dispatch_events() with each change
 * since the state at subscription (or since the last dispatch), in order;
 * changes that happened between two dispatches are all reported (a start and
 * an exit in between give STARTED then EXITED). One subscription per handle:
 * a new one replaces it; callback NULL ends it. Opens the descriptor of
 * containerv_watch_fd(), which an event loop polls. Returns 0, or -1 (ENOENT:
 * the container is gone).
 */
CONTAINERV_API int containerv_subscribe(struct containerv_container *container, containerv_event_fn callback,
                                        void *user);

/*
 * Without blocking: takes the pending changes off the descriptor of
 * containerv_watch_fd() and calls the subscription's callback for each (none
 * when nothing changed). Call it when that descriptor is readable. After
 * CV_EVENT_REMOVED the subscription ends. Returns 0, or -1 with errno (EINVAL:
 * no subscription).
 */
CONTAINERV_API int containerv_dispatch_events(struct containerv_container *container);

/*
 * Subscribes callback to the events of every container of context (NULL:
 * the default context), those created later by any process included: a
 * supervisor's one subscription instead of one per handle. The containers
 * there at subscription report what changes from then on; a container made
 * afterwards is reported with CV_EVENT_CREATED first, then each step since
 * (one created and removed between two dispatches may go unseen). Events of
 * one container come in order; containers are not ordered among themselves.
 * One subscription per context: a new one replaces it, callback NULL ends it,
 * containerv_context_close() ends it too. The context follows each container
 * with a handle of its own (Linux: three descriptors each). Returns 0, or -1
 * with errno.
 */
CONTAINERV_API int containerv_context_subscribe(struct containerv_context *context, containerv_event_fn callback,
                                                void *user);

/*
 * The context subscription's descriptor (readable, POLLIN, when a container
 * of the context may have changed or a new one appeared). Owned by the
 * subscription: do not close it. EINVAL without a subscription.
 */
CONTAINERV_API int containerv_context_watch_fd(struct containerv_context *context, containerv_fd_t *fd);

/*
 * Without blocking: looks for new containers, takes the pending changes off
 * the subscription's descriptor and calls its callback for each. Call it
 * when that descriptor is readable. Returns 0, or -1 with errno (EINVAL: no
 * subscription).
 */
CONTAINERV_API int containerv_context_dispatch_events(struct containerv_context *context);

/*
 * Sends a signal to the main process (through the init, which forwards
 * it). SIGKILL and SIGSTOP go to the whole container. A held container
 * (CV_STATE_HELD: its command not executed yet) takes it as a process with
 * no handler would: a signal that would end it ends the container (every
 * process; it is CV_STATE_CREATED again), SIGCHLD, SIGCONT, SIGURG,
 * SIGWINCH and the stop signals change nothing.
 */
CONTAINERV_API int containerv_kill(struct containerv_container *container, int signal);

/*
 * Stops a container as `docker stop` does: sends stop_signal (0 means
 * SIGTERM), waits up to timeout_seconds, then kills every process. A paused
 * container is resumed right after the signal so that it can act on it.
 * CONTAINERV_STOP_TIMEOUT_DEFAULT: the container's own
 * (containerv_options_set_stop_timeout), else 10 seconds.
 */
#define CONTAINERV_STOP_TIMEOUT_DEFAULT 0xffffffffu
CONTAINERV_API int containerv_stop(struct containerv_container *container, int stop_signal,
                                   unsigned int timeout_seconds);

/*
 * Removes every container that is created or exited (`docker container
 * prune`), with its anonymous volumes when flags has CV_REMOVE_VOLUMES; one
 * started meanwhile stays (each is removed with CV_REMOVE_IF_STOPPED).
 * callback (may be NULL) gets the id of each removed one. Returns 0, or -1
 * with errno when listing or a removal failed (the others are still
 * removed; the message names the first failure).
 */
CONTAINERV_API int containerv_prune(unsigned int flags, void (*callback)(const char *id, void *user), void *user);

/*
 * Restarts a container as `docker restart` does: containerv_stop() with
 * stop_signal and timeout_seconds (a container that is not running is just
 * started), then containerv_start(). Returns 0, or -1 with errno.
 */
CONTAINERV_API int containerv_restart(struct containerv_container *container, int stop_signal,
                                      unsigned int timeout_seconds);

/*
 * Renames a container (`docker rename`), whatever its state: name must be
 * [a-zA-Z0-9][a-zA-Z0-9_.-]* (EINVAL) and free in the container's state root
 * (EEXIST). The old name is free again once this returns; the hostname is
 * not changed. Returns 0, or -1 with errno.
 */
CONTAINERV_API int containerv_rename(struct containerv_container *container, const char *name);

/* What containerv_changes() reports for a path; the values are docker's Kind numbers. */
enum containerv_change_kind {
	CV_CHANGE_MODIFIED = 0, /* "C" */
	CV_CHANGE_ADDED = 1,    /* "A" */
	CV_CHANGE_DELETED = 2,  /* "D" */
};

/* One change: path is absolute in the container ("/etc/passwd"). Non-zero stops the listing. */
typedef int (*containerv_change_fn)(enum containerv_change_kind kind, const char *path, void *user);

/*
 * The changes of a container's filesystem against its image, as `docker
 * diff` lists them: sorted by path; an added directory is followed by what
 * it holds; a directory of the image is reported changed when something
 * below it is. The mount targets the runtime makes (/etc/hostname,
 * /etc/hosts, /etc/resolv.conf while empty) are not changes. A container
 * never started has none. ENOTSUP: its root filesystem is used in place.
 * Returns 0, or -1 with errno (also when callback stopped the listing, with
 * no message then).
 */
CONTAINERV_API int containerv_changes(struct containerv_container *container, containerv_change_fn callback,
                                      void *user);

/*
 * Writes the container's root filesystem as a tar stream to fd (`docker
 * export`), running or not: its own files only, not its volumes, binds,
 * tmpfs, /proc or /sys (their mount points are empty directories). Names are
 * relative ("etc/passwd"), ids are the container's, device nodes and FIFOs
 * are headers only, sockets are left out. Returns 0, or -1 with errno.
 */
CONTAINERV_API int containerv_export(struct containerv_container *container, containerv_fd_t fd);

/*
 * Changes the resource limits of a container, as `docker update` does: only
 * the fields limits sets (non-zero, as CONTAINERV_LIMITS_INIT leaves them
 * unset) change, the others keep their value. A running (or held or paused)
 * container's cgroup is changed at once; for every container the new limits
 * are recorded and apply at its next start, and containerv_inspect() shows
 * them. The limits that result are validated whole before anything changes
 * (EINVAL: a memory limit above the memory+swap limit in force, a bad cpuset
 * list ...), and a controller the host lacks is refused (ENOTSUP) before
 * anything is written. Should the kernel refuse one resource midway (EBUSY:
 * a memory limit below what the container uses and cannot give back), the
 * ones before it stay applied and recorded, and the message names them
 * ("applied: memory, cpu"). --memory-swap without --memory is taken with the
 * memory limit in force. Returns 0, or -1 with errno.
 */
CONTAINERV_API int containerv_update(struct containerv_container *container, const struct containerv_limits *limits);

/*
 * Freezes every process of a running container (`docker pause`: the cgroup
 * freezer) and waits until the kernel reports them all frozen; if that does
 * not happen within 5 seconds the container is thawed and ETIMEDOUT
 * returned. The container stays CV_STATE_RUNNING with
 * containerv_info.paused set, as recorded for every process. While paused,
 * containerv_spawn() is refused (EBUSY); containerv_kill() with SIGKILL,
 * containerv_stop() and containerv_remove() still work. Errors: ESRCH not
 * running, EBUSY already paused, ENOTSUP no freezer on this host.
 */
CONTAINERV_API int containerv_pause(struct containerv_container *container);

/* Thaws a paused container (`docker unpause`). Errors: ESRCH not running, EINVAL not paused. */
CONTAINERV_API int containerv_resume(struct containerv_container *container);

enum containerv_spawn_flags {
	CV_SPAWN_WAIT = 0x1, /* wait for the process and fill exit_status */
	/*
	 * A controlling terminal: a pseudo-terminal made inside the container (its
	 * own devpts instance) is the process's stdin, stdout and stderr; its master
	 * goes to stdio_out[0] (needs version 2 and stdio_out; the *_fd fields are
	 * then ignored).
	 */
	CV_SPAWN_TTY = 0x2,
	/*
	 * docker's exec --privileged: every capability the caller holds, in all the sets (a non-root user loses them at
	 * execve, as with docker); the container's seccomp filter, no_new_privileges and LSM labels stay. Only for a
	 * container at the permissive level or privileged: elsewhere the call fails with EPERM, since the
	 * process would hold more than the container's own root.
	 */
	CV_SPAWN_PRIVILEGED = 0x4,
};

#define CONTAINERV_SPAWN_OPTIONS_VERSION 2

/* How to run one more process inside a running container. */
struct containerv_spawn_options {
	unsigned int version;    /* CONTAINERV_SPAWN_OPTIONS_VERSION (1 is still accepted, without the v2 fields) */
	const char *const *argv; /* argv[0] is looked up in the container's PATH */
	const char *const *env;  /* NULL: the container's environment */
	const char *workdir;     /* NULL: the container's working directory */
	int uid;                 /* -1: the container's user */
	int gid;                 /* -1: the container's group */
	/*
	 * CONTAINERV_STDIO_* (default: NULL, NULL, NULL), or descriptors of the
	 * caller handed into the container as they are (see
	 * containerv_options_set_stdio(): never a host file or terminal).
	 */
	containerv_fd_t stdin_fd;
	containerv_fd_t stdout_fd;
	containerv_fd_t stderr_fd;
	unsigned int flags; /* enum containerv_spawn_flags */
	/* Version 2: */
	/* containerv_fd_t[3]: the caller's ends of CONTAINERV_STDIO_PIPE (and a tty's master in [0]), else -1 */
	containerv_fd_t *stdio_out;
	unsigned short tty_rows, tty_columns; /* CV_SPAWN_TTY: the terminal's size before the command starts */
};

#define CONTAINERV_SPAWN_OPTIONS_INIT                                                                                  \
	{                                                                                                              \
		CONTAINERV_SPAWN_OPTIONS_VERSION, NULL, NULL, NULL, -1, -1, CONTAINERV_STDIO_NULL,                     \
		        CONTAINERV_STDIO_NULL, CONTAINERV_STDIO_NULL, 0, NULL, 0, 0                                    \
	}

/*
 * Runs a process inside a running container, in all its namespaces and its
 * cgroup, with the container's root as its root. The process is a child of
 * the caller: pid_out (may be NULL) is its pid as the caller sees it, to be
 * waited for with waitpid() or containerv_wait_process(). With
 * CV_SPAWN_WAIT the call waits and fills exit_status (may be NULL
 * otherwise). A command that cannot be executed fails the call with errno
 * ENOENT (not found) or EACCES (not executable) and no process is left;
 * EINVAL for options it cannot take (CONTAINERV_STDIO_PIPE or CV_SPAWN_TTY
 * without stdio_out). The caller's ends in stdio_out are only filled on success.
 */
CONTAINERV_API int containerv_spawn(struct containerv_container *container,
                                    const struct containerv_spawn_options *options, containerv_pid_t *pid_out,
                                    struct containerv_exit *exit_status);

/* Waits for a process started by containerv_spawn() and reports how it ended. */
CONTAINERV_API int containerv_wait_process(struct containerv_container *container, containerv_pid_t pid,
                                           struct containerv_exit *exit_status);

/*
 * Opens the container id_or_name, runs argv inside it, waits, and reports how
 * it ended. Its stdin is /dev/null; its stdout and stderr are pipes relayed to
 * the caller's until it ends (never the caller's own descriptors).
 */
CONTAINERV_API int containerv_join(const char *id_or_name, const char *const *argv,
                                   struct containerv_exit *exit_status);

/*
 * Copies count host paths (files, directories recursively, symlinks as
 * links, modes kept) to paths inside a container, running or stopped (its root filesystem is then mounted in a private
 * mount namespace for the copy). A container path is resolved inside the container's root: symlinks never lead out of
 * it.
 */
CONTAINERV_API int containerv_upload(struct containerv_container *container, const char *const *host_paths,
                                     const char *const *container_paths, size_t count);

/*
 * Extracts a tar stream read from fd into the directory container_dir of a
 * container (`docker cp - CONTAINER:DIR`), running or stopped. Every entry is resolved
 * inside the container's root: absolute names and symlinks stay inside,
 * ".." components and device nodes are refused.
 */
CONTAINERV_API int containerv_upload_tar(struct containerv_container *container, containerv_fd_t fd,
                                         const char *container_dir);

/* Writes container_path (a file or a tree; symlinks as links) as a tar stream to fd (`docker cp CONTAINER:PATH -`). */
CONTAINERV_API int containerv_download_tar(struct containerv_container *container, const char *container_path,
                                           containerv_fd_t fd);

/* The reverse of containerv_upload(). */
CONTAINERV_API int containerv_download(struct containerv_container *container, const char *const *container_paths,
                                       const char *const *host_paths, size_t count);

/* How containerv_upload_flags() and containerv_download_flags() copy (docker cp's -a and -L). */
enum containerv_copy_flags {
	/*
	 * Keep the source's owners (docker cp -a). Into the container an id is taken as the container's own
	 * (under a user namespace its host id is the container root's plus that; an id beyond the container's
	 * range fails with EOVERFLOW); out of it, the id the container sees (65534 for one it does not map).
	 * Without it what is copied in belongs to the container's root and what is copied out to the caller.
	 * Setuid and setgid bits of files copied out are dropped either way.
	 */
	CV_COPY_ARCHIVE = 0x1,
	/*
	 * A source path that is a symlink is followed, and what it leads to is copied under the link's name
	 * (docker cp -L). A container path is followed inside the container's root (openat2
	 * RESOLVE_IN_ROOT): an absolute or ".." target never leads out of it. Links inside a copied
	 * directory stay links.
	 */
	CV_COPY_FOLLOW_LINK = 0x2,
};

/* containerv_upload() with flags (enum containerv_copy_flags); EINVAL for an unknown flag. */
CONTAINERV_API int containerv_upload_flags(struct containerv_container *container, const char *const *host_paths,
                                           const char *const *container_paths, size_t count, unsigned int flags);

/* containerv_download() with flags (enum containerv_copy_flags); EINVAL for an unknown flag. */
CONTAINERV_API int containerv_download_flags(struct containerv_container *container, const char *const *container_paths,
                                             const char *const *host_paths, size_t count, unsigned int flags);

#ifdef __cplusplus
}
#endif

#endif
