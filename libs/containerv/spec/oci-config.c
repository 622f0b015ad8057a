/*
 * The OCI runtime specification's config.json into container options: the
 * top level, process, root and mounts (oci-linux.c does "linux").
 *
 * config.json comes from whoever made the bundle (an engine, a user, an
 * image's author through an engine): hostile input. Every value is type
 * checked, every field we know is applied or refused by name, and the
 * options are built in a private object that replaces the caller's only
 * once the whole config has passed, so a refusal leaves nothing half-set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/util.h"
#include "spec/oci-internal.h"

int cv_oci_refuse(const char *field, const char *format, ...)
{
	char why[512];
	va_list args;

	va_start(args, format);
	vsnprintf(why, sizeof why, format, args);
	va_end(args);
	return cv_error_errno(EINVAL, "config.json: %s: %s", field, why);
}

int cv_oci_string(json_t *object, const char *name, const char *field, const char **value)
{
	json_t *member = json_object_get(object, name);

	*value = NULL;
	if (member == NULL || json_is_null(member))
		return 0;
	if (!json_is_string(member))
		return cv_oci_refuse(field, "not a string");
	*value = json_string_value(member);
	if (strlen(*value) != json_string_length(member))
		return cv_oci_refuse(field, "contains a NUL byte");
	return 0;
}

int cv_oci_string_array(json_t *object, const char *name, const char *field, json_t **array)
{
	json_t *member = json_object_get(object, name), *entry;
	size_t i;

	*array = NULL;
	if (member == NULL || json_is_null(member))
		return 0;
	if (!json_is_array(member))
		return cv_oci_refuse(field, "not an array");
	json_array_foreach(member, i, entry)
	{
		if (!json_is_string(entry) || strlen(json_string_value(entry)) != json_string_length(entry))
			return cv_oci_refuse(field, "entry %zu is not a string", i);
	}
	*array = member;
	return 0;
}

bool cv_oci_is_set(json_t *value)
{
	if (value == NULL || json_is_null(value) || json_is_false(value))
		return false;
	if (json_is_string(value))
		return json_string_length(value) > 0;
	if (json_is_array(value))
		return json_array_size(value) > 0;
	if (json_is_object(value))
		return json_object_size(value) > 0;
	if (json_is_integer(value))
		return json_integer_value(value) != 0;
	if (json_is_real(value))
		return json_real_value(value) != 0;
	return true;
}

int cv_oci_refuse_if_set(json_t *object, const char *name, const char *field, const char *why)
{
	if (!cv_oci_is_set(json_object_get(object, name)))
		return 0;
	return cv_error_errno(EINVAL, "config.json: %s.%s: %s", field, name, why);
}

/* An integer member within [min, max]; *present false (and *value untouched) when absent. */
static int integer_member(json_t *object, const char *name, const char *field, long long min, long long max,
                          long long *value, bool *present)
{
	json_t *member = json_object_get(object, name);

	*present = false;
	if (member == NULL || json_is_null(member))
		return 0;
	if (!json_is_integer(member) || json_integer_value(member) < min || json_integer_value(member) > max)
		return cv_oci_refuse(field, "not an integer from %lld to %lld", min, max);
	*value = json_integer_value(member);
	*present = true;
	return 0;
}

/* ---- process ---- */

static int load_args_env_cwd(struct cv_oci_load *load, json_t *process)
{
	json_t *args, *env, *entry;
	const char *cwd;
	size_t i;

	if (cv_oci_string_array(process, "args", "process.args", &args) < 0 ||
	    cv_oci_string_array(process, "env", "process.env", &env) < 0 ||
	    cv_oci_string(process, "cwd", "process.cwd", &cwd) < 0)
		return -1;
	if (args == NULL || json_array_size(args) == 0)
		return cv_oci_refuse("process.args", "missing: the command to run");
	if (cwd == NULL || cwd[0] != '/')
		return cv_oci_refuse("process.cwd", "must be an absolute path");
	cleanup_free const char **argv = calloc(json_array_size(args) + 1, sizeof *argv);
	if (argv == NULL)
		return cv_error_errno(ENOMEM, "process.args: out of memory");
	json_array_foreach(args, i, entry) argv[i] = json_string_value(entry);
	if (containerv_options_set_command(load->options, argv) < 0 ||
	    containerv_options_set_workdir(load->options, cwd) < 0)
		return cv_error_prefix("config.json: process");
	json_array_foreach(env, i, entry)
	{
		const char *text = json_string_value(entry);
		if (strchr(text, '=') == NULL || text[0] == '=')
			return cv_oci_refuse("process.env", "entry %zu is not KEY=VALUE", i);
		if (containerv_options_add_env(load->options, text) < 0)
			return cv_error_prefix("config.json: process.env");
	}
	return 0;
}

