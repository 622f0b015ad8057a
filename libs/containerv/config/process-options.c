/*
 * The options of a container's processes beyond its command: --ulimit,
 * --shm-size, --oom-score-adj, --stop-timeout, --domainname, --device and create -i,
 * with their part of config.json.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/util.h"
#include "config/options.h"

/* docker's names (runc's RLIMIT_* without the prefix, lowercase); platform/linux maps them in this order. */
const char *const cv_ulimit_names[] = {"as",      "core",     "cpu",        "data",   "fsize", "locks",
                                       "memlock", "msgqueue", "nice",       "nofile", "nproc", "rss",
                                       "rtprio",  "rttime",   "sigpending", "stack",  NULL};

static bool ulimit_name_known(const char *name)
{
	for (size_t i = 0; cv_ulimit_names[i] != NULL; i++)
		if (strcmp(cv_ulimit_names[i], name) == 0)
			return true;
	return false;
}

int containerv_options_add_ulimit(struct containerv_options *options, const char *name, int64_t soft, int64_t hard)
{
	size_t slot;

	cv_error_clear();
	if (options == NULL || name == NULL)
		return cv_error_errno(EINVAL, "ulimit: missing argument");
	if (!ulimit_name_known(name))
		return cv_error_errno(EINVAL,
		                      "ulimit \"%s\": not a resource (nofile, nproc, core, memlock, stack, ...)", name);
	if (soft < -1 || hard < -1)
		return cv_error_errno(EINVAL, "ulimit %s: values are >= 0, or -1 for unlimited", name);
	/* -1 is unlimited: above every number. */
	if (hard != -1 && (soft == -1 || soft > hard))
		return cv_error_errno(EINVAL, "ulimit %s: soft limit %lld is above the hard limit %lld", name,
		                      (long long)soft, (long long)hard);
	for (slot = 0; slot < options->ulimit_count; slot++)
		if (strcmp(options->ulimits[slot].name, name) == 0)
			break;
	if (slot == CONTAINERV_ULIMITS_MAX)
		return cv_error_errno(E2BIG, "ulimit %s: more than %d", name, CONTAINERV_ULIMITS_MAX);
	snprintf(options->ulimits[slot].name, sizeof options->ulimits[slot].name, "%s", name);
	options->ulimits[slot].soft = soft;
	options->ulimits[slot].hard = hard;
	if (slot == options->ulimit_count)
		options->ulimit_count++;
	return 0;
}

int containerv_options_set_shm_size(struct containerv_options *options, int64_t bytes)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "shm size: no options");
	if (bytes < 0)
		return cv_error_errno(EINVAL, "invalid shm size %lld: must be greater than 0", (long long)bytes);
	options->shm_size = bytes == 0 ? -1 : bytes; /* -1: none (0 is the default) */
	return 0;
}

int containerv_options_set_oom_score_adj(struct containerv_options *options, int adjustment)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "oom score adjustment: no options");
	if (adjustment < -1000 || adjustment > 1000)
		return cv_error_errno(EINVAL, "invalid oom score adjustment %d: expected -1000 to 1000", adjustment);
	options->oom_score_adj = adjustment;
	options->oom_score_adj_set = true;
	return 0;
}

int containerv_options_set_io_priority(struct containerv_options *options, enum containerv_io_class io_class, int level)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "io priority: no options");
	if (io_class < CV_IO_CLASS_RT || io_class > CV_IO_CLASS_IDLE)
		return cv_error_errno(EINVAL, "io priority: class %d: want RT, BE or IDLE", (int)io_class);
	if (level < 0 || level > 7)
		return cv_error_errno(EINVAL, "io priority: level %d: want 0 to 7", level);
	/* The kernel's IOPRIO_PRIO_VALUE: the class above 13 bits of level. */
	options->io_priority = ((int)io_class << 13) | level;
	return 0;
}

