/*
 * Internal: one container's cgroup, whatever the host's layout.
 *
 * The backends (cgroup-v1.c, cgroup-v2.c) sit behind a small table of
 * function pointers chosen at run time; on a hybrid host the v1 backend is
 * used for the controllers and the v2 mount is left alone. A container's
 * cgroup is "containerv/<id>" under the root of each hierarchy (v1: one
 * directory per mounted controller; v2: one directory).
 *
 * The cgroup root can be moved with CONTAINERV_CGROUP_ROOT (default
 * /sys/fs/cgroup) so that tests can point the code at a prepared tree.
 */
#ifndef CV_LINUX_CGROUP_H
#define CV_LINUX_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <chef/containerv/limits.h>
#include <chef/containerv/stats.h>

#include "core/resources.h"

struct cv_cgroup;

/* Below containerv/, the configured relative cgroup paths (no container id starts with '.'). */
#define CV_CGROUP_RELATIVE_DIR ".relative"

/* Creates the container's cgroup(s) and applies the limits. On failure
 * nothing is left behind. limits may be NULL. */
int cv_cgroup_create(const char *id, const struct containerv_limits *limits, struct cv_cgroup **out);

/* Opens the cgroup of an existing container (ENOENT if it has none). */
int cv_cgroup_open(const char *id, struct cv_cgroup **out);

/* Moves a process (all its threads) into the cgroup(s). */
int cv_cgroup_add_pid(struct cv_cgroup *cgroup, pid_t pid);

/* True where clone3()'s CLONE_INTO_CGROUP places a child (cgroup v2 only): make the cgroup before the clone. */
bool cv_cgroup_placed_by_clone(void);

/* At most this many descriptors from cv_cgroup_open_join_fds (one per v1 hierarchy, and unified/). */
#define CV_CGROUP_JOIN_FDS_MAX 12

/*
 * Descriptors through which a single-threaded process moves itself into the
 * cgroup(s) with cv_cgroup_join_self(): on v1, each hierarchy's "tasks" file.
 * The kernel moves the writer's own thread without taking its global
 * threadgroup lock, whose first write lock of a while waits for an RCU grace
 * period (5-13 ms on this hardware: the slowest step of a start when the
 * parent writes the child's pid to cgroup.procs instead). Returns how many
 * were opened (0 on v2, where CLONE_INTO_CGROUP places the child), or -1.
 * The caller closes them.
 */
int cv_cgroup_open_join_fds(struct cv_cgroup *cgroup, int *fds, size_t max);

/* Writes "0" (the writer) to each descriptor. Async-signal-safe (no allocation): for a cloned child. */
int cv_cgroup_join_self(const int *fds, size_t count);

/*
 * A directory descriptor for clone3()'s CLONE_INTO_CGROUP on v2, or -1 on
 * v1/hybrid where the caller uses cv_cgroup_add_pid() instead. Owned by the
 * cgroup object.
 */
int cv_cgroup_clone_fd(struct cv_cgroup *cgroup);

/*
 * Fills the cgroup part of a stats sample: memory_usage, memory_peak,
 * memory_limit, cpu_time_ns, read/write bytes and ops, active_processes,
 * oom_kills. Other fields are left as they are.
 */
int cv_cgroup_read_stats(struct cv_cgroup *cgroup, struct containerv_stats *stats);

/* How many times the OOM killer killed a process in the cgroup. */
int cv_cgroup_oom_kills(struct cv_cgroup *cgroup, uint64_t *kills);

/* The pids in the cgroup (host view), sorted, in a malloc'ed array. */
int cv_cgroup_pids(struct cv_cgroup *cgroup, pid_t **pids, size_t *count);

/* A device the container may use: type 'c', 'b' or 'a' (all), major and minor (-1: any), access "rwm". */
struct cv_device_rule {
	char type;
	int major;
	int minor;
	const char *access;
};

/* docker's default allow-list: mknod of any node, and null, zero, full, random, urandom, tty, console, ptmx, pts, tun.
 */
extern const struct cv_device_rule cv_default_device_rules[];
extern const size_t cv_default_device_rule_count;

