/*
 * containerv: container pools and the workload of a held container.
 *
 * A pool keeps containers of one template (root filesystem or image, limits,
 * security profile, network) created and held (containerv_options_set_hold()):
 * namespaces, mounts, cgroup and network ready, the init waiting. Taking one
 * claims a held container; containerv_start_workload() then binds the
 * workload (command, environment, working directory, user, stdio) and
 * releases it: that is all a warm start costs. A pooled container is never
 * reused: once taken it is an ordinary container, and the pool makes a new
 * one in its place.
 *
 * A pool lives under <root>/pools/<name>/ (its template, its ready and taken
 * containers) and across processes: its containers are ordinary containers,
 * labelled containerv.pool=<name>. Refilling is the work of a keeper, a
 * loop run by containerv_pool_keeper_run() in a process of the caller's
 * choice (the CLI forks one); a keeper killed at any point leaves a state
 * the next keeper converges from.
 */
#ifndef CHEF_CONTAINERV_POOL_H
#define CHEF_CONTAINERV_POOL_H

#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/common.h>
#include <chef/containerv/container.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The label every container of a pool carries: containerv.pool=<pool name>. */
#define CONTAINERV_POOL_LABEL "containerv.pool"

/* 1: the first version. */
#define CONTAINERV_WORKLOAD_VERSION 1

/*
 * The workload bound to a held container at its release. Every field left
 * unset (NULL, or user_set 0) keeps the container's own, recorded at create.
 */
struct containerv_workload {
	unsigned int version;    /* CONTAINERV_WORKLOAD_VERSION */
	const char *const *argv; /* the command, NULL-terminated; after the image's entrypoint, as docker run's */
	const char *const *env;  /* "KEY=VALUE" added to (or replacing keys of) the container's environment */
	const char *workdir;     /* an absolute path inside the container */
	int user_set;            /* 1: uid and gid below replace the container's user */
	containerv_uid_t uid;
	containerv_gid_t gid;
	/*
	 * stdin, stdout, stderr: CONTAINERV_STDIO_NULL (the default when all three are 0 and
	 * stdio_set is 0), CONTAINERV_STDIO_PIPE, CONTAINERV_STDIO_STDOUT (stderr), or a descriptor of
	 * the caller, as containerv_options_set_stdio() takes them. The caller's ends of the pipes come
	 * back with containerv_take_stdio().
	 */
	int stdio_set;
	containerv_fd_t stdio[3];
	/*
	 * As docker run -u: "name[:group]" or "uid[:gid]", names looked up in the container's /etc/passwd
	 * and /etc/group (its image or root filesystem, as at create). Set, it replaces user_set/uid/gid.
	 */
	const char *user;
};

#define CONTAINERV_WORKLOAD_INIT                                                                                       \
	{                                                                                                              \
		CONTAINERV_WORKLOAD_VERSION, NULL, NULL, NULL, 0, 0, 0, 0, {-1, -1, -1}, NULL                          \
	}

/*
 * Releases a held container (CV_STATE_HELD) with the given workload: the
 * command, environment, working directory, user and stdio are chosen now,
 * not at create. The walls stay the ones made at create (namespaces, mounts,
 * capabilities, seccomp, limits). Fails with EINVAL when the container is
 * not held or has a terminal, E2BIG when the workload is too large for one
 * message (128 KiB), ENOENT or EACCES when the command cannot be executed
 * (the container has then exited, 127 or 126).
 */
CONTAINERV_API int containerv_start_workload(struct containerv_container *container,
                                             const struct containerv_workload *workload);

/* How a pool keeps containers ready. */
enum containerv_pool_policy {
	/* min ready at all times. */
	CV_POOL_PREALLOC = 0,
	/* None until a take; after one, min (at least 1) ready for idle_seconds, then none again. */
	CV_POOL_ON_DEMAND = 1,
	/* min ready; grows towards max while takes come, back to min after idle_seconds without one. */
	CV_POOL_HYBRID = 2,
};

/* "prealloc", "on-demand" or "hybrid"; NULL for another value. */
CONTAINERV_API const char *containerv_pool_policy_name(enum containerv_pool_policy policy);

/* The policy of a name above; -1 with errno EINVAL for another name. */
CONTAINERV_API int containerv_pool_policy_parse(const char *name, enum containerv_pool_policy *policy);

