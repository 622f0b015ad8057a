/*
 * inspect: docker's JSON view of containers, built from containerv_inspect()
 * (and containerv_get_strings() for the command, environment and labels).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "supervise-flags.h"
#include "flags.h"
#include "network-flags.h"
#include "image-cli.h"
#include "output.h"
#include "perf-profile.h"

static json_t *strings_to_array(char *const *strings)
{
	json_t *array = json_array();

	for (; strings != NULL && *strings != NULL; strings++)
		json_array_append_new(array, json_string(*strings));
	return array;
}

/* The command as words: exact from the library when it can tell, else split at the spaces of info->command. */
static json_t *command_words(struct containerv_container *container, const struct containerv_info *info)
{
	char **strings = NULL;
	json_t *array;
	_cleanup_free_ char *copy = NULL;
	char *saveptr = NULL;

	if (cli_get_strings(container, CV_STRINGS_COMMAND, &strings) == 0) {
		array = strings_to_array(strings);
		cli_strings_free(strings);
		return array;
	}
	array = json_array();
	copy = xstrdup(info->command);
	for (char *word = strtok_r(copy, " ", &saveptr); word != NULL; word = strtok_r(NULL, " ", &saveptr))
		json_array_append_new(array, json_string(word));
	return array;
}

/* Labels "k=v" as an object, or null when the library cannot tell yet. */
static json_t *labels_object(struct containerv_container *container)
{
	char **strings = NULL;
	json_t *object;

	if (cli_get_strings(container, CV_STRINGS_LABELS, &strings) < 0)
		return json_null();
	object = json_object();
	for (char **label = strings; *label != NULL; label++) {
		char *equals = strchr(*label, '=');

		if (equals != NULL) {
			*equals = '\0';
			json_object_set_new(object, *label, json_string(equals + 1));
		} else {
			json_object_set_new(object, *label, json_string(""));
		}
	}
	cli_strings_free(strings);
	return object;
}

static json_t *env_array(struct containerv_container *container)
{
	char **strings = NULL;
	json_t *array;

	if (cli_get_strings(container, CV_STRINGS_ENV, &strings) < 0)
		return json_null();
	array = strings_to_array(strings);
	cli_strings_free(strings);
	return array;
}

static json_t *state_object(const struct containerv_info *info)
{
	char started[64], finished[64];
	bool exited = info->state == CV_STATE_EXITED;

	format_rfc3339nano(info->started_ns, started, sizeof started);
	format_rfc3339nano(info->finished_ns, finished, sizeof finished);
	return json_pack("{s:s, s:b, s:b, s:I, s:i, s:b, s:s, s:s}", "Status", cli_info_state_name(info), "Running",
	                 info->state == CV_STATE_RUNNING, "Paused", info->paused != 0, "Pid", (json_int_t)info->pid,
	                 "ExitCode", exited ? info->exit.code : 0, "OOMKilled", exited && info->exit.oom_killed,
	                 "StartedAt", started, "FinishedAt", finished);
}

static json_t *host_config_object(const struct containerv_limits *limits)
{
	uint64_t period = limits->cpu_period_us != 0 ? limits->cpu_period_us : 100000;
	json_int_t nano_cpus =
	        limits->cpu_quota_us != 0 ? (json_int_t)(limits->cpu_quota_us * 1000000000ull / period) : 0;

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:o, s:i}", "Memory",
	                 (json_int_t)limits->memory_bytes, "MemorySwap", (json_int_t)limits->memory_swap_bytes,
	                 "NanoCpus", nano_cpus, "CpuShares", (json_int_t)limits->cpu_shares, "CpuQuota",
	                 (json_int_t)limits->cpu_quota_us, "CpuPeriod", (json_int_t)limits->cpu_period_us, "CpusetCpus",
	                 limits->cpuset_cpus, "CpusetMems", limits->cpuset_mems, "PidsLimit",
	                 limits->pids_max != 0 ? json_integer(limits->pids_max) : json_null(), "BlkioWeight",
	                 (int)limits->io_weight);
}

/* docker's Image: the image id (config digest) of the image it was made from; "" for a root filesystem. */
static json_t *image_id(const struct containerv_info *info)
{
	struct containerv_image_info image = {.version = CONTAINERV_IMAGE_INFO_VERSION};
	json_t *id;

	if (info->image_digest[0] == '\0')
		return json_string("");
	/* Removed by force since (it stays in use): its manifest digest is all that still names it. */
	if (containerv_image_inspect(info->image_digest, &image) < 0)
		return json_string(info->image_digest);
	id = json_string(image.id);
	containerv_image_info_clear(&image);
	return id;
}

static const char *mount_type_name(enum containerv_mount_type type)
{
	switch (type) {
	case CV_MOUNT_TYPE_BIND:
		return "bind";
	case CV_MOUNT_TYPE_VOLUME:
		return "volume";
	case CV_MOUNT_TYPE_TMPFS:
		return "tmpfs";
	}
	return "";
}

