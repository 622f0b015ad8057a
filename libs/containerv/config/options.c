#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <jansson.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "config/options.h"
#include "common/util.h"

#include <chef/containerv/security.h>

#define CV_NAME_MAX 128
#define CV_HOSTNAME_MAX 64

void cv_options_init(struct containerv_options *options)
{
	memset(options, 0, sizeof *options);
	options->namespaces = CV_NS_DEFAULT;
	options->autostart = true;
	struct containerv_limits unset = CONTAINERV_LIMITS_INIT;
	options->limits = unset;
	options->stdio[0] = options->stdio[1] = options->stdio[2] = -1;
	options->umask = -1;
	options->stop_timeout = -1;
}

/* Only for copies made by dup_stdio (a container's config), never for the caller's numbers. */
static void close_stdio(struct containerv_options *options)
{
	for (int i = 0; i < 3; i++) {
		if (options->stdio[i] >= 0)
			close(options->stdio[i]);
		options->stdio[i] = -1;
	}
	options->stdio_set = false;
}

/* Our own copies of the caller's descriptors: the caller may close its own right after. */
static int dup_stdio(struct containerv_options *options, const int stdio[3])
{
	int copies[3] = {-1, -1, -1};

	for (int i = 0; i < 3; i++) {
		copies[i] = stdio[i]; /* a CONTAINERV_STDIO_* value stays as it is */
		if (stdio[i] >= 0 && (copies[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3)) < 0) {
			int saved = errno;
			for (int j = 0; j < i; j++)
				if (copies[j] >= 0 && stdio[j] >= 0)
					close(copies[j]);
			errno = saved;
			return cv_error_sys("stdio: descriptor %d", stdio[i]);
		}
	}
	close_stdio(options);
	memcpy(options->stdio, copies, sizeof copies);
	options->stdio_set = true;
	return 0;
}

void cv_options_release_stdio(struct containerv_options *options)
{
	close_stdio(options);
}

void cv_options_clear(struct containerv_options *options)
{
	cv_strv_free(options->layers);
	free(options->name);
	free(options->hostname);
	free(options->cgroup_path);
	for (int i = 0; i < CV_JOIN_COUNT; i++) {
		free(options->join_paths[i]);
		free(options->join_containers[i]);
	}
	cv_strv_free(options->argv);
	cv_strv_free(options->env);
	free(options->workdir);
	cv_strv_free(options->labels);
	cv_strv_free(options->sysctls);
	cv_strv_free(options->devices);
	cv_strv_free(options->device_rules);
	cv_strv_free(options->cgroup_unified);
	cv_mounts_free(options->mounts, options->mount_count);
	containerv_security_delete(options->security);
	cv_network_config_clear(&options->network);
	free(options->image);
	free(options->image_digest);
	cv_strv_free(options->image_entrypoint);
	cv_strv_free(options->image_cmd);
	cv_strv_free(options->image_volumes);
	cv_health_config_clear(&options->health);
	cv_health_config_clear(&options->image_health);
	free(options->domainname);
	cv_devices_free(options->host_devices, options->host_device_count);
	cv_options_init(options);
}

int containerv_options_new(struct containerv_options **options)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "options_new: NULL out-parameter");
	*options = cv_malloc0(sizeof **options);
	if (*options == NULL)
		return -1;
	cv_options_init(*options);
	return 0;
}

void containerv_options_delete(struct containerv_options *options)
{
	if (options == NULL)
		return;
	cv_options_clear(options);
	free(options);
}

int containerv_options_set_rootfs(struct containerv_options *options, const char *directory)
{
	const char *layers[] = {directory};

	return containerv_options_set_layers(options, layers, 1);
}

const struct cv_join_type cv_join_types[CV_JOIN_COUNT] = {
        [CV_JOIN_NET] = {CV_NS_NET, "net"},
        [CV_JOIN_IPC] = {CV_NS_IPC, "ipc"},
        [CV_JOIN_UTS] = {CV_NS_UTS, "uts"},
        [CV_JOIN_PID] = {CV_NS_PID, "pid"},
};

int containerv_options_join_namespace(struct containerv_options *options, unsigned int namespace_type, const char *path)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "join namespace: no options");
	for (int i = 0; i < CV_JOIN_COUNT; i++) {
		if (cv_join_types[i].bit != namespace_type)
			continue;
		if (path != NULL && (path[0] != '/' || strlen(path) >= PATH_MAX))
			return cv_error_errno(EINVAL, "join the %s namespace: \"%s\" is not an absolute path",
			                      cv_join_types[i].name, path);
		return cv_replace_string(&options->join_paths[i], path);
	}
	return cv_error_errno(EINVAL, "join namespace: only the net, ipc, uts and pid namespaces can be joined");
}

int containerv_options_join_container(struct containerv_options *options, unsigned int namespace_type,
                                      const char *container)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "join a container's namespace: no options");
	for (int i = 0; i < CV_JOIN_COUNT; i++) {
		if (cv_join_types[i].bit != namespace_type)
			continue;
		if (container != NULL && (container[0] == '\0' || strlen(container) > 128))
			return cv_error_errno(EINVAL, "join the %s namespace of a container: no container named",
			                      cv_join_types[i].name);
		return cv_replace_string(&options->join_containers[i], container);
	}
	return cv_error_errno(EINVAL, "join namespace: only the net, ipc, uts and pid namespaces can be joined");
}

int containerv_options_set_cgroup_path(struct containerv_options *options, const char *path)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "cgroup path: no options");
	if (path == NULL)
		return cv_replace_string(&options->cgroup_path, NULL);
	if (!cv_cgroup_path_is_plain(path))
		return cv_error_errno(
		        EINVAL, "cgroup path \"%s\": components of [A-Za-z0-9_.:@-] only, no \".\" or \"..\"", path);
	/* containerv's own tree holds its containers' cgroups: another's would nest in one, or take its name. */
	if (strcmp(path, "/" CV_CGROUP_OWN_DIR) == 0 ||
	    strncmp(path, "/" CV_CGROUP_OWN_DIR "/", sizeof CV_CGROUP_OWN_DIR + 1) == 0)
		return cv_error_errno(EINVAL, "cgroup path \"%s\": inside containerv's own /%s", path,
		                      CV_CGROUP_OWN_DIR);
	return cv_replace_string(&options->cgroup_path, path);
}

