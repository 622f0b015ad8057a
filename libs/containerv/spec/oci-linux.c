/*
 * config.json's "linux": namespaces, id maps, devices, resources, seccomp,
 * masked and read-only paths. What containerv cannot do is refused by name;
 * what it does more strictly than asked (the device cgroup's fixed allow
 * list, /proc and /sys mounted nosuid, nodev, noexec) is taken as it is.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "spec/oci-internal.h"

static int load_namespaces(struct cv_oci_load *load, json_t *linux_object)
{
	static const struct {
		const char *type;
		unsigned int bit;
	} types[] = {
	        {"pid", CV_NS_PID}, {"network", CV_NS_NET}, {"mount", CV_NS_MOUNT},   {"ipc", CV_NS_IPC},
	        {"uts", CV_NS_UTS}, {"user", CV_NS_USER},   {"cgroup", CV_NS_CGROUP}, {"time", CV_NS_TIME},
	};
	json_t *namespaces = json_object_get(linux_object, "namespaces"), *entry;
	const char *paths[sizeof types / sizeof types[0]] = {NULL};
	unsigned int chosen = 0;
	size_t i;

	if (namespaces != NULL && !json_is_array(namespaces))
		return cv_oci_refuse("linux.namespaces", "not an array");
	json_array_foreach(namespaces, i, entry)
	{
		const char *type = json_string_value(json_object_get(entry, "type")), *path;
		unsigned int bit = 0;

		size_t index = 0;
		for (size_t j = 0; type != NULL && j < sizeof types / sizeof types[0]; j++)
			if (strcmp(type, types[j].type) == 0) {
				bit = types[j].bit;
				index = j;
			}
		if (bit == 0)
			return cv_oci_refuse("linux.namespaces", "entry %zu: type \"%s\" is not supported", i,
			                     type ? type : "");
		if (chosen & bit)
			return cv_oci_refuse("linux.namespaces", "%s given twice", type);
		if (cv_oci_string(entry, "path", "linux.namespaces.path", &path) < 0)
			return -1;
		/*
		 * A mount namespace is the container's root: never another's. A user namespace's path would make
		 * the container's ids another's; a cgroup namespace's its cgroup view: not supported.
		 */
		if (path != NULL && path[0] != '\0' &&
		    (bit == CV_NS_MOUNT || bit == CV_NS_USER || bit == CV_NS_CGROUP || bit == CV_NS_TIME))
			return cv_oci_refuse("linux.namespaces",
			                     "%s: joining an existing namespace of this type (path) is not supported",
			                     type);
		if (path != NULL && path[0] != '\0')
			paths[index] = path;
		chosen |= bit;
	}
	/* Without a mount namespace of its own the container's mounts would be the host's. */
	if (!(chosen & CV_NS_MOUNT))
		return cv_oci_refuse("linux.namespaces",
		                     "a container without its own mount namespace is not supported");
	if (containerv_options_set_namespaces(load->options, chosen) < 0)
		return cv_error_prefix("config.json: linux.namespaces");
	for (size_t j = 0; j < sizeof types / sizeof types[0]; j++) {
		if (paths[j] == NULL)
			continue;
		if (chosen & CV_NS_USER)
			return cv_oci_refuse("linux.namespaces",
			                     "%s: a path with a user namespace of the container's own "
			                     "(it would not own what it joins)",
			                     types[j].type);
		if (containerv_options_join_namespace(load->options, types[j].bit, paths[j]) < 0)
			return cv_error_prefix("config.json: linux.namespaces");
	}
	load->uts_namespace = (chosen & CV_NS_UTS) != 0;
	return 0;
}

