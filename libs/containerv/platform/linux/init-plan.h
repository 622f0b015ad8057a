/*
 * Internal: everything the cloned child needs, prepared by the parent
 * before the clone. The child must not allocate memory (the caller may be
 * multi-threaded and a lock may be held by a thread that does not exist in
 * the child), so every path and string is built here in advance.
 */
#ifndef CV_LINUX_INIT_PLAN_H
#define CV_LINUX_INIT_PLAN_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "platform/linux/cgroup.h"
#include "platform/linux/process-limits.h"
#include "platform/linux/security-linux.h"

#define CV_KEEP_FDS_MAX 12
/* Id-mapped layers passed with "go" (SCM_RIGHTS); an image with more layers keeps the plain ones. */
#define CV_IDMAP_LAYERS_MAX 128
/* The "go" byte: start as planned, or with the id-mapped layers that come with it. */
#define CV_GO_PLAIN 'g'
#define CV_GO_IDMAPPED 'i'
#define CV_GO_SHIFTED 's' /* the layers' chown'd copies (no id-mapped mounts on this filesystem) */
/* Before "go" on cgroup v1: the descriptors through which the init joins its cgroup (cgroup.h). */
#define CV_SYNC_CGROUP 'c'
/* The release of a held init, sent over a connection to its release socket (containerv_options_set_hold). */
#define CV_RELEASE_GO 'r'
/* The release socket, in the container's state directory (root's, 0700): bound and connected through a dirfd. */
#define CV_RELEASE_SOCKET "held.sock"
/*
 * The init's name (comm): CV_HELD_INIT_NAME while it waits for its release, CV_INIT_NAME from "go" on. A
 * held container whose init no longer says held was released by a start that died before recording it.
 */
#define CV_INIT_NAME "containerv-init"
#define CV_HELD_INIT_NAME "containerv-held"

enum cv_sync_type {
	CV_SYNC_READY = 1,       /* the main command was executed (or the init idles) */
	CV_SYNC_SETUP_ERROR = 2, /* the init failed before starting the main command */
	CV_SYNC_EXEC_ERROR = 3,  /* the main command could not be executed */
	CV_SYNC_CONSOLE = 4,     /* with -t, before READY: the master of the container's terminal (SCM_RIGHTS) */
	CV_SYNC_HELD = 5,        /* held start: set up, waiting on the release socket; the main command not executed */
};

struct cv_sync_message {
	int type;
	int error;
	char text[1024];
};

/* A device node of the config (containerv_options_add_device), made by the init in the container's root. */
struct cv_plan_device {
	char type; /* 'c', 'b' or 'p' */
	unsigned int major, minor;
	unsigned int mode;
	unsigned int uid, gid;
	const char *path; /* absolute inside the container, no "." or ".." (in the config's string) */
};

/* A mount of the container, resolved by the parent (volume acquired, tmpfs options built). */
struct cv_plan_mount {
	int type;              /* enum containerv_mount_type */
	char source[PATH_MAX]; /* host path (bind, volume) */
	const char *target;    /* inside the container */
	bool source_is_dir;
	int source_fd;      /* bind, volume: source opened (O_PATH) by the init as host root; -1 before */
	unsigned int flags; /* enum containerv_mount_flags */
	int propagation;    /* enum containerv_mount_propagation */
	char data[160];     /* tmpfs options */
};

/* A --device: the node made in the container's /dev (or the host's bound there, in a user namespace). */
struct cv_plan_host_device {
	const char *host;      /* the host's node (the config's) */
	const char *container; /* under /dev (the config's) */
	mode_t mode;           /* S_IFCHR or S_IFBLK and the host node's permission bits */
	dev_t rdev;
	const char *permissions; /* the device allow-list's "rwm" (the config's) */
};