int containerv_options_set_rootfs_in_place(struct containerv_options *options, int enabled)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "rootfs_in_place: no options");
	options->rootfs_in_place = enabled != 0;
	return 0;
}

int containerv_options_set_layers(struct containerv_options *options, const char *const *layers, size_t count)
{
	char **copy;

	cv_error_clear();
	if (options == NULL || layers == NULL || count == 0)
		return cv_error_errno(EINVAL, "rootfs: no layer given");
	copy = cv_malloc0((count + 1) * sizeof *copy);
	if (copy == NULL)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (layers[i] == NULL || !cv_path_is_absolute(layers[i])) {
			cv_strv_free(copy);
			return cv_error_errno(EINVAL, "rootfs %s: must be an absolute path",
			                      layers[i] ? layers[i] : "(null)");
		}
		if ((copy[i] = cv_strdup(layers[i])) == NULL) {
			cv_strv_free(copy);
			return -1;
		}
	}
	cv_strv_free(options->layers);
	options->layers = copy;
	/* A root filesystem given after an image replaces it: the container no longer uses that image. */
	free(options->image);
	free(options->image_digest);
	options->image = options->image_digest = NULL;
	cv_strv_free(options->image_cmd);
	cv_strv_free(options->image_volumes);
	options->image_cmd = options->image_volumes = NULL;
	if (!options->entrypoint_set) {
		cv_strv_free(options->image_entrypoint);
		options->image_entrypoint = NULL;
	}
	options->stop_signal = 0;
	return 0;
}

int containerv_options_set_name(struct containerv_options *options, const char *name)
{
	cv_error_clear();
	if (options == NULL || name == NULL)
		return cv_error_errno(EINVAL, "name: missing");
	if (!cv_name_is_valid(name, CV_NAME_MAX))
		return cv_error_errno(
		        EINVAL, "invalid container name \"%s\": use [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most %d characters",
		        name, CV_NAME_MAX);
	return cv_replace_string(&options->name, name);
}

static bool hostname_is_valid(const char *hostname)
{
	size_t length = strlen(hostname);

	if (length == 0 || length > CV_HOSTNAME_MAX || hostname[0] == '-' || hostname[0] == '.')
		return false;
	for (size_t i = 0; i < length; i++) {
		char c = hostname[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '.'))
			return false;
	}
	return true;
}

int containerv_options_set_hostname(struct containerv_options *options, const char *hostname)
{
	cv_error_clear();
	if (options == NULL || hostname == NULL)
		return cv_error_errno(EINVAL, "hostname: missing");
	if (!hostname_is_valid(hostname))
		return cv_error_errno(EINVAL, "invalid hostname \"%s\"", hostname);
	return cv_replace_string(&options->hostname, hostname);
}

int containerv_options_set_command(struct containerv_options *options, const char *const *argv)
{
	char **copy = NULL;

	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "command: no options");
	if (argv != NULL) {
		if (argv[0] == NULL || argv[0][0] == '\0')
			return cv_error_errno(EINVAL, "command: empty");
		if ((copy = cv_strv_dup(argv)) == NULL)
			return -1;
	}
	cv_strv_free(options->argv);
	options->argv = copy;
	return 0;
}

/* Adds KEY=VALUE to a vector, replacing an earlier KEY. */
static int strv_set_keyed(char ***strv, const char *key_value)
{
	const char *equals = strchr(key_value, '=');
	size_t key_length = (size_t)(equals - key_value);

	for (size_t i = 0; *strv != NULL && (*strv)[i] != NULL; i++) {
		if (strncmp((*strv)[i], key_value, key_length) == 0 && (*strv)[i][key_length] == '=')
			return cv_replace_string(&(*strv)[i], key_value);
	}
	return cv_strv_append(strv, key_value);
}

int containerv_options_add_env(struct containerv_options *options, const char *key_value)
{
	cv_error_clear();
	if (options == NULL || key_value == NULL)
		return cv_error_errno(EINVAL, "env: missing");
	if (strchr(key_value, '=') == NULL || key_value[0] == '=')
		return cv_error_errno(EINVAL, "invalid environment variable \"%s\": expected KEY=VALUE", key_value);
	return strv_set_keyed(&options->env, key_value);
}

int containerv_options_add_label(struct containerv_options *options, const char *key_value)
{
	cv_error_clear();
	if (options == NULL || key_value == NULL)
		return cv_error_errno(EINVAL, "label: missing");
	if (strchr(key_value, '=') == NULL || key_value[0] == '=')
		return cv_error_errno(EINVAL, "invalid label \"%s\": expected key=value", key_value);
	return strv_set_keyed(&options->labels, key_value);
}

int containerv_options_set_workdir(struct containerv_options *options, const char *directory)
{
	cv_error_clear();
	if (options == NULL || directory == NULL || directory[0] != '/')
		return cv_error_errno(EINVAL, "invalid working directory \"%s\": must be absolute",
		                      directory ? directory : "(null)");
	return cv_replace_string(&options->workdir, directory);
}

int containerv_options_set_user(struct containerv_options *options, containerv_uid_t uid, containerv_gid_t gid)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "user: no options");
	options->uid = uid;
	options->gid = gid;
	options->user_set = true;
	return 0;
}

unsigned int cv_sysctl_namespace(const char *key)
{
	static const char *const ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
	                                       "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
	                                       "kernel.shmmni", "kernel.shm_rmid_forced"};

	/* The key becomes a path under /proc/sys: nothing that could climb out of it or name another file. */
	if (key[0] == '\0' || key[0] == '.' || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_-.") != strlen(key) ||
	    strstr(key, "..") != NULL || key[strlen(key) - 1] == '.')
		return 0;
	if (strncmp(key, "net.", 4) == 0)
		return CV_NS_NET;
	if (strncmp(key, "fs.mqueue.", 10) == 0)
		return CV_NS_IPC;
	for (size_t i = 0; i < sizeof ipc_keys / sizeof ipc_keys[0]; i++)
		if (strcmp(key, ipc_keys[i]) == 0)
			return CV_NS_IPC;
	return 0;
}

