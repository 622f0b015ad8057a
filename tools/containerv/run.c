/*
 * run, create and start.
 *
 * run parses every flag into a struct run_config and validates it whole
 * (rootfs found, sizes parsed, limits checked, environment files read)
 * before a containerv_options object is built; only then is the container
 * created, so a bad flag never leaves anything behind.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "attach.h"
#include "cli.h"
#include "flags.h"
#include "mounts.h"
#include "network-flags.h"
#include "output.h"
#include "security-flags.h"
#include "progress.h"
#include "rootfs-path.h"
#include "tty.h"

/* docker's default PATH; a later -e PATH=... replaces it. */
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *const default_command[] = {"/bin/sh", NULL};

/* The flags as typed. */
struct run_flags {
	int detach, interactive, tty, remove, read_only, hold;
	const char *name, *hostname, *workdir, *user, *rootfs, *entrypoint, *pull;
	const char *memory, *memory_swap, *cpus, *cpu_shares, *cpuset_cpus, *cpuset_mems, *pids_limit, *blkio_weight;
	struct string_list env, env_files, labels, volumes, mounts, tmpfs;
	struct security_flags security;
	struct network_flags network;
};

/* The flags turned into values, all validated. */
struct run_config {
	char rootfs[PATH_MAX];
	const char *image; /* IMAGE when it is not a directory path: looked up in the image store */
	const char *const *command;
	struct string_list env; /* owned strings */
	bool has_user;
	uid_t uid;
	gid_t gid;
	struct containerv_limits limits;
};

static struct run_flags flags;

static const struct flag run_flag_table[] = {
        {"detach", 'd', FLAG_BOOL, &flags.detach, NULL, "Run container in background and print container ID"},
        {"interactive", 'i', FLAG_BOOL, &flags.interactive, NULL, "Keep STDIN open"},
        {"tty", 't', FLAG_BOOL, &flags.tty, NULL, "Allocate a pseudo-TTY"},
        {"rm", 0, FLAG_BOOL, &flags.remove, NULL, "Automatically remove the container when it exits"},
        {"hold", 0, FLAG_BOOL, &flags.hold, NULL,
         "create: set the container up now and hold it before its command; start only releases it"},
        {"name", 0, FLAG_STRING, &flags.name, "string", "Assign a name to the container"},
        {"hostname", 'h', FLAG_STRING, &flags.hostname, "string", "Container host name"},
        {"env", 'e', FLAG_LIST, &flags.env, "list", "Set environment variables (KEY=VALUE, or KEY to copy ours)"},
        {"env-file", 0, FLAG_LIST, &flags.env_files, "list", "Read in a file of environment variables"},
        {"workdir", 'w', FLAG_STRING, &flags.workdir, "string", "Working directory inside the container"},
        {"user", 'u', FLAG_STRING, &flags.user, "UID[:GID]", "Numeric user and group to run as"},
        {"memory", 'm', FLAG_STRING, &flags.memory, "bytes", "Memory limit (64m, 1g, ...)"},
        {"memory-swap", 0, FLAG_STRING, &flags.memory_swap, "bytes", "Memory plus swap limit; -1 for unlimited swap"},
        {"cpus", 0, FLAG_STRING, &flags.cpus, "decimal", "Number of CPUs (0.5, 2, ...)"},
        {"cpu-shares", 'c', FLAG_STRING, &flags.cpu_shares, "int", "CPU shares (relative weight)"},
        {"cpuset-cpus", 0, FLAG_STRING, &flags.cpuset_cpus, "string", "CPUs in which to allow execution (0-3, 0,1)"},
        {"cpuset-mems", 0, FLAG_STRING, &flags.cpuset_mems, "string", "MEMs in which to allow execution (0-3, 0,1)"},
        {"pids-limit", 0, FLAG_STRING, &flags.pids_limit, "int", "Tune container pids limit (-1 for unlimited)"},
        {"blkio-weight", 0, FLAG_STRING, &flags.blkio_weight, "uint16", "Block IO (relative weight), 10 to 1000"},
        {"label", 'l', FLAG_LIST, &flags.labels, "list", "Set meta data on a container"},
        {"rootfs", 0, FLAG_STRING, &flags.rootfs, "DIR", "Use DIR as the root filesystem instead of an IMAGE"},
        {"entrypoint", 0, FLAG_STRING, &flags.entrypoint, "string", "Overwrite the default ENTRYPOINT of the image"},
        {"pull", 0, FLAG_STRING, &flags.pull, "policy", "Pull the image: missing (default), always, never"},
        {"volume", 'v', FLAG_LIST, &flags.volumes, "list", "Bind mount a volume (SRC:DST[:ro], NAME:DST, or DST)"},
        {"mount", 0, FLAG_LIST, &flags.mounts, "mount", "Attach a mount (type=bind|volume|tmpfs,source=,target=,...)"},
        {"tmpfs", 0, FLAG_LIST, &flags.tmpfs, "list", "Mount a tmpfs directory (DST[:size=64m,mode=1777])"},
        {"read-only", 0, FLAG_BOOL, &flags.read_only, NULL, "Mount the container's root filesystem as read only"},
        {"security-level", 0, FLAG_STRING, &flags.security.level, "LEVEL",
         "permissive, restricted (default), strict or paranoid"},
        {"security-profile", 0, FLAG_STRING, &flags.security.profile, "NAME|FILE",
         "A predefined profile (see 'containerv security profiles') or a JSON profile file"},
        {"cap-add", 0, FLAG_LIST, &flags.security.cap_add, "list", "Add Linux capabilities (NET_ADMIN, ALL, ...)"},
        {"cap-drop", 0, FLAG_LIST, &flags.security.cap_drop, "list", "Drop Linux capabilities"},
        {"security-opt", 0, FLAG_LIST, &flags.security.security_opts, "list",
         "seccomp=FILE|unconfined, no-new-privileges[=true|false], apparmor=PROFILE, label=LABEL"},
        {"userns", 0, FLAG_STRING, &flags.security.userns, "auto|host|C:H:N",
         "User namespace: auto (a leased unprivileged id range), host (none), or a map"},
        {"privileged", 0, FLAG_BOOL, &flags.security.privileged, NULL,
         "Give extended privileges to this container (every wall down)"},
        NETWORK_RUN_FLAGS(flags.network),
        FLAG_END,
};