/* One entry of docker's Mounts: a volume's Source is where its data lives on the host, its Name the volume's. */
static json_t *mount_object(const struct containerv_mount_info *mount)
{
	static const char *const propagation[] = {"rprivate", "rslave", "rshared"};
	bool readonly = (mount->flags & CV_MOUNT_READONLY) != 0;
	json_t *object = json_pack("{s:s}", "Type", mount_type_name(mount->type));

	if (mount->type == CV_MOUNT_TYPE_VOLUME) {
		struct containerv_volume_info volume = {.version = CONTAINERV_VOLUME_INFO_VERSION};

		json_object_set_new(object, "Name", json_string(mount->source));
		if (containerv_volume_inspect(mount->source, &volume) == 0)
			json_object_set_new(object, "Source", json_string(volume.mountpoint));
		else
			json_object_set_new(object, "Source", json_string(""));
		containerv_volume_info_clear(&volume);
	} else {
		json_object_set_new(object, "Source", json_string(mount->source));
	}
	json_object_set_new(object, "Destination", json_string(mount->destination));
	json_object_set_new(object, "Mode", json_string(readonly ? "ro" : ""));
	json_object_set_new(object, "RW", json_boolean(!readonly));
	if (mount->type == CV_MOUNT_TYPE_BIND && (unsigned int)mount->propagation < 3)
		json_object_set_new(object, "Propagation", json_string(propagation[mount->propagation]));
	return object;
}

static json_t *mounts_array(struct containerv_container *container)
{
	struct containerv_mount_info *mounts = NULL;
	size_t count = 0;
	json_t *array;

	if (containerv_get_mounts(container, &mounts, &count) < 0)
		return json_null();
	array = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(array, mount_object(&mounts[i]));
	containerv_mounts_free(mounts, count);
	return array;
}

/*
 * The library's run settings (containerv_get_host_config) into HostConfig, and the four docker keeps in
 * Config (Domainname, StopTimeout, MacAddress, OpenStdin) there.
 */
static void add_host_config(struct containerv_container *container, json_t *object)
{
	_cleanup_free_ char *text = NULL;
	json_t *settings, *host = json_object_get(object, "HostConfig"), *config = json_object_get(object, "Config");
	static const char *const config_keys[] = {"Domainname", "StopTimeout", "MacAddress", "OpenStdin"};

	if (containerv_get_host_config(container, &text) < 0 || (settings = json_loads(text, 0, NULL)) == NULL)
		return;
	for (size_t i = 0; i < sizeof config_keys / sizeof *config_keys; i++) {
		json_object_set(config, config_keys[i], json_object_get(settings, config_keys[i]));
		json_object_del(settings, config_keys[i]);
	}
	json_object_update(host, settings);
	json_decref(settings);
}

static json_t *container_object(struct containerv_container *container, const struct containerv_info *info)
{
	char created[64], name[140], hostname[65];
	json_t *words = command_words(container, info);
	json_t *arguments = json_array();
	json_t *config, *object;

	for (size_t i = 1; i < json_array_size(words); i++)
		json_array_append(arguments, json_array_get(words, i));
	snprintf(name, sizeof name, "/%s", info->name[0] != '\0' ? info->name : containerv_name(container));
	format_rfc3339nano(info->created_ns, created, sizeof created);
	/* The default hostname is the short id; the library leaves the field empty then. */
	if (info->hostname[0] == '\0')
		snprintf(hostname, sizeof hostname, "%.12s", info->id);
	else
		snprintf(hostname, sizeof hostname, "%s", info->hostname);
	config = json_pack("{s:s, s:o, s:O, s:o}", "Hostname", hostname, "Env", env_array(container), "Cmd", words,
	                   "Labels", labels_object(container));
	if (info->image[0] != '\0')
		json_object_set_new(config, "Image", json_string(image_familiar(info->image)));
	object = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:s, s:s}", "Id", info->id, "Created",
	                   created, "Path",
	                   json_array_size(words) > 0 ? json_string_value(json_array_get(words, 0)) : "", "Args",
	                   arguments, "State", state_object(info), "Image", image_id(info), "Name", name, "Config",
	                   config, "HostConfig", host_config_object(&info->limits), "Mounts", mounts_array(container),
	                   "LogPath", containerv_log_path(container), "Rootfs", info->rootfs);
	json_object_set_new(object, "NetworkSettings", cli_network_settings(container));
	cli_add_supervision(container, object);
	add_host_config(container, object);
	json_object_set_new(object, "PerfProfile", cli_perf_profile_object(container));
	/* Config holds its own reference to the words; ours was kept only for Path. */
	json_decref(words);
	return object;
}

/*
 * inspect -s: docker's SizeRw (the writable layer's bytes) and SizeRootFs (all the container's files: its
 * image's unpacked layers plus the writable layer).
 */
static void add_sizes(struct containerv_container *container, const struct containerv_info *info, json_t *object)
{
	struct containerv_image_info image = {.version = CONTAINERV_IMAGE_INFO_VERSION, .disk_usage = 1};
	uint64_t writable = 0, image_bytes = 0;

	if (containerv_disk_usage(container, &writable) < 0)
		writable = 0;
	if (info->image_digest[0] != '\0' && containerv_image_inspect(info->image_digest, &image) == 0)
		image_bytes = image.unpacked_size;
	containerv_image_info_clear(&image);
	json_object_set_new(object, "SizeRw", json_integer((json_int_t)writable));
	json_object_set_new(object, "SizeRootFs", json_integer((json_int_t)(writable + image_bytes)));
}

