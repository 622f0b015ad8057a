/*
 * Internal: the backend interface, core's one table of platform operations.
 *
 * core/ holds what every platform shares (the handle, the state store, the
 * state machine's rules, statistics history, events) and calls the platform
 * only through this table; platform/<name>/backend.c fills it (Linux:
 * namespaces, cgroups, mounts, the init). The shape is crun's cgroup
 * manager, one level up. core/ never includes a platform header: the
 * backend is bound at link time (cv_backend()), one per build.
 *
 * Every operation takes a handle whose state was read from the store; the
 * caller holds the container's lock where an operation says so. Each
 * returns 0 or -1 with errno and the last error set, unless it says
 * otherwise.
 */
#ifndef CV_CORE_BACKEND_H
#define CV_CORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/container.h"

struct cv_context_watch; /* the backend's */
struct cv_perf_host;     /* config/perf-profile.h */

/* What docker cp asks (core/copy.c): paths one by one, or a tar stream. */
enum cv_copy_direction {
	CV_COPY_IN,      /* sources on the host into targets in the container */
	CV_COPY_OUT,     /* sources in the container out to targets on the host */
	CV_COPY_TAR_IN,  /* the tar stream read from fd extracted into the container's directory path */
	CV_COPY_TAR_OUT, /* path in the container written to fd as a tar stream */
};

struct cv_copy_request {
	enum cv_copy_direction direction;
	const char *const *sources, *const *targets; /* CV_COPY_IN and _OUT: count of each */
	size_t count;
	containerv_fd_t fd; /* the tar forms */
	const char *path;   /* the tar forms: absolute, in the container */
	unsigned int flags; /* CV_COPY_IN and _OUT: enum containerv_copy_flags */
};
struct containerv_volume_options;

struct cv_backend_ops {
	const char *name; /* "linux" */

	/* The handle: the size of the backend's part (struct cv_platform_container), and its initial values. */
	size_t platform_size;
	void (*handle_init)(struct containerv_container *container);
	/* Lets go of what the handle holds on the host (descriptors, a child to reap); never fails. */
	void (*release)(struct containerv_container *container);

	/* Looks at the init and records what happened to it (a death, a release by a dead start). */
	int (*refresh)(struct containerv_container *container);
	/*
	 * refresh, then removes an autoremove container that has ended and has nobody left to remove it:
	 * 1 when it was removed (the handle is freed), 0 when it stays.
	 */
	int (*collect)(struct containerv_container *container);

	/*
	 * One statistics sample of the container as it is now, into a zeroed stats: every field but
	 * timestamp_ns and cpu_percent, which core derives (core/stats.c). ENOENT: never started.
	 */
	int (*stats)(struct containerv_container *container, struct containerv_stats *stats);
	/* The processes of a running container (containerv_get_processes()'s contract, arguments checked). */
	int (*processes)(struct containerv_container *container, struct containerv_process_info *processes, size_t max,
	                 size_t *count);

	/* Whether this host can give what the options ask (Linux: the security level's LSM, seccomp, limits). */
	int (*check_host)(const struct containerv_options *options);
	/* Whether this host can give these limits (its CPUs, memory nodes): create and update ask first. */
	int (*check_limits)(const struct containerv_limits *limits);
	/* The host as the performance profiles see it (config/perf-profile.h): create asks when one is set. */
	int (*perf_host)(struct cv_perf_host *host);
	/*
	 * create's host resources, before config.json is written: Linux leases user-namespace ids and makes the
	 * volumes (an anonymous one's name goes into the config). Undone by destroy.
	 */
	int (*prepare)(struct containerv_container *container);
	/*
	 * Takes back everything the container has on the host and its state directory (a failed create, a
	 * removal): processes are killed through the cgroup first; volumes are let go of (the anonymous ones
	 * deleted with remove_anonymous_volumes); the name is released. The handle stays to be closed.
	 */
	int (*destroy)(struct containerv_container *container, bool remove_anonymous_volumes);

	/* The container's lock between processes (reentrant per handle); taking it re-reads state.json. */
	int (*lock)(struct containerv_container *container);
	void (*unlock)(struct containerv_container *container);
	/*
	 * Takes fd, the lock (common/state-files.h: cv_dir_lock) of the container's directory (create's, taken before
	 * the directory had its name), as the container's lock held once (one unlock lets go of it); never fails.
	 */
	void (*adopt_lock)(struct containerv_container *container, int fd);