static const char run_notes[] =
        "IMAGE is an image of the store (see 'containerv images'), or a directory path (/dir, ./dir) used as\n"
        "the root filesystem. \"busybox\" is built in: imported from the built-in rootfs on first use. A name\n"
        "the store lacks may also be a rootfs directory in $CONTAINERV_ROOTFS_PATH, else in the CLI's own rootfs\n"
        "directory (<prefix>/share/containerv/rootfs; the build's rootfs/ for the binary in the build tree).\n"
        "With --rootfs DIR no IMAGE is given. Without a command: the image's Entrypoint/Cmd, /bin/sh for a rootfs.";

static const struct command_spec run_spec = {
        "run",     "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create and run a new container", run_flag_table, true, 0, 0,
        run_notes,
};

static const struct command_spec create_spec = {
        "create",
        "[OPTIONS] IMAGE [COMMAND] [ARG...]",
        "Create a new container (start it with 'containerv start')",
        run_flag_table,
        true,
        0,
        0,
        run_notes,
};

/* An image name is not a path: "..", or a leading "/", would escape the search path. */
static bool image_name_is_safe(const char *image)
{
	size_t length = strlen(image);

	return length > 0 && image[0] != '/' && strcmp(image, "..") != 0 && strncmp(image, "../", 3) != 0 &&
	       strstr(image, "/../") == NULL && !(length >= 3 && strcmp(image + length - 3, "/..") == 0);
}