static int check_scheduler(const struct containerv_scheduler *s)
{
	bool realtime = s->policy == CV_SCHED_FIFO || s->policy == CV_SCHED_RR;

	if (s->policy != CV_SCHED_OTHER && s->policy != CV_SCHED_FIFO && s->policy != CV_SCHED_RR &&
	    s->policy != CV_SCHED_BATCH && s->policy != CV_SCHED_IDLE && s->policy != CV_SCHED_DEADLINE)
		return cv_error_errno(EINVAL, "scheduler: policy %d: not one the kernel has", s->policy);
	if (s->nice < -20 || s->nice > 19)
		return cv_error_errno(EINVAL, "scheduler: nice %d: want -20 to 19", s->nice);
	if (realtime ? (s->priority < 1 || s->priority > 99) : s->priority != 0)
		return cv_error_errno(EINVAL, "scheduler: priority %d: want %s", s->priority,
		                      realtime ? "1 to 99 for FIFO and RR" : "0 for this policy");
	if (s->flags & ~(uint64_t)0x7f)
		return cv_error_errno(EINVAL, "scheduler: unknown flags 0x%llx", (unsigned long long)s->flags);
	if (s->policy != CV_SCHED_DEADLINE)
		return s->runtime || s->deadline || s->period
		               ? cv_error_errno(EINVAL, "scheduler: runtime, deadline and period are DEADLINE's")
		               : 0;
	uint64_t period = s->period != 0 ? s->period : s->deadline;
	if (s->runtime < 1024 || s->runtime > s->deadline || s->deadline > period)
		return cv_error_errno(EINVAL, "scheduler: DEADLINE wants 1024 <= runtime <= deadline <= period (ns)");
	return 0;
}

int containerv_options_set_scheduler(struct containerv_options *options, const struct containerv_scheduler *scheduler)
{
	cv_error_clear();
	if (options == NULL || scheduler == NULL)
		return cv_error_errno(EINVAL, "scheduler: missing argument");
	if (check_scheduler(scheduler) < 0)
		return -1;
	options->scheduler = *scheduler;
	options->scheduler_set = true;
	return 0;
}

int containerv_options_set_stop_timeout(struct containerv_options *options, int seconds)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "stop timeout: no options");
	if (seconds < -1 || seconds > 86400)
		return cv_error_errno(EINVAL, "invalid stop timeout %d: expected 0 to 86400 seconds, or -1", seconds);
	options->stop_timeout = seconds;
	return 0;
}

int containerv_options_set_open_stdin(struct containerv_options *options, int enabled)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "open stdin: no options");
	options->open_stdin = enabled != 0;
	return 0;
}

int containerv_options_set_domainname(struct containerv_options *options, const char *domainname)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "domainname: no options");
	if (domainname != NULL &&
	    (domainname[0] == '\0' || strlen(domainname) > 64 || domainname[0] == '-' || domainname[0] == '.' ||
	     strspn(domainname, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
	             strlen(domainname)))
		return cv_error_errno(EINVAL, "invalid domainname \"%s\": at most 64 characters of [A-Za-z0-9.-]",
		                      domainname);
	return cv_replace_string(&options->domainname, domainname);
}

/* An absolute path of at most PATH_MAX without "." or ".." components (the device's place in /dev). */
static bool plain_absolute_path(const char *path)
{
	if (path[0] != '/' || strlen(path) >= 4096)
		return false;
	for (const char *p = path; (p = strstr(p, "/.")) != NULL; p++)
		if (p[2] == '\0' || p[2] == '/' || (p[2] == '.' && (p[3] == '\0' || p[3] == '/')))
			return false;
	return true;
}