	/*
	 * Prepares everything (namespaces, root filesystem, cgroup, network) and starts the init; with hold it
	 * stops before the main command (CV_STATE_HELD) until release_held. Records the new state. Locked.
	 */
	int (*start)(struct containerv_container *container, bool hold);
	/*
	 * Before a start of a container neither running nor held, under the lock: takes back what a start
	 * killed before it recorded its state left alive (Linux: an init running the command in the cgroup,
	 * its leases and published ports). Nothing to do is the usual case.
	 */
	int (*clear_unrecorded_start)(struct containerv_container *container);
	/* Executes the main command of a held container (any process may). Records the new state. Locked. */
	int (*release_held)(struct containerv_container *container);
	/* A new process in a running, unfrozen container (containerv_spawn()'s contract, arguments checked). */
	int (*exec)(struct containerv_container *container, const struct containerv_spawn_options *options,
	            containerv_pid_t *pid, struct containerv_exit *exit_status);
	/*
	 * A socket (SOCK_CLOEXEC added) made in the running container's network namespace, for the supervisor's
	 * HTTP and TCP probes (core/health-probe.c): the caller connects and talks from where it is, nothing of
	 * the container's but its network. ESRCH when it is not running.
	 */
	int (*network_socket)(struct containerv_container *container, int domain, int type, containerv_fd_t *fd);
	/* Starts the container's supervisor process (core/supervise.c's body, detached; not waited for). */
	int (*supervisor_spawn)(struct containerv_container *container);
	/* Delivers signal to a running container (SIGKILL: every process of it). */
	int (*signal)(struct containerv_container *container, int signal);
	/* Waits until the init has ended or timeout_ms passes (-1: forever): 0 ended (recorded), 1 timed out. */
	int (*wait_exit)(struct containerv_container *container, int timeout_ms);
	/*
	 * Whether this process started the container's init and must reap it: containerv_wait() then waits
	 * with wait_exit (-1), else it loops over watch_fd.
	 */
	bool (*is_init_parent)(const struct containerv_container *container);
	/* Waits until the output of an ended container is all in its log (Linux: the log monitor let go). */
	void (*wait_output)(const struct containerv_container *container);
	/* Kills every process of the container and waits (10 s at most) for the init to end; EBUSY if it did not. */
	int (*terminate)(struct containerv_container *container);

	/*
	 * A descriptor that becomes readable when the container's state may have changed (the handle owns it),
	 * and, after it did, the state as it is now (ENOENT: removed). containerv_watch_fd()'s contract.
	 */
	int (*watch_fd)(struct containerv_container *container, containerv_fd_t *fd);
	int (*watch_state)(struct containerv_container *container, enum containerv_state *state);

	/*
	 * Applies the resources request sets (core/resources.h) to the live container; *applied gets those
	 * written, also on failure (core/update.c records them). Locked.
	 */
	int (*update)(struct containerv_container *container, const struct containerv_limits *request,
	              unsigned *applied);
	/* Freezes every process of the running container (and waits until they are), or thaws them. Locked. */
	int (*freeze)(struct containerv_container *container, bool frozen);

	/*
	 * docker cp's work, arguments checked (core/copy.c): the container's root as the container sees it
	 * (running or not), every name resolved inside it and never written through (a hostile container
	 * plants links and nodes). What is copied in belongs to the container's root user.
	 */
	int (*copy)(struct containerv_container *container, const struct cv_copy_request *request);
	/* Writes the container's changes to its image as an OCI layer tar (whiteouts in OCI form) to fd. */
	int (*write_changes)(struct containerv_container *container, int fd);

	/*
	 * The disk of a size-limited volume (core/volume.c; Linux: disk.img, an ext4 image loop-mounted on
	 * _data), in the volume's directory dirfd at path. create makes it (options: size, owner, preallocate)
	 * in a directory not yet in place; mount makes it _data (nothing if it is); unmount undoes that
	 * (nothing if it is not mounted); bytes_used says what its files take (never fails: 0).
	 */
	int (*volume_disk_create)(int dirfd, const char *path, const char *name,
	                          const struct containerv_volume_options *options);
	int (*volume_disk_mount)(int dirfd, const char *path, const char *name);
	int (*volume_disk_unmount)(int dirfd, const char *path, const char *name);
	uint64_t (*volume_disk_bytes_used)(int dirfd);

	/*
	 * A context's watch (core/context-events.c): one descriptor, fd, readable when a container
	 * directory appears in or leaves containers_dir, when a directory added with context_watch_add_dir
	 * gets a new file, or when a descriptor added with context_watch_add_fd is readable. drain takes off
	 * what the directories reported (a member descriptor is drained by its own owner).
	 */
	int (*context_watch_open)(const char *containers_dir, struct cv_context_watch **watch, containerv_fd_t *fd);
	int (*context_watch_add_fd)(struct cv_context_watch *watch, containerv_fd_t fd);
	void (*context_watch_remove_fd)(struct cv_context_watch *watch, containerv_fd_t fd);
	/* Returns an id for context_watch_remove_dir (>= 0), or -1. */
	int (*context_watch_add_dir)(struct cv_context_watch *watch, const char *dir);
	void (*context_watch_remove_dir)(struct cv_context_watch *watch, int id);
	void (*context_watch_drain)(struct cv_context_watch *watch);
	void (*context_watch_close)(struct cv_context_watch *watch); /* NULL is allowed */

	/*
	 * The events journal's follow (core/events-journal.c): a non-blocking descriptor, readable (POLLIN)
	 * when a file in dir is written, made or renamed into it; what is readable on it is only to be read
	 * off (any bytes). Closed by the caller.
	 */
	int (*dir_watch_open)(const char *dir, containerv_fd_t *fd);
};

/* The backend of this build (platform/<name>/backend.c). */
const struct cv_backend_ops *cv_backend(void);

#endif