/* Looks for directory name in each entry of the colon-separated search path. */
static bool search_directory(const char *search, const char *name, char *out, size_t size)
{
	_cleanup_free_ char *copy = xstrdup(search);
	char *saveptr = NULL;

	for (char *entry = strtok_r(copy, ":", &saveptr); entry != NULL; entry = strtok_r(NULL, ":", &saveptr)) {
		struct stat info;

		snprintf(out, size, "%s/%s", entry, name);
		if (stat(out, &info) == 0 && S_ISDIR(info.st_mode))
			return true;
	}
	return false;
}

static int resolve_rootfs(const char *directory, char *out, size_t size)
{
	struct stat info;

	if (realpath(directory, out) == NULL || stat(out, &info) < 0)
		return cli_fail(-1, "rootfs %s: %s", directory, strerror(errno));
	if (!S_ISDIR(info.st_mode))
		return cli_fail(-1, "rootfs %s: not a directory", directory);
	(void)size;
	return 0;
}

#define SET_OR_FAIL(call, what)                                                                                        \
	do {                                                                                                           \
		if ((call) < 0)                                                                                        \
			return cli_fail_library(-1, "%s", what);                                                       \
	} while (0)

/* The names under which the built-in busybox image is found. */
static bool is_builtin_image(const char *image)
{
	static const char *const names[] = {"busybox",
	                                    "busybox:latest",
	                                    "library/busybox",
	                                    "library/busybox:latest",
	                                    "docker.io/busybox",
	                                    "docker.io/busybox:latest",
	                                    "docker.io/library/busybox",
	                                    "docker.io/library/busybox:latest"};

	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(image, names[i]) == 0)
			return true;
	return false;
}

/*
 * The built-in default: the busybox rootfs made by the build (found in the
 * rootfs search path) becomes the image docker.io/library/busybox:latest
 * the first time it is asked for and the store has no such name, so
 * `containerv run busybox` works with no network. Cmd ["sh"] as docker's.
 */
static int import_builtin(void)
{
	static const char *const cmd[] = {"sh", NULL};
	struct containerv_import_options options = CONTAINERV_IMPORT_OPTIONS_INIT;
	char directory[PATH_MAX];

	if (!search_directory(cli_rootfs_search_path(), "busybox", directory, sizeof directory))
		return -1;
	options.cmd = cmd;
	return containerv_image_import(directory, "docker.io/library/busybox:latest", &options, NULL);
}

/*
 * IMAGE: an image of the store; the built-in busybox, imported on first
 * use; else (as before images existed) a rootfs directory of that name in
 * the rootfs search path. Prints one line when none is found.
 */
static int apply_image(struct containerv_options *options, const char *image, bool has_command)
{
	char reason[1024], directory[PATH_MAX];
	_cleanup_free_ char *untagged = NULL;
	size_t length;

	bool pull_missing = flags.pull == NULL || strcmp(flags.pull, "missing") == 0;

	if (cli_pull_for_run(image, flags.pull) != 0)
		return -1; /* "always" pulls first; an invalid policy */
	if (containerv_options_set_image(options, image) == 0)
		goto found;
	if (errno != ENOENT)
		return cli_fail_library(-1, NULL);
	snprintf(reason, sizeof reason, "%s", containerv_last_error());
	if (is_builtin_image(image) && import_builtin() == 0 && containerv_options_set_image(options, image) == 0)
		goto found;
	/* "NAME:latest" may also be the directory "NAME". */
	untagged = xstrdup(image);
	length = strlen(untagged);
	if (length > 7 && strcmp(untagged + length - 7, ":latest") == 0)
		untagged[length - 7] = '\0';
	if (image_name_is_safe(untagged) && strchr(untagged, ':') == NULL &&
	    search_directory(cli_rootfs_search_path(), untagged, directory, sizeof directory)) {
		SET_OR_FAIL(containerv_options_set_rootfs(options, directory), "rootfs");
		if (!has_command)
			SET_OR_FAIL(containerv_options_set_command(options, default_command), "command");
		return 0;
	}
	/* --pull missing: not in the store, not built in, no such rootfs: from its registry. */
	if (pull_missing) {
		if (cli_pull_missing(image) != 0)
			return cli_fail(-1, "%s (pull: %s)", reason, containerv_last_error());
		if (containerv_options_set_image(options, image) == 0)
			goto found;
		return cli_fail_library(-1, NULL);
	}
	return cli_fail(-1, "%s", reason);
found:
	if (!has_command) {
		/* docker refuses an image without Entrypoint and Cmd when no command is given. */
		struct containerv_image_info info = {.version = CONTAINERV_IMAGE_INFO_VERSION};
		bool runnable =
		        containerv_image_inspect(image, &info) == 0 && (info.cmd != NULL || info.entrypoint != NULL);
		containerv_image_info_clear(&info);
		if (!runnable)
			return cli_fail(-1,
			                "image %s has no command (Entrypoint or Cmd): give one after the image name",
			                image);
	}
	return 0;
}