static int load_user(struct cv_oci_load *load, json_t *process)
{
	json_t *user = json_object_get(process, "user"), *groups, *entry;
	long long uid = 0, gid = 0, umask_value = 022;
	bool has_uid, has_gid, has_umask;
	size_t i;

	if (user == NULL || !json_is_object(user))
		return cv_oci_refuse("process.user", "missing or not an object");
	if (integer_member(user, "uid", "process.user.uid", 0, UINT32_MAX - 1, &uid, &has_uid) < 0 ||
	    integer_member(user, "gid", "process.user.gid", 0, UINT32_MAX - 1, &gid, &has_gid) < 0 ||
	    integer_member(user, "umask", "process.user.umask", 0, 0777, &umask_value, &has_umask) < 0)
		return -1;
	/* Absent: 0022, as runc and crun give it. */
	if (containerv_options_set_umask(load->options, (int)umask_value) < 0)
		return cv_error_prefix("config.json: process.user.umask");
	(void)has_umask;
	groups = json_object_get(user, "additionalGids");
	if (groups != NULL && !json_is_null(groups)) {
		containerv_gid_t gids[CONTAINERV_SUPPLEMENTARY_GROUPS_MAX];
		if (!json_is_array(groups))
			return cv_oci_refuse("process.user.additionalGids", "not an array");
		if (json_array_size(groups) > CONTAINERV_SUPPLEMENTARY_GROUPS_MAX)
			return cv_oci_refuse("process.user.additionalGids", "more than %d groups",
			                     CONTAINERV_SUPPLEMENTARY_GROUPS_MAX);
		json_array_foreach(groups, i, entry)
		{
			if (!json_is_integer(entry) || json_integer_value(entry) < 0 ||
			    json_integer_value(entry) > UINT32_MAX - 1)
				return cv_oci_refuse("process.user.additionalGids", "entry %zu is not a gid", i);
			gids[i] = (containerv_gid_t)json_integer_value(entry);
		}
		if (containerv_options_set_supplementary_groups(load->options, gids, json_array_size(groups)) < 0)
			return cv_error_prefix("config.json: process.user.additionalGids");
	}
	if (cv_oci_string(user, "username", "process.user.username", &(const char *){NULL}) < 0)
		return -1;
	if (containerv_options_set_user(load->options, (containerv_uid_t)uid, (containerv_gid_t)gid) < 0)
		return cv_error_prefix("config.json: process.user");
	return 0;
}

/* One capability set as a mask; *present false when absent. Unknown names are refused, not skipped. */
static int capability_set(json_t *capabilities, const char *name, uint64_t *mask, bool *present)
{
	char field[64];
	json_t *array, *entry;
	size_t i;

	snprintf(field, sizeof field, "process.capabilities.%s", name);
	*mask = 0;
	if (cv_oci_string_array(capabilities, name, field, &array) < 0)
		return -1;
	*present = array != NULL;
	json_array_foreach(array, i, entry)
	{
		int number = cv_capability_number(json_string_value(entry));
		if (number < 0)
			return cv_oci_refuse(field, "unknown capability \"%s\"", json_string_value(entry));
		*mask |= CV_CAP_BIT(number);
	}
	return 0;
}

/*
 * The five sets as written. What a process holds after its execve is the kernel's rule: root gets its
 * bounding set (with inheritable and ambient) whatever permitted said, so for uid 0 a narrower effective
 * or permitted than bounding would be a promise the exec breaks: refused. Other users keep their ambient
 * set (and what their binary's file capabilities give within bounding).
 */