#define CONTAINERV_POOL_CONFIG_VERSION 1

struct containerv_pool_config {
	unsigned int version; /* CONTAINERV_POOL_CONFIG_VERSION */
	enum containerv_pool_policy policy;
	unsigned int min;          /* ready containers kept (see the policies) */
	unsigned int max;          /* ready containers at most; 0: min (and 1 at least) */
	unsigned int idle_seconds; /* on-demand's TTL, hybrid's shrink delay; 0: 60 */
	unsigned int concurrency;  /* containers made at once by a refill; 0: 2 */
};

#define CONTAINERV_POOL_CONFIG_INIT                                                                                    \
	{                                                                                                              \
		CONTAINERV_POOL_CONFIG_VERSION, CV_POOL_PREALLOC, 1, 0, 0, 0                                           \
	}

/*
 * Records a new pool NAME ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64) of
 * containers made from template_options (validated now; its name, stdio, hold and
 * autostart are the pool's, a terminal is refused) under <root>/pools/NAME.
 * Creates no container: a keeper does (containerv_pool_keeper_run()).
 * EEXIST when the pool exists.
 */
CONTAINERV_API int containerv_pool_create(const char *name, const struct containerv_options *template_options,
                                          const struct containerv_pool_config *config);

/*
 * Removes the pool: stops its keeper (SIGTERM, then SIGKILL), removes every
 * container it still holds ready (taken ones are ordinary containers now and
 * stay, except those given to it for removal) and its directory. ENOENT when
 * there is none.
 */
CONTAINERV_API int containerv_pool_remove(const char *name);

/* A snapshot of a pool. */
struct containerv_pool_info {
	unsigned int version; /* CONTAINERV_POOL_CONFIG_VERSION */
	char name[65];
	struct containerv_pool_config config;
	unsigned int ready;      /* held and claimable now */
	unsigned int removing;   /* taken with remove_when_ended, not removed yet */
	containerv_pid_t keeper; /* the keeper's pid, 0 when none runs */
	uint64_t takes;          /* since the keeper started */
	int64_t last_refill_ns;  /* how long the last container took to be made ready (0: none yet) */
};

/* Fills info of the pool NAME. ENOENT when there is none. */
CONTAINERV_API int containerv_pool_inspect(const char *name, struct containerv_pool_info *info);

/* The names of every pool, sorted, in a new NULL-terminated vector (containerv_strings_free()). */
CONTAINERV_API int containerv_pool_list(char ***names, size_t *count);

/*
 * Claims a ready container of the pool and opens it (still held: release it
 * with containerv_pool_start()). Until then the container is this process's:
 * no keeper's sweep removes it; a process that ends without starting it
 * leaves it to the next sweep. No container ready: an on-demand or
 * hybrid pool (or a prealloc one whose keeper lags) makes one now, the cold
 * way. With remove_when_ended 1 the pool's keeper removes the container once
 * it has ended (docker's --rm, off the caller's path). ENOENT when the pool
 * does not exist.
 */
CONTAINERV_API int containerv_pool_take(const char *name, int remove_when_ended,
                                        struct containerv_container **container);

/*
 * Starts a container taken with containerv_pool_take(): containerv_start_workload()
 * with workload, then gives the take's claim up (also when the start fails)
 * and wakes the pool's keeper to refill (after the release: the refill does
 * not compete with it). ESRCH when the container's init no longer waits (killed meanwhile): take
 * another.
 */
CONTAINERV_API int containerv_pool_start(struct containerv_container *container,
                                         const struct containerv_workload *workload);

/*
 * The keeper of pool NAME, in the calling process: converges the pool
 * (removes what a killed keeper left half-made), then refills it by its
 * policy and removes ended containers given to it, until the pool is removed
 * or the process gets SIGTERM. One keeper per pool: EBUSY when one runs. The
 * caller should run it in a process of its own (it blocks), with stdio it
 * does not need.
 */
CONTAINERV_API int containerv_pool_keeper_run(const char *name);

/* 1 when a keeper of pool NAME runs, 0 when none does; -1 with ENOENT when there is no such pool. */
CONTAINERV_API int containerv_pool_keeper_running(const char *name);

#ifdef __cplusplus
}
#endif

#endif
