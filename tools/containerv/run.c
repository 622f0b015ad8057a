/*
 * run, create and start.
 *
 * run parses every flag and validates it whole (rootfs found, sizes
 * parsed, limits checked, environment files read) before an image is
 * pulled or a container created, so a bad flag never leaves anything
 * behind. What docker's syntax means (-v, --mount, -e, --env-file,
 * --user, the limits, IMAGE and --pull) is the library's (spec.h): this
 * file only hands the flags over and prints the errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "cli.h"
#include "flags.h"
#include "mounts.h"
#include "network-flags.h"
#include "output.h"
#include "security-flags.h"
#include "supervise-flags.h"
#include "progress.h"
#include "rootfs-path.h"
#include "tty.h"
#include "perf-profile.h"

/* The flags as typed. */
struct run_flags {
	int detach, interactive, tty, remove, read_only, hold;
	int sig_proxy; /* 1 unless --sig-proxy=false */
	const char *name, *hostname, *workdir, *user, *rootfs, *entrypoint, *pull, *pool;
	const char *memory, *memory_swap, *cpus, *cpu_shares, *cpuset_cpus, *cpuset_mems, *pids_limit, *blkio_weight;
	struct string_list env, env_files, labels, volumes, mounts, tmpfs, log_opts, sysctls;
	const char *log_driver, *stop_signal, *cidfile, *platform, *cpu_rt_runtime, *cpu_rt_period;
	int init, quiet;
	/* The process and namespace flags (apply_process_flags). */
	struct string_list ulimits, devices, groups, attach;
	const char *shm_size, *stop_timeout, *domainname, *oom_score_adj, *pid, *ipc, *uts, *cgroupns;
	const char *cpu_period, *cpu_quota, *memory_reservation, *detach_keys, *mac_address;
	int oom_kill_disable;
	const char *perf_profile; /* perf-profile.c's flag */
	struct security_flags security;
	struct network_flags network;
	struct supervise_flags supervise;
};