/* "UID" or "UID:GID", numeric; docker's gid for a bare uid without a passwd entry is 0. */
static int parse_user(const char *text, uid_t *uid, gid_t *gid)
{
	_cleanup_free_ char *copy = xstrdup(text);
	char *colon = strchr(copy, ':');
	int64_t user_id, group_id = 0;

	if (colon != NULL)
		*colon = '\0';
	if (cli_parse_int64(copy, &user_id) < 0 || user_id > UINT32_MAX - 1 ||
	    (colon != NULL && (cli_parse_int64(colon + 1, &group_id) < 0 || group_id > UINT32_MAX - 1)))
		return cli_fail(-1, "invalid --user \"%s\": use numeric UID[:GID] (names are not supported yet)", text);
	*uid = (uid_t)user_id;
	*gid = (gid_t)group_id;
	return 0;
}

/* Adds "KEY=VALUE", or for a bare "KEY" our own value of KEY (skipped when unset), as docker does. */
static int add_env(struct string_list *env, const char *entry, const char *origin)
{
	const char *equals = strchr(entry, '=');
	const char *value;
	char *combined;

	if (entry[0] == '\0' || entry[0] == '=')
		return cli_fail(-1, "invalid environment variable \"%s\"%s%s", entry, origin != NULL ? " in " : "",
		                origin != NULL ? origin : "");
	if (equals != NULL) {
		string_list_add(env, xstrdup(entry));
		return 0;
	}
	value = getenv(entry);
	if (value == NULL)
		return 0;
	if (asprintf(&combined, "%s=%s", entry, value) < 0)
		return cli_fail(-1, "out of memory");
	string_list_add(env, combined);
	return 0;
}

static int read_env_file(struct string_list *env, const char *path)
{
	FILE *file = fopen(path, "re");
	char *line = NULL;
	size_t capacity = 0;
	ssize_t length;
	int result = 0;

	if (file == NULL)
		return cli_fail(-1, "open env file %s: %s", path, strerror(errno));
	while (result == 0 && (length = getline(&line, &capacity, file)) >= 0) {
		char *start = line;

		while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
			line[--length] = '\0';
		while (*start == ' ' || *start == '\t')
			start++;
		if (*start == '\0' || *start == '#')
			continue;
		result = add_env(env, start, path);
	}
	free(line);
	fclose(file);
	return result;
}

static int collect_env(struct run_config *config)
{
	/* An image brings its own PATH (the library adds docker's default when it has none). */
	if (config->image == NULL)
		string_list_add(&config->env, xstrdup(DEFAULT_PATH));
	if (flags.tty)
		string_list_add(&config->env, xstrdup("TERM=xterm"));
	/* Files first: docker lets -e override what an --env-file sets. */
	for (size_t i = 0; i < flags.env_files.count; i++)
		if (read_env_file(&config->env, flags.env_files.items[i]) < 0)
			return -1;
	for (size_t i = 0; i < flags.env.count; i++)
		if (add_env(&config->env, flags.env.items[i], NULL) < 0)
			return -1;
	return 0;
}

static int parse_size_flag(const char *name, const char *text, int64_t *bytes)
{
	if (containerv_parse_size(text, bytes) < 0)
		return cli_fail_library(-1, "invalid --%s \"%s\"", name, text);
	return 0;
}