/* uidMappings or gidMappings: one range (containerv maps one). */
static int load_idmap(json_t *linux_object, const char *name, bool *present, uint32_t range[3])
{
	json_t *mappings = json_object_get(linux_object, name), *entry;
	static const char *const keys[] = {"hostID", "containerID", "size"};
	char field[32];

	snprintf(field, sizeof field, "linux.%s", name);
	*present = cv_oci_is_set(mappings);
	if (!*present)
		return 0;
	if (!json_is_array(mappings))
		return cv_oci_refuse(field, "not an array");
	if (json_array_size(mappings) != 1)
		return cv_oci_refuse(field, "only one range is supported");
	entry = json_array_get(mappings, 0);
	for (size_t i = 0; i < 3; i++) {
		json_t *value = json_object_get(entry, keys[i]);
		if (!json_is_integer(value) || json_integer_value(value) < 0 ||
		    json_integer_value(value) > UINT32_MAX || (i == 2 && json_integer_value(value) == 0))
			return cv_oci_refuse(field, "%s must be an integer from 0 (size 1) to 4294967295", keys[i]);
		range[i] = (uint32_t)json_integer_value(value);
	}
	return 0;
}

static int load_idmaps(struct cv_oci_load *load, json_t *linux_object)
{
	uint32_t users[3], groups[3];
	bool has_users, has_groups;

	if (load_idmap(linux_object, "uidMappings", &has_users, users) < 0 ||
	    load_idmap(linux_object, "gidMappings", &has_groups, groups) < 0)
		return -1;
	bool user_namespace = (load->options->namespaces & CV_NS_USER) != 0;
	if ((has_users || has_groups) && !user_namespace)
		return cv_oci_refuse("linux.uidMappings", "id maps need a user namespace");
	if (user_namespace && !(has_users && has_groups))
		return cv_oci_refuse("linux.uidMappings", "a user namespace needs uidMappings and gidMappings");
	if (!user_namespace)
		return 0;
	if (containerv_options_set_users(load->options, users[0], users[1], users[2]) < 0 ||
	    containerv_options_set_groups(load->options, groups[0], groups[1], groups[2]) < 0)
		return cv_error_prefix("config.json: linux.uidMappings");
	return 0;
}

/* A non-negative integer member no larger than max; absent or null: fallback. */
static int device_number(json_t *entry, const char *name, const char *field, long long max, long long fallback,
                         long long *value)
{
	json_t *member = json_object_get(entry, name);

	*value = fallback;
	if (member == NULL || json_is_null(member))
		return 0;
	if (!json_is_integer(member) || json_integer_value(member) < 0 || json_integer_value(member) > max)
		return cv_oci_refuse(field, "%s: not an integer from 0 to %lld", name, max);
	*value = json_integer_value(member);
	return 0;
}

/*
 * linux.devices: nodes made in the container with their type, number, mode and owner. Each is also allowed
 * in the device cgroup ("rwm", as runc does): a node the config asked for is meant to be used.
 */
static int load_devices(struct cv_oci_load *load, json_t *linux_object)
{
	json_t *devices = json_object_get(linux_object, "devices"), *entry;
	size_t i;

	if (devices != NULL && !json_is_array(devices) && !json_is_null(devices))
		return cv_oci_refuse("linux.devices", "not an array");
	json_array_foreach(devices, i, entry)
	{
		const char *path = NULL, *type = NULL;
		long long major, minor, mode, uid, gid;
		char field[48];

		snprintf(field, sizeof field, "linux.devices[%zu]", i);
		if (!json_is_object(entry))
			return cv_oci_refuse(field, "not an object");
		if (cv_oci_string(entry, "path", field, &path) < 0 || cv_oci_string(entry, "type", field, &type) < 0)
			return -1;
		if (path == NULL || type == NULL || strlen(type) != 1)
			return cv_oci_refuse(field, "needs a path and a type (c, b, u or p)");
		if (device_number(entry, "major", field, 4095, 0, &major) < 0 ||
		    device_number(entry, "minor", field, 1048575, 0, &minor) < 0 ||
		    device_number(entry, "fileMode", field, 0777, 0666, &mode) < 0 ||
		    device_number(entry, "uid", field, UINT32_MAX - 1, 0, &uid) < 0 ||
		    device_number(entry, "gid", field, UINT32_MAX - 1, 0, &gid) < 0)
			return -1;
		if (containerv_options_add_device(load->options, path, type[0], (uint32_t)major, (uint32_t)minor,
		                                  (uint32_t)mode, (containerv_uid_t)uid, (containerv_gid_t)gid) < 0)
			return cv_error_prefix("config.json: %s", field);
		if (type[0] != 'p' &&
		    containerv_options_allow_device(load->options, type[0] == 'b' ? 'b' : 'c', major, minor, "rwm") < 0)
			return cv_error_prefix("config.json: %s", field);
	}
	return 0;
}