static int load_capabilities(struct cv_oci_load *load, json_t *process)
{
	json_t *capabilities = json_object_get(process, "capabilities");
	struct containerv_security *security = load->security;
	uint64_t bounding, effective, permitted, inheritable, ambient;
	bool has_bounding, has_effective, has_permitted, has_inheritable, has_ambient;

	if (capabilities == NULL || json_is_null(capabilities)) {
		security->capabilities = 0;
		security->capability_sets = false;
		return 0;
	}
	if (!json_is_object(capabilities))
		return cv_oci_refuse("process.capabilities", "not an object");
	if (capability_set(capabilities, "bounding", &bounding, &has_bounding) < 0 ||
	    capability_set(capabilities, "effective", &effective, &has_effective) < 0 ||
	    capability_set(capabilities, "permitted", &permitted, &has_permitted) < 0 ||
	    capability_set(capabilities, "inheritable", &inheritable, &has_inheritable) < 0 ||
	    capability_set(capabilities, "ambient", &ambient, &has_ambient) < 0)
		return -1;
	if ((ambient | inheritable | effective | permitted) & ~bounding)
		return cv_oci_refuse("process.capabilities", "every set must be within bounding");
	if (effective & ~permitted)
		return cv_oci_refuse("process.capabilities", "effective must be within permitted");
	if (load->options->uid == 0 && (effective != bounding || permitted != bounding))
		return cv_oci_refuse("process.capabilities",
		                     "effective and permitted must equal bounding for uid 0 (its exec gives it the "
		                     "bounding set)");
	/*
	 * The kernel raises an ambient capability only when it is permitted and inheritable. runc's template asks
	 * for ambient without inheritable (runc warns and goes on): for root that changes nothing it holds (its
	 * exec gives it bounding anyway), so those are dropped; another user would lack them: refused.
	 */
	if (load->options->uid == 0)
		ambient &= inheritable;
	if (ambient & ~(permitted & inheritable))
		return cv_oci_refuse("process.capabilities", "ambient must be within permitted and inheritable");
	security->capabilities = bounding;
	security->capability_sets = true;
	security->effective_capabilities = effective;
	security->permitted_capabilities = permitted;
	security->inheritable_capabilities = inheritable;
	security->ambient_capabilities = ambient;
	return 0;
}