/* A signed decimal in [minimum, maximum]. */
static int parse_number_flag(const char *name, const char *text, int64_t minimum, int64_t maximum, int64_t *value)
{
	char *end;
	long long parsed;

	errno = 0;
	parsed = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || parsed < minimum || parsed > maximum)
		return cli_fail(-1, "invalid --%s \"%s\": expected an integer from %lld to %lld", name, text,
		                (long long)minimum, (long long)maximum);
	*value = parsed;
	return 0;
}

static int parse_cpuset_flag(const char *name, const char *text, char *out, size_t size)
{
	if (strlen(text) >= size)
		return cli_fail(-1, "invalid --%s \"%s\": too long", name, text);
	memcpy(out, text, strlen(text) + 1);
	return 0;
}

static int parse_memory_flags(struct containerv_limits *limits)
{
	if (flags.memory != NULL && parse_size_flag("memory", flags.memory, &limits->memory_bytes) < 0)
		return -1;
	if (flags.memory_swap == NULL)
		return 0;
	if (flags.memory == NULL)
		return cli_fail(-1, "invalid --memory-swap \"%s\": it needs --memory too", flags.memory_swap);
	if (strcmp(flags.memory_swap, "-1") == 0) {
		limits->memory_swap_bytes = -1;
		return 0;
	}
	if (parse_size_flag("memory-swap", flags.memory_swap, &limits->memory_swap_bytes) < 0)
		return -1;
	if (limits->memory_swap_bytes < limits->memory_bytes)
		return cli_fail(-1, "invalid --memory-swap \"%s\": it must be at least --memory (%s)",
		                flags.memory_swap, flags.memory);
	return 0;
}

static int parse_limits(struct containerv_limits *limits)
{
	int64_t number = 0;

	if (parse_memory_flags(limits) < 0)
		return -1;
	if (flags.cpus != NULL && containerv_parse_cpus(flags.cpus, &limits->cpu_quota_us, &limits->cpu_period_us) < 0)
		return cli_fail_library(-1, "invalid --cpus \"%s\"", flags.cpus);
	if (flags.cpu_shares != NULL) {
		if (parse_number_flag("cpu-shares", flags.cpu_shares, 2, 262144, &number) < 0)
			return -1;
		limits->cpu_shares = (uint64_t)number;
	}
	if (flags.cpuset_cpus != NULL &&
	    parse_cpuset_flag("cpuset-cpus", flags.cpuset_cpus, limits->cpuset_cpus, sizeof limits->cpuset_cpus) < 0)
		return -1;
	if (flags.cpuset_mems != NULL &&
	    parse_cpuset_flag("cpuset-mems", flags.cpuset_mems, limits->cpuset_mems, sizeof limits->cpuset_mems) < 0)
		return -1;
	if (flags.pids_limit != NULL) {
		if (parse_number_flag("pids-limit", flags.pids_limit, -1, INT64_MAX, &number) < 0)
			return -1;
		/* docker treats 0 like -1: no limit. */
		limits->pids_max = number == 0 ? -1 : number;
	}
	if (flags.blkio_weight != NULL) {
		if (parse_number_flag("blkio-weight", flags.blkio_weight, 0, 1000, &number) < 0)
			return -1;
		if (number != 0 && number < 10)
			return cli_fail(-1, "invalid --blkio-weight \"%s\": expected 0 or 10 to 1000",
			                flags.blkio_weight);
		limits->io_weight = (uint32_t)number;
	}
	if (containerv_limits_validate(limits) < 0)
		return cli_fail_library(-1, "invalid resource limits");
	return 0;
}