/*
 * The device cgroup, in order: a rule denying everything starts the list again (the allow rules before it
 * are dropped); allow rules are granted, before containerv's default list (runc's order); a deny rule
 * narrower than "everything" cannot be expressed over that list and is refused.
 */
static int load_device_rules(struct cv_oci_load *load, json_t *resources)
{
	json_t *rules = json_object_get(resources, "devices"), *rule;
	size_t i, first = 0;

	if (rules != NULL && !json_is_array(rules) && !json_is_null(rules))
		return cv_oci_refuse("linux.resources.devices", "not an array");
	json_array_foreach(rules, i, rule)
	{
		json_t *allow = json_object_get(rule, "allow");
		const char *type = json_string_value(json_object_get(rule, "type"));
		json_t *major = json_object_get(rule, "major"), *minor = json_object_get(rule, "minor");

		if (!json_is_object(rule) || !json_is_boolean(allow))
			return cv_oci_refuse("linux.resources.devices", "entry %zu: allow must be a boolean", i);
		if (json_is_true(allow))
			continue;
		bool everything = (type == NULL || strcmp(type, "a") == 0) &&
		                  (major == NULL || json_is_null(major) || json_integer_value(major) == -1) &&
		                  (minor == NULL || json_is_null(minor) || json_integer_value(minor) == -1);
		if (!everything)
			return cv_oci_refuse("linux.resources.devices",
			                     "entry %zu: deny rules for single devices are not supported", i);
		first = i + 1;
	}
	for (i = first; i < json_array_size(rules); i++) {
		rule = json_array_get(rules, i);
		const char *type = json_string_value(json_object_get(rule, "type"));
		const char *access = json_string_value(json_object_get(rule, "access"));
		json_t *major = json_object_get(rule, "major"), *minor = json_object_get(rule, "minor");
		json_int_t major_value = json_is_integer(major) ? json_integer_value(major) : -1;
		json_int_t minor_value = json_is_integer(minor) ? json_integer_value(minor) : -1;

		if ((major != NULL && !json_is_null(major) && !json_is_integer(major)) ||
		    (minor != NULL && !json_is_null(minor) && !json_is_integer(minor)))
			return cv_oci_refuse("linux.resources.devices", "entry %zu: major and minor must be integers",
			                     i);
		if (type != NULL && strlen(type) != 1)
			return cv_oci_refuse("linux.resources.devices", "entry %zu: type must be a, c or b", i);
		if (containerv_options_allow_device(load->options, type ? type[0] : 'a', major_value, minor_value,
		                                    access ? access : "rwm") < 0)
			return cv_error_prefix("config.json: linux.resources.devices[%zu]", i);
	}
	return 0;
}

/* An integer member of a resources object, 0 when absent or null. */
static int resource_integer(json_t *object, const char *name, const char *field, long long min, long long *value)
{
	json_t *member = json_object_get(object, name);

	*value = 0;
	if (member == NULL || json_is_null(member))
		return 0;
	if (!json_is_integer(member) || json_integer_value(member) < min)
		return cv_oci_refuse(field, "%s: not an integer of at least %lld", name, min);
	*value = json_integer_value(member);
	return 0;
}