/* The JSON object of one container, or NULL after printing why. */
static json_t *inspect_one(const char *reference, bool size)
{
	_cleanup_container_ struct containerv_container *container = NULL;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	json_t *object;

	if (containerv_open(reference, &container) < 0) {
		if (errno == ENOENT)
			cli_fail(0, "No such container: %s", reference);
		else
			cli_fail_library(0, "open %s", reference);
		return NULL;
	}
	if (containerv_inspect(container, &info) < 0) {
		cli_fail_library(0, "inspect %s", reference);
		return NULL;
	}
	object = container_object(container, &info);
	if (size)
		add_sizes(container, &info, object);
	return object;
}

/* The kinds docker's inspect --type takes that exist here, in the order a name without --type is tried. */
enum object_kind { KIND_ANY, KIND_CONTAINER, KIND_IMAGE, KIND_NETWORK, KIND_VOLUME };

static int parse_kind(const char *type, enum object_kind *kind)
{
	static const char *const names[] = {"container", "image", "network", "volume"};

	*kind = KIND_ANY;
	if (type == NULL)
		return 0;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(type, names[i]) == 0) {
			*kind = (enum object_kind)(i + 1);
			return 0;
		}
	return cli_fail(-1, "\"%s\" is not a valid value for --type (container, image, network or volume)", type);
}

/* Without --type: the first kind with an object of that name (docker's order: container, image, network, volume). */
static enum object_kind kind_of(const char *name)
{
	struct containerv_container *container = NULL;
	struct containerv_image_info image = {.version = CONTAINERV_IMAGE_INFO_VERSION};
	struct containerv_network_info network = {.version = CONTAINERV_NETWORK_INFO_VERSION};
	struct containerv_volume_info volume = {.version = CONTAINERV_VOLUME_INFO_VERSION};
	enum object_kind kind = KIND_ANY;

	if (containerv_open(name, &container) == 0 || errno != ENOENT)
		kind = KIND_CONTAINER; /* also when it exists but cannot be opened: inspect_one says why */
	else if (containerv_image_inspect(name, &image) == 0)
		kind = KIND_IMAGE;
	else if (containerv_network_inspect(name, &network) == 0)
		kind = KIND_NETWORK;
	else if (containerv_volume_inspect(name, &volume) == 0)
		kind = KIND_VOLUME;
	containerv_close(container);
	containerv_image_info_clear(&image);
	containerv_network_info_clear(&network);
	containerv_volume_info_clear(&volume);
	return kind;
}

/* Emits one object into all; -1 after printing why not. */
static int inspect_named(const char *name, enum object_kind kind, const char *format, bool size, json_t *all)
{
	json_t *object;

	if (kind == KIND_ANY)
		kind = kind_of(name);
	switch (kind) {
	case KIND_ANY:
		return cli_fail(-1, "No such object: %s", name);
	case KIND_CONTAINER:
		object = inspect_one(name, size);
		if (object == NULL)
			return -1;
		inspect_emit(all, format, object);
		return 0;
	case KIND_IMAGE:
		if (image_inspect_one(name, format, all) == 0)
			return 0;
		return errno == ENOENT ? cli_fail(-1, "No such image: %s", name) : cli_fail_library(-1, NULL);
	case KIND_NETWORK:
		return network_inspect_one(name, format, all);
	case KIND_VOLUME:
		return volume_inspect_one(name, format, all);
	}
	return -1;
}

int cmd_inspect(int argc, char **argv)
{
	static const char *format, *type;
	static int size;
	static const struct flag table[] = {
	        {"format", 'f', FLAG_STRING, &format, "string", "json, or a template such as '{{.State.Status}}'"},
	        {"type", 0, FLAG_STRING, &type, "string", "Only this kind: container, image, network or volume"},
	        {"size", 's', FLAG_BOOL, &size, NULL, "Display total file sizes if the type is container"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "inspect",
	        "[OPTIONS] NAME|ID [NAME|ID...]",
	        "Return low-level information on containers, images, networks or volumes",
	        table,
	        false,
	        1,
	        0,
	        "Templates support {{.Path.To.Field}} and {{json .Path}}. Without --type a name is looked up as\n"
	        "a container, then an image, a network and a volume. -s adds SizeRw and SizeRootFs to containers.",
	};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	enum object_kind kind;
	json_t *all;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (parse_kind(type, &kind) < 0)
		return EXIT_CLI_ERROR;
	if (format != NULL && strcmp(format, "json") != 0 && template_check(format) < 0)
		return EXIT_CLI_ERROR;
	all = json_array();
	code = 0;
	for (size_t i = 0; i < positional.count; i++)
		if (inspect_named(positional.items[i], kind, format, size != 0, all) < 0)
			code = EXIT_CONTAINER_FAILURE;
	inspect_finish(all, format);
	return code;
}
