/*
 * Internal to the cgroup modules (cgroup.c, cgroup-v1.c, cgroup-v2.c) and
 * their unit test: the common head of a cgroup object and the file helpers
 * both backends share.
 */
#ifndef CV_LINUX_CGROUP_INTERNAL_H
#define CV_LINUX_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "platform/linux/cgroup.h"

/* The name of our directory under each hierarchy root. */
#define CV_CGROUP_PARENT "containerv"

/* kill_all gives up after this long; destroy retries EBUSY for this long. */
#define CV_CGROUP_KILL_TIMEOUT_NS (5LL * 1000000000LL)
#define CV_CGROUP_RMDIR_TIMEOUT_NS (1LL * 1000000000LL)

/*
 * Every backend object starts with this head so that cgroup.c can dispatch
 * without knowing the backend's layout.
 */
struct cv_cgroup {
	const struct cv_cgroup_ops *ops;
	char *id;
};

/* Creates the cgroup with an explicit backend (tests use it to force v2 on a
 * hybrid host). Validates the id and the limits first, like cv_cgroup_create. */
int cv_cgroup_create_with(const struct cv_cgroup_ops *ops, const char *id, const struct containerv_limits *limits,
                          struct cv_cgroup **out);

/*
 * How long a pause waits for every task to be frozen before it gives up and
 * thaws (a task in an uninterruptible sleep, on NFS or a FUSE mount, keeps
 * a cgroup FREEZING). A variable so that the unit test can shorten it.
 */
extern int64_t cv_cgroup_freeze_timeout_ns;

/* $CONTAINERV_CGROUP_ROOT, or /sys/fs/cgroup. Read on every call so that tests can move it. */
const char *cv_cgroup_root(void);

/*
 * The directory of cgroup name under a hierarchy mounted at mount: a name beginning with "/" is a path
 * from the hierarchy's root, any other is below our own CV_CGROUP_PARENT (a container id, or ".relative/...").
 */
int cv_cgroup_dir_of(const char *mount, const char *name, char **dir);

/* Calls make for each directory between mount and dir (both excluded), top-down: the parents to make. */
int cv_cgroup_make_parents(const char *mount, const char *dir, int (*make)(const char *parent, void *user), void *user);

/* Joins dir and name into buffer (PATH_MAX); ENAMETOOLONG when it does not fit. */
int cv_cgroup_path(char *buffer, const char *dir, const char *name);

/* Whether dir/name exists (cgroup files appear only with their controller). */
bool cv_cgroup_has_file(const char *dir, const char *name);

/* Writes text to dir/name; the error names the file. */
int cv_cgroup_write(const char *dir, const char *name, const char *text);

/*
 * Reads one number from dir/name. When the file does not exist (the
 * controller is missing) *value is 0 and the call succeeds: statistics are
 * best effort. "max" reads as UINT64_MAX.
 */
int cv_cgroup_read_u64_optional(const char *dir, const char *name, uint64_t *value);

/* Finds "key N" in a flat-keyed file's text (memory.stat, cpu.stat,
 * memory.events, memory.oom_control); false when the key is absent. */
bool cv_cgroup_keyed_value(const char *text, const char *key, uint64_t *value);

/* Reads dir/name and looks up key in it; *value 0 when the file or key is missing. */
int cv_cgroup_read_keyed_optional(const char *dir, const char *name, const char *key, uint64_t *value);

/*
 * The "some" total of a pressure file (cpu.pressure, memory.pressure,
 * io.pressure: "some avg10=.. avg60=.. avg300=.. total=MICROSECONDS") in
 * nanoseconds. false when there is none: no file, or a kernel without PSI
 * (its read fails with EOPNOTSUPP).
 */
bool cv_cgroup_read_pressure(const char *dir, const char *name, uint64_t *total_ns);

/* The pids in dir/cgroup.procs, sorted and unique; a missing dir is empty. */
int cv_cgroup_read_procs(const char *dir, pid_t **pids, size_t *count);

/* Sends signal to every process in dir and its sub-cgroups; *seen counts them. */
int cv_cgroup_signal_tree(const char *dir, int signal, size_t *seen);

/*
 * Removes a cgroup directory and its sub-cgroups (rmdir only: the control
 * files go with their directory), retrying EBUSY while exiting tasks leave.
 * A missing directory is fine. Records no error: returns -1 with errno set.
 */
int cv_cgroup_remove_dir(const char *path);

/* Creates path (one level); EEXIST is fine when allow_existing. */
int cv_cgroup_mkdir(const char *path, bool allow_existing);

/* The host's MemTotal in bytes (the "limit" of an unlimited cgroup). */
int cv_cgroup_host_memory(uint64_t *bytes);

/* Sleeps a little longer on each round of a polling loop (1 ms up to 20 ms). */
void cv_cgroup_backoff(unsigned int *round);

/*
 * The v2 backend on a given cgroup2 mount: the host's root, or a hybrid host's unified/ (where the v1
 * backend keeps the container's hugetlb cgroup: that controller is bound to cgroup2 there).
 */
int cv_cgroup_v2_create_at(const char *mount, const char *id, const struct containerv_limits *limits,
                           struct cv_cgroup **out);
int cv_cgroup_v2_open_at(const char *mount, const char *id, struct cv_cgroup **out);

/* The container's directory of a v2 cgroup object. */
const char *cv_cgroup_v2_dir(struct cv_cgroup *cgroup);

/*
 * Refuses, before anything is made, a huge page size the kernel does not have (no
 * /sys/kernel/mm/hugepages/hugepages-<kB>kB), naming the sizes it has.
 */
int cv_cgroup_check_hugetlb_sizes(const struct containerv_limits *limits);

/* cgroup-v2-devices.c: builds the allow-list's eBPF program and attaches it to a cgroup2 directory. */
int cv_cgroup_v2_attach_devices(int cgroup_fd, const struct cv_device_rule *rules, size_t count);

#endif