static int load_memory(json_t *memory, struct containerv_limits *limits)
{
	static const char *const refused[] = {"kernel", "kernelTCP", "swappiness", "useHierarchy", "checkBeforeUpdate"};
	json_t *disable_oom_killer = json_object_get(memory, "disableOOMKiller");
	long long limit, swap, reservation;

	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if (cv_oci_refuse_if_set(memory, refused[i], "linux.resources.memory", "not supported") < 0)
			return -1;
	if (resource_integer(memory, "limit", "linux.resources.memory", -1, &limit) < 0 ||
	    resource_integer(memory, "swap", "linux.resources.memory", -1, &swap) < 0 ||
	    resource_integer(memory, "reservation", "linux.resources.memory", -1, &reservation) < 0)
		return -1;
	if (disable_oom_killer != NULL && !json_is_null(disable_oom_killer) && !json_is_boolean(disable_oom_killer))
		return cv_oci_refuse("linux.resources.memory", "disableOOMKiller: not a boolean");
	limits->memory_bytes = limit > 0 ? limit : 0;
	/* OCI's swap is memory plus swap, as docker's --memory-swap. */
	limits->memory_swap_bytes = swap == -1 ? -1 : swap > 0 ? swap : 0;
	limits->memory_reservation_bytes = reservation > 0 ? reservation : 0;
	limits->oom_kill_disable = json_is_true(disable_oom_killer);
	return 0;
}

static int load_cpu(json_t *cpu, struct containerv_limits *limits)
{
	long long shares, quota, period;
	const char *cpus, *mems;

	if (cv_oci_refuse_if_set(cpu, "realtimeRuntime", "linux.resources.cpu", "not supported") < 0 ||
	    cv_oci_refuse_if_set(cpu, "realtimePeriod", "linux.resources.cpu", "not supported") < 0 ||
	    cv_oci_refuse_if_set(cpu, "idle", "linux.resources.cpu", "not supported") < 0 ||
	    cv_oci_refuse_if_set(cpu, "burst", "linux.resources.cpu", "not supported") < 0 ||
	    resource_integer(cpu, "shares", "linux.resources.cpu", 0, &shares) < 0 ||
	    resource_integer(cpu, "quota", "linux.resources.cpu", -1, &quota) < 0 ||
	    resource_integer(cpu, "period", "linux.resources.cpu", 0, &period) < 0 ||
	    cv_oci_string(cpu, "cpus", "linux.resources.cpu.cpus", &cpus) < 0 ||
	    cv_oci_string(cpu, "mems", "linux.resources.cpu.mems", &mems) < 0)
		return -1;
	limits->cpu_shares = (uint64_t)shares;
	limits->cpu_quota_us = quota > 0 ? (uint64_t)quota : 0;
	limits->cpu_period_us = (uint64_t)period;
	if ((cpus && strlen(cpus) >= sizeof limits->cpuset_cpus) ||
	    (mems && strlen(mems) >= sizeof limits->cpuset_mems))
		return cv_oci_refuse("linux.resources.cpu", "cpus or mems: too long");
	snprintf(limits->cpuset_cpus, sizeof limits->cpuset_cpus, "%s", cpus ? cpus : "");
	snprintf(limits->cpuset_mems, sizeof limits->cpuset_mems, "%s", mems ? mems : "");
	return 0;
}

static int load_block_io(json_t *block_io, struct containerv_limits *limits)
{
	static const char *const refused[] = {"leafWeight",
	                                      "weightDevice",
	                                      "throttleReadBpsDevice",
	                                      "throttleWriteBpsDevice",
	                                      "throttleReadIOPSDevice",
	                                      "throttleWriteIOPSDevice"};
	long long weight;

	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if (cv_oci_refuse_if_set(block_io, refused[i], "linux.resources.blockIO", "not supported") < 0)
			return -1;
	if (resource_integer(block_io, "weight", "linux.resources.blockIO", 0, &weight) < 0)
		return -1;
	if (weight != 0 && (weight < 10 || weight > 1000))
		return cv_oci_refuse("linux.resources.blockIO.weight", "must be from 10 to 1000");
	limits->io_weight = (uint32_t)weight;
	return 0;
}

/*
 * hugepageLimits: [{"pageSize": "2MB", "limit": BYTES}], one per size. kubelet sends every size the node
 * has, with 0 where the pod asked for none: a 0 is a limit (no huge pages), not "unset".
 */