/* What the flags decide beyond what build_config already put in the options. */
struct run_config {
	const char *image; /* IMAGE when it is not a directory path: resolved by containerv_spec_set_image */
	const char *const *command;
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
        {"pool", 0, FLAG_STRING, &flags.pool, "NAME",
         "run: take a held container of pool NAME (see 'containerv pool'); no IMAGE, only the command"},
        {"name", 0, FLAG_STRING, &flags.name, "string", "Assign a name to the container"},
        {"hostname", 'h', FLAG_STRING, &flags.hostname, "string", "Container host name"},
        {"env", 'e', FLAG_LIST, &flags.env, "list", "Set environment variables (KEY=VALUE, or KEY to copy ours)"},
        {"env-file", 0, FLAG_LIST, &flags.env_files, "list", "Read in a file of environment variables"},
        {"workdir", 'w', FLAG_STRING, &flags.workdir, "string", "Working directory inside the container"},
        {"user", 'u', FLAG_STRING, &flags.user, "string", "Username or UID (format: <name|uid>[:<group|gid>])"},
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
        {"log-driver", 0, FLAG_STRING, &flags.log_driver, "string",
         "Logging driver: json-file or local (both: the container's own rotated log)"},
        {"log-opt", 0, FLAG_LIST, &flags.log_opts, "list",
         "Log driver options: max-size=SIZE (default 20m), max-file=N (default 5)"},
        {"sysctl", 0, FLAG_LIST, &flags.sysctls, "list",
         "Namespaced kernel parameters (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)"},
        {"stop-signal", 0, FLAG_STRING, &flags.stop_signal, "string", "Signal to stop the container (default SIGTERM)"},
        {"cidfile", 0, FLAG_STRING, &flags.cidfile, "string", "Write the container ID to the file (must not exist)"},
        {"init", 0, FLAG_BOOL, &flags.init, NULL,
         "Accepted: every container has an init that forwards signals and reaps orphans"},
        {"platform", 0, FLAG_STRING, &flags.platform, "string",
         "Set platform if server is multi-platform capable (only this host's is run)"},
        {"quiet", 'q', FLAG_BOOL, &flags.quiet, NULL, "Suppress the pull output"},
        {"cpu-rt-runtime", 0, FLAG_STRING, &flags.cpu_rt_runtime, "int", "Refused: realtime scheduling"},
        {"cpu-rt-period", 0, FLAG_STRING, &flags.cpu_rt_period, "int", "Refused: realtime scheduling"},
        {"read-only", 0, FLAG_BOOL, &flags.read_only, NULL, "Mount the container's root filesystem as read only"},
        {"ulimit", 0, FLAG_LIST, &flags.ulimits, "ulimit", "Ulimit options (nofile=1024:2048, core=0, ...)"},
        {"shm-size", 0, FLAG_STRING, &flags.shm_size, "bytes", "Size of /dev/shm (default 64m)"},
        {"device", 0, FLAG_LIST, &flags.devices, "list", "Add a host device to the container (HOST[:CONTAINER][:rwm])"},
        {"group-add", 0, FLAG_LIST, &flags.groups, "list", "Add additional groups to join (gid or name)"},
        {"stop-timeout", 0, FLAG_STRING, &flags.stop_timeout, "int",
         "Seconds stop waits before it kills the container (default 10)"},
        {"domainname", 0, FLAG_STRING, &flags.domainname, "string", "Container NIS domain name"},
        {"mac-address", 0, FLAG_STRING, &flags.mac_address, "string",
         "Container MAC address (e.g., 92:d0:c6:0a:29:33)"},
        {"oom-score-adj", 0, FLAG_STRING, &flags.oom_score_adj, "int", "Tune host's OOM preferences (-1000 to 1000)"},
        {"oom-kill-disable", 0, FLAG_BOOL, &flags.oom_kill_disable, NULL,
         "Disable OOM Killer (cgroup v1 only; needs --memory)"},
        {"memory-reservation", 0, FLAG_STRING, &flags.memory_reservation, "bytes", "Memory soft limit"},
        {"cpu-period", 0, FLAG_STRING, &flags.cpu_period, "int", "Limit CPU CFS (Completely Fair Scheduler) period"},
        {"cpu-quota", 0, FLAG_STRING, &flags.cpu_quota, "int", "Limit CPU CFS (Completely Fair Scheduler) quota"},
        {"pid", 0, FLAG_STRING, &flags.pid, "string", "PID namespace to use (host, container:NAME)"},
        {"ipc", 0, FLAG_STRING, &flags.ipc, "string",
         "IPC mode to use (private, shareable, none, host, container:NAME)"},
        {"uts", 0, FLAG_STRING, &flags.uts, "string", "UTS namespace to use (host)"},
        {"cgroupns", 0, FLAG_STRING, &flags.cgroupns, "string", "Cgroup namespace to use (host, private)"},
        {"attach", 'a', FLAG_LIST, &flags.attach, "list", "Attach to STDIN, STDOUT or STDERR"},
        {"detach-keys", 0, FLAG_STRING, &flags.detach_keys, "string",
         "Refused: an attached run cannot detach (run -d, then attach)"},
        {"sig-proxy", 0, FLAG_BOOL, &flags.sig_proxy, NULL,
         "Proxy SIGINT, SIGTERM and SIGHUP to the container (default true; false: the CLI ignores them)"},
        {"perf-profile", 0, FLAG_STRING, &flags.perf_profile, "PROFILE",
         "latency, throughput, batch or memory: CPU placement, weights, THP (docs/performance.md)"},
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
        SUPERVISE_RUN_FLAGS(flags.supervise),
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

#define SET_OR_FAIL(call, what)                                                                                        \
	do {                                                                                                           \
		if ((call) < 0)                                                                                        \
			return cli_fail_library(-1, "%s", what);                                                       \
	} while (0)

/* IMAGE, as the library resolves it (spec.h); pulls show their progress on stderr. */
static int apply_image(struct containerv_options *options, const char *image, bool has_command)
{
	struct containerv_spec_image_options spec = CONTAINERV_SPEC_IMAGE_OPTIONS_INIT;
	struct containerv_registry_options registry = CONTAINERV_REGISTRY_OPTIONS_INIT;
	struct progress progress;
	int result;

	if (containerv_spec_parse_pull_policy(flags.pull, &spec.pull) < 0)
		return cli_fail_library(-1, NULL);
	spec.rootfs_search_path = cli_rootfs_search_path();
	spec.has_command = has_command;
	/* --platform OS/ARCH[/VARIANT]: which image of an index to pull (docker's meaning). */
	char platform[3][32] = {{0}};
	if (flags.platform != NULL) {
		if (sscanf(flags.platform, "%31[^/]/%31[^/]/%31s", platform[0], platform[1], platform[2]) < 2 ||
		    strchr(platform[2], '/') != NULL)
			return cli_fail(-1, "invalid --platform %s: expected OS/ARCH[/VARIANT]", flags.platform);
		registry.os = platform[0];
		registry.architecture = platform[1];
		registry.variant = platform[2][0] != '\0' ? platform[2] : NULL;
	}
	/* The container's output owns stdout: progress goes to stderr (nothing with -q). */
	progress_init(&progress, stderr, flags.quiet, false);
	registry.progress = progress_callback;
	registry.user = &progress;
	spec.registry = &registry;
	result = containerv_spec_set_image(options, image, &spec);
	progress_free(&progress);
	return result < 0 ? cli_fail_library(-1, NULL) : 0;
}

/* The environment: docker's PATH for a plain rootfs, TERM for -t, the files, then -e (which wins). */
static int collect_env(struct containerv_options *options, const struct run_config *config)
{
	/* An image brings its own PATH (the library adds docker's default when it has none). */
	if (config->image == NULL)
		SET_OR_FAIL(containerv_options_add_env(options, "PATH=" CONTAINERV_DEFAULT_PATH), "--env");
	if (flags.tty)
		SET_OR_FAIL(containerv_options_add_env(options, "TERM=xterm"), "--env");
	for (size_t i = 0; i < flags.env_files.count; i++)
		if (containerv_spec_add_env_file(options, flags.env_files.items[i]) < 0)
			return cli_fail_library(-1, NULL);
	for (size_t i = 0; i < flags.env.count; i++)
		if (containerv_spec_add_env(options, flags.env.items[i]) < 0)
			return cli_fail_library(-1, NULL);
	return 0;
}

static int parse_limits(struct containerv_limits *limits)
{
	struct containerv_spec_limit_flags text = CONTAINERV_SPEC_LIMIT_FLAGS_INIT;

	text.memory = flags.memory;
	text.memory_swap = flags.memory_swap;
	text.cpus = flags.cpus;
	text.cpu_shares = flags.cpu_shares;
	text.cpuset_cpus = flags.cpuset_cpus;
	text.cpuset_mems = flags.cpuset_mems;
	text.pids_limit = flags.pids_limit;
	text.blkio_weight = flags.blkio_weight;
	text.cpu_period = flags.cpu_period;
	text.cpu_quota = flags.cpu_quota;
	text.memory_reservation = flags.memory_reservation;
	text.oom_kill_disable = flags.oom_kill_disable;
	if (containerv_spec_parse_limits(&text, limits) < 0)
		return cli_fail_library(-1, NULL);
	return 0;
}

/*
 * Turns the flags and positional words into a config and the options that need no image (rootfs,
 * user, environment), all validated before anything is pulled or created; prints one line and
 * returns -1 on the first problem.
 */
static int build_config(const char *command_name, const struct arguments *positional, struct run_config *config,
                        struct containerv_options *options)
{
	size_t first_command_word = 0;
	const char *rootfs = flags.rootfs;