int containerv_options_add_sysctl(struct containerv_options *options, const char *key, const char *value)
{
	cleanup_free char *entry = NULL;

	cv_error_clear();
	if (options == NULL || key == NULL || value == NULL)
		return cv_error_errno(EINVAL, "sysctl: missing argument");
	if (cv_sysctl_namespace(key) == 0)
		return cv_error_errno(EINVAL, "sysctl %s: not a parameter of the container's own namespaces", key);
	if (strchr(value, '\n') != NULL || strlen(value) > 4096)
		return cv_error_errno(EINVAL, "sysctl %s: the value must be one line of at most 4096 bytes", key);
	if (cv_asprintf(&entry, "%s=%s", key, value) < 0 || cv_strv_append(&options->sysctls, entry) < 0)
		return -1;
	return 0;
}

int containerv_options_add_device(struct containerv_options *options, const char *path, char type, uint32_t major,
                                  uint32_t minor, uint32_t mode, containerv_uid_t uid, containerv_gid_t gid)
{
	cleanup_free char *entry = NULL;

	cv_error_clear();
	if (options == NULL || path == NULL)
		return cv_error_errno(EINVAL, "device: missing argument");
	if (path[0] != '/' || path[1] == '\0' || strlen(path) >= PATH_MAX || strchr(path, '\n') != NULL ||
	    strcmp(path, "/dev") == 0 || !cv_is_clean_absolute_path(path))
		return cv_error_errno(EINVAL, "device \"%s\": the path must be absolute, below /, without \"..\"",
		                      path);
	if (type != 'c' && type != 'b' && type != 'u' && type != 'p')
		return cv_error_errno(EINVAL, "device %s: type must be c, b, u or p", path);
	if (major > 4095 || minor > 1048575)
		return cv_error_errno(EINVAL, "device %s: major above 4095 or minor above 1048575", path);
	if (mode > 0777)
		return cv_error_errno(EINVAL, "device %s: mode must be permission bits (at most 0777)", path);
	if (uid == (containerv_uid_t)-1 || gid == (containerv_gid_t)-1)
		return cv_error_errno(EINVAL, "device %s: invalid owner", path);
	if (cv_asprintf(&entry, "%c %u %u %o %u %u %s", type == 'u' ? 'c' : type, major, minor, mode, (unsigned)uid,
	                (unsigned)gid, path) < 0 ||
	    cv_strv_append(&options->devices, entry) < 0)
		return -1;
	return 0;
}

int containerv_options_allow_device(struct containerv_options *options, char type, int64_t major, int64_t minor,
                                    const char *access)
{
	char major_text[16] = "*", minor_text[16] = "*", entry[64];

	cv_error_clear();
	if (options == NULL || access == NULL)
		return cv_error_errno(EINVAL, "device rule: missing argument");
	if (type != 'a' && type != 'c' && type != 'b')
		return cv_error_errno(EINVAL, "device rule: type must be a, c or b");
	if (major < -1 || major > 4095 || minor < -1 || minor > 1048575)
		return cv_error_errno(EINVAL, "device rule: major or minor out of range");
	if (access[0] == '\0' || strlen(access) > 3 || strspn(access, "rwm") != strlen(access))
		return cv_error_errno(EINVAL, "device rule: access \"%s\" must be letters of rwm", access);
	if (major >= 0)
		snprintf(major_text, sizeof major_text, "%lld", (long long)major);
	if (minor >= 0)
		snprintf(minor_text, sizeof minor_text, "%lld", (long long)minor);
	snprintf(entry, sizeof entry, "%c %s:%s %s", type, major_text, minor_text, access);
	return cv_strv_append(&options->device_rules, entry) < 0 ? -1 : 0;
}

int containerv_options_set_hugetlb_limit(struct containerv_options *options, uint64_t page_size, uint64_t limit_bytes)
{
	struct containerv_limits limits;
	uint32_t i = 0;

	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "hugetlb limit: no options");
	limits = options->limits;
	while (i < limits.hugetlb_count && limits.hugetlb[i].page_size != page_size)
		i++;
	if (i == CONTAINERV_HUGETLB_SIZES_MAX)
		return cv_error_errno(E2BIG, "hugetlb limit: at most %d page sizes", CONTAINERV_HUGETLB_SIZES_MAX);
	limits.hugetlb[i].page_size = page_size;
	limits.hugetlb[i].limit_bytes = limit_bytes;
	if (i == limits.hugetlb_count)
		limits.hugetlb_count++;
	if (containerv_limits_validate(&limits) < 0)
		return -1;
	options->limits = limits;
	return 0;
}

int containerv_options_set_cgroup_file(struct containerv_options *options, const char *key, const char *value)
{
	cleanup_free char *entry = NULL;
	size_t length;

	cv_error_clear();
	if (options == NULL || key == NULL || value == NULL)
		return cv_error_errno(EINVAL, "cgroup file: missing argument");
	if (cv_cgroup_file_name_check(key) < 0)
		return -1;
	/* The kernel takes one page; a longer value would be kept in the config and echoed whole in errors. */
	if (strlen(value) > CV_CGROUP_FILE_VALUE_MAX)
		return cv_error_errno(EINVAL, "cgroup file %s: value longer than %d bytes", key,
		                      CV_CGROUP_FILE_VALUE_MAX);
	length = strlen(key);
	for (size_t i = 0; options->cgroup_unified != NULL && options->cgroup_unified[i] != NULL; i++)
		if (strncmp(options->cgroup_unified[i], key, length) == 0 && options->cgroup_unified[i][length] == '=')
			return cv_error_errno(EEXIST, "cgroup file %s: given twice", key);
	if (cv_asprintf(&entry, "%s=%s", key, value) < 0)
		return -1;
	return cv_strv_append(&options->cgroup_unified, entry) < 0 ? -1 : 0;
}

int containerv_options_set_umask(struct containerv_options *options, int mask)
{
	cv_error_clear();
	if (options == NULL || mask < -1 || mask > 0777)
		return cv_error_errno(EINVAL, "umask: must be from 0 to 0777 (or -1)");
	options->umask = mask;
	return 0;
}