static int load_hugepages(json_t *hugepages, struct containerv_limits *limits)
{
	json_t *entry;
	size_t i;

	if (!json_is_array(hugepages))
		return cv_oci_refuse("linux.resources.hugepageLimits", "not an array");
	if (json_array_size(hugepages) > CONTAINERV_HUGETLB_SIZES_MAX)
		return cv_oci_refuse("linux.resources.hugepageLimits", "more than %d page sizes",
		                     CONTAINERV_HUGETLB_SIZES_MAX);
	json_array_foreach(hugepages, i, entry)
	{
		struct containerv_hugetlb_limit *limit = &limits->hugetlb[i];
		const char *size;
		long long bytes;

		if (!json_is_object(entry) ||
		    cv_oci_string(entry, "pageSize", "linux.resources.hugepageLimits.pageSize", &size) < 0 ||
		    resource_integer(entry, "limit", "linux.resources.hugepageLimits", 0, &bytes) < 0)
			return json_is_object(entry)
			               ? -1
			               : cv_oci_refuse("linux.resources.hugepageLimits", "entry %zu: not an object", i);
		if (size == NULL || containerv_hugetlb_parse_size(size, &limit->page_size) < 0)
			return cv_oci_refuse("linux.resources.hugepageLimits", "entry %zu: pageSize \"%s\": %s", i,
			                     size ? size : "", size ? containerv_last_error() : "missing");
		limit->limit_bytes = (uint64_t)bytes;
	}
	limits->hugetlb_count = (uint32_t)json_array_size(hugepages);
	/* Whole pages, one limit per size: checked here too, for `update`'s parse. */
	struct containerv_limits only = CONTAINERV_LIMITS_INIT;
	only.hugetlb_count = limits->hugetlb_count;
	memcpy(only.hugetlb, limits->hugetlb, sizeof only.hugetlb);
	if (containerv_limits_validate(&only) < 0)
		return cv_error_prefix("config.json: linux.resources.hugepageLimits");
	return 0;
}

/*
 * The limits of a resources object (memory, cpu, pids, blockIO, hugepageLimits) into *limits (fresh from
 * CONTAINERV_LIMITS_INIT); what containerv's limits do not have is refused by name, and "unified" unless
 * with_unified (the create's loader takes it, not the limits). field names the object in messages.
 */
static int limits_from_resources(json_t *resources, const char *field, bool with_unified,
                                 struct containerv_limits *limits)
{
	static const char *const refused[] = {"network", "rdma"};
	json_t *memory = json_object_get(resources, "memory"), *cpu = json_object_get(resources, "cpu");
	json_t *pids = json_object_get(resources, "pids"), *block_io = json_object_get(resources, "blockIO");
	json_t *hugepages = json_object_get(resources, "hugepageLimits");
	long long pids_limit = 0;

	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if (cv_oci_refuse_if_set(resources, refused[i], field, "not supported") < 0)
			return -1;
	if (!with_unified && cv_oci_refuse_if_set(resources, "unified", field, "not supported here") < 0)
		return -1;
	if ((hugepages != NULL && !json_is_null(hugepages) && load_hugepages(hugepages, limits) < 0) ||
	    (cv_oci_is_set(memory) && load_memory(memory, limits) < 0) ||
	    (cv_oci_is_set(cpu) && load_cpu(cpu, limits) < 0) ||
	    (cv_oci_is_set(block_io) && load_block_io(block_io, limits) < 0))
		return -1;
	if (cv_oci_is_set(pids) && resource_integer(pids, "limit", "linux.resources.pids", LLONG_MIN, &pids_limit) < 0)
		return -1;
	limits->pids_max = pids_limit > 0 ? pids_limit : pids_limit < 0 ? -1 : 0;
	return 0;
}

/*
 * unified: {"memory.oom.group": "1", ...}, files of the container's cgroup v2 (kubelet 1.32+ sends
 * memory.oom.group on v2 nodes). On a v1 or hybrid host refused, as runc does (it maps none to v1).
 */