	if (rootfs == NULL) {
		if (positional->count == 0)
			return cli_fail(-1, "\"%s\" requires an IMAGE or --rootfs DIR (see 'containerv %s --help')",
			                command_name, command_name);
		/* A directory path is a root filesystem, as --rootfs; anything else names an image. */
		if (containerv_spec_image_is_path(positional->items[0]))
			rootfs = positional->items[0];
		else
			config->image = positional->items[0];
		first_command_word = 1;
	}
	/* No command: the image's Entrypoint/Cmd; /bin/sh for a plain root filesystem. */
	if (positional->count > first_command_word)
		config->command = (const char *const *)positional->items + first_command_word;
	if (rootfs != NULL && containerv_spec_set_rootfs(options, rootfs, config->command != NULL) < 0)
		return cli_fail_library(-1, NULL);
	if (flags.detach && (flags.interactive || flags.tty))
		return cli_fail(-1, "-i and -t need an attached container: drop -d (or keep it alive with a command "
		                    "such as 'sleep infinity' and use 'containerv exec -it')");
	if (collect_env(options, config) < 0)
		return -1;
	config->limits = (struct containerv_limits)CONTAINERV_LIMITS_INIT;
	return parse_limits(&config->limits);
}

/*
 * --log-driver and --log-opt max-size=SIZE, max-file=N: docker's json-file and local drivers, which both
 * rotate; anything else is refused rather than silently ignored.
 */
static int apply_log_options(struct containerv_options *options)
{
	int64_t max_size = 0, max_files = 0;

	if (flags.log_driver != NULL && strcmp(flags.log_driver, "json-file") != 0 &&
	    strcmp(flags.log_driver, "local") != 0)
		return cli_fail(-1,
		                "--log-driver %s: not supported (json-file and local are: the container's rotated log)",
		                flags.log_driver);
	for (size_t i = 0; i < flags.log_opts.count; i++) {
		const char *opt = flags.log_opts.items[i];
		if (strncmp(opt, "max-size=", 9) == 0) {
			if (containerv_parse_size(opt + 9, &max_size) < 0)
				return cli_fail(-1, "invalid --log-opt %s: expected a size (10m, 64k, ...)", opt);
		} else if (strncmp(opt, "max-file=", 9) == 0) {
			if (cli_parse_int64(opt + 9, &max_files) < 0 || max_files < 1 || max_files > 100)
				return cli_fail(-1, "invalid --log-opt %s: expected a number of files from 1 to 100",
				                opt);
		} else {
			return cli_fail(-1, "--log-opt %s: unknown option (max-size and max-file are known)", opt);
		}
	}
	SET_OR_FAIL(containerv_options_set_log_limits(options, max_size, (unsigned int)max_files), "--log-opt");
	return 0;
}

/* An integer flag in [minimum, maximum]; prints why not and returns -1. */
static int parse_int_flag(const char *name, const char *text, int64_t minimum, int64_t maximum, int *value)
{
	int64_t parsed;

	if (cli_parse_int64(text, &parsed) < 0 || parsed < minimum || parsed > maximum)
		return cli_fail(-1, "invalid --%s \"%s\": expected an integer from %lld to %lld", name, text,
		                (long long)minimum, (long long)maximum);
	*value = (int)parsed;
	return 0;
}

/* --ulimit, --shm-size, --device, --group-add, --stop-timeout, --domainname, --oom-score-adj and the namespaces. */
static int apply_process_flags(struct containerv_options *options)
{
	const char *const modes[][2] = {
	        {"pid", flags.pid}, {"ipc", flags.ipc}, {"uts", flags.uts}, {"cgroupns", flags.cgroupns}};
	int64_t bytes;
	int number = 0;

	for (size_t i = 0; i < flags.ulimits.count; i++)
		if (containerv_spec_add_ulimit(options, flags.ulimits.items[i]) < 0)
			return cli_fail_library(-1, NULL);
	for (size_t i = 0; i < flags.devices.count; i++)
		if (containerv_spec_add_device(options, flags.devices.items[i]) < 0)
			return cli_fail_library(-1, NULL);
	/* After the image and -u: names are the container's /etc/group's. */
	for (size_t i = 0; i < flags.groups.count; i++)
		if (containerv_spec_add_group(options, flags.groups.items[i]) < 0)
			return cli_fail_library(-1, NULL);
	if (flags.shm_size != NULL) {
		if (containerv_parse_size(flags.shm_size, &bytes) < 0)
			return cli_fail(-1, "invalid --shm-size \"%s\": expected a size (64m, 1g, ...)",
			                flags.shm_size);
		SET_OR_FAIL(containerv_options_set_shm_size(options, bytes), "--shm-size");
	}
	if (flags.stop_timeout != NULL) {
		if (parse_int_flag("stop-timeout", flags.stop_timeout, -1, 86400, &number) < 0)
			return -1;
		SET_OR_FAIL(containerv_options_set_stop_timeout(options, number), "--stop-timeout");
	}
	if (flags.oom_score_adj != NULL) {
		if (parse_int_flag("oom-score-adj", flags.oom_score_adj, -1000, 1000, &number) < 0)
			return -1;
		SET_OR_FAIL(containerv_options_set_oom_score_adj(options, number), "--oom-score-adj");
	}
	if (flags.domainname != NULL)
		SET_OR_FAIL(containerv_options_set_domainname(options, flags.domainname), "--domainname");
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
		if (modes[i][1] != NULL && containerv_spec_set_namespace_mode(options, modes[i][0], modes[i][1]) < 0)
			return cli_fail_library(-1, NULL);
	if (flags.ipc != NULL && strcmp(flags.ipc, "none") == 0 && flags.shm_size != NULL)
		return cli_fail(-1, "conflicting options: --shm-size and --ipc none (which has no /dev/shm)");
	if (flags.uts != NULL && strcmp(flags.uts, "host") == 0 && (flags.hostname != NULL || flags.domainname != NULL))
		return cli_fail(-1, "conflicting options: --hostname or --domainname and the UTS mode host");
	if (flags.detach_keys != NULL)
		return cli_fail(-1, "--detach-keys: an attached run cannot detach (this CLI holds the container's "
		                    "streams); use run -d, then attach");
	if (flags.mac_address != NULL && containerv_options_set_mac_address(options, flags.mac_address) < 0)
		return cli_fail_library(-1, "--mac-address");
	return 0;
}

/* The rest: the setters validate their input, so errors surface before anything is created. */
static int build_options(const struct run_config *config, struct containerv_options *options)
{
	if (config->image != NULL &&
	    apply_image(options, config->image,
	                config->command != NULL || (flags.entrypoint != NULL && flags.entrypoint[0] != '\0')) < 0)
		return -1;
	if (flags.entrypoint != NULL) {
		/* docker: one executable; "" clears the image's. */
		const char *entrypoint[] = {flags.entrypoint[0] != '\0' ? flags.entrypoint : NULL, NULL};
		SET_OR_FAIL(containerv_options_set_entrypoint(options, entrypoint), "--entrypoint");
	}
	if (config->command != NULL)
		SET_OR_FAIL(containerv_options_set_command(options, config->command), "command");
	/* After the image: a user name is looked up in its /etc/passwd. */
	if (flags.user != NULL && containerv_spec_set_user(options, flags.user) < 0)
		return cli_fail_library(-1, NULL);
	if (flags.name != NULL)
		SET_OR_FAIL(containerv_options_set_name(options, flags.name), "--name");
	if (flags.hostname != NULL)
		SET_OR_FAIL(containerv_options_set_hostname(options, flags.hostname), "--hostname");
	if (flags.workdir != NULL)
		SET_OR_FAIL(containerv_options_set_workdir(options, flags.workdir), "--workdir");
	for (size_t i = 0; i < flags.labels.count; i++)
		SET_OR_FAIL(containerv_options_add_label(options, flags.labels.items[i]), "--label");
	SET_OR_FAIL(containerv_options_set_limits(options, &config->limits), "resource limits");
	if (cli_set_perf_profile(options, flags.perf_profile) < 0)
		return -1;
	if (flags.read_only)
		SET_OR_FAIL(containerv_options_set_readonly_rootfs(options, 1), "--read-only");
	for (size_t i = 0; i < flags.sysctls.count; i++)
		if (containerv_spec_add_sysctl(options, flags.sysctls.items[i]) < 0)
			return cli_fail_library(-1, NULL);
	if (flags.stop_signal != NULL && containerv_spec_set_stop_signal(options, flags.stop_signal) < 0)
		return cli_fail_library(-1, NULL);
	if (cli_build_security(&flags.security, options) != 0 || apply_log_options(options) < 0 ||
	    cli_apply_supervision(&flags.supervise, options) < 0 || apply_process_flags(options) < 0)
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
	bool attached[3] = {true, true, true};

	/* -a: only the streams named are relayed; the others are /dev/null inside (not logged: see the docs). */
	if (flags.attach.count > 0) {
		static const char *const names[] = {"stdin", "stdout", "stderr"};
		attached[0] = attached[1] = attached[2] = false;
		for (size_t i = 0; i < flags.attach.count; i++) {
			size_t n = 0;
			while (n < 3 && strcasecmp(flags.attach.items[i], names[n]) != 0)
				n++;
			if (n == 3)
				return cli_fail(
				        -1,
				        "invalid argument \"%s\" for \"-a, --attach\": valid streams are STDIN, "
				        "STDOUT and STDERR",
				        flags.attach.items[i]);
			attached[n] = true;
		}
	}
	if (!flags.tty) {
		int out = attached[1] ? CONTAINERV_STDIO_PIPE : CONTAINERV_STDIO_NULL;
		int err = !attached[2]                            ? CONTAINERV_STDIO_NULL
		          : attached[1] && cli_stderr_is_stdout() ? CONTAINERV_STDIO_STDOUT
		                                                  : CONTAINERV_STDIO_PIPE;
		SET_OR_FAIL(containerv_options_set_stdio(options,
		                                         flags.interactive && attached[0] ? CONTAINERV_STDIO_PIPE
		                                                                          : CONTAINERV_STDIO_NULL,
		                                         out, err),
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
	struct attach_options attach = {.container = container,
	                                .master = -1,
	                                .interactive = flags.interactive,
	                                .no_signal_proxy = !flags.sig_proxy};
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

/* The first flag that belongs to a pool's template, not to a take: NULL when none is set. */
static const char *template_flag_with_pool(void)
{
	const struct {
		bool set;
		const char *name;
	} checks[] = {
	        {flags.tty, "-t"},
	        {flags.rootfs != NULL, "--rootfs"},
	        {flags.name != NULL, "--name"},
	        {flags.hostname != NULL, "--hostname"},
	        {flags.entrypoint != NULL, "--entrypoint"},
	        {flags.pull != NULL, "--pull"},
	        {flags.read_only, "--read-only"},
	        {flags.env_files.count > 0, "--env-file"},
	        {flags.labels.count > 0, "--label"},
	        {flags.volumes.count + flags.mounts.count + flags.tmpfs.count > 0, "-v, --mount and --tmpfs"},
	        {flags.memory || flags.memory_swap || flags.cpus || flags.cpu_shares || flags.cpuset_cpus ||
	                 flags.cpuset_mems || flags.pids_limit || flags.blkio_weight || flags.perf_profile,
	         "the resource limits"},
	        {flags.security.level || flags.security.profile || flags.security.userns || flags.security.privileged ||
	                 flags.security.cap_add.count || flags.security.cap_drop.count ||
	                 flags.security.security_opts.count,
	         "the security options"},
	        {flags.ulimits.count || flags.devices.count || flags.groups.count || flags.shm_size ||
	                 flags.stop_timeout || flags.domainname || flags.mac_address || flags.oom_score_adj ||
	                 flags.pid || flags.ipc || flags.uts || flags.cgroupns || flags.cpu_period || flags.cpu_quota ||
	                 flags.memory_reservation || flags.oom_kill_disable,
	         "--ulimit, --device, --group-add, --shm-size, --stop-timeout, --domainname, --mac-address, "
	         "--oom-*, --pid, --ipc, --uts, --cgroupns, --cpu-period, --cpu-quota and --memory-reservation"},
	        {flags.network.network || flags.network.ip || flags.network.publish_all ||
	                 flags.network.publish.count || flags.network.expose.count || flags.network.dns.count ||
	                 flags.network.add_host.count,
	         "the network options"},
	};

	for (size_t i = 0; i < sizeof checks / sizeof *checks; i++)
		if (checks[i].set)
			return checks[i].name;
	return NULL;
}

/* -e for a take: KEY=VALUE as given, KEY alone copies ours (skipped when we have none), as docker's. */
static char **take_env(void)
{
	char **env = xmalloc((flags.env.count + 1) * sizeof *env);
	size_t n = 0;

	for (size_t i = 0; i < flags.env.count; i++) {
		const char *item = flags.env.items[i];
		if (strchr(item, '=') != NULL) {
			env[n++] = xstrdup(item);
		} else if (getenv(item) != NULL) {
			env[n] = xmalloc(strlen(item) + strlen(getenv(item)) + 2);
			sprintf(env[n++], "%s=%s", item, getenv(item));
		}
	}
	env[n] = NULL;
	return env;
}

/*
 * run --pool NAME [COMMAND...]: claims a held container of the pool and binds the workload to it (command,
 * -e, -w, -u, stdio), then stays attached as run does. --rm: the pool's keeper removes it once it has ended,
 * off our path. A container whose init is gone meanwhile (taken by a sweep) is replaced by the next one.
 */
int cli_run_pool(const char *pool, const struct arguments *positional)
{
	struct containerv_workload workload = CONTAINERV_WORKLOAD_INIT;
	struct containerv_container *container = NULL;
	const char *conflict = template_flag_with_pool();
	char **env;
	int ret = -1;

	if (conflict != NULL)
		return cli_fail(EXIT_CLI_ERROR,
		                "run --pool: %s belong to the pool's template ('containerv pool create')", conflict);
	if (cli_pool_ensure_keeper(pool) < 0)
		return EXIT_CLI_ERROR;
	env = take_env();
	workload.argv = positional->count > 0 ? (const char *const *)positional->items : NULL;
	workload.env = (const char *const *)env;
	workload.workdir = flags.workdir;
	workload.user = flags.user; /* names looked up in the container's /etc/passwd, as run's */
	workload.stdio_set = 1;
	workload.stdio[0] = flags.interactive ? CONTAINERV_STDIO_PIPE : CONTAINERV_STDIO_NULL;
	workload.stdio[1] = CONTAINERV_STDIO_PIPE;
	workload.stdio[2] = cli_stderr_is_stdout() ? CONTAINERV_STDIO_STDOUT : CONTAINERV_STDIO_PIPE;
	/* -d: no one reads it (a held container has no log monitor: its output is not kept, see docs). */
	if (flags.detach)
		workload.stdio[0] = workload.stdio[1] = workload.stdio[2] = CONTAINERV_STDIO_NULL;
	for (int attempt = 0; attempt < 3 && ret < 0; attempt++) {
		/* Attached, run_attached removes it once it has read the exit status (the keeper could remove an ended
		 * container before that, and the status with it); detached, the keeper does. */
		if (containerv_pool_take(pool, flags.remove && flags.detach, &container) < 0)
			break;
		ret = containerv_pool_start(container, &workload);
		/* Only a container whose init no longer waits (ESRCH) is replaced; a command that fails is the answer.
		 */
		if (ret < 0 && errno != ESRCH)
			break;
		if (ret < 0) {
			containerv_close(container);
			container = NULL;
		}
	}
	cli_strings_free(env);
	if (ret < 0) {
		int code = cli_exec_exit_code();
		/* --rm: a container taken and not started (its command could not be executed) goes too, as run's. */
		if (container != NULL && flags.remove) {
			cli_fail_library(code, "run --pool %s", pool);
			if (containerv_remove(container, CV_REMOVE_VOLUMES) < 0 && errno != ENOENT)
				cli_fail_library(EXIT_CLI_ERROR, "remove %s", containerv_name(container));
			return code;
		}
		containerv_close(container);
		return cli_fail_library(code, "run --pool %s", pool);
	}
	if (flags.detach) {
		printf("%s\n", containerv_id(container));
		containerv_close(container);
		return 0;
	}
	return run_attached(container);
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
	int code;

	flags.sig_proxy = 1; /* docker's default */
	code = flags_parse_or_exit(spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (!autostart && (flags.tty || flags.detach || flags.remove)) {
		return cli_fail(EXIT_CLI_ERROR, "create: -t, -d and --rm are for 'containerv run' (start a created "
		                                "container with 'containerv start [-a] [-i]')");
	}
	if (autostart && flags.hold)
		return cli_fail(EXIT_CLI_ERROR, "run: --hold is for 'containerv create'");
	if (flags.attach.count > 0 && (flags.detach || !autostart))
		return cli_fail(EXIT_CLI_ERROR, "conflicting options: -a and -d (or create)");
	if (flags.pool != NULL)
		return autostart ? cli_run_pool(flags.pool, &positional)
		                 : cli_fail(EXIT_CLI_ERROR, "create: --pool is for 'containerv run'");
	code = EXIT_CLI_ERROR;
	if (containerv_options_new(&options) < 0) {
		return cli_fail_library(code, NULL);
	}
	if (build_config(spec->name, &positional, &config, options) < 0)
		return code;
	if (build_options(&config, options) < 0)
		return code;
	if (flags.cpu_rt_runtime != NULL || flags.cpu_rt_period != NULL)
		return cli_fail(
		        code, "--cpu-rt-runtime and --cpu-rt-period are not supported: containers get no "
		              "realtime scheduling (CAP_SYS_NICE and the cpu controller's rt budget stay the host's)");
	if (!autostart && (containerv_options_set_autostart(options, 0) < 0 ||
	                   containerv_options_set_hold(options, flags.hold || hold_from_environment()) < 0)) {
		return cli_fail_library(code, "create");
	}
	/*
	 * --rm: attached, we wait and remove it ourselves (no monitor process; were this CLI killed first,
	 * the next `ps` or a run of the same name removes it). Detached or only created, a monitor of the
	 * library removes it when it ends.
	 */
	int autoremove = autostart && !flags.detach ? CV_AUTOREMOVE_BY_WAITER : CV_AUTOREMOVE_MONITOR;
	if (flags.remove && containerv_options_set_autoremove(options, autoremove) < 0) {
		return cli_fail_library(code, "run");
	}
	/* create -i: the stdin a later start -i feeds (docker's OpenStdin). */
	if (!autostart && flags.interactive && containerv_options_set_open_stdin(options, 1) < 0)
		return cli_fail_library(code, "-i");
	if (autostart && !flags.detach && set_attached_stdio(options) < 0)
		return code;
	_cleanup_close_ int cidfile = -1;
	if (flags.cidfile != NULL && (cidfile = open(flags.cidfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		return cli_fail(code,
		                errno == EEXIST ? "container ID file found, make sure the other container isn't "
		                                  "running or delete %s"
		                                : "--cidfile %s: %s",
		                flags.cidfile, strerror(errno));
	if (containerv_create(options, &container) < 0) {
		if (cidfile >= 0)
			unlink(flags.cidfile);
		return create_failed();
	}
	if (cidfile >= 0 && dprintf(cidfile, "%s", containerv_id(container)) < 0)
		cli_fail(0, "--cidfile %s: %s", flags.cidfile, strerror(errno));
	if (!autostart || flags.detach) {
		printf("%s\n", containerv_id(container));
		containerv_close(container);
		return 0;
	}
	return run_attached(container);
}

/*
 * `pool create`'s template: run's flags and IMAGE or --rootfs (pool-cli.c has taken NAME and the pool's own
 * flags out of argv). The options are validated whole; -d, -i, -t, --rm, --name and --pool have no meaning here.
 */
int cli_pool_template(int argc, char **argv, struct containerv_options **out)
{
	static const struct command_spec spec = {
	        "pool create",
	        "NAME [--min N] [--max N] [--policy prealloc|on-demand|hybrid] [--idle SECONDS] [OPTIONS] IMAGE "
	        "[COMMAND] [ARG...]",
	        "Create a pool of held containers of one template (the options of 'containerv run')",
	        run_flag_table,
	        true,
	        0,
	        0,
	        run_notes,
	};
	_cleanup_free_ char **words = NULL;
	_cleanup_options_ struct containerv_options *options = NULL;
	struct run_config config = {0};
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (flags.interactive || flags.tty || flags.detach || flags.remove || flags.hold || flags.name != NULL ||
	    flags.pool != NULL)
		return cli_fail(EXIT_CLI_ERROR,
		                "pool create: -d, -i, -t, --rm, --hold, --name and --pool are not template "
		                "options");
	if (containerv_options_new(&options) < 0)
		return cli_fail_library(EXIT_CLI_ERROR, NULL);
	if (build_config(spec.name, &positional, &config, options) < 0 || build_options(&config, options) < 0)
		return EXIT_CLI_ERROR;
	*out = options;
	options = NULL;
	return -1;
}

int cmd_run(int argc, char **argv)
{
	return run_or_create(argc, argv, true);
}

int cmd_create(int argc, char **argv)
{
	return run_or_create(argc, argv, false);
}

/* start -i: our stdin copied into the container's stdin pipe until either ends, then the pipe closed. */
static void *feed_stdin(void *user)
{
	int pipe_end = (int)(intptr_t)user;
	char buffer[4096];
	ssize_t n;

	while ((n = read(STDIN_FILENO, buffer, sizeof buffer)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(pipe_end, buffer + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				close(pipe_end);
				return NULL; /* EPIPE: the container's process has gone or closed its stdin */
			}
			done += w;
		}
	}
	close(pipe_end);
	return NULL;
}

/*
 * start -a [-i]: follow the log from now on (the container writes there), then exit with its code. With -i
 * our stdin goes to the container's, when it was created with -i (else it has none to take it, as docker).
 */
static int start_attached(const char *reference, bool interactive)
{
	_cleanup_container_ struct containerv_container *container = NULL;
	struct containerv_logs_options options = CONTAINERV_LOGS_OPTIONS_INIT;
	struct containerv_exit exit_status;
	containerv_fd_t stdio[3] = {-1, -1, -1};
	struct timespec now;
	pthread_t feeder;

	if (cli_open(reference, &container) < 0)
		return EXIT_CONTAINER_FAILURE;
	/* What this start writes: each record is stamped when its monitor read it, after this. */
	clock_gettime(CLOCK_REALTIME, &now);
	options.since_ns = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
	options.follow = 1;
	if (containerv_start(container) < 0) {
		int code = cli_exec_exit_code();
		return cli_fail_library(code == EXIT_CLI_ERROR ? EXIT_CONTAINER_FAILURE : code, "start %s", reference);
	}
	containerv_take_stdio(container, stdio);
	for (int i = 1; i < 3; i++)
		if (stdio[i] >= 0)
			close(stdio[i]);
	/* Without -i the pipe is closed at once: the process reads end-of-file, nothing holds its stdin. */
	if (stdio[0] >= 0 && !interactive)
		close(stdio[0]);
	if (stdio[0] >= 0 && interactive) {
		signal(SIGPIPE, SIG_IGN);
		if (pthread_create(&feeder, NULL, feed_stdin, (void *)(intptr_t)stdio[0]) != 0)
			close(stdio[0]);
		else
			pthread_detach(feeder);
	}
	if (logs_copy(container, &options, false) < 0)
		return EXIT_CLI_ERROR;
	if (containerv_wait(container, &exit_status) < 0)
		return cli_fail_library(EXIT_CLI_ERROR, "wait %s", reference);
	return exit_status.code;
}

/* The exit code of a failed start: docker's 127/126 for a command that cannot be executed, else 1. */
static int start_failure_code(const struct containerv_start_result *result)
{
	if (result->code != CONTAINERV_E_EXEC)
		return EXIT_CONTAINER_FAILURE;
	return result->error == ENOENT ? EXIT_COMMAND_NOT_FOUND : EXIT_CANNOT_EXECUTE;
}

/*
 * Starts the containers at once (containerv_start_all: concurrency 0 is the library's default), then
 * names each started one in the order given, as docker does, and gives one error line per failure.
 */
static int start_many(const struct arguments *positional, unsigned int concurrency)
{
	_cleanup_free_ struct containerv_container **handles = xmalloc(positional->count * sizeof *handles);
	_cleanup_free_ struct containerv_start_result *results = xmalloc(positional->count * sizeof *results);
	_cleanup_free_ const char **names = xmalloc(positional->count * sizeof *names);
	size_t opened = 0;
	int code = 0;

	for (size_t i = 0; i < positional->count; i++) {
		if (cli_open(positional->items[i], &handles[opened]) < 0)
			code = EXIT_CONTAINER_FAILURE;
		else
			names[opened++] = positional->items[i];
	}
	containerv_start_all(handles, opened, concurrency, results);
	for (size_t i = 0; i < opened; i++) {
		if (results[i].error == 0)
			printf("%s\n", names[i]);
		else {
			code = cli_fail_reason(start_failure_code(&results[i]), results[i].message, "start %s",
			                       names[i]);
		}
		containerv_close(handles[i]);
	}
	return code;
}

int cmd_start(int argc, char **argv)
{
	static int attach, interactive;
	static const char *parallel;
	static const struct flag table[] = {
	        {"attach", 'a', FLAG_BOOL, &attach, NULL, "Follow the container's output and exit with its exit code"},
	        {"interactive", 'i', FLAG_BOOL, &interactive, NULL,
	         "Attach container's STDIN (one created with -i; implies -a)"},
	        {"parallel", 0, FLAG_STRING, &parallel, "N",
	         "Start at most N containers at once (default: twice the CPUs, at most 16)"},
	        FLAG_END,
	};
	unsigned long concurrency = 0;
	char *end;
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
	/* docker's start -i attaches the output too. */
	if (attach || interactive) {
		if (positional.count > 1)
			return cli_fail(EXIT_CLI_ERROR, "you cannot start and attach multiple containers at once");
		return start_attached(positional.items[0], interactive != 0);
	}
	if (parallel != NULL) {
		concurrency = strtoul(parallel, &end, 10);
		if (*parallel == '\0' || *end != '\0' || concurrency < 1 || concurrency > 16)
			return cli_fail(EXIT_CLI_ERROR, "start: invalid --parallel %s: give 1 to 16", parallel);
	}
	return start_many(&positional, (unsigned int)concurrency);
}