/* Turns the flags and positional words into a config; prints one line and returns -1 on the first problem. */
static int build_config(const char *command_name, const struct arguments *positional, struct run_config *config)
{
	size_t first_command_word = 0;

	if (flags.rootfs != NULL) {
		if (resolve_rootfs(flags.rootfs, config->rootfs, sizeof config->rootfs) < 0)
			return -1;
	} else {
		const char *word;
		if (positional->count == 0)
			return cli_fail(-1, "\"%s\" requires an IMAGE or --rootfs DIR (see 'containerv %s --help')",
			                command_name, command_name);
		word = positional->items[0];
		/* A directory path is a root filesystem, as --rootfs; anything else names an image. */
		if (word[0] == '/' || strncmp(word, "./", 2) == 0 || strncmp(word, "../", 3) == 0 ||
		    strcmp(word, ".") == 0) {
			if (resolve_rootfs(word, config->rootfs, sizeof config->rootfs) < 0)
				return -1;
		} else {
			config->image = word;
		}
		first_command_word = 1;
	}
	/* No command: the image's Entrypoint/Cmd; /bin/sh for a plain root filesystem. */
	config->command = positional->count > first_command_word
	                          ? (const char *const *)positional->items + first_command_word
	                          : (config->image != NULL ? NULL : default_command);
	if (flags.user != NULL) {
		if (parse_user(flags.user, &config->uid, &config->gid) < 0)
			return -1;
		config->has_user = true;
	}
	if (flags.detach && (flags.interactive || flags.tty))
		return cli_fail(-1, "-i and -t need an attached container: drop -d (or keep it alive with a command "
		                    "such as 'sleep infinity' and use 'containerv exec -it')");
	if (collect_env(config) < 0)
		return -1;
	config->limits = (struct containerv_limits)CONTAINERV_LIMITS_INIT;
	return parse_limits(&config->limits);
}

static void free_config(struct run_config *config)
{
	for (size_t i = 0; i < config->env.count; i++)
		free((char *)config->env.items[i]);
	string_list_free(&config->env);
}

/* Everything but stdio: the setters validate their input, so errors surface before anything is created. */
static int build_options(const struct run_config *config, struct containerv_options *options)
{
	if (config->image != NULL) {
		if (apply_image(options, config->image,
		                config->command != NULL || (flags.entrypoint != NULL && flags.entrypoint[0] != '\0')) <
		    0)
			return -1;
	} else {
		SET_OR_FAIL(containerv_options_set_rootfs(options, config->rootfs), "--rootfs");
	}
	if (flags.entrypoint != NULL) {
		/* docker: one executable; "" clears the image's. */
		const char *entrypoint[] = {flags.entrypoint[0] != '\0' ? flags.entrypoint : NULL, NULL};
		SET_OR_FAIL(containerv_options_set_entrypoint(options, entrypoint), "--entrypoint");
	}
	if (config->command != NULL)
		SET_OR_FAIL(containerv_options_set_command(options, config->command), "command");
	if (flags.name != NULL)
		SET_OR_FAIL(containerv_options_set_name(options, flags.name), "--name");
	if (flags.hostname != NULL)
		SET_OR_FAIL(containerv_options_set_hostname(options, flags.hostname), "--hostname");
	for (size_t i = 0; i < config->env.count; i++)
		SET_OR_FAIL(containerv_options_add_env(options, config->env.items[i]), "--env");
	if (flags.workdir != NULL)
		SET_OR_FAIL(containerv_options_set_workdir(options, flags.workdir), "--workdir");
	if (config->has_user)
		SET_OR_FAIL(containerv_options_set_user(options, config->uid, config->gid), "--user");
	for (size_t i = 0; i < flags.labels.count; i++)
		SET_OR_FAIL(containerv_options_add_label(options, flags.labels.items[i]), "--label");
	SET_OR_FAIL(containerv_options_set_limits(options, &config->limits), "resource limits");
	if (flags.read_only)
		SET_OR_FAIL(containerv_options_set_readonly_rootfs(options, 1), "--read-only");
	if (cli_build_security(&flags.security, options) != 0)
		return -1;
	/* A level without network (paranoid) makes the default none; an explicit --network is refused at create. */
	if (flags.security.no_network && flags.network.network == NULL)
		flags.network.network = "none";
	if (cli_add_network(options, &flags.network) < 0)
		return -1;
	return cli_add_mounts(options, &flags.volumes, &flags.mounts, &flags.tmpfs);
}