int containerv_options_set_personality(struct containerv_options *options, enum containerv_personality personality)
{
	cv_error_clear();
	if (options == NULL || (personality != CV_PERSONALITY_INHERIT && personality != CV_PERSONALITY_LINUX &&
	                        personality != CV_PERSONALITY_LINUX32))
		return cv_error_errno(EINVAL, "personality: not LINUX or LINUX32");
	options->personality = (int)personality;
	return 0;
}

int containerv_options_set_root_propagation(struct containerv_options *options,
                                            enum containerv_mount_propagation propagation)
{
	cv_error_clear();
	if (options == NULL || (int)propagation < 0 || propagation > CV_PROPAGATION_UNBINDABLE)
		return cv_error_errno(EINVAL, "root propagation: unknown value");
	options->root_propagation = (int)propagation;
	return 0;
}

int containerv_options_set_supplementary_groups(struct containerv_options *options, const containerv_gid_t *gids,
                                                size_t count)
{
	cv_error_clear();
	if (options == NULL || (gids == NULL && count > 0))
		return cv_error_errno(EINVAL, "supplementary groups: missing argument");
	if (count > CONTAINERV_SUPPLEMENTARY_GROUPS_MAX)
		return cv_error_errno(E2BIG, "supplementary groups: more than %d", CONTAINERV_SUPPLEMENTARY_GROUPS_MAX);
	for (size_t i = 0; i < count; i++)
		options->supplementary_groups[i] = gids[i];
	options->supplementary_group_count = count;
	return 0;
}

static int set_idmap(struct cv_idmap *map, uint32_t host_start, uint32_t child_start, uint32_t count)
{
	if (count == 0 || (uint64_t)host_start + count > UINT32_MAX || (uint64_t)child_start + count > UINT32_MAX)
		return cv_error_errno(EINVAL, "invalid id map %u:%u:%u", child_start, host_start, count);
	map->set = true;
	map->host_start = host_start;
	map->child_start = child_start;
	map->count = count;
	return 0;
}

int containerv_options_set_users(struct containerv_options *options, containerv_uid_t host_start,
                                 containerv_uid_t child_start, uint32_t count)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "users: no options");
	if (set_idmap(&options->uid_map, host_start, child_start, count) < 0)
		return -1;
	options->namespaces |= CV_NS_USER;
	return 0;
}

int containerv_options_set_groups(struct containerv_options *options, containerv_gid_t host_start,
                                  containerv_gid_t child_start, uint32_t count)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "groups: no options");
	if (set_idmap(&options->gid_map, host_start, child_start, count) < 0)
		return -1;
	options->namespaces |= CV_NS_USER;
	return 0;
}

int containerv_options_set_userns_auto(struct containerv_options *options, int enabled)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "userns: no options");
	options->userns_auto = enabled != 0;
	return 0;
}

int containerv_options_set_namespaces(struct containerv_options *options, unsigned int namespaces)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "namespaces: no options");
	if (namespaces & ~(unsigned int)(CV_NS_DEFAULT | CV_NS_USER | CV_NS_TIME))
		return cv_error_errno(EINVAL, "namespaces: unknown bits 0x%x", namespaces);
	options->namespaces = namespaces | CV_NS_MOUNT;
	return 0;
}

int containerv_options_set_time_offset(struct containerv_options *options, enum containerv_clock clock, int64_t seconds,
                                       int64_t nanoseconds)
{
	cv_error_clear();
	if (options == NULL || (clock != CV_CLOCK_MONOTONIC && clock != CV_CLOCK_BOOTTIME))
		return cv_error_errno(EINVAL, "time offset: the clock is monotonic or boottime");
	if (nanoseconds < 0 || nanoseconds > 999999999)
		return cv_error_errno(EINVAL, "time offset: nanoseconds %lld: want 0 to 999999999",
		                      (long long)nanoseconds);
	/* The kernel's bound (KTIME_SEC_MAX / 2 either way); a clock driven negative fails at start. */
	if (seconds > INT64_MAX / 2000000000 || seconds < -(INT64_MAX / 2000000000))
		return cv_error_errno(EINVAL, "time offset: %lld seconds: out of range", (long long)seconds);
	options->time_offsets[clock == CV_CLOCK_BOOTTIME][0] = seconds;
	options->time_offsets[clock == CV_CLOCK_BOOTTIME][1] = nanoseconds;
	options->namespaces |= CV_NS_TIME;
	return 0;
}

int containerv_options_set_limits(struct containerv_options *options, const struct containerv_limits *limits)
{
	cv_error_clear();
	if (options == NULL || limits == NULL)
		return cv_error_errno(EINVAL, "limits: missing");
	if (containerv_limits_validate(limits) < 0)
		return -1;
	options->limits = *limits;
	return 0;
}

int containerv_options_set_stdio(struct containerv_options *options, containerv_fd_t in, containerv_fd_t out,
                                 containerv_fd_t err)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "stdio: no options");
	if (in < CONTAINERV_STDIO_PIPE || out < CONTAINERV_STDIO_PIPE || err < CONTAINERV_STDIO_STDOUT ||
	    (err == CONTAINERV_STDIO_STDOUT && out != CONTAINERV_STDIO_PIPE))
		return cv_error_errno(EINVAL, "stdio: invalid descriptors %lld, %lld, %lld", (long long)in,
		                      (long long)out, (long long)err);
	/* The numbers only: the caller's descriptors are duplicated when a container is created from them. */
	options->stdio_set = true;
	options->stdio[0] = in;
	options->stdio[1] = out;
	options->stdio[2] = err;
	return 0;
}

int containerv_options_set_tty(struct containerv_options *options, int enabled)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "tty: no options");
	options->tty = enabled != 0;
	return 0;
}

int containerv_options_set_tty_size(struct containerv_options *options, unsigned short rows, unsigned short columns)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "tty size: no options");
	options->tty_rows = rows;
	options->tty_columns = columns;
	return 0;
}

int containerv_options_set_autoremove(struct containerv_options *options, int mode)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "autoremove: no options");
	if (mode != CV_AUTOREMOVE_OFF && mode != CV_AUTOREMOVE_MONITOR && mode != CV_AUTOREMOVE_BY_WAITER)
		return cv_error_errno(EINVAL, "autoremove: unknown mode %d", mode);
	options->autoremove = mode != CV_AUTOREMOVE_OFF;
	options->autoremove_monitor = mode == CV_AUTOREMOVE_MONITOR;
	return 0;
}

