/*
 * Internal: the Linux part of the container handle and the pieces of the
 * Linux lifecycle (the init's state, init, rootfs, spawn) that share it.
 * The handle itself and the state store are core's (core/container.h).
 */
#ifndef CV_LINUX_CONTAINER_PRIVATE_H
#define CV_LINUX_CONTAINER_PRIVATE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <chef/containerv.h>

#include "common/process.h"
#include "config/options.h"
#include "core/container.h"
#include "platform/linux/cgroup.h"

/* The Linux part of a container handle (core/container.h: containerv_container.platform). */
struct cv_platform_container {
	struct cv_cgroup *cgroup; /* opened lazily */
	bool is_parent;           /* this process forked the init: waitpid() works */
	bool have_reaped_exit;    /* we reaped the init: its own exit status, if exit.json is gone */
	struct containerv_exit reaped_exit;
	/* The caller's ends of the last start's CONTAINERV_STDIO_PIPE streams and terminal (containerv_take_stdio). */
	bool have_stdio_host;
	int stdio_host[3];
	int lock_fd; /* flock on <dir>/lock while lock_depth > 0 */
	int lock_depth;
	/* containerv_watch_fd(): an epoll descriptor over the init's pidfd and an inotify watch of <dir> (watch.c). */
	bool watching; /* the three below are open (watch_pidfd may be -1: no init to watch) */
	int watch_fd;
	int watch_pidfd;
	int watch_inotify;
};

/*
 * Where containers mount their root filesystem: one directory for all, <root>/containers/.rootfs. Each
 * mount is made in a private mount namespace (the init's, or a copy's), so they never meet, and a
 * start makes and a removal deletes no mount point of its own.
 */
int cv_state_rootfs_mountpoint(struct containerv_context *context, char *buffer, size_t size);

/* userns.c: leases a range of 65536 host ids for a container's user namespace (--userns=auto), and gives it back. */
#define CV_USERNS_RANGE 65536u
int cv_userns_allocate(const char *container_id, uint32_t *host_start);
void cv_userns_release(uint32_t host_start, const char *container_id);
/* The container's inter-process lock (reentrant per handle); re-reads state.json. ENOENT once removed. */
int cv_state_lock(struct containerv_container *container);
void cv_state_unlock(struct containerv_container *container);
/* The backend's adopt_lock: fd (flock'ed on the container's directory) is its lock, held once. */
void cv_state_adopt_lock(struct containerv_container *container, int fd);
/* Re-reads state.json without the lock (it is replaced atomically): what another process changed. ENOENT once removed.
 */
int cv_state_reload(struct containerv_container *container);
/* Reaps the init if this process started it and it has ended (or waits, with block), keeping its status. */
void cv_reap_init(struct containerv_container *container, bool block);
/* Looks at the init and exit.json and moves a dead container to EXITED (takes the lock when it does). */
int cv_state_refresh(struct containerv_container *container);
/* refresh, and removes an ended autoremove container nobody else will: 1 when removed (the handle freed). */
int cv_state_collect(struct containerv_container *container);
/* The handle's Linux part: initial values, and what it holds let go (containerv_close). */
void cv_state_handle_init(struct containerv_container *container);
void cv_state_handle_release(struct containerv_container *container);
int cv_process_start_time(pid_t pid, uint64_t *ticks);
struct cv_cgroup *cv_container_cgroup(struct containerv_container *container);

/* In a container's directory: it made its configured cgroup path (no marker: the cgroup there is not its own). */
#define CV_CGROUP_MADE_MARKER "cgroup-made"

/* The name the cgroup backends know the container's cgroup by: its id, or its configured cgroup path. */
int cv_container_cgroup_name(const struct containerv_container *container, char **name);

/*
 * runtime.c: starting the init (the clone and the parent's half). hold: it stops set up, before the main
 * command (CV_STATE_HELD), until cv_runtime_release() (any process; the caller holds the lock).
 */
int cv_runtime_start(struct containerv_container *container, bool hold);
/* supervisor-spawn.c: starts the container's supervisor helper (core/supervise.c), detached. */
int cv_supervisor_spawn(struct containerv_container *container);
/* What a release sends instead of the plain "go" (workload.c): a workload message and its stdio descriptors. */
struct cv_release_payload {
	const void *data;
	size_t size;
	const int *fds;
	size_t fd_count;
};
int cv_runtime_release(struct containerv_container *container, const struct cv_release_payload *payload,
                       bool *exec_failed);