/* RLIMIT_* names with Linux's numbers (the numbering struct containerv_oci_rlimit documents). */
static int rlimit_number(const char *name)
{
	static const char *const names[] = {"RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
	                                    "RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
	                                    "RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
	                                    "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME"};
	for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

static int load_rlimits(struct cv_oci_load *load, json_t *process)
{
	json_t *rlimits = json_object_get(process, "rlimits"), *entry;
	size_t i;

	if (!cv_oci_is_set(rlimits))
		return 0;
	if (!json_is_array(rlimits))
		return cv_oci_refuse("process.rlimits", "not an array");
	if (load->process == NULL)
		return cv_oci_refuse("process.rlimits", "not supported by this caller");
	if (json_array_size(rlimits) > CONTAINERV_OCI_RLIMITS_MAX)
		return cv_oci_refuse("process.rlimits", "more than %d entries", CONTAINERV_OCI_RLIMITS_MAX);
	json_array_foreach(rlimits, i, entry)
	{
		const char *type = json_string_value(json_object_get(entry, "type"));
		json_t *soft = json_object_get(entry, "soft"), *hard = json_object_get(entry, "hard");
		int number = type ? rlimit_number(type) : -1;

		if (number < 0)
			return cv_oci_refuse("process.rlimits", "entry %zu: unknown type \"%s\"", i, type ? type : "");
		if (!json_is_integer(soft) || !json_is_integer(hard) || json_integer_value(soft) < 0 ||
		    json_integer_value(hard) < 0 || json_integer_value(soft) > json_integer_value(hard))
			return cv_oci_refuse("process.rlimits", "%s: soft and hard must be integers, soft <= hard",
			                     type);
		for (size_t j = 0; j < load->process->rlimit_count; j++)
			if (load->process->rlimits[j].resource == number)
				return cv_oci_refuse("process.rlimits", "%s given twice", type);
		struct containerv_oci_rlimit *limit = &load->process->rlimits[load->process->rlimit_count++];
		limit->resource = number;
		limit->soft = (uint64_t)json_integer_value(soft);
		limit->hard = (uint64_t)json_integer_value(hard);
	}
	return 0;
}

/* noNewPrivileges, terminal, consoleSize, oomScoreAdj, apparmorProfile, selinuxLabel. */
static int load_process_flags(struct cv_oci_load *load, json_t *process)
{
	json_t *size = json_object_get(process, "consoleSize");
	json_t *terminal = json_object_get(process, "terminal"), *nnp = json_object_get(process, "noNewPrivileges");
	const char *apparmor, *selinux;
	long long adj = 0;
	bool has_adj;

	if ((terminal != NULL && !json_is_boolean(terminal) && !json_is_null(terminal)) ||
	    (nnp != NULL && !json_is_boolean(nnp) && !json_is_null(nnp)))
		return cv_oci_refuse("process", "terminal and noNewPrivileges must be booleans");
	load->security->no_new_privileges = json_is_true(nnp);
	if (json_is_true(terminal)) {
		if (containerv_options_set_tty(load->options, 1) < 0)
			return cv_error_prefix("config.json: process.terminal");
		if (load->process != NULL)
			load->process->terminal = 1;
	}
	if (cv_oci_is_set(size)) {
		long long height = 0, width = 0;
		bool has_height, has_width;
		if (integer_member(size, "height", "process.consoleSize.height", 0, 65535, &height, &has_height) < 0 ||
		    integer_member(size, "width", "process.consoleSize.width", 0, 65535, &width, &has_width) < 0)
			return -1;
		containerv_options_set_tty_size(load->options, (unsigned short)height, (unsigned short)width);
	}
	if (integer_member(process, "oomScoreAdj", "process.oomScoreAdj", -1000, 1000, &adj, &has_adj) < 0)
		return -1;
	if (has_adj) {
		if (load->process == NULL)
			return cv_oci_refuse("process.oomScoreAdj", "not supported by this caller");
		load->process->has_oom_score_adj = 1;
		load->process->oom_score_adj = (int)adj;
	}
	if (cv_oci_string(process, "apparmorProfile", "process.apparmorProfile", &apparmor) < 0 ||
	    cv_oci_string(process, "selinuxLabel", "process.selinuxLabel", &selinux) < 0)
		return -1;
	if ((apparmor && *apparmor && containerv_security_set_apparmor_profile(load->security, apparmor) < 0) ||
	    (selinux && *selinux && containerv_security_set_selinux_label(load->security, selinux) < 0))
		return cv_error_prefix("config.json: process");
	return 0;
}

/* The index of name in names (NULL-terminated), or -1. */
static int name_index(const char *const *names, const char *name)
{
	for (int i = 0; name != NULL && names[i] != NULL; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* process.ioPriority: {"class": "IOPRIO_CLASS_RT|BE|IDLE", "priority": 0..7}. */
static int load_io_priority(struct cv_oci_load *load, json_t *io_priority)
{
	static const char *const classes[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", NULL};
	json_t *priority = json_object_get(io_priority, "priority");
	const char *io_class;
	int index;

	if (!json_is_object(io_priority) ||
	    cv_oci_string(io_priority, "class", "process.ioPriority.class", &io_class) < 0)
		return json_is_object(io_priority) ? -1 : cv_oci_refuse("process.ioPriority", "not an object");
	if ((index = name_index(classes, io_class)) < 0)
		return cv_oci_refuse("process.ioPriority.class", "\"%s\": want IOPRIO_CLASS_RT, _BE or _IDLE",
		                     io_class ? io_class : "");
	if (priority != NULL && !json_is_integer(priority))
		return cv_oci_refuse("process.ioPriority.priority", "not an integer");
	if (containerv_options_set_io_priority(load->options, (enum containerv_io_class)(index + 1),
	                                       (int)json_integer_value(priority)) < 0)
		return cv_error_prefix("config.json: process.ioPriority");
	return 0;
}

/* process.scheduler: sched_setattr(2)'s fields by name. */
static int load_scheduler(struct cv_oci_load *load, json_t *object)
{
	static const char *const policies[] = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",       "SCHED_BATCH",
	                                       "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE", NULL};
	static const char *const flags[] = {"SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",
	                                    "SCHED_FLAG_DL_OVERRUN",     "SCHED_FLAG_KEEP_POLICY",
	                                    "SCHED_FLAG_KEEP_PARAMS",    "SCHED_FLAG_UTIL_CLAMP_MIN",
	                                    "SCHED_FLAG_UTIL_CLAMP_MAX", NULL};
	struct containerv_scheduler scheduler = {0};
	const char *policy;
	json_t *list, *entry;
	size_t i;
	int index;

	if (!json_is_object(object) || cv_oci_string(object, "policy", "process.scheduler.policy", &policy) < 0)
		return json_is_object(object) ? -1 : cv_oci_refuse("process.scheduler", "not an object");
	/* SCHED_ISO is reserved: no mainline kernel has it. */
	if ((index = name_index(policies, policy)) < 0 || index == 4)
		return cv_oci_refuse("process.scheduler.policy", "\"%s\": not a policy this kernel has",
		                     policy ? policy : "");
	scheduler.policy = index;
	static const char *const numbers[] = {"nice", "priority", "runtime", "deadline", "period"};
	for (size_t n = 0; n < sizeof numbers / sizeof numbers[0]; n++) {
		json_t *member = json_object_get(object, numbers[n]);
		if (member == NULL || json_is_null(member))
			continue;
		if (!json_is_integer(member) || (n >= 2 && json_integer_value(member) < 0) ||
		    json_integer_value(member) > INT32_MAX * (n >= 2 ? 1000LL * 1000 * 1000 : 1LL) ||
		    json_integer_value(member) < INT32_MIN)
			return cv_oci_refuse("process.scheduler", "%s: not an integer in range", numbers[n]);
		json_int_t value = json_integer_value(member);
		if (n == 0)
			scheduler.nice = (int)value;
		else if (n == 1)
			scheduler.priority = (int)value;
		else
			*(n == 2   ? &scheduler.runtime
			  : n == 3 ? &scheduler.deadline
			           : &scheduler.period) = (uint64_t)value;
	}
	if (cv_oci_string_array(object, "flags", "process.scheduler.flags", &list) < 0)
		return -1;
	json_array_foreach(list, i, entry)
	{
		if ((index = name_index(flags, json_string_value(entry))) < 0)
			return cv_oci_refuse("process.scheduler.flags", "\"%s\": unknown", json_string_value(entry));
		scheduler.flags |= 1u << index;
	}
	if (containerv_options_set_scheduler(load->options, &scheduler) < 0)
		return cv_error_prefix("config.json: process.scheduler");
	return 0;
}

static int load_process(struct cv_oci_load *load, json_t *process)
{
	json_t *io_priority, *scheduler;

	if (process == NULL || !json_is_object(process))
		return cv_oci_refuse("process", "missing or not an object");
	if (cv_oci_refuse_if_set(process, "execCPUAffinity", "process", "not supported") < 0 ||
	    cv_oci_refuse_if_set(process, "commandLine", "process", "Windows only") < 0)
		return -1;
	if ((io_priority = json_object_get(process, "ioPriority")) != NULL && !json_is_null(io_priority) &&
	    load_io_priority(load, io_priority) < 0)
		return -1;
	if ((scheduler = json_object_get(process, "scheduler")) != NULL && !json_is_null(scheduler) &&
	    load_scheduler(load, scheduler) < 0)
		return -1;
	/* user before capabilities: which sets a config may ask for depends on the uid. */
	return load_args_env_cwd(load, process) < 0 || load_user(load, process) < 0 ||
	                       load_capabilities(load, process) < 0 || load_rlimits(load, process) < 0 ||
	                       load_process_flags(load, process) < 0
	               ? -1
	               : 0;
}

/* ---- root ---- */

/* path, relative to the bundle or absolute; used in place, as runc does: the engine made it for this container. */
static int load_root(struct cv_oci_load *load, json_t *root)
{
	json_t *readonly = json_object_get(root, "readonly");
	char resolved[PATH_MAX];
	const char *path;
	struct stat st;

	if (root == NULL || !json_is_object(root) || cv_oci_string(root, "path", "root.path", &path) < 0 ||
	    path == NULL || path[0] == '\0')
		return cv_oci_refuse("root.path", "missing");
	if (readonly != NULL && !json_is_boolean(readonly) && !json_is_null(readonly))
		return cv_oci_refuse("root.readonly", "not a boolean");
	cleanup_free char *joined = NULL;
	if (path[0] != '/') {
		if (load->bundle == NULL || load->bundle[0] != '/')
			return cv_oci_refuse("root.path", "relative, and no absolute bundle directory given");
		if (cv_asprintf(&joined, "%s/%s", load->bundle, path) < 0)
			return -1;
		path = joined;
	}
	if (realpath(path, resolved) == NULL || stat(resolved, &st) < 0)
		return cv_error_sys("config.json: root.path %s", path);
	if (!S_ISDIR(st.st_mode))
		return cv_oci_refuse("root.path", "%s is not a directory", resolved);
	/* The root filesystem must not be the host's own: that container would write into the host. */
	if (strcmp(resolved, "/") == 0)
		return cv_oci_refuse("root.path", "the host's / cannot be a container's root");
	if (containerv_options_set_rootfs(load->options, resolved) < 0 ||
	    containerv_options_set_rootfs_in_place(load->options, 1) < 0)
		return cv_error_prefix("config.json: root.path");
	load->security->read_only_rootfs = json_is_true(readonly);
	load->options->readonly_rootfs = json_is_true(readonly);
	return 0;
}

/* ---- top level ---- */

/* One hook: {"path": absolute, "args": [...], "env": ["K=V"...], "timeout": seconds > 0}. */
static int check_hook(json_t *hook, const char *field)
{
	json_t *args, *env, *entry, *timeout = json_object_get(hook, "timeout");
	const char *path;
	size_t i;

	if (!json_is_object(hook))
		return cv_oci_refuse(field, "not an object");
	if (cv_oci_string(hook, "path", field, &path) < 0 || cv_oci_string_array(hook, "args", field, &args) < 0 ||
	    cv_oci_string_array(hook, "env", field, &env) < 0)
		return -1;
	/* Run as root on the host: never looked up in $PATH or relative to wherever the runtime was started. */
	if (path == NULL || path[0] != '/')
		return cv_oci_refuse(field, "path must be absolute");
	json_array_foreach(env, i, entry)
	{
		const char *text = json_string_value(entry);
		if (strchr(text, '=') == NULL || text[0] == '=')
			return cv_oci_refuse(field, "env entry %zu is not KEY=VALUE", i);
	}
	if (timeout != NULL && !json_is_null(timeout) &&
	    (!json_is_integer(timeout) || json_integer_value(timeout) <= 0 || json_integer_value(timeout) > 86400))
		return cv_oci_refuse(field, "timeout must be a whole number of seconds from 1 to 86400");
	return 0;
}

/*
 * Hooks run host programs as root at each step. The caller runs them (the runtime CLI, with the state on
 * stdin); here they are checked. The two that run inside the container's namespaces are not supported.
 */
static int load_hooks(struct cv_oci_load *load, json_t *hooks)
{
	static const char *const phases[] = {"prestart", "createRuntime", "poststart", "poststop"};
	char field[64];
	json_t *list, *hook;
	size_t i;

	if (!cv_oci_is_set(hooks))
		return 0;
	if (load->process == NULL || !load->process->run_hooks)
		return cv_oci_refuse("hooks", "not supported by this caller");
	if (!json_is_object(hooks))
		return cv_oci_refuse("hooks", "not an object");
	if (cv_oci_refuse_if_set(hooks, "createContainer", "hooks",
	                         "hooks in the container's namespaces are not supported") < 0 ||
	    cv_oci_refuse_if_set(hooks, "startContainer", "hooks",
	                         "hooks in the container's namespaces are not supported") < 0)
		return -1;
	for (size_t p = 0; p < sizeof phases / sizeof phases[0]; p++) {
		list = json_object_get(hooks, phases[p]);
		if (list == NULL || json_is_null(list))
			continue;
		if (!json_is_array(list))
			return cv_oci_refuse("hooks", "%s is not an array", phases[p]);
		json_array_foreach(list, i, hook)
		{
			snprintf(field, sizeof field, "hooks.%s[%zu]", phases[p], i);
			if (check_hook(hook, field) < 0)
				return -1;
		}
	}
	return 0;
}

static int load_top(struct cv_oci_load *load, json_t *config)
{
	static const char *const other_platforms[] = {"solaris", "windows", "vm", "zos"};
	const char *version, *hostname, *domainname;

	if (cv_oci_string(config, "ociVersion", "ociVersion", &version) < 0)
		return -1;
	if (version == NULL || strncmp(version, "1.", 2) != 0)
		return cv_oci_refuse("ociVersion", "\"%s\" is not a 1.x version", version ? version : "");
	for (size_t i = 0; i < sizeof other_platforms / sizeof other_platforms[0]; i++)
		if (cv_oci_refuse_if_set(config, other_platforms[i], "config", "not a Linux configuration") < 0)
			return -1;
	if (load_hooks(load, json_object_get(config, "hooks")) < 0)
		return -1;
	if (load_process(load, json_object_get(config, "process")) < 0 ||
	    load_root(load, json_object_get(config, "root")) < 0)
		return -1;
	if (cv_oci_string(config, "hostname", "hostname", &hostname) < 0 ||
	    cv_oci_string(config, "domainname", "domainname", &domainname) < 0)
		return -1;
	if (hostname != NULL && hostname[0] != '\0' && containerv_options_set_hostname(load->options, hostname) < 0)
		return cv_error_prefix("config.json: hostname");
	if (domainname != NULL && domainname[0] != '\0' &&
	    containerv_options_set_domainname(load->options, domainname) < 0)
		return cv_error_prefix("config.json: domainname");
	if (cv_oci_load_linux(load, json_object_get(config, "linux")) < 0)
		return -1;
	if (hostname != NULL && hostname[0] != '\0' && !load->uts_namespace)
		return cv_oci_refuse("hostname", "set without a uts namespace (it would be the host's)");
	if (domainname != NULL && domainname[0] != '\0' && !load->uts_namespace)
		return cv_oci_refuse("domainname", "set without a uts namespace (it would be the host's)");
	return 0;
}

/* Back to the caller's structure, as long as its version has it (version 1 ends before run_hooks). */
static void copy_process(struct containerv_oci_process *out, struct containerv_oci_process *collected)
{
	collected->version = out->version;
	if (out->version == 1) {
		collected->run_hooks = 0;
		memcpy(out, collected, offsetof(struct containerv_oci_process, run_hooks));
	} else {
		collected->run_hooks = out->run_hooks;
		*out = *collected;
	}
}

int containerv_oci_config_parse(struct containerv_options *options, const char *json, const char *bundle,
                                struct containerv_oci_process *process)
{
	struct containerv_options *fresh = NULL;
	struct containerv_oci_process collected = CONTAINERV_OCI_PROCESS_INIT;
	json_error_t error;
	json_t *config;
	int ret = -1;

	cv_error_clear();
	if (options == NULL || json == NULL)
		return cv_error_errno(EINVAL, "config.json: missing argument");
	if (process != NULL && process->version != 1 && process->version != CONTAINERV_OCI_PROCESS_VERSION)
		return cv_error_errno(EINVAL, "config.json: unsupported process structure version %u",
		                      process->version);
	config = json_loads(json, JSON_REJECT_DUPLICATES, &error);
	if (config == NULL)
		return cv_error_errno(EINVAL, "config.json: line %d: %s", error.line, error.text);
	if (!json_is_object(config)) {
		json_decref(config);
		return cv_error_errno(EINVAL, "config.json: not an object");
	}
	if (containerv_options_new(&fresh) < 0 || containerv_security_new(CV_SECURITY_PERMISSIVE, &fresh->security) < 0)
		goto done;
	struct cv_oci_load load = {
	        .options = fresh,
	        .security = fresh->security,
	        .bundle = bundle,
	        .process = process != NULL ? &collected : NULL,
	};
	collected.run_hooks = process != NULL && process->version >= 2 && process->run_hooks;
	/* What the config does not ask for, it does not get: no seccomp filter, no level's extra walls. */
	load.security->seccomp_mode = CV_SECCOMP_UNCONFINED;
	cv_strv_free(load.security->masked_paths);
	cv_strv_free(load.security->readonly_paths);
	load.security->masked_paths = load.security->readonly_paths = NULL;
	if (load_top(&load, config) < 0 || cv_oci_load_mounts(&load, json_object_get(config, "mounts")) < 0)
		goto done;
	/* The OCI container gets an empty network namespace (an engine's CNI fills it) or the host's stack. */
	if (containerv_options_set_network_mode(
	            fresh, (fresh->namespaces & CV_NS_NET) ? CV_NETWORK_NONE : CV_NETWORK_HOST, NULL) < 0 ||
	    cv_options_validate(fresh) < 0)
		goto done;
	cv_options_clear(options);
	*options = *fresh;
	cv_options_init(fresh);
	if (process != NULL)
		copy_process(process, &collected);
	ret = 0;
done:
	json_decref(config);
	containerv_options_delete(fresh);
	return ret;
}

int containerv_oci_config_load(struct containerv_options *options, const char *bundle,
                               struct containerv_oci_process *process)
{
	cleanup_free char *path = NULL, *text = NULL;
	struct stat st;

	cv_error_clear();
	if (options == NULL || bundle == NULL)
		return cv_error_errno(EINVAL, "config.json: missing argument");
	if (cv_asprintf(&path, "%s/config.json", bundle) < 0)
		return -1;
	if (stat(path, &st) < 0)
		return cv_error_sys("%s", path);
	if (!S_ISREG(st.st_mode))
		return cv_error_errno(EINVAL, "%s: not a regular file", path);
	if (st.st_size > CONTAINERV_OCI_CONFIG_MAX)
		return cv_error_errno(EFBIG, "%s: larger than %d bytes", path, CONTAINERV_OCI_CONFIG_MAX);
	if (cv_read_file(path, &text, NULL, CONTAINERV_OCI_CONFIG_MAX) < 0)
		return cv_error_prefix("config.json");
	return containerv_oci_config_parse(options, text, bundle, process);
}

/* A spawned process gets the container's walls: the process's own settings must be those, or absent. */
static int check_process_security(json_t *process, const struct containerv_security *mine,
                                  const struct containerv_security *container)
{
	const char *apparmor = json_string_value(json_object_get(process, "apparmorProfile"));
	const char *selinux = json_string_value(json_object_get(process, "selinuxLabel"));

	if (container == NULL)
		return cv_oci_refuse("process", "no container profile to check the process against");
	if (json_object_get(process, "capabilities") != NULL && !cv_security_same_capabilities(mine, container))
		return cv_oci_refuse("process.capabilities", "must equal the container's (a process gets its sets)");
	if (mine->no_new_privileges && !container->no_new_privileges)
		return cv_oci_refuse("process.noNewPrivileges", "must equal the container's");
	if ((apparmor && *apparmor &&
	     (!container->apparmor_profile || strcmp(apparmor, container->apparmor_profile))) ||
	    (selinux && *selinux && (!container->selinux_label || strcmp(selinux, container->selinux_label))))
		return cv_oci_refuse("process", "apparmorProfile and selinuxLabel must equal the container's");
	return 0;
}

int containerv_oci_process_parse(const char *json, const struct containerv_security *container, char ***argv,
                                 char ***env, char **cwd, int64_t *uid, int64_t *gid,
                                 struct containerv_oci_process *process)
{
	struct containerv_options *fresh = NULL;
	struct containerv_oci_process collected = CONTAINERV_OCI_PROCESS_INIT;
	json_error_t error;
	json_t *object;
	int ret = -1;

	cv_error_clear();
	if (json == NULL || argv == NULL || env == NULL || cwd == NULL || uid == NULL || gid == NULL)
		return cv_error_errno(EINVAL, "process.json: missing argument");
	object = json_loads(json, JSON_REJECT_DUPLICATES, &error);
	if (object == NULL)
		return cv_error_errno(EINVAL, "process.json: line %d: %s", error.line, error.text);
	if (containerv_options_new(&fresh) < 0 || containerv_security_new(CV_SECURITY_PERMISSIVE, &fresh->security) < 0)
		goto done;
	struct cv_oci_load load = {
	        .options = fresh,
	        .security = fresh->security,
	        .process = process != NULL ? &collected : NULL,
	};
	if (!json_is_object(object)) {
		cv_oci_refuse("process", "not an object");
		goto done;
	}
	if (cv_oci_refuse_if_set(object, "ioPriority", "process", "not supported for exec") < 0 ||
	    cv_oci_refuse_if_set(object, "scheduler", "process", "not supported for exec") < 0 ||
	    cv_oci_refuse_if_set(object, "execCPUAffinity", "process", "not supported") < 0 ||
	    load_args_env_cwd(&load, object) < 0 || load_user(&load, object) < 0 ||
	    load_capabilities(&load, object) < 0 || load_rlimits(&load, object) < 0 ||
	    load_process_flags(&load, object) < 0 || check_process_security(object, fresh->security, container) < 0)
		goto done;
	/* An exec'd process gets no supplementary group (spawn drops them): only the primary gid may be listed. */
	for (size_t i = 0; i < fresh->supplementary_group_count; i++) {
		if (fresh->supplementary_groups[i] != fresh->gid) {
			cv_oci_refuse("process.user.additionalGids", "supplementary groups are not supported for exec");
			goto done;
		}
	}
	*argv = cv_steal_pointer(&fresh->argv);
	*env = cv_steal_pointer(&fresh->env);
	*cwd = cv_steal_pointer(&fresh->workdir);
	*uid = fresh->uid;
	*gid = fresh->gid;
	if (process != NULL)
		copy_process(process, &collected);
	ret = 0;
done:
	json_decref(object);
	containerv_options_delete(fresh);
	return ret;
}