int containerv_options_set_autostart(struct containerv_options *options, int enabled)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "autostart: no options");
	options->autostart = enabled != 0;
	return 0;
}

int containerv_options_set_hold(struct containerv_options *options, int enabled)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "hold: no options");
	options->hold = enabled != 0;
	return 0;
}

const char *cv_env_get(char *const *env, const char *key)
{
	size_t key_length = strlen(key);

	for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
		if (strncmp(env[i], key, key_length) == 0 && env[i][key_length] == '=')
			return env[i] + key_length + 1;
	}
	return NULL;
}

int cv_options_validate(const struct containerv_options *options)
{
	if (options->layers == NULL || options->layers[0] == NULL)
		return cv_error_errno(EINVAL, "no rootfs given");
	if (cv_supervise_config_validate(options) < 0)
		return -1;
	for (size_t i = 0; options->sysctls != NULL && options->sysctls[i] != NULL; i++) {
		cleanup_free char *key = cv_strdup(options->sysctls[i]);
		if (key == NULL)
			return -1;
		*strchr(key, '=') = '\0';
		if (!(options->namespaces & cv_sysctl_namespace(key)))
			return cv_error_errno(
			        EINVAL,
			        "sysctl %s: the container has no %s namespace of its own (it would be the host's)", key,
			        cv_sysctl_namespace(key) == CV_NS_NET ? "network" : "IPC");
	}
	/* An image's layers are shared by every container of it: none may write into them. */
	if (options->rootfs_in_place && (options->layers[1] != NULL || options->image_digest != NULL))
		return cv_error_errno(EINVAL, "rootfs in place: one directory of the caller's, not an image's layers");
	for (size_t i = 0; options->layers[i] != NULL; i++) {
		struct stat st;
		if (stat(options->layers[i], &st) < 0)
			return cv_error_sys("rootfs %s", options->layers[i]);
		if (!S_ISDIR(st.st_mode))
			return cv_error_errno(ENOTDIR, "rootfs %s: not a directory", options->layers[i]);
	}
	/* A terminal of the host handed in would be the container's to reopen: the library makes its own. */
	if (options->tty && options->stdio_set &&
	    (options->stdio[0] != CONTAINERV_STDIO_PIPE || options->stdio[1] != CONTAINERV_STDIO_PIPE ||
	     options->stdio[2] != CONTAINERV_STDIO_PIPE))
		return cv_error_errno(EINVAL, "tty: the terminal is made inside the container; pass no descriptors");
	for (int i = 0; i < CV_JOIN_COUNT; i++) {
		if (options->join_paths[i] != NULL && options->join_containers[i] != NULL)
			return cv_error_errno(EINVAL, "join the %s namespace: a path and a container both given",
			                      cv_join_types[i].name);
		if (options->join_paths[i] == NULL && options->join_containers[i] == NULL)
			continue;
		if (!(options->namespaces & cv_join_types[i].bit))
			return cv_error_errno(EINVAL, "join the %s namespace: the namespace is not chosen",
			                      cv_join_types[i].name);
		/* A namespace of the container's own user namespace could not enter one the host's owns. */
		if (options->namespaces & CV_NS_USER)
			return cv_error_errno(EINVAL,
			                      "join the %s namespace: not with a user namespace of the container's",
			                      cv_join_types[i].name);
	}
	if (options->domainname != NULL && !(options->namespaces & CV_NS_UTS))
		return cv_error_errno(EINVAL, "domainname: the container has no UTS namespace of its own (it would "
		                              "be the host's)");
	if (options->gid_map.set != options->uid_map.set && (options->namespaces & CV_NS_USER) == 0)
		return cv_error_errno(EINVAL, "user namespace: id maps given without the namespace");
	if (cv_network_config_validate(&options->network, (options->namespaces & CV_NS_NET) != 0) < 0)
		return -1;
	return containerv_limits_validate(&options->limits);
}

int cv_options_copy(struct containerv_options *dest, const struct containerv_options *src)
{
	cleanup_free char *json = NULL;

	if (cv_options_to_json(src, &json) < 0 || cv_options_from_json(json, dest) < 0)
		return -1;
	if (src->stdio_set && dup_stdio(dest, src->stdio) < 0) {
		cv_options_clear(dest);
		return -1;
	}
	if (src->tty) {
		/* The creating handle takes the master: mark its config as the creator's, as explicit stdio is. */
		dest->stdio_set = true;
		dest->tty_rows = src->tty_rows;
		dest->tty_columns = src->tty_columns;
	}
	return 0;
}

/* ---- config.json ---- */

static json_t *strv_to_json(char *const *strv)
{
	json_t *array = json_array();

	for (size_t i = 0; strv != NULL && strv[i] != NULL; i++)
		json_array_append_new(array, json_string(strv[i]));
	return array;
}

static int strv_from_json(json_t *array, char ***strv)
{
	size_t index;
	json_t *value;

	if (array == NULL || json_is_null(array))
		return 0;
	if (!json_is_array(array))
		return cv_error_errno(EINVAL, "config: expected an array");
	json_array_foreach(array, index, value)
	{
		if (!json_is_string(value) || cv_strv_append(strv, json_string_value(value)) < 0)
			return cv_error_errno(EINVAL, "config: expected strings");
	}
	return 0;
}

static json_t *idmap_to_json(const struct cv_idmap *map)
{
	if (!map->set)
		return json_null();
	return json_pack("{s:I,s:I,s:I}", "host", (json_int_t)map->host_start, "child", (json_int_t)map->child_start,
	                 "count", (json_int_t)map->count);
}

static void idmap_from_json(json_t *object, struct cv_idmap *map)
{
	if (!json_is_object(object))
		return;
	map->set = true;
	map->host_start = (uint32_t)json_integer_value(json_object_get(object, "host"));
	map->child_start = (uint32_t)json_integer_value(json_object_get(object, "child"));
	map->count = (uint32_t)json_integer_value(json_object_get(object, "count"));
}