/* workload.c: CV_RELEASE_WORKLOAD with the descriptors, then the message. */
int cv_release_send_payload(int fd, const struct cv_release_payload *payload);
/* container.c: a failed release ends the init and records the container exited (127, 126 or 125). */
void cv_release_failed(struct containerv_container *container, bool exec_failed);

/* init.c: the child's half, never returns. */
struct cv_init_plan;
void cv_init_main(struct cv_init_plan *plan) __attribute__((noreturn));

/* runtime.c: the overlay mount options of the container's root filesystem. */
int cv_overlay_options(struct containerv_container *container, char **options);
/*
 * container.c: removes an autoremove container that has ended, checked again under its lock (a start may have
 * come in between): 1 when it was removed (the handle is freed), 0 when it stays (the handle too).
 */
int cv_container_remove_if_ended(struct containerv_container *container);

/* copy.c: the container's side of a copy, as the child process doing it sees it. */
struct cv_copy_root {
	int fd;    /* O_PATH of the container's root, in a nodev, nosuid view of its mounts */
	uid_t uid; /* host ids of the container's root: the owner of what is copied in */
	gid_t gid;
	uint32_t id_count; /* ids mapped from the container's 0 up (0: no user namespace) */
};
/*
 * copy.c: runs work in a child process with the container's root: the
 * running container's mounts cloned and made nodev/nosuid, or for a stopped
 * one its overlay mounted nodev/nosuid in the child's private mount
 * namespace (so nothing shows on the host). Flags: CV_ROOT_AS_CONTAINER_ROOT,
 * the child creates files as the container's root (its mapped host ids);
 * CV_ROOT_FILESYSTEM_ONLY, only the root filesystem's own mount (no
 * volumes, binds, /proc or /sys: what export archives).
 */
enum { CV_ROOT_AS_CONTAINER_ROOT = 0x1, CV_ROOT_FILESYSTEM_ONLY = 0x2 };
int cv_container_with_root(struct containerv_container *container, unsigned int flags,
                           int (*work)(const struct cv_copy_root *root, void *arg), void *arg);

/* copy-safe.c: opening and replacing entries of a tree a hostile container controls (see there). */
/* dir/name as O_PATH|O_NOFOLLOW (resolved inside dir), with fstat of what was opened. */
int cv_copy_open_entry(int dir, const char *name, struct stat *st);
/* The inode of an O_PATH descriptor reopened with flags; only a regular file or directory, checked again. */
int cv_copy_reopen(int path_fd, const struct stat *st, int flags, const char *name);
/* The target of the symlink an O_PATH|O_NOFOLLOW descriptor holds, NUL-terminated. */
ssize_t cv_copy_read_link(int path_fd, char *target, size_t size, const char *name);
/*
 * A new regular file (its descriptor is returned), symlink or FIFO (0 is returned) under a fresh
 * name in dir, made with O_EXCL semantics; the name is written to name.
 */
int cv_copy_create_temp(int dir, mode_t mode, const char *link_target, char *name, size_t size);
/* Renames temp over leaf in dir; on failure removes temp. */
int cv_copy_replace(int dir, const char *temp, const char *leaf);
/* A symlink or FIFO made under a temporary name and renamed over leaf. */
int cv_copy_place(int dir, const char *leaf, mode_t mode, const char *link_target);
/* copy.c: "/a/b/" into "/a" and "b"; EINVAL for "", ".", "..". */
int cv_split_path(const char *path, char *dir, size_t dir_size, char *leaf, size_t leaf_size);

/*
 * stdio.c: waits until the log monitor of a detached container (which holds container.log flock'ed while it
 * copies) has written everything; returns at once when there is none.
 */
void cv_log_monitor_wait(const struct containerv_container *container);
/* stdio.c: one read's worth from one descriptor to another (to -1: dropped); the read's result (0 at its end). */
ssize_t cv_copy_once(int from, int to);
/*
 * stdio.c: copies a process's stdout and stderr pipes to the caller's 1 and 2 until both end, or until ended (a
 * pidfd of the process, or -1) is readable, then what is left in them (containerv_join).
 */