static int load_unified(struct cv_oci_load *load, json_t *unified)
{
	enum containerv_cgroup_mode mode;
	const char *key;
	json_t *value;

	if (!json_is_object(unified))
		return cv_oci_refuse("linux.resources.unified", "not an object");
	if (containerv_cgroup_mode(&mode) < 0)
		return cv_error_prefix("config.json: linux.resources.unified");
	if (mode != CONTAINERV_CGROUP_V2)
		return cv_oci_refuse("linux.resources.unified",
		                     "cannot use unified on cgroup v1 (this host's controllers are v1 hierarchies)");
	json_object_foreach(unified, key, value)
	{
		if (!json_is_string(value) || strlen(json_string_value(value)) != json_string_length(value))
			return cv_oci_refuse("linux.resources.unified", "%s: not a string", key);
		if (containerv_options_set_cgroup_file(load->options, key, json_string_value(value)) < 0)
			return cv_error_prefix("config.json: linux.resources.unified");
	}
	return 0;
}

static int load_resources(struct cv_oci_load *load, json_t *resources)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	json_t *unified;

	if (!cv_oci_is_set(resources))
		return 0;
	if (!json_is_object(resources))
		return cv_oci_refuse("linux.resources", "not an object");
	unified = json_object_get(resources, "unified");
	if (cv_oci_is_set(unified) && load_unified(load, unified) < 0)
		return -1;
	if (limits_from_resources(resources, "linux.resources", true, &limits) < 0 ||
	    load_device_rules(load, resources) < 0)
		return -1;
	if (containerv_options_set_limits(load->options, &limits) < 0)
		return cv_error_prefix("config.json: linux.resources");
	return 0;
}

int containerv_oci_resources_parse(const char *json, struct containerv_limits *limits)
{
	struct containerv_limits parsed = CONTAINERV_LIMITS_INIT;
	json_error_t error;
	json_t *resources;
	int ret;

	cv_error_clear();
	if (json == NULL || limits == NULL)
		return cv_error_errno(EINVAL, "resources: missing argument");
	resources = json_loads(json, JSON_REJECT_DUPLICATES, &error);
	if (resources == NULL)
		return cv_error_errno(EINVAL, "resources: line %d: %s", error.line, error.text);
	ret = json_is_object(resources) ? limits_from_resources(resources, "resources", false, &parsed)
	                                : cv_oci_refuse("resources", "not an object");
	json_decref(resources);
	if (ret < 0)
		return -1;
	*limits = parsed;
	return 0;
}

/* OCI's seccomp object is the format the security layer parses; listenerPath (user notification) is not served. */
static int load_seccomp(struct cv_oci_load *load, json_t *seccomp)
{
	struct cv_seccomp_profile parsed = {0};

	if (seccomp == NULL || json_is_null(seccomp))
		return 0;
	if (!json_is_object(seccomp))
		return cv_oci_refuse("linux.seccomp", "not an object");
	if (cv_oci_refuse_if_set(seccomp, "listenerPath", "linux.seccomp",
	                         "seccomp user notification (SCMP_ACT_NOTIFY) is not supported") < 0 ||
	    cv_oci_refuse_if_set(seccomp, "listenerMetadata", "linux.seccomp", "not supported") < 0 ||
	    cv_oci_refuse_if_set(seccomp, "flags", "linux.seccomp", "filter flags are not supported") < 0)
		return -1;
	cleanup_free char *text = json_dumps(seccomp, JSON_COMPACT);
	if (text == NULL)
		return cv_error_errno(ENOMEM, "config.json: linux.seccomp: out of memory");
	if (cv_seccomp_profile_parse(text, &parsed) < 0)
		return cv_error_prefix("config.json: linux.seccomp");
	cv_seccomp_profile_clear(&parsed);
	free(load->security->seccomp_json);
	load->security->seccomp_json = cv_steal_pointer(&text);
	load->security->seccomp_mode = CV_SECCOMP_CUSTOM;
	return 0;
}

static int load_paths(struct cv_oci_load *load, json_t *linux_object)
{
	json_t *masked, *readonly, *entry;
	size_t i;

	if (cv_oci_string_array(linux_object, "maskedPaths", "linux.maskedPaths", &masked) < 0 ||
	    cv_oci_string_array(linux_object, "readonlyPaths", "linux.readonlyPaths", &readonly) < 0)
		return -1;
	json_array_foreach(masked, i, entry)
	{
		if (containerv_security_add_masked_path(load->security, json_string_value(entry)) < 0)
			return cv_error_prefix("config.json: linux.maskedPaths");
	}
	json_array_foreach(readonly, i, entry)
	{
		if (containerv_security_add_readonly_path(load->security, json_string_value(entry)) < 0)
			return cv_error_prefix("config.json: linux.readonlyPaths");
	}
	return 0;
}

