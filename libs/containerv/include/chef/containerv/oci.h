/*
 * containerv: the OCI runtime specification's config.json.
 *
 * A bundle (a directory holding config.json and, usually, the root
 * filesystem it names) is translated into container options, as runc and
 * crun read it. The translation is strict: every field is either applied or
 * refused with one line naming it ("linux.sysctl: not supported"), so that a
 * configuration is never run weaker than it was written. Unknown fields are
 * ignored, as the specification asks of runtimes.
 *
 * A few process settings are not container options but attributes the
 * runtime's own process passes on to the container's init when it creates
 * it (rlimits, the OOM score adjustment): they come back in struct
 * containerv_oci_process for the caller to apply to itself before
 * containerv_create().
 */
#ifndef CHEF_CONTAINERV_OCI_H
#define CHEF_CONTAINERV_OCI_H

#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/common.h>
#include <chef/containerv/limits.h>

#ifdef __cplusplus
extern "C" {
#endif

struct containerv_options;
struct containerv_security;

/* The version of the runtime specification this loader implements (config.json's ociVersion 1.0.0 to 1.1.x). */
#define CONTAINERV_OCI_VERSION "1.1.0"

/* The most process.rlimits entries a config may hold (one per resource). */
#define CONTAINERV_OCI_RLIMITS_MAX 16

/* One process.rlimits entry: resource is the RLIMIT_* number of the platform (Linux numbering). */
struct containerv_oci_rlimit {
	int resource;
	uint64_t soft;
	uint64_t hard;
};

#define CONTAINERV_OCI_PROCESS_VERSION 2

/* What of config.json's process the caller applies to itself (inherited by the container's init). */
struct containerv_oci_process {
	unsigned int version; /* CONTAINERV_OCI_PROCESS_VERSION */
	int terminal;         /* process.terminal: a pseudo-terminal whose master goes to the console socket */
	int has_oom_score_adj;
	int oom_score_adj; /* process.oomScoreAdj, -1000..1000, when has_oom_score_adj */
	size_t rlimit_count;
	struct containerv_oci_rlimit rlimits[CONTAINERV_OCI_RLIMITS_MAX];
	/*
	 * Version 2, set by the caller before the call: the caller runs config.json's hooks itself (prestart,
	 * createRuntime, poststart, poststop, in the runtime's namespaces). They are then checked (path
	 * absolute, args and env arrays of strings, env entries KEY=VALUE, timeout a positive integer) and
	 * accepted; createContainer and startContainer (run in the container's namespaces) stay refused.
	 * 0, or version 1: any hook is refused.
	 */
	int run_hooks;
};

#define CONTAINERV_OCI_PROCESS_INIT                                                                                    \
	{                                                                                                              \
		CONTAINERV_OCI_PROCESS_VERSION, 0, 0, 0, 0, {{0, 0, 0}}, 0                                             \
	}

/* The longest config.json read (larger: EFBIG). */
#define CONTAINERV_OCI_CONFIG_MAX (4 * 1024 * 1024)

/*
 * Translates config.json's text into options (which should be fresh from
 * containerv_options_new()): the command, environment, user, capabilities,
 * root filesystem (root.path relative to bundle, which must then be an
 * absolute directory), mounts, namespaces, id maps, resources, seccomp and
 * the masked and read-only paths; process may be NULL when the caller
 * applies nothing itself (then rlimits and oomScoreAdj are refused). The
 * whole text is checked before the options are touched: on failure they are
 * as they were. Returns 0, or -1 with errno (EINVAL: a malformed or refused
 * field, named in containerv_last_error(); ENOTSUP: a field the platform
 * lacks).
 */
CONTAINERV_API int containerv_oci_config_parse(struct containerv_options *options, const char *json, const char *bundle,
                                               struct containerv_oci_process *process);

/*
 * Reads bundle/config.json (at most CONTAINERV_OCI_CONFIG_MAX bytes, a
 * regular file) and translates it as containerv_oci_config_parse() does.
 */
CONTAINERV_API int containerv_oci_config_load(struct containerv_options *options, const char *bundle,
                                              struct containerv_oci_process *process);

/*
 * An OCI process (config.json's "process" object alone, as `runc exec
 * --process FILE` reads it) as what containerv_spawn() takes: *argv and *env
 * (NULL-terminated, free with containerv_strings_free()), *cwd (free()),
 * *uid and *gid. A spawned process runs with the container's capabilities,
 * no_new_privileges and labels: container (the container's profile, from
 * containerv_get_security()) is what the process's own fields must equal
 * when given; anything else is refused by name. process as in
 * containerv_oci_config_parse().
 */
CONTAINERV_API int containerv_oci_process_parse(const char *json, const struct containerv_security *container,
                                                char ***argv, char ***env, char **cwd, int64_t *uid, int64_t *gid,
                                                struct containerv_oci_process *process);

/*
 * An OCI LinuxResources object (config.json's linux.resources alone, as
 * `runc update --resources FILE` reads it) as limits for containerv_update():
 * memory limit, swap, reservation and disableOOMKiller, cpu shares, quota,
 * period, cpus and mems, pids limit and blockIO weight; unset members stay
 * unset (0), so only what the object sets changes. What containerv's limits
 * do not have (hugepageLimits, unified, blockIO throttles, ...) is refused by
 * name (EINVAL). The device rules ("devices") are not read: they are the
 * container's from its creation, as under runc. *limits is written only on
 * success.
 */
CONTAINERV_API int containerv_oci_resources_parse(const char *json, struct containerv_limits *limits);

#ifdef __cplusplus
}
#endif

#endif
