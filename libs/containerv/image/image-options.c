/*
 * containerv_options_set_image: an image's layers as the root filesystem
 * and its config as defaults, and the create-time half (Entrypoint/Cmd,
 * Volumes, the lock that keeps GC away until config.json names the layers).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <chef/containerv/image.h>

#include "common/digest.h"
#include "common/error.h"
#include "config/options.h"
#include "common/util.h"
#include "image/image-options.h"
#include "network/network-internal.h"
#include "image/manifest.h"
#include "image/store.h"

static const struct {
	const char *name;
	int number;
} signals[] = {
        {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},   {"USR1", SIGUSR1},
        {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"STOP", SIGSTOP}, {"WINCH", SIGWINCH}, {"PWR", SIGPWR},
};

int cv_signal_from_name(const char *name)
{
	char *end;
	long number;

	if (name == NULL || name[0] == '\0')
		return -1;
	number = strtol(name, &end, 10);
	if (*end == '\0')
		return number > 0 && number < NSIG ? (int)number : -1;
	if (strncmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
		if (strcmp(name, signals[i].name) == 0)
			return signals[i].number;
	}
	if (strncmp(name, "RTMIN+", 6) == 0) {
		number = strtol(name + 6, &end, 10);
		if (*end == '\0' && number >= 0 && SIGRTMIN + number <= SIGRTMAX)
			return SIGRTMIN + (int)number;
	}
	return -1;
}

/* A regular file of known size (at most the size fstat gave: it cannot grow a read past that). */
static int read_regular_file(int fd, size_t size, char **content)
{
	char *buffer = cv_malloc0(size + 1);
	size_t used = 0;

	if (buffer == NULL)
		return -1;
	while (used < size) {
		ssize_t n = read(fd, buffer + used, size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	buffer[used] = '\0';
	*content = buffer;
	return 0;
}

/*
 * Reads etc/<file> from the topmost layer that has it (a whiteout there ends the search). The layer is
 * an image's, hostile: etc and the file are each opened O_NOFOLLOW (a symlinked /etc or /etc/passwd is
 * never followed, so it cannot lead to the host's) and what was opened is fstat'ed as a regular file
 * before it is read, at most 4 MiB.
 */
static int read_layer_file(char *const *layers, const char *file, char **content)
{
	size_t count = cv_strv_length(layers);

	for (size_t i = count; i-- > 0;) {
		cleanup_close int root = open(layers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cleanup_close int etc = -1;
		struct stat st;
		const char *leaf = strchr(file, '/') + 1; /* file is "etc/<name>" */

		if (root < 0)
			continue;
		etc = openat(root, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (etc < 0) {
			if (errno == ENOTDIR || errno == ELOOP)
				return -1; /* this layer's /etc is no directory: it hides the lower ones */
			continue;
		}
		if (fstatat(etc, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISREG(st.st_mode))
			return -1;
		cleanup_close int fd = openat(etc, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (4 << 20))
			return -1;
		return read_regular_file(fd, (size_t)st.st_size, content);
	}
	return -1;
}

/*
 * An id field of the image's passwd or group file at text: decimal digits up to the next ':' (or the
 * line's end when last), below UINT32_MAX. (uid_t)-1 would be no id at all: setresuid and setresgid
 * read it as "leave unchanged", and the process would stay root. NULL when malformed, else the end.
 */
static const char *parse_id_field(const char *text, bool last, long *id)
{
	long value = 0;
	const char *p = text;

	for (; *p >= '0' && *p <= '9'; p++) {
		value = value * 10 + (*p - '0');
		if (value >= (long)UINT32_MAX)
			return NULL;
	}
	if (p == text || !(*p == ':' || (last && (*p == '\n' || *p == '\0'))))
		return NULL;
	*id = value;
	return p;
}

/*
 * Finds name in a passwd or group file: field 3 (uid or gid) and, for passwd, field 4 (gid).
 * 0 found, -1 not there, -2 its entry is malformed.
 */
static int lookup_id(const char *content, const char *name, long *id, long *group)
{
	size_t name_length = strlen(name);

	for (const char *line = content; line != NULL && *line != '\0';) {
		const char *next = strchr(line, '\n');
		if (strncmp(line, name, name_length) == 0 && line[name_length] == ':') {
			const char *field = strchr(line + name_length + 1, ':');
			if (field == NULL || (field = parse_id_field(field + 1, group == NULL, id)) == NULL)
				return -2;
			if (group != NULL && parse_id_field(field + 1, true, group) == NULL)
				return -2;
			return 0;
		}
		line = next != NULL ? next + 1 : NULL;
	}
	return -1;
}

/* The group of a numeric user's passwd entry (field 4 where field 3 is uid), as docker gives it; else 0. */
static long group_of_uid(const char *passwd, long uid)
{
	char needle[32];
	long group = 0;

	snprintf(needle, sizeof needle, ":%ld:", uid);
	for (const char *line = passwd; line != NULL && *line != '\0';) {
		const char *colon = strchr(line, ':');
		colon = colon != NULL ? strchr(colon + 1, ':') : NULL;
		if (colon != NULL && strncmp(colon, needle, strlen(needle)) == 0)
			return parse_id_field(colon + strlen(needle), true, &group) != NULL ? group : 0;
		line = strchr(line, '\n');
		line = line != NULL ? line + 1 : NULL;
	}
	return 0;
}

static bool parse_number(const char *text, long *out)
{
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return false;
	*out = strtol(text, &end, 10);
	return *end == '\0' && *out >= 0 && *out < (long)UINT32_MAX;
}

int cv_image_parse_user(char *const *layers, const char *user, uid_t *uid, gid_t *gid)
{
	cleanup_free char *copy = cv_strdup(user);
	cleanup_free char *passwd = NULL, *group_file = NULL;
	char *group, shown[100];
	long user_id = 0, group_id = 0;

	if (copy == NULL)
		return -1;
	cv_printable(user, shown, sizeof shown);
	group = strchr(copy, ':');
	if (group != NULL)
		*group++ = '\0';
	if (copy[0] == '\0')
		return cv_error_errno(EINVAL, "image user \"%s\": empty", shown);
	if (!parse_number(copy, &user_id)) {
		int found = read_layer_file(layers, "etc/passwd", &passwd) < 0
		                    ? -1
		                    : lookup_id(passwd, copy, &user_id, &group_id);
		if (found == -2)
			return cv_error_errno(
			        EINVAL, "image user \"%s\": its entry in the image's /etc/passwd is malformed", shown);
		if (found < 0)
			return cv_error_errno(ENOENT, "image user \"%s\": no such user in the image's /etc/passwd",
			                      shown);
	} else if (read_layer_file(layers, "etc/passwd", &passwd) == 0) {
		group_id = group_of_uid(passwd, user_id);
	}
	if (group != NULL && group[0] != '\0' && !parse_number(group, &group_id)) {
		int found = read_layer_file(layers, "etc/group", &group_file) < 0
		                    ? -1
		                    : lookup_id(group_file, group, &group_id, NULL);
		if (found == -2)
			return cv_error_errno(
			        EINVAL, "image user \"%s\": its group's entry in the image's /etc/group is malformed",
			        shown);
		if (found < 0)
			return cv_error_errno(ENOENT, "image user \"%s\": no such group in the image's /etc/group",
			                      shown);
	}
	*uid = (uid_t)user_id;
	*gid = (gid_t)group_id;
	return 0;
}

int cv_image_parse_group(char *const *layers, const char *group, gid_t *gid)
{
	cleanup_free char *group_file = NULL;
	char shown[100];
	long group_id = 0;

	cv_printable(group, shown, sizeof shown);
	if (group[0] == '\0')
		return cv_error_errno(EINVAL, "group \"%s\": empty", shown);
	if (!parse_number(group, &group_id)) {
		int found = read_layer_file(layers, "etc/group", &group_file) < 0
		                    ? -1
		                    : lookup_id(group_file, group, &group_id, NULL);
		if (found == -2)
			return cv_error_errno(EINVAL, "group \"%s\": its entry in the image's /etc/group is malformed",
			                      shown);
		if (found < 0)
			return cv_error_errno(ENOENT, "group \"%s\": no such group in the image's /etc/group", shown);
	}
	*gid = (gid_t)group_id;
	return 0;
}

/* Adds KEY=VALUE entries whose key the vector lacks (the caller's settings win). */
static int add_missing_keyed(char ***strv, char *const *defaults)
{
	for (size_t i = 0; defaults != NULL && defaults[i] != NULL; i++) {
		const char *equals = strchr(defaults[i], '=');
		size_t key_length = equals != NULL ? (size_t)(equals - defaults[i]) : strlen(defaults[i]);
		bool present = false;

		if (equals == NULL || key_length == 0)
			continue;
		for (size_t j = 0; *strv != NULL && (*strv)[j] != NULL && !present; j++)
			present = strncmp((*strv)[j], defaults[i], key_length) == 0 && (*strv)[j][key_length] == '=';
		if (!present && cv_strv_append(strv, defaults[i]) != 0)
			return -1;
	}
	return 0;
}

/*
 * The label keys that make a container part of something: a compose project's replica (com.docker.compose.*:
 * compose down, exec and the project's balancer find their containers by them) or a pool's (containerv.*).
 * Only their owner sets them. An image's label of those keys is not inherited: an image built to carry
 * com.docker.compose.project=shop and service=web would otherwise, run on shop's network by anyone, be taken
 * by shop's balancer for a web replica and get a share of its traffic.
 */
static bool reserved_label(const char *label)
{
	return strncmp(label, "com.docker.compose.", 19) == 0 || strncmp(label, "containerv.", 11) == 0;
}

/* The image's labels, but those of a reserved key, added where the caller's labels lack the key. */
static int add_image_labels(char ***labels, char *const *image_labels)
{
	cleanup_strv char **allowed = NULL;

	for (size_t i = 0; image_labels != NULL && image_labels[i] != NULL; i++)
		if (!reserved_label(image_labels[i]) && cv_strv_append(&allowed, image_labels[i]) != 0)
			return -1;
	return add_missing_keyed(labels, allowed);
}

static int set_image_locked(struct cv_store *store, struct containerv_options *options, const char *image)
{
	char digest[72], layer[PATH_MAX];
	cleanup_free char *name = NULL;
	cleanup_free char(*chain_ids)[72] = NULL;
	cleanup_strv char **layers = NULL;
	struct cv_manifest manifest;
	struct cv_image_config config;
	struct cv_health_config image_health = {0};
	size_t count = 0;
	int ret = -1;

	if (cv_store_resolve(store, image, digest, &name) != 0 || cv_store_unpack_image(store, digest) != 0 ||
	    cv_store_image_chain_ids(store, digest, &chain_ids, &count) != 0)
		return -1;
	if (count == 0)
		return cv_error_errno(EINVAL, "image %s: has no layers", name);
	for (size_t i = 0; i < count; i++) {
		if (cv_store_layer_path(store, chain_ids[i], layer, sizeof layer) != 0 ||
		    cv_strv_append(&layers, layer) != 0)
			return -1;
	}
	if (cv_store_load_image(store, digest, &manifest, &config) != 0)
		return -1;
	/* Everything that can fail is checked before options change: a failure leaves them as they were. */
	uid_t uid = 0;
	gid_t gid = 0;
	int stop_signal = 0;
	if (!options->user_set && config.user != NULL && config.user[0] != '\0' &&
	    cv_image_parse_user(layers, config.user, &uid, &gid) != 0)
		goto out;
	if (config.stop_signal != NULL && (stop_signal = cv_signal_from_name(config.stop_signal)) < 0) {
		char shown[40];
		cv_error_errno(EINVAL, "image %s: unknown StopSignal \"%s\"", name,
		               cv_printable(config.stop_signal, shown, sizeof shown));
		goto out;
	}
	for (size_t i = 0; config.volumes != NULL && config.volumes[i] != NULL; i++) {
		if (config.volumes[i][0] != '/' || strstr(config.volumes[i], "..") != NULL) {
			char shown[100];
			cv_error_errno(EINVAL, "image %s: volume \"%s\" is not an absolute path", name,
			               cv_printable(config.volumes[i], shown, sizeof shown));
			goto out;
		}
	}
	/* ExposedPorts ("80/tcp"): what -P publishes. Hostile keys are refused before anything changes. */
	for (size_t i = 0; config.exposed_ports != NULL && config.exposed_ports[i] != NULL; i++) {
		struct cv_port port;
		if (cv_port_parse(config.exposed_ports[i], &port, true) != 0) {
			char shown[100];
			cv_error_errno(EINVAL, "image %s: exposed port \"%s\" is not PORT[/tcp|udp]", name,
			               cv_printable(config.exposed_ports[i], shown, sizeof shown));
			goto out;
		}
	}
	if (config.healthcheck_json != NULL) {
		json_t *health = json_loads(config.healthcheck_json, 0, NULL);
		int parsed = cv_health_config_from_json(health, &image_health, false);
		json_decref(health);
		if (parsed < 0) {
			cv_error_prefix("image %s", name);
			goto out;
		}
	}
	if (containerv_options_set_layers(options, (const char *const *)layers, count) != 0 ||
	    add_missing_keyed(&options->env, config.env) != 0 || add_image_labels(&options->labels, config.labels) != 0)
		goto out;
	for (size_t i = 0; config.exposed_ports != NULL && config.exposed_ports[i] != NULL; i++) {
		bool known = false;
		for (size_t j = 0; options->network.exposed != NULL && options->network.exposed[j] != NULL; j++)
			known = known || strcmp(options->network.exposed[j], config.exposed_ports[i]) == 0;
		if (!known && cv_strv_append(&options->network.exposed, config.exposed_ports[i]) != 0)
			goto out;
	}
	if (options->workdir == NULL && config.working_dir != NULL && config.working_dir[0] == '/' &&
	    (options->workdir = cv_strdup(config.working_dir)) == NULL)
		goto out;
	if (!options->user_set && config.user != NULL && config.user[0] != '\0') {
		options->uid = uid;
		options->gid = gid;
	}
	options->stop_signal = stop_signal;
	cv_health_config_clear(&options->image_health);
	options->image_health = image_health;
	memset(&image_health, 0, sizeof image_health);
	free(options->image);
	free(options->image_digest);
	options->image = cv_steal_pointer(&name);
	options->image_digest = cv_strdup(digest);
	if (!options->entrypoint_set) {
		cv_strv_free(options->image_entrypoint);
		options->image_entrypoint = cv_steal_pointer(&config.entrypoint);
	}
	cv_strv_free(options->image_cmd);
	options->image_cmd = cv_steal_pointer(&config.cmd);
	cv_strv_free(options->image_volumes);
	options->image_volumes = cv_steal_pointer(&config.volumes);
	ret = options->image_digest != NULL ? 0 : -1;
out:
	cv_health_config_clear(&image_health);
	cv_manifest_clear(&manifest);
	cv_image_config_clear(&config);
	return ret;
}

int containerv_options_set_image(struct containerv_options *options, const char *image)
{
	struct cv_store *store = NULL;
	int ret;

	cv_error_clear();
	if (options == NULL || image == NULL)
		return cv_error_errno(EINVAL, "image: missing argument");
	if (cv_store_open(&store) != 0)
		return -1;
	ret = cv_store_lock(store, LOCK_SH);
	if (ret == 0)
		ret = set_image_locked(store, options, image);
	cv_store_close(store);
	return ret;
}

int containerv_options_set_entrypoint(struct containerv_options *options, const char *const *argv)
{
	char **copy = NULL;

	cv_error_clear();
	if (options == NULL || argv == NULL)
		return cv_error_errno(EINVAL, "entrypoint: missing argument");
	if (argv[0] != NULL && (copy = cv_strv_dup(argv)) == NULL)
		return -1;
	cv_strv_free(options->image_entrypoint);
	options->image_entrypoint = copy;
	options->entrypoint_set = true;
	/* docker: --entrypoint also drops the image's Cmd. */
	cv_strv_free(options->image_cmd);
	options->image_cmd = NULL;
	return 0;
}

static bool mount_covers(const struct containerv_options *config, const char *target)
{
	for (size_t i = 0; i < config->mount_count; i++) {
		if (strcmp(config->mounts[i].target, target) == 0)
			return true;
	}
	return false;
}

int cv_image_create_begin(struct containerv_options *config, struct cv_store **out)
{
	struct cv_store *store = NULL;
	cleanup_strv char **argv = NULL;

	*out = NULL;
	if (config->image_digest == NULL && config->image_entrypoint == NULL)
		return 0;
	if (config->image_digest != NULL) {
		if (cv_store_open(&store) != 0 || cv_store_lock(store, LOCK_SH) != 0) {
			cv_store_close(store);
			return -1;
		}
		/* rmi + GC may have run since set_image: the layers must still be there. */
		for (size_t i = 0; config->layers[i] != NULL; i++) {
			struct stat st;
			if (stat(config->layers[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
				cv_store_close(store);
				return cv_error_errno(ENOENT, "image %s: removed meanwhile (layer %s is gone)",
				                      config->image ? config->image : config->image_digest,
				                      config->layers[i]);
			}
		}
	}
	/* argv = Entrypoint + (the caller's command, else Cmd). */
	for (size_t i = 0; config->image_entrypoint != NULL && config->image_entrypoint[i] != NULL; i++) {
		if (cv_strv_append(&argv, config->image_entrypoint[i]) != 0)
			goto fail;
	}
	char **rest = config->argv != NULL ? config->argv : config->image_cmd;
	for (size_t i = 0; rest != NULL && rest[i] != NULL; i++) {
		if (cv_strv_append(&argv, rest[i]) != 0)
			goto fail;
	}
	if (argv != NULL) {
		cv_strv_free(config->argv);
		config->argv = cv_steal_pointer(&argv);
	}
	/* Volumes of the image: anonymous volumes, as docker makes them, unless a mount is there. */
	for (size_t i = 0; config->image_volumes != NULL && config->image_volumes[i] != NULL; i++) {
		struct containerv_mount mount = CONTAINERV_MOUNT_INIT;
		if (mount_covers(config, config->image_volumes[i]))
			continue;
		mount.type = CV_MOUNT_TYPE_VOLUME;
		mount.source = NULL;
		mount.target = config->image_volumes[i];
		if (containerv_options_add_mount(config, &mount) != 0)
			goto fail;
	}
	*out = store;
	return 0;
fail:
	cv_store_close(store);
	return -1;
}

void cv_image_create_end(struct cv_store *store)
{
	cv_store_close(store);
}