/* linux.sysctl: an object of strings; each key must be of the container's own namespaces (validated later). */
static int load_sysctls(struct cv_oci_load *load, json_t *linux_object)
{
	json_t *sysctls = json_object_get(linux_object, "sysctl"), *value;
	const char *key;

	if (sysctls == NULL || json_is_null(sysctls))
		return 0;
	if (!json_is_object(sysctls))
		return cv_oci_refuse("linux.sysctl", "not an object");
	json_object_foreach(sysctls, key, value)
	{
		if (!json_is_string(value) || strlen(json_string_value(value)) != json_string_length(value))
			return cv_oci_refuse("linux.sysctl", "%s: the value is not a string", key);
		if (containerv_options_add_sysctl(load->options, key, json_string_value(value)) < 0)
			return cv_error_prefix("config.json: linux.sysctl");
	}
	return 0;
}

/*
 * cgroupsPath: absolute from the hierarchies' root, or relative (below containerv's own directory). runc's
 * systemd form "slice:prefix:name" asks systemd to make a scope: containerv never goes through systemd.
 */
static int load_cgroups_path(struct cv_oci_load *load, json_t *linux_object)
{
	const char *path;
	const char *colon;

	if (cv_oci_string(linux_object, "cgroupsPath", "linux.cgroupsPath", &path) < 0)
		return -1;
	if (path == NULL || path[0] == '\0')
		return 0;
	colon = strchr(path, ':');
	if (colon != NULL && path[0] != '/' && strchr(colon + 1, ':') != NULL)
		return cv_oci_refuse("linux.cgroupsPath",
		                     "\"%s\": the systemd form slice:prefix:name is not supported (containerv manages "
		                     "its cgroups itself, never through systemd)",
		                     path);
	if (containerv_options_set_cgroup_path(load->options, path) < 0)
		return cv_error_prefix("config.json: linux.cgroupsPath");
	return 0;
}

/* linux.personality: the execution domain LINUX or LINUX32; the specification defines no flags yet. */
static int load_personality(struct cv_oci_load *load, json_t *linux_object)
{
	json_t *personality = json_object_get(linux_object, "personality");
	const char *domain;

	if (personality == NULL || json_is_null(personality))
		return 0;
	if (!json_is_object(personality))
		return cv_oci_refuse("linux.personality", "not an object");
	if (cv_oci_string(personality, "domain", "linux.personality.domain", &domain) < 0 ||
	    cv_oci_refuse_if_set(personality, "flags", "linux.personality", "no flags are supported") < 0)
		return -1;
	if (domain == NULL || (strcmp(domain, "LINUX") != 0 && strcmp(domain, "LINUX32") != 0))
		return cv_oci_refuse("linux.personality.domain", "must be LINUX or LINUX32");
	if (containerv_options_set_personality(
	            load->options, strcmp(domain, "LINUX32") == 0 ? CV_PERSONALITY_LINUX32 : CV_PERSONALITY_LINUX) < 0)
		return cv_error_prefix("config.json: linux.personality");
	return 0;
}