int cv_stdio_relay(int out, int err, int ended);
/* stdio.c: the container's own pseudo-terminal, opened under root (its /dev/pts/ptmx): master and slave. */
int cv_pty_open_in_root(int rootfd, unsigned short rows, unsigned short columns, int *master, int *slave, int *number);
/*
 * stdio.c: one message with one descriptor (SCM_RIGHTS; fd -1: none) over a SOCK_SEQPACKET socket, and its
 * receiving side (*fd -1 when none came; more are closed). No allocation: the init sends the terminal.
 */
int cv_send_with_fd(int socket_fd, const void *data, size_t size, int fd);
ssize_t cv_receive_with_fd(int socket_fd, void *data, size_t size, int *fd, int flags);

/* The operations of core's backend table (core/backend.h) that are more than one call of the above. */
int cv_linux_prepare(struct containerv_container *container);
int cv_linux_destroy(struct containerv_container *container, bool remove_anonymous_volumes);
int cv_linux_release_held(struct containerv_container *container);
/* The backend's clear_unrecorded_start: the cgroup (with its processes) and the leases go. Locked. */
int cv_linux_clear_unrecorded_start(struct containerv_container *container);
int cv_linux_signal(struct containerv_container *container, int signal);
int cv_linux_wait_exit(struct containerv_container *container, int timeout_ms);
bool cv_linux_is_init_parent(const struct containerv_container *container);
int cv_linux_terminate(struct containerv_container *container);
int cv_linux_exec(struct containerv_container *container, const struct containerv_spawn_options *options,
                  containerv_pid_t *pid, struct containerv_exit *exit_status);
int cv_linux_processes(struct containerv_container *container, struct containerv_process_info *processes, size_t max,
                       size_t *count);
int cv_linux_watch_fd(struct containerv_container *container, int *fd);
int cv_linux_watch_state(struct containerv_container *container, enum containerv_state *state);

/* stats.c: one sample for core's containerv_get_stats() (struct cv_backend_ops.stats). */
int cv_linux_stats_sample(struct containerv_container *container, struct containerv_stats *stats);

/* copy.c, tar.c, commit.c: docker cp's and commit's work (struct cv_backend_ops.copy, write_changes). */
struct cv_copy_request;
int cv_linux_copy(struct containerv_container *container, const struct cv_copy_request *request);
int cv_linux_tar_in(struct containerv_container *container, int fd, const char *container_dir);
int cv_linux_tar_out(struct containerv_container *container, const char *container_path, int fd);
int cv_linux_write_changes(struct containerv_container *container, int fd);

/* volume-disk.c: a size-limited volume's disk (struct cv_backend_ops.volume_disk_*). */
struct containerv_volume_options;
int cv_linux_volume_disk_create(int dirfd, const char *path, const char *name,
                                const struct containerv_volume_options *options);
int cv_linux_volume_disk_mount(int dirfd, const char *path, const char *name);
int cv_linux_volume_disk_unmount(int dirfd, const char *path, const char *name);
uint64_t cv_linux_volume_disk_bytes_used(int dirfd);

/* context-watch.c: a context's watch (struct cv_backend_ops.context_watch_*). */
struct cv_context_watch;
/* network-socket.c: a socket made in the container's network namespace (struct cv_backend_ops.network_socket). */
int cv_linux_network_socket(struct containerv_container *container, int domain, int type, containerv_fd_t *fd);
/* dir-watch.c: the events journal's follow (struct cv_backend_ops.dir_watch_open). */
int cv_linux_dir_watch_open(const char *dir, containerv_fd_t *fd);
int cv_linux_context_watch_open(const char *containers_dir, struct cv_context_watch **watch, containerv_fd_t *fd);
int cv_linux_context_watch_add_fd(struct cv_context_watch *watch, containerv_fd_t fd);
void cv_linux_context_watch_remove_fd(struct cv_context_watch *watch, containerv_fd_t fd);
int cv_linux_context_watch_add_dir(struct cv_context_watch *watch, const char *dir);
void cv_linux_context_watch_remove_dir(struct cv_context_watch *watch, int id);
void cv_linux_context_watch_drain(struct cv_context_watch *watch);
void cv_linux_context_watch_close(struct cv_context_watch *watch);

/* watch.c: closes what containerv_watch_fd() opened (containerv_close). */
void cv_watch_close(struct containerv_container *container);

/* Exit status encoding shared by init, spawn and wait. */
void cv_exit_from_wait_status(int status, struct containerv_exit *exit_status);

#endif