/* [[page size, limit bytes], ...] */
static json_t *hugetlb_to_json(const struct containerv_limits *l)
{
	json_t *array = json_array();

	for (uint32_t i = 0; array != NULL && i < l->hugetlb_count && i < CONTAINERV_HUGETLB_SIZES_MAX; i++)
		json_array_append_new(array, json_pack("[I,I]", (json_int_t)l->hugetlb[i].page_size,
		                                       (json_int_t)l->hugetlb[i].limit_bytes));
	return array;
}

/* [[major, minor, read bps, write bps, read iops, write iops], ...] */
static json_t *io_throttle_to_json(const struct containerv_limits *l)
{
	json_t *array = json_array();

	for (uint32_t i = 0; array != NULL && i < l->io_throttle_count && i < CONTAINERV_IO_THROTTLE_DEVICES_MAX; i++) {
		const struct containerv_io_throttle *t = &l->io_throttle[i];
		json_array_append_new(array, json_pack("[I,I,I,I,I,I]", (json_int_t)t->major, (json_int_t)t->minor,
		                                       (json_int_t)t->read_bps, (json_int_t)t->write_bps,
		                                       (json_int_t)t->read_iops, (json_int_t)t->write_iops));
	}
	return array;
}

static void io_throttle_from_json(json_t *array, struct containerv_limits *l)
{
	json_t *entry;
	size_t i;

	l->io_throttle_count = 0;
	json_array_foreach(array, i, entry)
	{
		if (i >= CONTAINERV_IO_THROTTLE_DEVICES_MAX)
			break;
		struct containerv_io_throttle *t = &l->io_throttle[i];
		t->major = (uint32_t)json_integer_value(json_array_get(entry, 0));
		t->minor = (uint32_t)json_integer_value(json_array_get(entry, 1));
		t->read_bps = (uint64_t)json_integer_value(json_array_get(entry, 2));
		t->write_bps = (uint64_t)json_integer_value(json_array_get(entry, 3));
		t->read_iops = (uint64_t)json_integer_value(json_array_get(entry, 4));
		t->write_iops = (uint64_t)json_integer_value(json_array_get(entry, 5));
		l->io_throttle_count = (uint32_t)i + 1;
	}
}

static void hugetlb_from_json(json_t *array, struct containerv_limits *l)
{
	json_t *entry;
	size_t i;

	l->hugetlb_count = 0;
	json_array_foreach(array, i, entry)
	{
		if (i >= CONTAINERV_HUGETLB_SIZES_MAX)
			break;
		l->hugetlb[i].page_size = (uint64_t)json_integer_value(json_array_get(entry, 0));
		l->hugetlb[i].limit_bytes = (uint64_t)json_integer_value(json_array_get(entry, 1));
		l->hugetlb_count = (uint32_t)i + 1;
	}
}

static json_t *limits_to_json(const struct containerv_limits *l)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:I,s:I,s:I,s:b,s:o,s:o}", "memory", (json_int_t)l->memory_bytes,
	                 "memory_swap", (json_int_t)l->memory_swap_bytes, "cpu_shares", (json_int_t)l->cpu_shares,
	                 "cpu_quota_us", (json_int_t)l->cpu_quota_us, "cpu_period_us", (json_int_t)l->cpu_period_us,
	                 "cpuset_cpus", l->cpuset_cpus, "cpuset_mems", l->cpuset_mems, "pids_max",
	                 (json_int_t)l->pids_max, "io_weight", (json_int_t)l->io_weight, "memory_reservation",
	                 (json_int_t)l->memory_reservation_bytes, "oom_kill_disable", l->oom_kill_disable != 0,
	                 "hugetlb", hugetlb_to_json(l), "io_throttle", io_throttle_to_json(l));
}

static void limits_from_json(json_t *o, struct containerv_limits *l)
{
	const char *text;

	if (!json_is_object(o))
		return;
	l->memory_bytes = json_integer_value(json_object_get(o, "memory"));
	l->memory_swap_bytes = json_integer_value(json_object_get(o, "memory_swap"));
	l->cpu_shares = (uint64_t)json_integer_value(json_object_get(o, "cpu_shares"));
	l->cpu_quota_us = (uint64_t)json_integer_value(json_object_get(o, "cpu_quota_us"));
	l->cpu_period_us = (uint64_t)json_integer_value(json_object_get(o, "cpu_period_us"));
	if ((text = json_string_value(json_object_get(o, "cpuset_cpus"))) != NULL)
		snprintf(l->cpuset_cpus, sizeof l->cpuset_cpus, "%s", text);
	if ((text = json_string_value(json_object_get(o, "cpuset_mems"))) != NULL)
		snprintf(l->cpuset_mems, sizeof l->cpuset_mems, "%s", text);
	l->pids_max = json_integer_value(json_object_get(o, "pids_max"));
	l->io_weight = (uint32_t)json_integer_value(json_object_get(o, "io_weight"));
	l->memory_reservation_bytes = json_integer_value(json_object_get(o, "memory_reservation"));
	l->oom_kill_disable = json_is_true(json_object_get(o, "oom_kill_disable"));
	hugetlb_from_json(json_object_get(o, "hugetlb"), l);
	io_throttle_from_json(json_object_get(o, "io_throttle"), l);
}

static json_t *groups_to_json(const struct containerv_options *o)
{
	json_t *array = json_array();

	for (size_t i = 0; array != NULL && i < o->supplementary_group_count; i++)
		json_array_append_new(array, json_integer(o->supplementary_groups[i]));
	return array;
}

static void groups_from_json(json_t *array, struct containerv_options *o)
{
	json_t *entry;
	size_t i;

	o->supplementary_group_count = 0;
	json_array_foreach(array, i, entry)
	{
		if (i >= CONTAINERV_SUPPLEMENTARY_GROUPS_MAX || !json_is_integer(entry))
			break;
		o->supplementary_groups[o->supplementary_group_count++] = (gid_t)json_integer_value(entry);
	}
}

static int string_from_json(json_t *root, const char *key, char **slot);