/* timeOffsets: {"monotonic": {"secs": S, "nanosecs": N}, "boottime": {...}}, with a time namespace. */
static int load_time_offsets(struct cv_oci_load *load, json_t *linux_object)
{
	static const struct {
		const char *name;
		enum containerv_clock clock;
	} clocks[] = {{"monotonic", CV_CLOCK_MONOTONIC}, {"boottime", CV_CLOCK_BOOTTIME}};
	json_t *offsets = json_object_get(linux_object, "timeOffsets"), *value;
	const char *name;

	if (!cv_oci_is_set(offsets))
		return 0;
	if (!json_is_object(offsets))
		return cv_oci_refuse("linux.timeOffsets", "not an object");
	if (!(load->options->namespaces & CV_NS_TIME))
		return cv_oci_refuse("linux.timeOffsets", "set without a time namespace");
	json_object_foreach(offsets, name, value)
	{
		json_t *secs = json_object_get(value, "secs"), *nanosecs = json_object_get(value, "nanosecs");
		size_t i = 0;

		while (i < sizeof clocks / sizeof clocks[0] && strcmp(clocks[i].name, name) != 0)
			i++;
		if (i == sizeof clocks / sizeof clocks[0])
			return cv_oci_refuse("linux.timeOffsets",
			                     "%s: not a clock a time namespace offsets "
			                     "(monotonic, boottime)",
			                     name);
		if (!json_is_object(value) || (secs != NULL && !json_is_integer(secs)) ||
		    (nanosecs != NULL && !json_is_integer(nanosecs)))
			return cv_oci_refuse("linux.timeOffsets", "%s: want {\"secs\": N, \"nanosecs\": N}", name);
		if (containerv_options_set_time_offset(load->options, clocks[i].clock, json_integer_value(secs),
		                                       json_integer_value(nanosecs)) < 0)
			return cv_error_prefix("config.json: linux.timeOffsets");
	}
	return 0;
}

int cv_oci_load_linux(struct cv_oci_load *load, json_t *linux_object)
{
	static const char *const refused[][2] = {
	        {"intelRdt", "not supported (no resctrl support)"},
	        {"memoryPolicy", "not supported"},
	        {"netDevices", "not supported"},
	};
	static const struct {
		const char *name;
		enum containerv_mount_propagation propagation;
	} propagations[] = {
	        {"private", CV_PROPAGATION_PRIVATE},       {"rprivate", CV_PROPAGATION_PRIVATE},
	        {"slave", CV_PROPAGATION_SLAVE},           {"rslave", CV_PROPAGATION_SLAVE},
	        {"shared", CV_PROPAGATION_SHARED},         {"rshared", CV_PROPAGATION_SHARED},
	        {"unbindable", CV_PROPAGATION_UNBINDABLE}, {"runbindable", CV_PROPAGATION_UNBINDABLE},
	};
	const char *propagation, *mount_label;

	if (linux_object == NULL || !json_is_object(linux_object))
		return cv_oci_refuse("linux", "missing or not an object");
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if (cv_oci_refuse_if_set(linux_object, refused[i][0], "linux", refused[i][1]) < 0)
			return -1;
	/* Kept in the profile: the host check refuses it where SELinux would need it applied. */
	if (cv_oci_string(linux_object, "mountLabel", "linux.mountLabel", &mount_label) < 0 ||
	    (mount_label != NULL && mount_label[0] != '\0' &&
	     containerv_security_set_mount_label(load->security, mount_label) < 0))
		return cv_error_prefix("config.json: linux.mountLabel");
	if (cv_oci_string(linux_object, "rootfsPropagation", "linux.rootfsPropagation", &propagation) < 0)
		return -1;
	/* Applied to the root mount once it is in place; every mount was made private first. */
	if (propagation != NULL && propagation[0] != '\0') {
		size_t i = 0;
		while (i < sizeof propagations / sizeof propagations[0] &&
		       strcmp(propagation, propagations[i].name) != 0)
			i++;
		if (i == sizeof propagations / sizeof propagations[0])
			return cv_oci_refuse("linux.rootfsPropagation", "\"%s\" is not a propagation", propagation);
		if (containerv_options_set_root_propagation(load->options, propagations[i].propagation) < 0)
			return cv_error_prefix("config.json: linux.rootfsPropagation");
	}
	return load_namespaces(load, linux_object) < 0 || load_time_offsets(load, linux_object) < 0 ||
	                       load_idmaps(load, linux_object) < 0 || load_personality(load, linux_object) < 0 ||
	                       load_cgroups_path(load, linux_object) < 0 ||
	                       load_resources(load, json_object_get(linux_object, "resources")) < 0 ||
	                       load_devices(load, linux_object) < 0 ||
	                       load_seccomp(load, json_object_get(linux_object, "seccomp")) < 0 ||
	                       load_paths(load, linux_object) < 0 || load_sysctls(load, linux_object) < 0
	               ? -1
	               : 0;
}