int containerv_options_add_host_device(struct containerv_options *options, const char *host_path,
                                       const char *container_path, const char *permissions)
{
	struct stat st;
	struct cv_option_device *grown;

	cv_error_clear();
	if (options == NULL || host_path == NULL)
		return cv_error_errno(EINVAL, "device: missing argument");
	if (container_path == NULL)
		container_path = host_path;
	if (permissions == NULL || permissions[0] == '\0')
		permissions = "rwm";
	if (host_path[0] != '/')
		return cv_error_errno(EINVAL, "device %s: the host path must be absolute", host_path);
	if (stat(host_path, &st) < 0)
		return cv_error_sys("device %s", host_path);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return cv_error_errno(EINVAL, "device %s: not a device node (a character or block device)", host_path);
	if (!plain_absolute_path(container_path) || strncmp(container_path, "/dev/", 5) != 0 ||
	    strcmp(container_path, "/dev/shm") == 0 || strncmp(container_path, "/dev/shm/", 9) == 0 ||
	    strncmp(container_path, "/dev/pts/", 9) == 0 || strcmp(container_path, "/dev/pts") == 0)
		return cv_error_errno(EINVAL, "device %s: the container path \"%s\" must be a plain path under /dev/",
		                      host_path, container_path);
	if (strlen(permissions) > 3 || strspn(permissions, "rwm") != strlen(permissions) ||
	    (strchr(permissions, 'r') != NULL) + (strchr(permissions, 'w') != NULL) +
	                    (strchr(permissions, 'm') != NULL) !=
	            (int)strlen(permissions))
		return cv_error_errno(EINVAL, "device %s: invalid permissions \"%s\": a subset of \"rwm\"", host_path,
		                      permissions);
	if (options->host_device_count == CONTAINERV_DEVICES_MAX)
		return cv_error_errno(E2BIG, "device %s: more than %d devices", host_path, CONTAINERV_DEVICES_MAX);
	grown = realloc(options->host_devices, (options->host_device_count + 1) * sizeof *grown);
	if (grown == NULL)
		return cv_error_errno(ENOMEM, "device %s", host_path);
	options->host_devices = grown;
	struct cv_option_device *device = &grown[options->host_device_count];
	*device = (struct cv_option_device){cv_strdup(host_path), cv_strdup(container_path), ""};
	if (device->host_path == NULL || device->container_path == NULL) {
		free(device->host_path);
		free(device->container_path);
		return -1;
	}
	snprintf(device->permissions, sizeof device->permissions, "%s", permissions);
	options->host_device_count++;
	return 0;
}

void cv_devices_free(struct cv_option_device *devices, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(devices[i].host_path);
		free(devices[i].container_path);
	}
	free(devices);
}

/* ---- config.json: "process": {...}, only the members set ---- */

int cv_process_options_to_json(const struct containerv_options *o, json_t *root)
{
	json_t *process = json_object(), *ulimits = json_array(), *devices = json_array();
	int failed = process == NULL || ulimits == NULL || devices == NULL;

	for (size_t i = 0; !failed && i < o->ulimit_count; i++)
		failed |= json_array_append_new(ulimits, json_pack("{s:s,s:I,s:I}", "name", o->ulimits[i].name, "soft",
		                                                   (json_int_t)o->ulimits[i].soft, "hard",
		                                                   (json_int_t)o->ulimits[i].hard));
	for (size_t i = 0; !failed && i < o->host_device_count; i++)
		failed |=
		        json_array_append_new(devices, json_pack("{s:s,s:s,s:s}", "host", o->host_devices[i].host_path,
		                                                 "container", o->host_devices[i].container_path,
		                                                 "permissions", o->host_devices[i].permissions));
	if (!failed)
		failed |= json_object_set_new(process, "ulimits", ulimits) |
		          json_object_set_new(process, "devices", devices);
	else {
		json_decref(ulimits);
		json_decref(devices);
	}
	if (!failed && o->shm_size != 0)
		failed |= json_object_set_new(process, "shm_size", json_integer((json_int_t)o->shm_size));
	if (!failed && o->oom_score_adj_set)
		failed |= json_object_set_new(process, "oom_score_adj", json_integer(o->oom_score_adj));
	if (!failed && o->stop_timeout >= 0)
		failed |= json_object_set_new(process, "stop_timeout", json_integer(o->stop_timeout));
	if (!failed && o->domainname != NULL)
		failed |= json_object_set_new(process, "domainname", json_string(o->domainname));
	if (!failed && o->open_stdin)
		failed |= json_object_set_new(process, "open_stdin", json_true());
	if (!failed && o->io_priority != 0)
		failed |= json_object_set_new(process, "io_priority", json_integer(o->io_priority));
	if (!failed && o->scheduler_set)
		failed |= json_object_set_new(process, "scheduler",
		                              json_pack("{s:i,s:i,s:i,s:I,s:I,s:I,s:I}", "policy", o->scheduler.policy,
		                                        "nice", o->scheduler.nice, "priority", o->scheduler.priority,
		                                        "flags", (json_int_t)o->scheduler.flags, "runtime",
		                                        (json_int_t)o->scheduler.runtime, "deadline",
		                                        (json_int_t)o->scheduler.deadline, "period",
		                                        (json_int_t)o->scheduler.period));
	if (failed || json_object_set_new(root, "process", process) < 0) {
		json_decref(process);
		return cv_error_errno(ENOMEM, "config: cannot encode");
	}
	return 0;
}