struct cv_init_plan {
	int sync_fd;      /* the child's end of the socketpair (SOCK_SEQPACKET) */
	int state_dir_fd; /* the parent's O_PATH descriptor of the state directory; never passed to the init */
	int exit_fd;      /* exit.json, empty and writable: the only file of the host the init can write */
	int stdio[3];     /* descriptors for the main command; -1 means /dev/null (the container's) */
	/*
	 * With a terminal, the init opens it in the container's devpts (rootfs.c), sends the master to the
	 * parent and gives the slave to the main command as its stdio.
	 */
	bool tty;
	unsigned short tty_rows, tty_columns;
	int tty_slave;
	char console[PATH_MAX]; /* /proc/self/fd/<tty_slave>, bound on /dev/console */
	unsigned int namespaces;
	/*
	 * Namespaces joined instead of made (linux.namespaces[].path): descriptors the parent opened and
	 * checked, entered by the init first thing with setns() and closed; -1 for none. The pid namespace
	 * is entered by the parent around the clone (setns on it changes only the namespace of children).
	 */
	int join_fds[3];
	int join_types[3]; /* CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS */
	int join_pid_fd;
	/*
	 * The overlay's directories, as paths: the init opens them (O_PATH, cv_rootfs_open) in its own
	 * mount namespace while it is still host root, before it takes the ids of the container's root in
	 * a user namespace, and mounts through /proc/self/fd/N. Everything under the state root is root's
	 * alone (0700): a magic link skips its ancestors' permissions, and the container's mountinfo shows
	 * /proc/self/fd/N instead of the state root's paths. (Descriptors opened by the parent would name
	 * the host namespace's mounts, which overlayfs and bind mounts refuse.)
	 */
	char *const *layers;   /* lowest first: the image's layers or the caller's rootfs */
	char **shifted_layers; /* with a user namespace: <state>/shifted/<i>, the layers after CV_GO_SHIFTED */
	size_t layer_count;
	int *layer_fds;       /* layer_count descriptors: opened layers, or the id-mapped mounts */
	bool layers_idmapped; /* layer_fds are the detached id-mapped mounts received with "go" */
	bool rootfs_in_place; /* layers[0] is bound as the root itself: no overlay, no upper, no /etc files */
	char *upper;          /* <state>/upper and <state>/work */
	char *work;
	int upper_fd, work_fd;
	bool userxattr;        /* in a user namespace overlay may only use user.* extended attributes */
	char *overlay_options; /* a buffer of overlay_options_size the init fills with the descriptors */
	size_t overlay_options_size;
	int idmap_fds[CV_IDMAP_LAYERS_MAX]; /* received with "go" */
	size_t idmap_count;
	/*
	 * <root>/containers/.rootfs, shared: the init attaches a small tmpfs of its own there (in its mount
	 * namespace only), mounts the overlay on its root/ and writes the /etc files into it.
	 */
	char rootfs[PATH_MAX];
	int rootfs_fd;
	char hostname[65];
	char domainname[65]; /* empty: none */
	/* /etc/hostname, /etc/hosts, /etc/resolv.conf: bound over the image's; no file of the host's disk. */
	char *etc_texts[3]; /* hostname, hosts, resolv.conf */
	char **argv;        /* NULL: idle init */
	char **env;
	const char *workdir;
	uid_t uid;
	gid_t gid;
	/* /proc/sys/<path> and the value, for each sysctl of the config: written before the root is set up. */
	char **sysctl_paths;
	char **sysctl_values;
	const gid_t *groups; /* the main command's supplementary groups (the config's array) */
	size_t group_count;
	struct cv_plan_mount *mounts; /* in mount order: parents before what they contain */
	size_t mount_count;
	bool readonly_rootfs;
	struct cv_plan_device *devices; /* the config's nodes, made after the default ones */
	size_t device_count;
	struct cv_plan_host_device *host_devices; /* --device, checked by the parent at this start */
	size_t host_device_count;
	int umask;            /* the main command's; -1: inherited */
	int personality;      /* enum containerv_personality of the main command; 0: inherited */
	int root_propagation; /* enum containerv_mount_propagation, set on the root and below after pivot_root */
	char shm_options[64]; /* /dev/shm's tmpfs options (mode and --shm-size) */
	struct cv_process_limits process_limits; /* --ulimit (the main command) and --oom-score-adj (the init) */
	bool thp_disable;            /* a performance profile's: PR_SET_THP_DISABLE, inherited by all the init starts */
	char *const *masked_paths;   /* empty files or directories over these (NULL-terminated) */
	char *const *readonly_paths; /* mounted read-only */
	struct cv_security_plan security;
	char *arguments;         /* the caller's command line in memory (/proc/self/stat arg_start), or NULL */
	size_t arguments_length; /* up to arg_end */
	/*
	 * cgroup v1: the parent makes the cgroup while the init mounts, and sends its "tasks" files
	 * (CV_SYNC_CGROUP) before "go"; the init joins by itself (cgroup.h says why). v2: false, the
	 * init is cloned into its cgroup.
	 */
	bool cgroup_follows;
	/*
	 * Held start: once set up, the init sends CV_SYNC_HELD and blocks in accept() on release_fd, a listening
	 * socket bound by the parent (before the clone, as host root) at <state>/held.sock. The connection that
	 * sends CV_RELEASE_GO takes the sync socket's place: READY or the exec error go to the releaser. Both
	 * are close-on-exec and closed before the main command runs.
	 */
	bool hold;
	int release_fd;
	int keep_fds[CV_KEEP_FDS_MAX];
	int keep_count;
};