/* Whether our stdout and stderr are one file (2>&1): then the process gets one pipe for both, keeping their order. */
bool cli_stderr_is_stdout(void)
{
	struct stat out, err;

	return fstat(STDOUT_FILENO, &out) == 0 && fstat(STDERR_FILENO, &err) == 0 && out.st_dev == err.st_dev &&
	       out.st_ino == err.st_ino;
}

/*
 * Attached stdio: pipes we relay, or for -t a terminal the library makes inside the container (its master
 * comes back with containerv_take_stdio). Never our own descriptors: the container could reopen them.
 */
static int set_attached_stdio(struct containerv_options *options)
{
	if (!flags.tty) {
		SET_OR_FAIL(containerv_options_set_stdio(
		                    options, flags.interactive ? CONTAINERV_STDIO_PIPE : CONTAINERV_STDIO_NULL,
		                    CONTAINERV_STDIO_PIPE,
		                    cli_stderr_is_stdout() ? CONTAINERV_STDIO_STDOUT : CONTAINERV_STDIO_PIPE),
		            "stdio");
		return 0;
	}
	unsigned short rows, columns;
	/* The size is set before the process starts, so that it sees the right one from its first line. */
	tty_get_size(tty_size_source(), &rows, &columns);
	SET_OR_FAIL(containerv_options_set_tty(options, 1), "tty");
	SET_OR_FAIL(containerv_options_set_tty_size(options, rows, columns), "tty");
	return 0;
}

/* Creation failed: 127/126 when the command could not be executed, else 125. */
static int create_failed(void)
{
	return cli_fail_library(cli_exec_exit_code(), NULL);
}

/* Waits for the attached container, removes it with --rm, and returns its exit code. */
static int run_attached(struct containerv_container *container)
{
	struct attach_options attach = {.container = container, .master = -1, .interactive = flags.interactive};
	struct containerv_exit exit_status = {0};
	const char *reason;
	int code;

	containerv_take_stdio(container, attach.stdio);
	if (flags.tty) {
		attach.master = attach.stdio[0];
		attach.stdio[0] = -1;
	}

	if (attach_wait(&attach, &exit_status, &reason) < 0)
		code = cli_fail(EXIT_CLI_ERROR, "wait %s: %s", containerv_name(container), reason);
	else
		code = exit_status.code;
	if (attach.master >= 0)
		close(attach.master);
	if (flags.remove) {
		/* --rm takes the container's anonymous volumes along, as docker's does. */
		if (containerv_remove(container, CV_REMOVE_VOLUMES) < 0 && errno != ENOENT)
			return cli_fail_library(EXIT_CLI_ERROR, "remove %s", containerv_name(container));
	} else {
		containerv_close(container);
	}
	return code;
}

/*
 * create --hold, or CONTAINERV_CREATE_HOLD=1 for every create: the container is set up at create and `start`
 * only releases it. Not the default: a held container holds its process, address, published ports and
 * cgroup from create on (docker's created containers hold nothing: two may publish the same port).
 */
static bool hold_from_environment(void)
{
	const char *value = getenv("CONTAINERV_CREATE_HOLD");

	return value != NULL && strcmp(value, "1") == 0;
}