/* Each value is checked again by its setter: config.json is only as trusted as the state root. */
int cv_process_options_from_json(json_t *root, struct containerv_options *o)
{
	json_t *process = json_object_get(root, "process"), *entry, *value;
	size_t i;

	if (!json_is_object(process))
		return 0;
	json_array_foreach(json_object_get(process, "ulimits"), i, entry)
	{
		const char *name = json_string_value(json_object_get(entry, "name"));
		if (name == NULL ||
		    containerv_options_add_ulimit(o, name, json_integer_value(json_object_get(entry, "soft")),
		                                  json_integer_value(json_object_get(entry, "hard"))) < 0)
			return cv_error_errno(EINVAL, "config: invalid ulimit");
	}
	/* The host path is not checked here: a device gone since create fails its start, not its open. */
	json_array_foreach(json_object_get(process, "devices"), i, entry)
	{
		const char *host = json_string_value(json_object_get(entry, "host"));
		const char *container = json_string_value(json_object_get(entry, "container"));
		const char *permissions = json_string_value(json_object_get(entry, "permissions"));
		struct cv_option_device *grown;
		if (host == NULL || container == NULL || permissions == NULL || strlen(permissions) > 3 ||
		    o->host_device_count == CONTAINERV_DEVICES_MAX)
			return cv_error_errno(EINVAL, "config: invalid device");
		grown = realloc(o->host_devices, (o->host_device_count + 1) * sizeof *grown);
		if (grown == NULL)
			return cv_error_errno(ENOMEM, "config: devices");
		o->host_devices = grown;
		grown[o->host_device_count] = (struct cv_option_device){cv_strdup(host), cv_strdup(container), ""};
		snprintf(grown[o->host_device_count].permissions, sizeof grown[o->host_device_count].permissions, "%s",
		         permissions);
		o->host_device_count++;
		if (grown[o->host_device_count - 1].host_path == NULL ||
		    grown[o->host_device_count - 1].container_path == NULL)
			return -1;
	}
	if ((value = json_object_get(process, "shm_size")) != NULL &&
	    containerv_options_set_shm_size(o, json_integer_value(value) < 0 ? 0 : json_integer_value(value)) < 0)
		return -1;
	if ((value = json_object_get(process, "oom_score_adj")) != NULL &&
	    containerv_options_set_oom_score_adj(o, (int)json_integer_value(value)) < 0)
		return -1;
	if ((value = json_object_get(process, "stop_timeout")) != NULL &&
	    containerv_options_set_stop_timeout(o, (int)json_integer_value(value)) < 0)
		return -1;
	if ((value = json_object_get(process, "domainname")) != NULL &&
	    containerv_options_set_domainname(o, json_string_value(value)) < 0)
		return -1;
	o->open_stdin = json_is_true(json_object_get(process, "open_stdin"));
	json_int_t io_priority = json_integer_value(json_object_get(process, "io_priority"));
	if (io_priority != 0 && containerv_options_set_io_priority(o, (enum containerv_io_class)(io_priority >> 13),
	                                                           (int)(io_priority & 0x1fff)) < 0)
		return -1;
	if ((value = json_object_get(process, "scheduler")) != NULL) {
		struct containerv_scheduler scheduler = {
		        .policy = (int)json_integer_value(json_object_get(value, "policy")),
		        .nice = (int)json_integer_value(json_object_get(value, "nice")),
		        .priority = (int)json_integer_value(json_object_get(value, "priority")),
		        .flags = (uint64_t)json_integer_value(json_object_get(value, "flags")),
		        .runtime = (uint64_t)json_integer_value(json_object_get(value, "runtime")),
		        .deadline = (uint64_t)json_integer_value(json_object_get(value, "deadline")),
		        .period = (uint64_t)json_integer_value(json_object_get(value, "period")),
		};
		if (containerv_options_set_scheduler(o, &scheduler) < 0)
			return -1;
	}
	return 0;
}