/* process.c: CLONE_NEW* flags of a container's namespaces (enum containerv_namespace bits). */
int cv_namespace_flags(unsigned int namespaces);

/*
 * Opens the namespace file at path (a hostile config's) as one of type (CLONE_NEW*): opened O_PATH first
 * so that a FIFO or device is never opened for reading, checked to be a namespace file (nsfs) of that
 * type, then reopened through /proc/self/fd. *fd close-on-exec.
 */
int cv_namespace_open(const char *path, int type, int *fd);
/* process.c: puts stdio[0..2] (-1: /dev/null) on descriptors 0, 1, 2; safe when they overlap. */
int cv_install_stdio(const int stdio[3]);

/* idmap.c: the parent makes detached id-mapped clones of the layers for the init's user namespace
 * (1, or 0 when the filesystem or kernel cannot: then the plain layers serve) and sends them with "go". */
int cv_idmap_layers(pid_t init, char *const *layers, int *fds, size_t count);
void cv_idmap_close(int *fds, size_t count);
/*
 * One byte and up to CV_IDMAP_LAYERS_MAX descriptors (SCM_RIGHTS) over the sync socket: 'c' with
 * the cgroup's join descriptors, then "go" with the id-mapped layers. Receiving returns the byte
 * (-1 on EOF) and keeps at most max descriptors (it closes the others). No allocation: the init uses it.
 */
int cv_sync_send(int sync_fd, char byte, const int *fds, size_t count);
int cv_sync_receive(int sync_fd, int *fds, size_t max, size_t *count);
/*
 * recvmsg(2) on a SOCK_SEQPACKET socket (the sync socket, the release socket), retried on EINTR and on
 * one ECONNRESET. A peer that exits with a message of ours unread (the init that fails before reading
 * the parent's CV_SYNC_CGROUP) makes the kernel report ECONNRESET on our next receive before the
 * messages it queued before exiting (its error report): the retry reads them. No allocation.
 */
struct msghdr;
ssize_t cv_sync_recvmsg(int fd, struct msghdr *message, int flags);

/* shifted-copy.c: source copied to target with every owner shifted by the offsets (the chown'd copy-up). */
int cv_shifted_copy(const char *source, const char *target, uid_t uid_offset, gid_t gid_offset);

/*
 * rootfs.c, in the child, in its new mount namespace. cv_rootfs_open opens the overlay's directories and
 * the mounts' sources while the init is host root (go: the parent's "go" byte, CV_GO_PLAIN without a user
 * namespace); cv_rootfs_setup mounts through them and closes them all: no host descriptor is left.
 */
int cv_rootfs_open(struct cv_init_plan *plan, char go);
int cv_rootfs_setup(struct cv_init_plan *plan);
/*
 * cgroup-view.c: the container's own cgroup, read-only, at /sys/fs/cgroup (cgroup2 when unified, else
 * the v1 hierarchies of /proc/self/cgroup on a tmpfs). In the init, in its cgroup namespace, pivoted.
 */
int cv_mount_cgroup_view(bool unified);

/* Resolves path under rootfd without ever leaving it (openat2 RESOLVE_IN_ROOT). */
int cv_root_open(int rootfd, const char *path, int flags, mode_t mode);
/*
 * chdir to a path of the container from inside it (after pivot_root or
 * setns), resolved in its root without magic links: a working directory
 * like /proc/self/fd/N cannot lead to a host directory (CVE-2024-21626).
 */
int cv_chdir_in_root(const char *path);
/* mkdir -p of path under rootfd, each component resolved inside the root. */
int cv_root_mkdirs(int rootfd, const char *path, mode_t mode);

#endif