/* Denies every device but these (v1: the devices controller; v2: an eBPF device program). */
int cv_cgroup_restrict_devices(struct cv_cgroup *cgroup, const struct cv_device_rule *rules, size_t count);

/* SIGKILLs every process in the cgroup (freezing first on v1 so that none
 * escapes by forking) and waits until the cgroup is empty. */
int cv_cgroup_kill_all(struct cv_cgroup *cgroup);

/* Removes the cgroup directories (kills what is left first). Idempotent. */
int cv_cgroup_destroy(struct cv_cgroup *cgroup);

/* Frees the object; the cgroup itself stays. NULL is allowed. */
void cv_cgroup_free(struct cv_cgroup *cgroup);

/*
 * Applies the fields request sets (non-zero, as at create) to the live
 * cgroup, one resource at a time in the order of enum cv_resource; the
 * fields it leaves unset keep their current value. Every controller the
 * request needs is checked before anything is written, so a missing one
 * changes nothing. *applied gets the resources written (bits, 1u << enum
 * cv_resource): when a write fails midway (the kernel refuses a memory
 * limit below what cannot be reclaimed), those before it stay applied.
 */
int cv_cgroup_update(struct cv_cgroup *cgroup, const struct containerv_limits *request, unsigned *applied);

/*
 * Freezes every process of the cgroup (docker pause) and waits until the
 * kernel says all are frozen (v1 freezer.state FROZEN, v2 cgroup.events
 * "frozen 1"). When that does not happen in time (a task stuck in an
 * uninterruptible sleep) the cgroup is thawed again and ETIMEDOUT returned:
 * a pause either holds or changes nothing.
 */
int cv_cgroup_freeze(struct cv_cgroup *cgroup);

/* Thaws a frozen cgroup (docker unpause); thawing one that is not frozen is fine. */
int cv_cgroup_thaw(struct cv_cgroup *cgroup);

/* Whether the kernel reports the cgroup frozen (false without a freezer). */
int cv_cgroup_is_frozen(struct cv_cgroup *cgroup, bool *frozen);

/*
 * Writes value into the container's cgroup file key (OCI's linux.resources.unified), opened with openat
 * relative to the cgroup's directory (key checked by cv_cgroup_file_name_check). cgroup v2 only: a v1 or hybrid host
 * refuses it (ENOTSUP), as runc does.
 */
int cv_cgroup_write_unified(struct cv_cgroup *cgroup, const char *key, const char *value);

/* The backend's function table (one per layout). */
struct cv_cgroup_ops {
	const char *name; /* "v1" or "v2" */
	int (*create)(const char *id, const struct containerv_limits *limits, struct cv_cgroup **out);
	int (*open)(const char *id, struct cv_cgroup **out);
	int (*add_pid)(struct cv_cgroup *cgroup, pid_t pid);
	int (*clone_fd)(struct cv_cgroup *cgroup);
	int (*open_join_fds)(struct cv_cgroup *cgroup, int *fds, size_t max);
	int (*read_stats)(struct cv_cgroup *cgroup, struct containerv_stats *stats);
	int (*oom_kills)(struct cv_cgroup *cgroup, uint64_t *kills);
	int (*pids)(struct cv_cgroup *cgroup, pid_t **pids, size_t *count);
	int (*kill_all)(struct cv_cgroup *cgroup);
	int (*restrict_devices)(struct cv_cgroup *cgroup, const struct cv_device_rule *rules, size_t count);
	int (*destroy)(struct cv_cgroup *cgroup);
	int (*update)(struct cv_cgroup *cgroup, const struct containerv_limits *request, unsigned *applied);
	/* frozen: freeze and wait until settled (thawed again on timeout), or thaw. */
	int (*freeze)(struct cv_cgroup *cgroup, bool frozen);
	int (*is_frozen)(struct cv_cgroup *cgroup, bool *frozen);
	int (*write_unified)(struct cv_cgroup *cgroup, const char *key, const char *value);
	void (*free)(struct cv_cgroup *cgroup);
};

extern const struct cv_cgroup_ops cv_cgroup_v1_ops;
extern const struct cv_cgroup_ops cv_cgroup_v2_ops;

#endif