/* docker's PidMode/IpcMode/UTSMode/CgroupnsMode: "host", "container:ID" (or the joined path), else the default. */
static json_t *namespace_mode(const struct containerv_options *o, unsigned int bit, int join, const char *own)
{
	char text[160];

	if (join >= 0 && o->join_containers[join] != NULL) {
		snprintf(text, sizeof text, "container:%s", o->join_containers[join]);
		return json_string(text);
	}
	if (join >= 0 && o->join_paths[join] != NULL)
		return json_string(o->join_paths[join]);
	return json_string(!(o->namespaces & bit) ? "host" : own);
}

int cv_options_host_config_json(const struct containerv_options *o, char **json)
{
	json_t *root = json_object(), *ulimits = json_array(), *devices = json_array(), *groups = json_array();

	for (size_t i = 0; i < o->ulimit_count; i++)
		json_array_append_new(ulimits, json_pack("{s:s,s:I,s:I}", "Name", o->ulimits[i].name, "Soft",
		                                         (json_int_t)o->ulimits[i].soft, "Hard",
		                                         (json_int_t)o->ulimits[i].hard));
	for (size_t i = 0; i < o->host_device_count; i++)
		json_array_append_new(devices, json_pack("{s:s,s:s,s:s}", "PathOnHost", o->host_devices[i].host_path,
		                                         "PathInContainer", o->host_devices[i].container_path,
		                                         "CgroupPermissions", o->host_devices[i].permissions));
	for (size_t i = 0; i < o->supplementary_group_count; i++) {
		char gid[16];
		snprintf(gid, sizeof gid, "%u", (unsigned int)o->supplementary_groups[i]);
		json_array_append_new(groups, json_string(gid));
	}
	if (root == NULL || ulimits == NULL || devices == NULL || groups == NULL ||
	    json_object_set_new(root, "Ulimits", ulimits) < 0 || json_object_set_new(root, "Devices", devices) < 0 ||
	    json_object_set_new(root, "GroupAdd", groups) < 0 ||
	    json_object_set_new(root, "ShmSize",
	                        json_integer(o->shm_size > 0   ? o->shm_size
	                                     : o->shm_size < 0 ? 0
	                                                       : 64LL << 20)) < 0 ||
	    json_object_set_new(root, "OomScoreAdj", json_integer(o->oom_score_adj)) < 0 ||
	    json_object_set_new(root, "OomKillDisable", json_boolean(o->limits.oom_kill_disable)) < 0 ||
	    json_object_set_new(root, "MemoryReservation", json_integer(o->limits.memory_reservation_bytes)) < 0 ||
	    json_object_set_new(root, "PidMode", namespace_mode(o, CV_NS_PID, CV_JOIN_PID, "")) < 0 ||
	    json_object_set_new(root, "IpcMode",
	                        namespace_mode(o, CV_NS_IPC, CV_JOIN_IPC, o->shm_size < 0 ? "none" : "private")) < 0 ||
	    json_object_set_new(root, "UTSMode", namespace_mode(o, CV_NS_UTS, CV_JOIN_UTS, "")) < 0 ||
	    json_object_set_new(root, "CgroupnsMode", namespace_mode(o, CV_NS_CGROUP, -1, "private")) < 0 ||
	    json_object_set_new(root, "Domainname", json_string(o->domainname ? o->domainname : "")) < 0 ||
	    json_object_set_new(root, "OpenStdin", json_boolean(o->open_stdin)) < 0 ||
	    json_object_set_new(root, "StopTimeout",
	                        o->stop_timeout >= 0 ? json_integer(o->stop_timeout) : json_null()) < 0 ||
	    json_object_set_new(root, "MacAddress", json_string(o->network.mac_address ? o->network.mac_address : "")) <
	            0) {
		json_decref(root);
		return cv_error_errno(ENOMEM, "host config: out of memory");
	}
	*json = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return *json != NULL ? 0 : cv_error_errno(ENOMEM, "host config: out of memory");
}