/* KEY: {"net": VALUE, ...} of a per-namespace table, only when one is set. */
static int join_table_to_json(char *const table[CV_JOIN_COUNT], const char *key, json_t *root)
{
	json_t *entries = NULL;

	for (int i = 0; i < CV_JOIN_COUNT; i++) {
		if (table[i] == NULL)
			continue;
		if (entries == NULL && (entries = json_object()) == NULL)
			return -1;
		if (json_object_set_new(entries, cv_join_types[i].name, json_string(table[i])) < 0) {
			json_decref(entries);
			return -1;
		}
	}
	return entries == NULL ? 0 : json_object_set_new(root, key, entries);
}

/* "join_namespaces" (paths) and "join_containers" (ids). */
static int join_paths_to_json(const struct containerv_options *o, json_t *root)
{
	if (join_table_to_json(o->join_paths, "join_namespaces", root) < 0)
		return -1;
	return join_table_to_json(o->join_containers, "join_containers", root);
}

static int join_paths_from_json(json_t *root, struct containerv_options *o)
{
	json_t *paths = json_object_get(root, "join_namespaces");
	json_t *containers = json_object_get(root, "join_containers");

	for (int i = 0; paths != NULL && i < CV_JOIN_COUNT; i++)
		if (string_from_json(paths, cv_join_types[i].name, &o->join_paths[i]) < 0)
			return -1;
	for (int i = 0; containers != NULL && i < CV_JOIN_COUNT; i++)
		if (string_from_json(containers, cv_join_types[i].name, &o->join_containers[i]) < 0)
			return -1;
	return 0;
}

int cv_options_to_json(const struct containerv_options *o, char **json)
{
	json_t *root = json_pack("{s:o,s:s?,s:s?,s:o,s:o,s:s?,s:I,s:I,s:o,s:o,s:I,s:o,s:o,s:b,s:b,s:b,s:o,s:b}",
	                         "layers", strv_to_json(o->layers), "name", o->name, "hostname", o->hostname, "argv",
	                         o->argv ? strv_to_json(o->argv) : json_null(), "env", strv_to_json(o->env), "workdir",
	                         o->workdir, "uid", (json_int_t)o->uid, "gid", (json_int_t)o->gid, "uid_map",
	                         idmap_to_json(&o->uid_map), "gid_map", idmap_to_json(&o->gid_map), "namespaces",
	                         (json_int_t)o->namespaces, "limits", limits_to_json(&o->limits), "labels",
	                         strv_to_json(o->labels), "autostart", o->autostart, "tty", o->tty, "autoremove",
	                         o->autoremove, "mounts", cv_mounts_to_json(o->mounts, o->mount_count),
	                         "readonly_rootfs", o->readonly_rootfs);

	if (root == NULL || json_object_set_new(root, "userns_auto", json_boolean(o->userns_auto)) < 0 ||
	    json_object_set_new(root, "autoremove_monitor", json_boolean(o->autoremove_monitor)) < 0 ||
	    json_object_set_new(root, "rootfs_in_place", json_boolean(o->rootfs_in_place)) < 0 ||
	    (o->cgroup_path != NULL && json_object_set_new(root, "cgroup_path", json_string(o->cgroup_path)) < 0) ||
	    join_paths_to_json(o, root) < 0 ||
	    json_object_set_new(root, "supplementary_groups", groups_to_json(o)) < 0 ||
	    json_object_set_new(root, "sysctls", strv_to_json(o->sysctls)) < 0 ||
	    json_object_set_new(root, "devices", strv_to_json(o->devices)) < 0 ||
	    json_object_set_new(root, "device_rules", strv_to_json(o->device_rules)) < 0 ||
	    json_object_set_new(root, "cgroup_unified", strv_to_json(o->cgroup_unified)) < 0 ||
	    json_object_set_new(root, "umask", json_integer(o->umask)) < 0 ||
	    json_object_set_new(root, "personality", json_integer(o->personality)) < 0 ||
	    json_object_set_new(root, "time_offsets",
	                        json_pack("[I,I,I,I]", (json_int_t)o->time_offsets[0][0],
	                                  (json_int_t)o->time_offsets[0][1], (json_int_t)o->time_offsets[1][0],
	                                  (json_int_t)o->time_offsets[1][1])) < 0 ||
	    json_object_set_new(root, "root_propagation", json_integer(o->root_propagation)) < 0 ||
	    json_object_set_new(root, "network", cv_network_config_to_json(&o->network)) < 0 ||
	    json_object_set_new(root, "log_max_size", json_integer((json_int_t)o->log_max_size)) < 0 ||
	    json_object_set_new(root, "log_max_files", json_integer((json_int_t)o->log_max_files)) < 0 ||
	    cv_process_options_to_json(o, root) < 0 || cv_security_config_to_json(o->security, root) < 0 ||
	    cv_supervise_config_to_json(o, root) < 0 || cv_perf_config_to_json(o, root) < 0) {
		json_decref(root);
		return cv_error_errno(ENOMEM, "config: cannot encode");
	}
	if ((o->image_digest != NULL || o->image_entrypoint != NULL) &&
	    json_object_set_new(root, "image",
	                        json_pack("{s:s?,s:s?,s:o,s:o,s:o,s:i,s:b}", "name", o->image, "digest",
	                                  o->image_digest, "entrypoint", strv_to_json(o->image_entrypoint), "cmd",
	                                  o->image_cmd ? strv_to_json(o->image_cmd) : json_null(), "volumes",
	                                  strv_to_json(o->image_volumes), "stop_signal", o->stop_signal, "user_set",
	                                  o->user_set)) != 0) {
		json_decref(root);
		return cv_error_errno(ENOMEM, "config: cannot encode");
	}
	/* Also at the top: a container without an image has a stop signal too (--stop-signal). */
	if (o->stop_signal > 0 && json_object_set_new(root, "stop_signal", json_integer(o->stop_signal)) != 0) {
		json_decref(root);
		return cv_error_errno(ENOMEM, "config: cannot encode");
	}
	*json = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (*json == NULL)
		return cv_error_errno(ENOMEM, "config: cannot encode");
	return 0;
}

static int string_from_json(json_t *root, const char *key, char **slot)
{
	json_t *value = json_object_get(root, key);

	if (value == NULL || json_is_null(value))
		return 0;
	if (!json_is_string(value))
		return cv_error_errno(EINVAL, "config: %s is not a string", key);
	return cv_replace_string(slot, json_string_value(value));
}