static int run_or_create(int argc, char **argv, bool autostart)
{
	const struct command_spec *spec = autostart ? &run_spec : &create_spec;
	_cleanup_free_ char **words = NULL;
	_cleanup_options_ struct containerv_options *options = NULL;
	struct run_config config = {0};
	struct arguments positional;
	struct containerv_container *container = NULL;
	int code = flags_parse_or_exit(spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (!autostart && (flags.interactive || flags.tty || flags.detach || flags.remove)) {
		code = cli_fail(EXIT_CLI_ERROR, "create: -i, -t, -d and --rm are for 'containerv run' (start a created "
		                                "container with 'containerv start [-a]')");
		goto out;
	}
	if (autostart && flags.hold) {
		code = cli_fail(EXIT_CLI_ERROR, "run: --hold is for 'containerv create'");
		goto out;
	}
	code = EXIT_CLI_ERROR;
	if (build_config(spec->name, &positional, &config) < 0)
		goto out;
	if (containerv_options_new(&options) < 0) {
		cli_fail_library(code, NULL);
		goto out;
	}
	if (build_options(&config, options) < 0)
		goto out;
	if (!autostart && (containerv_options_set_autostart(options, 0) < 0 ||
	                   containerv_options_set_hold(options, flags.hold || hold_from_environment()) < 0)) {
		cli_fail_library(code, "create");
		goto out;
	}
	/*
	 * --rm: attached, we wait and remove it ourselves (no monitor process; were this CLI killed first,
	 * the next `ps` or a run of the same name removes it). Detached or only created, a monitor of the
	 * library removes it when it ends.
	 */
	int autoremove = autostart && !flags.detach ? CV_AUTOREMOVE_BY_WAITER : CV_AUTOREMOVE_MONITOR;
	if (flags.remove && containerv_options_set_autoremove(options, autoremove) < 0) {
		cli_fail_library(code, "run");
		goto out;
	}
	if (autostart && !flags.detach && set_attached_stdio(options) < 0)
		goto out;
	if (containerv_create(options, &container) < 0) {
		code = create_failed();
		goto out;
	}
	if (!autostart || flags.detach) {
		printf("%s\n", containerv_id(container));
		containerv_close(container);
		code = 0;
		goto out;
	}
	code = run_attached(container);
out:
	free_config(&config);
	return code;
}

int cmd_run(int argc, char **argv)
{
	return run_or_create(argc, argv, true);
}

int cmd_create(int argc, char **argv)
{
	return run_or_create(argc, argv, false);
}

/* start -a: follow the log from where it ends now (the container writes there), then exit with its code. */
static int start_attached(const char *reference)
{
	_cleanup_container_ struct containerv_container *container = NULL;
	struct containerv_exit exit_status;
	struct stat info;
	int64_t offset = 0;

	if (cli_open(reference, &container) < 0)
		return EXIT_CONTAINER_FAILURE;
	if (stat(containerv_log_path(container), &info) == 0)
		offset = info.st_size;
	if (containerv_start(container) < 0) {
		int code = cli_exec_exit_code();
		return cli_fail_library(code == EXIT_CLI_ERROR ? EXIT_CONTAINER_FAILURE : code, "start %s", reference);
	}
	if (logs_copy(container, offset, true) < 0)
		return EXIT_CLI_ERROR;
	if (containerv_wait(container, &exit_status) < 0)
		return cli_fail_library(EXIT_CLI_ERROR, "wait %s", reference);
	return exit_status.code;
}

static int start_one(const char *reference)
{
	_cleanup_container_ struct containerv_container *container = NULL;
	int code;

	if (cli_open(reference, &container) < 0)
		return EXIT_CONTAINER_FAILURE;
	if (containerv_start(container) < 0) {
		code = cli_exec_exit_code();
		return cli_fail_library(code == EXIT_CLI_ERROR ? EXIT_CONTAINER_FAILURE : code, "start %s", reference);
	}
	printf("%s\n", reference);
	return 0;
}

int cmd_start(int argc, char **argv)
{
	static int attach;
	static const struct flag table[] = {
	        {"attach", 'a', FLAG_BOOL, &attach, NULL, "Follow the container's output and exit with its exit code"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "start",
	        "[OPTIONS] CONTAINER [CONTAINER...]",
	        "Start one or more created or stopped containers",
	        table,
	        false,
	        1,
	        0,
	        NULL,
	};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (attach) {
		if (positional.count > 1)
			return cli_fail(EXIT_CLI_ERROR, "you cannot start and attach multiple containers at once");
		return start_attached(positional.items[0]);
	}
	code = 0;
	for (size_t i = 0; i < positional.count; i++) {
		int result = start_one(positional.items[i]);

		if (result != 0)
			code = result;
	}
	return code;
}