int cv_options_from_json(const char *json, struct containerv_options *o)
{
	json_error_t error;
	json_t *root = json_loads(json, 0, &error);
	int ret = -1;

	if (root == NULL)
		return cv_error_errno(EINVAL, "config: invalid JSON at line %d: %s", error.line, error.text);
	cv_options_init(o);
	if (!json_is_object(root)) {
		cv_error_errno(EINVAL, "config: not an object");
		goto done;
	}
	if (strv_from_json(json_object_get(root, "layers"), &o->layers) < 0 ||
	    string_from_json(root, "name", &o->name) < 0 || string_from_json(root, "hostname", &o->hostname) < 0 ||
	    string_from_json(root, "cgroup_path", &o->cgroup_path) < 0 || join_paths_from_json(root, o) < 0 ||
	    strv_from_json(json_object_get(root, "argv"), &o->argv) < 0 ||
	    strv_from_json(json_object_get(root, "env"), &o->env) < 0 ||
	    string_from_json(root, "workdir", &o->workdir) < 0 ||
	    strv_from_json(json_object_get(root, "labels"), &o->labels) < 0)
		goto done;
	o->uid = (uid_t)json_integer_value(json_object_get(root, "uid"));
	o->gid = (gid_t)json_integer_value(json_object_get(root, "gid"));
	idmap_from_json(json_object_get(root, "uid_map"), &o->uid_map);
	idmap_from_json(json_object_get(root, "gid_map"), &o->gid_map);
	o->namespaces = (unsigned int)json_integer_value(json_object_get(root, "namespaces"));
	limits_from_json(json_object_get(root, "limits"), &o->limits);
	cv_perf_config_from_json(root, o);
	o->autostart = json_is_true(json_object_get(root, "autostart"));
	o->tty = json_is_true(json_object_get(root, "tty"));
	o->autoremove = json_is_true(json_object_get(root, "autoremove"));
	/* Written before the modes existed: an autoremove container had its monitor. */
	json_t *monitor = json_object_get(root, "autoremove_monitor");
	o->autoremove_monitor = monitor != NULL ? json_is_true(monitor) : o->autoremove;
	o->readonly_rootfs = json_is_true(json_object_get(root, "readonly_rootfs"));
	o->userns_auto = json_is_true(json_object_get(root, "userns_auto"));
	/* Absent (written before logs rotated) or out of range: the defaults. */
	json_int_t log_max_size = json_integer_value(json_object_get(root, "log_max_size"));
	json_int_t log_max_files = json_integer_value(json_object_get(root, "log_max_files"));
	o->log_max_size = log_max_size >= 1024 ? (uint64_t)log_max_size : 0;
	o->log_max_files = log_max_files >= 1 && log_max_files <= 100 ? (unsigned int)log_max_files : 0;
	o->rootfs_in_place = json_is_true(json_object_get(root, "rootfs_in_place"));
	groups_from_json(json_object_get(root, "supplementary_groups"), o);
	if (strv_from_json(json_object_get(root, "sysctls"), &o->sysctls) < 0 ||
	    strv_from_json(json_object_get(root, "devices"), &o->devices) < 0 ||
	    strv_from_json(json_object_get(root, "device_rules"), &o->device_rules) < 0 ||
	    strv_from_json(json_object_get(root, "cgroup_unified"), &o->cgroup_unified) < 0)
		goto done;
	/* Absent (written before they existed) or out of range: the caller's mask, a private root. */
	json_t *umask_value = json_object_get(root, "umask");
	o->umask = json_is_integer(umask_value) && json_integer_value(umask_value) >= 0 &&
	                           json_integer_value(umask_value) <= 0777
	                   ? (int)json_integer_value(umask_value)
	                   : -1;
	json_t *offsets = json_object_get(root, "time_offsets");
	for (size_t i = 0; i < 4 && json_array_size(offsets) == 4; i++)
		o->time_offsets[i / 2][i % 2] = json_integer_value(json_array_get(offsets, i));
	json_int_t personality = json_integer_value(json_object_get(root, "personality"));
	o->personality = personality >= 0 && personality <= CV_PERSONALITY_LINUX32 ? (int)personality : 0;
	json_int_t propagation = json_integer_value(json_object_get(root, "root_propagation"));
	o->root_propagation = propagation >= 0 && propagation <= CV_PROPAGATION_UNBINDABLE ? (int)propagation : 0;
	if (cv_mounts_from_json(json_object_get(root, "mounts"), &o->mounts, &o->mount_count) < 0 ||
	    cv_network_config_from_json(json_object_get(root, "network"), &o->network) < 0 ||
	    cv_process_options_from_json(root, o) < 0 || cv_security_config_from_json(root, &o->security) < 0 ||
	    cv_supervise_config_from_json(root, o) < 0)
		goto done;
	json_t *image = json_object_get(root, "image");
	if (json_is_object(image) && (string_from_json(image, "name", &o->image) < 0 ||
	                              string_from_json(image, "digest", &o->image_digest) < 0 ||
	                              strv_from_json(json_object_get(image, "entrypoint"), &o->image_entrypoint) < 0 ||
	                              strv_from_json(json_object_get(image, "cmd"), &o->image_cmd) < 0 ||
	                              strv_from_json(json_object_get(image, "volumes"), &o->image_volumes) < 0))
		goto done;
	o->stop_signal = (int)json_integer_value(json_object_get(image, "stop_signal"));
	if (json_integer_value(json_object_get(root, "stop_signal")) > 0)
		o->stop_signal = (int)json_integer_value(json_object_get(root, "stop_signal"));
	if (o->stop_signal < 0 || o->stop_signal >= NSIG)
		o->stop_signal = 0;
	o->user_set = json_is_true(json_object_get(image, "user_set"));
	if (o->layers == NULL) {
		cv_error_errno(EINVAL, "config: no layers");
		goto done;
	}
	ret = 0;
done:
	json_decref(root);
	if (ret < 0)
		cv_options_clear(o);
	return ret;
}

int containerv_options_set_stop_signal(struct containerv_options *options, int signal)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "stop signal: no options");
	if (signal <= 0 || signal >= NSIG)
		return cv_error_errno(EINVAL, "invalid stop signal %d", signal);
	options->stop_signal = signal;
	return 0;
}
