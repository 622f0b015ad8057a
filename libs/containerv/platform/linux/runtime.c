/*
 * Starting a container: the parent's half. Everything the init needs is
 * prepared here (cgroup, files, strings), then one clone3() creates the
 * init in its new namespaces. The parent puts it in the cgroup, writes its
 * id maps, lets it go and waits for one message: ready, or why not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <pthread.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log-file.h"
#include "common/util.h"
#include "core/supervise-state.h"
#include "platform/linux/container-private.h"
#include "platform/linux/devices.h"
#include "platform/linux/init-plan.h"
#include "platform/linux/network-private.h"
#include "core/volume.h"
#include "security/security-internal.h"

static void plan_free(struct cv_init_plan *plan)
{
	free(plan->mounts);
	free(plan->devices);
	free(plan->host_devices);
	cv_security_plan_clear(&plan->security);
	free(plan->overlay_options);
	free(plan->layer_fds);
	free(plan->upper);
	free(plan->work);
	cv_strv_free(plan->shifted_layers);
	cv_strv_free(plan->sysctl_paths);
	cv_strv_free(plan->sysctl_values);
	for (size_t i = 0; i < 3; i++)
		free(plan->etc_texts[i]);
	cv_strv_free(plan->env);
	if (plan->state_dir_fd >= 0)
		close(plan->state_dir_fd);
	if (plan->exit_fd >= 0)
		close(plan->exit_fd);
	if (plan->release_fd >= 0)
		close(plan->release_fd);
	for (int i = 0; i < 3; i++)
		if (plan->join_fds[i] >= 0)
			close(plan->join_fds[i]);
	if (plan->join_pid_fd >= 0)
		close(plan->join_pid_fd);
}

static void plan_keep(struct cv_init_plan *plan, int fd);

/*
 * A joined container's namespace that is the host's own (it runs with --pid host, or joined one that does):
 * joining it is --pid host for this container too, so the level's refusal of the host's namespace applies.
 * Without this, `--pid container:X` of an X run at permissive with --pid host gave a restricted container
 * every process of the host. Compared by inode with our own namespace of that type (the runtime's is the
 * host's, or the one containerv was started in).
 */
static int refuse_host_namespace(const struct containerv_container *c, int type, int fd)
{
	static const struct {
		int type;
		unsigned int flag;
		const char *name;
	} kinds[] = {
	        {CLONE_NEWPID, CV_NS_PID, "pid"}, {CLONE_NEWIPC, CV_NS_IPC, "ipc"}, {CLONE_NEWUTS, CV_NS_UTS, "uts"}};
	struct stat joined, own;
	char path[64];

	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		if (kinds[i].type != type)
			continue;
		snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[i].name);
		if (fstat(fd, &joined) < 0 || stat(path, &own) < 0)
			return cv_error_sys("compare the joined %s namespace with the host's", kinds[i].name);
		if (joined.st_ino != own.st_ino || joined.st_dev != own.st_dev)
			return 0;
		struct cv_audit_subject subject = {.security = c->config.security, .namespaces = ~kinds[i].flag};
		return cv_security_check_isolation(&subject) < 0
		               ? cv_error_prefix("the container joined shares the host's %s namespace", kinds[i].name)
		               : 0;
	}
	return 0;
}

/* linux.namespaces[].path: each opened and checked here; the init enters net, ipc and uts, we enter pid. */
/*
 * The namespace of type of the running container ID (--pid container:NAME): its init's, opened and then
 * checked to still be that init (same pid and start time), so that a pid reused meanwhile by another
 * process, the host's included, is never joined.
 */
static int open_container_namespace(struct containerv_container *c, const char *id, int type, int *fd)
{
	struct containerv_container *joined = NULL;
	char path[64];

	if (containerv_open_in(c->context, id, &joined) < 0)
		return -1;
	if (joined->state.status != CV_STATE_RUNNING || joined->state.pid <= 0) {
		containerv_close(joined);
		return cv_error_errno(ESRCH, "container %.12s is not running", id);
	}
	snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)joined->state.pid,
	         type == CLONE_NEWPID   ? "pid"
	         : type == CLONE_NEWIPC ? "ipc"
	         : type == CLONE_NEWUTS ? "uts"
	                                : "net");
	int ret = cv_namespace_open(path, type, fd);
	if (ret == 0 && !cv_process_alive(joined->state.pid, joined->state.pid_start_time)) {
		close(*fd);
		ret = cv_error_errno(ESRCH, "container %.12s is not running", id);
	}
	if (ret == 0 && refuse_host_namespace(c, type, *fd) < 0) {
		close(*fd);
		ret = -1;
	}
	containerv_close(joined);
	return ret;
}

static int open_joined_namespaces(struct containerv_container *c, struct cv_init_plan *plan)
{
	static const int types[] = {[CV_JOIN_NET] = CLONE_NEWNET,
	                            [CV_JOIN_IPC] = CLONE_NEWIPC,
	                            [CV_JOIN_UTS] = CLONE_NEWUTS,
	                            [CV_JOIN_PID] = CLONE_NEWPID};
	const struct containerv_options *config = &c->config;

	for (int i = 0; i < CV_JOIN_COUNT; i++) {
		const char *path = config->join_paths[i];
		int fd;

		if (config->join_containers[i] != NULL) {
			if (open_container_namespace(c, config->join_containers[i], types[i], &fd) < 0)
				return cv_error_prefix("join the %s namespace of container %.12s",
				                       cv_join_types[i].name, config->join_containers[i]);
		} else if (path == NULL) {
			continue;
		} else if (cv_namespace_open(path, types[i], &fd) < 0)
			return cv_error_prefix("join the %s namespace", cv_join_types[i].name);
		if (i == CV_JOIN_PID) {
			plan->join_pid_fd = fd;
			continue;
		}
		plan->join_fds[i] = fd;
		plan->join_types[i] = types[i];
		plan_keep(plan, fd);
	}
	return 0;
}

/* The namespaces the clone makes: the chosen ones but the joined ones (and cgroup: the init unshares it). */
static unsigned int namespaces_to_make(const struct containerv_options *config)
{
	unsigned int namespaces = config->namespaces & ~(unsigned int)CV_NS_CGROUP;

	for (int i = 0; i < CV_JOIN_COUNT; i++)
		if (config->join_paths[i] != NULL || config->join_containers[i] != NULL)
			namespaces &= ~cv_join_types[i].bit;
	return namespaces;
}

/* Overlay options over these layers (lowest first): the lowest comes last in lowerdir. */
static int overlay_options_for(struct containerv_container *c, char *const *layers, char **out)
{
	size_t count = cv_strv_length(layers);
	cleanup_free char *lower = NULL;
	char **reversed = cv_malloc0((count + 1) * sizeof *reversed);

	if (reversed == NULL)
		return -1;
	for (size_t i = 0; i < count; i++) {
		const char *layer = layers[count - 1 - i];
		if (strpbrk(layer, ",:") != NULL) {
			free(reversed);
			return cv_error_errno(EINVAL, "rootfs %s: a path with ',' or ':' cannot be an overlay layer",
			                      layer);
		}
		reversed[i] = (char *)layer;
	}
	lower = cv_strv_join(reversed, ":");
	free(reversed);
	if (lower == NULL)
		return -1;
	/*
	 * volatile: the upper layer is scratch space, so skip the syncfs at unmount (it would sync the whole disk).
	 * userxattr: in a user namespace overlay may only use user.* extended attributes.
	 */
	return cv_asprintf(out, "lowerdir=%s,upperdir=%s/upper,workdir=%s/work,volatile%s", lower, c->dir, c->dir,
	                   (c->config.namespaces & CV_NS_USER) ? ",userxattr" : "");
}

int cv_overlay_options(struct containerv_container *c, char **out)
{
	if (c->config.rootfs_in_place)
		return cv_error_errno(ENOTSUP, "%s: its root filesystem is used in place, it has no overlay", c->name);
	return overlay_options_for(c, c->config.layers, out);
}

/*
 * What the init needs for the overlay: the paths it opens itself (init-plan.h says why), and a buffer for
 * the options it writes with their descriptors' /proc/self/fd names (the clone must not allocate).
 */
static int prepare_overlay(struct containerv_container *c, struct cv_init_plan *plan)
{
	size_t count = cv_strv_length(c->config.layers);

	if (count == 0)
		return cv_error_errno(EINVAL, "container %.12s: no root filesystem", c->id);
	plan->layers = c->config.layers;
	plan->layer_count = count;
	plan->userxattr = (c->config.namespaces & CV_NS_USER) != 0;
	plan->layer_fds = cv_malloc0(count * sizeof *plan->layer_fds);
	/* "lowerdir=", then ":/proc/self/fd/N" per layer, then upperdir, workdir and the flags. */
	plan->overlay_options_size = 128 + count * sizeof ":/proc/self/fd/2147483647";
	plan->overlay_options = cv_malloc0(plan->overlay_options_size);
	if (plan->layer_fds == NULL || plan->overlay_options == NULL)
		return -1;
	for (size_t i = 0; i < count; i++)
		plan->layer_fds[i] = -1;
	/* In place: the one directory is bound as the root (cv_rootfs_setup); no upper, work or shifted copy. */
	plan->rootfs_in_place = c->config.rootfs_in_place;
	if (plan->rootfs_in_place)
		return 0;
	if (cv_asprintf(&plan->upper, "%s/upper", c->dir) < 0 || cv_asprintf(&plan->work, "%s/work", c->dir) < 0)
		return -1;
	if (!(c->config.namespaces & CV_NS_USER))
		return 0;
	/* The fallback's layers (made only if id-mapping fails): <state>/shifted/<i>. */
	for (size_t i = 0; i < count; i++) {
		cleanup_free char *path = NULL;
		if (cv_asprintf(&path, "%s/shifted/%zu", c->dir, i) < 0 ||
		    cv_strv_append(&plan->shifted_layers, path) < 0)
			return -1;
	}
	return 0;
}

/*
 * The chown'd copy-up, where layers cannot be id-mapped: each layer copied once (for this container)
 * with its owners moved into the container's range. CONTAINERV_TEST_NO_IDMAP=1 forces it, so that the
 * tests go through it on kernels that can id-map.
 */
static int make_shifted_layers(struct containerv_container *c)
{
	const struct cv_idmap *uids = c->config.uid_map.set ? &c->config.uid_map : &c->config.gid_map;
	const struct cv_idmap *gids = c->config.gid_map.set ? &c->config.gid_map : &c->config.uid_map;
	char dir[PATH_MAX];

	snprintf(dir, sizeof dir, "%s/shifted", c->dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return cv_error_sys("create %s", dir);
	for (size_t i = 0; c->config.layers[i] != NULL; i++) {
		char target[PATH_MAX + 32];
		snprintf(target, sizeof target, "%s/%zu", dir, i);
		if (access(target, F_OK) == 0)
			continue; /* made at an earlier start */
		if (cv_shifted_copy(c->config.layers[i], target, uids->host_start, gids->host_start) < 0)
			return cv_error_prefix("user namespace");
	}
	return 0;
}

static bool idmap_disabled_for_tests(void)
{
	const char *value = getenv("CONTAINERV_TEST_NO_IDMAP");
	return value != NULL && strcmp(value, "1") == 0;
}

/* The environment of the main command: the configured one plus docker's defaults. */
static int build_env(const struct containerv_options *config, const char *hostname, char ***out)
{
	char **env = cv_strv_dup((const char *const *)config->env);
	char buffer[128];

	if (env == NULL && config->env != NULL)
		return -1;
	if (cv_env_get(env, "PATH") == NULL && cv_strv_append(&env, "PATH=" CV_DEFAULT_PATH) < 0)
		goto fail;
	snprintf(buffer, sizeof buffer, "HOSTNAME=%s", hostname);
	if (cv_env_get(env, "HOSTNAME") == NULL && cv_strv_append(&env, buffer) < 0)
		goto fail;
	if (cv_env_get(env, "HOME") == NULL && cv_strv_append(&env, config->uid == 0 ? "HOME=/root" : "HOME=/") < 0)
		goto fail;
	if (config->tty && cv_env_get(env, "TERM") == NULL && cv_strv_append(&env, "TERM=xterm") < 0)
		goto fail;
	*out = env;
	return 0;
fail:
	cv_strv_free(env);
	return -1;
}

/* The texts of the container's /etc/hostname, /etc/hosts and /etc/resolv.conf, for the init to write. */
static int make_etc_texts(struct containerv_container *c, struct cv_init_plan *plan, const char *hostname,
                          uint32_t address, uint32_t dns_server)
{
	if (cv_asprintf(&plan->etc_texts[0], "%s\n", hostname) < 0)
		return -1;
	/* hosts (with the container's address) and resolv.conf: network/etc-files.c. */
	return cv_network_etc_texts(&c->config.network, hostname, c->name, address, dns_server, &plan->etc_texts[1],
	                            &plan->etc_texts[2]);
}

static bool exists_in_a_layer(const struct containerv_container *c, const char *relative)
{
	for (size_t i = 0; c->config.layers[i] != NULL; i++) {
		char path[PATH_MAX];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", c->config.layers[i], relative);
		if (lstat(path, &st) == 0)
			return true;
	}
	return false;
}

/*
 * The /etc files we bind over must exist as mount targets. The container's
 * root in a user namespace cannot create them in an image's /etc (owned by
 * an unmapped uid), so the ones no layer has are made here, in the upper
 * layer, owned by that root.
 */
static int precreate_etc_files(struct containerv_container *c, int dirfd, uid_t uid, gid_t gid)
{
	static const char *const names[] = {"hostname", "hosts", "resolv.conf"};
	cleanup_close int upper = openat(dirfd, "upper", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int etc = -1;

	if (upper < 0)
		return cv_error_sys("open the upper layer of %.12s", c->id);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char relative[64];
		snprintf(relative, sizeof relative, "etc/%s", names[i]);
		if (exists_in_a_layer(c, relative))
			continue;
		if (etc < 0) {
			if (mkdirat(upper, "etc", 0755) < 0 && errno != EEXIST)
				return cv_error_sys("create /etc of %.12s", c->id);
			etc = openat(upper, "etc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (etc < 0 || fchownat(upper, "etc", uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
				return cv_error_sys("create /etc of %.12s", c->id);
		}
		int fd = openat(etc, names[i], O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 || fchown(fd, uid, gid) < 0) {
			if (fd >= 0)
				close(fd);
			return cv_error_sys("create /etc/%s of %.12s", names[i], c->id);
		}
		close(fd);
	}
	return 0;
}

/*
 * With a user namespace the overlay is mounted by the container's root, an unprivileged host uid: it gets
 * the overlay's directories. It needs no way through the state root (0700, root's): the init opens them
 * while it is still host root and mounts through the descriptors (cv_rootfs_open).
 */
static int own_by_container_root(struct containerv_container *c, int dirfd)
{
	const struct cv_idmap *uids = c->config.uid_map.set ? &c->config.uid_map : &c->config.gid_map;
	const struct cv_idmap *gids = c->config.gid_map.set ? &c->config.gid_map : &c->config.uid_map;
	static const char *const owned[] = {"upper", "work"};

	if (!(c->config.namespaces & CV_NS_USER))
		return 0;
	if (uids->child_start != 0 || gids->child_start != 0)
		return cv_error_errno(EINVAL, "user namespace: the id maps must start at the container's root (0)");
	for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
		if (fchownat(dirfd, owned[i], uids->host_start, gids->host_start, AT_SYMLINK_NOFOLLOW) < 0)
			return cv_error_sys("give %s to the container's root", owned[i]);
	}
	return precreate_etc_files(c, dirfd, uids->host_start, gids->host_start);
}

/*
 * upper/ and work/ (new, or kept from a previous start of this container), with no work/work:
 * overlay refuses the "volatile" marker a previous mount left there, and makes work/work itself.
 */
static int prepare_directories(struct containerv_container *c, int dirfd)
{
	char work[PATH_MAX];

	snprintf(work, sizeof work, "%s/work/work", c->dir);
	if (cv_rm_rf(work) < 0)
		return -1;
	if ((mkdirat(dirfd, "upper", 0755) < 0 && errno != EEXIST) ||
	    (mkdirat(dirfd, "work", 0700) < 0 && errno != EEXIST))
		return cv_error_sys("prepare the rootfs directories of %.12s", c->id);
	return own_by_container_root(c, dirfd);
}

/* Where our command line lives, so that the init (our clone) can overwrite its copy. */
static void find_command_line(struct cv_init_plan *plan)
{
	cleanup_free char *stat = NULL;
	unsigned long start = 0, end = 0;
	char *p;

	if (cv_read_file("/proc/self/stat", &stat, NULL, 4096) < 0 || (p = strrchr(stat, ')')) == NULL) {
		cv_error_clear();
		return;
	}
	/* arg_start and arg_end are fields 48 and 49: step over the spaces before fields 3 to 48. */
	for (int field = 3; field <= 48 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p != NULL && sscanf(p, " %lu %lu", &start, &end) == 2 && end > start && end - start < (1UL << 21)) {
		plan->arguments = (char *)start;
		plan->arguments_length = end - start;
	}
}

static int mount_depth(const char *target)
{
	int depth = 0;

	for (const char *p = target; *p != '\0'; p++)
		depth += *p == '/' && p[1] != '/' && p[1] != '\0';
	return depth;
}

static int compare_mount_depth(const void *a, const void *b)
{
	const struct cv_plan_mount *x = a, *y = b;

	return mount_depth(x->target) - mount_depth(y->target);
}

/*
 * The missing directories of a checked bind source, made one by one without following a link: a
 * component that became a link since the check (a host user, or another container through a shared
 * bind, swapped it) would otherwise have mkdir make a root-owned directory wherever it points.
 */
static int make_bind_source(const char *resolved)
{
	cleanup_close int dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (dirfd < 0)
		return cv_error_sys("open /");
	for (const char *p = resolved; *p != '\0';) {
		char component[NAME_MAX + 1];
		size_t length;
		int next;

		while (*p == '/')
			p++;
		length = strcspn(p, "/");
		if (length == 0)
			break;
		if (length > NAME_MAX)
			return cv_error_errno(ENAMETOOLONG, "bind mount source %s: name too long", resolved);
		memcpy(component, p, length);
		component[length] = '\0';
		p += length;
		if (mkdirat(dirfd, component, 0755) < 0 && errno != EEXIST)
			return cv_error_sys("bind mount source %s: mkdir %s", resolved, component);
		/* The last may be a file (or a link, which mkdirat left alone and the init will not follow). */
		if (strspn(p, "/") == strlen(p))
			break;
		next = openat(dirfd, component, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return cv_error_errno(errno == ENOTDIR ? ELOOP : errno,
			                      "bind mount source %s: %s is no longer a directory since it was checked",
			                      resolved, component);
		close(dirfd);
		dirfd = next;
	}
	return 0;
}

/* One mount's host side: a bind source (made when asked), a volume's data (acquired), tmpfs options. */
static int resolve_mount(struct containerv_container *c, const struct cv_mount *m, struct cv_plan_mount *out)
{
	struct stat st;

	out->type = (int)m->type;
	out->target = m->target;
	out->flags = m->flags;
	out->propagation = (int)m->propagation;
	out->source_fd = -1;
	switch (m->type) {
	case CV_MOUNT_TYPE_TMPFS: {
		int n = snprintf(out->data, sizeof out->data, "mode=%o,uid=%u,gid=%u",
		                 m->tmpfs_mode ? m->tmpfs_mode : 01777, (unsigned int)m->tmpfs_uid,
		                 (unsigned int)m->tmpfs_gid);
		if (m->tmpfs_size != 0)
			snprintf(out->data + n, sizeof out->data - (size_t)n, ",size=%llu",
			         (unsigned long long)m->tmpfs_size);
		return 0;
	}
	case CV_MOUNT_TYPE_VOLUME:
		out->source_is_dir = true;
		if (cv_volume_acquire(m->source, c->id, out->source, sizeof out->source) < 0)
			return cv_error_prefix("volume %s", m->source);
		return 0;
	case CV_MOUNT_TYPE_BIND:
	default:
		/*
		 * Checked again here, and the resolved path is what gets mounted: a link the host (or
		 * another container, through a shared bind) put on the way since create must not turn an
		 * ordinary source into /etc. Before the mkdir too: nothing is made under a refused path.
		 */
		if (cv_security_check_bind(c->config.security, m->source, (m->flags & CV_MOUNT_READONLY) != 0,
		                           containerv_root(), out->source, sizeof out->source) < 0)
			return -1;
		if ((m->flags & CV_MOUNT_CREATE) && make_bind_source(out->source) < 0)
			return -1;
		if (cv_security_check_bind(c->config.security, out->source, (m->flags & CV_MOUNT_READONLY) != 0,
		                           containerv_root(), out->source, sizeof out->source) < 0)
			return -1;
		if (stat(out->source, &st) < 0)
			return cv_error_sys("bind mount source %s", m->source);
		out->source_is_dir = S_ISDIR(st.st_mode);
		return 0;
	}
}

static int build_mounts(struct containerv_container *c, struct cv_init_plan *plan)
{
	size_t count = c->config.mount_count;

	plan->readonly_rootfs = c->config.readonly_rootfs;
	plan->thp_disable = c->config.thp_disable;
	if (count == 0)
		return 0;
	plan->mounts = cv_malloc0(count * sizeof *plan->mounts);
	if (plan->mounts == NULL)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (resolve_mount(c, &c->config.mounts[i], &plan->mounts[i]) < 0)
			return -1;
	}
	/* Parents first: /data before /data/cache, whatever order they were given in. */
	qsort(plan->mounts, count, sizeof *plan->mounts, compare_mount_depth);
	plan->mount_count = count;
	return 0;
}

static void plan_keep(struct cv_init_plan *plan, int fd)
{
	if (fd >= 0 && plan->keep_count < CV_KEEP_FDS_MAX)
		plan->keep_fds[plan->keep_count++] = fd;
}

/* The walls: capabilities, seccomp (compiled here, loaded by the child), protected paths, Landlock. */
static int build_security(struct containerv_container *c, struct cv_init_plan *plan)
{
	const struct containerv_security *security = c->config.security;

	if (cv_security_check_host(security) < 0 || cv_security_plan_prepare(&c->config, &plan->security) < 0)
		return -1;
	plan->readonly_rootfs = plan->readonly_rootfs || security->read_only_rootfs;
	if (!security->privileged) {
		plan->masked_paths = security->masked_paths;
		plan->readonly_paths = security->readonly_paths;
	}
	return 0;
}

/*
 * A start's stdio (stdio.c says why no host descriptor goes in): the ends the init gets, which the caller
 * closes once it is cloned; the caller's ends, handed over on success; for a detached container the log
 * pipe's read end and the log file, which go to the monitor.
 */
struct start_stdio {
	int container_ends[3];
	int host_ends[3];
	int log_read[2]; /* the monitor's ends of the container's stdout and stderr */
	int log_dir;     /* <container>/logs, flock'ed while the monitor writes */
	struct cv_log_writer log;
};

static void start_stdio_init(struct start_stdio *io)
{
	for (int i = 0; i < 3; i++)
		io->container_ends[i] = io->host_ends[i] = -1;
	io->log_read[0] = io->log_read[1] = io->log_dir = -1;
	io->log = (struct cv_log_writer){.dirfd = -1, .fd = -1};
}

static void close_if_open(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void start_stdio_close(struct start_stdio *io)
{
	for (int i = 0; i < 3; i++) {
		close_if_open(&io->container_ends[i]);
		close_if_open(&io->host_ends[i]);
	}
	close_if_open(&io->log_read[0]);
	close_if_open(&io->log_read[1]);
	cv_log_writer_close(&io->log);
	close_if_open(&io->log_dir);
}

/* A pipe for stream i: the container gets the read end of stdin and the write end of stdout/stderr. */
static int make_stdio_pipe(struct start_stdio *io, int i)
{
	int ends[2];

	if (pipe2(ends, O_CLOEXEC) < 0)
		return cv_error_sys("stdio pipe");
	io->container_ends[i] = ends[i == 0 ? 0 : 1];
	io->host_ends[i] = ends[i == 0 ? 1 : 0];
	return 0;
}

/*
 * Detached: stdout and stderr are two pipes that the monitor records to the log (common/log-file.c),
 * each line with its stream and time. The log's directory is flock'ed here and the lock goes with the
 * descriptor to the monitor: containerv_wait() and `logs -f` take it shared to know that everything has
 * been written.
 */
static int prepare_log_pipe(struct containerv_container *c, struct cv_init_plan *plan, struct start_stdio *io)
{
	if (mkdirat(plan->state_dir_fd, CV_LOG_DIR, 0700) < 0 && errno != EEXIST)
		return cv_error_sys("create the log directory of %.12s", c->id);
	io->log_dir = openat(plan->state_dir_fd, CV_LOG_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (io->log_dir < 0)
		return cv_error_sys("open the log directory of %.12s", c->id);
	while (flock(io->log_dir, LOCK_EX) < 0) {
		if (errno != EINTR)
			return cv_error_sys("lock the log of %.12s", c->id);
	}
	if (cv_log_writer_open(&io->log, io->log_dir, c->config.log_max_size, c->config.log_max_files) < 0)
		return cv_error_prefix("%.12s", c->id);
	plan->stdio[0] = -1;
	for (int i = 0; i < 2; i++) {
		int ends[2];
		if (pipe2(ends, O_CLOEXEC) < 0)
			return cv_error_sys("log pipe");
		io->log_read[i] = ends[0];
		io->container_ends[1 + i] = ends[1];
		plan->stdio[1 + i] = ends[1];
	}
	return 0;
}

static int prepare_stdio(struct containerv_container *c, struct cv_init_plan *plan, struct start_stdio *io)
{
	const struct containerv_options *config = &c->config;

	/* A terminal is only ours when the creating handle is there to take its master; else the start logs. */
	plan->tty = config->tty && config->stdio_set;
	plan->tty_rows = config->tty_rows;
	plan->tty_columns = config->tty_columns;
	if (plan->tty) {
		plan->stdio[0] = plan->stdio[1] = plan->stdio[2] = -1; /* the init makes the terminal */
		return 0;
	}
	if (!config->stdio_set) {
		if (prepare_log_pipe(c, plan, io) < 0)
			return -1;
		/* create -i: stdin is a pipe whose write end the starting handle takes (start -i). */
		if (config->open_stdin) {
			if (make_stdio_pipe(io, 0) < 0)
				return -1;
			plan->stdio[0] = io->container_ends[0];
		}
		return 0;
	}
	for (int i = 0; i < 3; i++) {
		int value = config->stdio[i];
		if (value == CONTAINERV_STDIO_PIPE && make_stdio_pipe(io, i) < 0)
			return -1;
		plan->stdio[i] = value == CONTAINERV_STDIO_PIPE     ? io->container_ends[i]
		                 : value == CONTAINERV_STDIO_STDOUT ? plan->stdio[1]
		                 : value >= 0                       ? value
		                                                    : -1;
	}
	return 0;
}

/* "net.ipv4.ip_forward=1" as /proc/sys/net/ipv4/ip_forward and "1" (the key was validated as namespaced). */
static int build_sysctls(const struct containerv_options *config, struct cv_init_plan *plan)
{
	for (size_t i = 0; config->sysctls != NULL && config->sysctls[i] != NULL; i++) {
		const char *entry = config->sysctls[i], *equals = strchr(entry, '=');
		cleanup_free char *path = NULL;
		if (equals == NULL || cv_asprintf(&path, "/proc/sys/%.*s", (int)(equals - entry), entry) < 0)
			return cv_error_errno(EINVAL, "sysctl %s: not key=value", entry);
		for (char *p = path + strlen("/proc/sys/"); *p != '\0'; p++)
			if (*p == '.')
				*p = '/';
		if (cv_strv_append(&plan->sysctl_paths, path) < 0 ||
		    cv_strv_append(&plan->sysctl_values, equals + 1) < 0)
			return -1;
	}
	return 0;
}

/* The config's device nodes, "TYPE MAJOR MINOR MODE UID GID PATH" (containerv_options_add_device's). */
static int build_devices(const struct containerv_options *config, struct cv_init_plan *plan)
{
	size_t count = cv_strv_length(config->devices);

	if (count == 0)
		return 0;
	plan->devices = cv_malloc0(count * sizeof *plan->devices);
	if (plan->devices == NULL)
		return -1;
	for (size_t i = 0; i < count; i++) {
		struct cv_plan_device *device = &plan->devices[i];
		int path_offset = 0;
		if (sscanf(config->devices[i], "%c %u %u %o %u %u %n", &device->type, &device->major, &device->minor,
		           &device->mode, &device->uid, &device->gid, &path_offset) != 6 ||
		    path_offset == 0 || config->devices[i][path_offset] != '/')
			return cv_error_errno(EINVAL, "device \"%s\": malformed", config->devices[i]);
		device->path = config->devices[i] + path_offset;
	}
	plan->device_count = count;
	return 0;
}

static int build_plan(struct containerv_container *c, struct cv_init_plan *plan, struct start_stdio *io,
                      uint32_t address, uint32_t dns_server)
{
	const struct containerv_options *config = &c->config;
	char short_id[13];
	const char *hostname;

	memset(plan, 0, sizeof *plan);
	plan->join_fds[0] = plan->join_fds[1] = plan->join_fds[2] = plan->join_pid_fd = -1;
	plan->state_dir_fd = -1;
	plan->exit_fd = -1;
	plan->sync_fd = -1;
	plan->rootfs_fd = plan->upper_fd = plan->work_fd = -1;
	plan->tty_slave = -1;
	plan->release_fd = -1;
	snprintf(short_id, sizeof short_id, "%.12s", c->id);
	hostname = config->hostname ? config->hostname : short_id;
	plan->state_dir_fd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (plan->state_dir_fd < 0)
		return cv_error_sys("open %s", c->dir);
	/* In place, /etc is the root's own, as runc leaves it: an engine binds its hosts and resolv.conf. */
	if ((!config->rootfs_in_place && (prepare_directories(c, plan->state_dir_fd) < 0 ||
	                                  make_etc_texts(c, plan, hostname, address, dns_server) < 0)) ||
	    prepare_overlay(c, plan) < 0 || build_env(config, hostname, &plan->env) < 0)
		return -1;
	if (cv_state_rootfs_mountpoint(c->context, plan->rootfs, sizeof plan->rootfs) < 0)
		return -1;
	snprintf(plan->hostname, sizeof plan->hostname, "%s", hostname);
	/* A joined uts namespace keeps its name unless one is asked for: it is the pod's, not ours to rename. */
	if ((config->join_paths[CV_JOIN_UTS] != NULL || config->join_containers[CV_JOIN_UTS] != NULL) &&
	    config->hostname == NULL)
		plan->hostname[0] = '\0';
	plan->namespaces = config->namespaces;
	plan->argv = config->argv;
	plan->workdir = config->workdir ? config->workdir : "/";
	plan->uid = config->uid;
	plan->gid = config->gid;
	if (build_sysctls(config, plan) < 0 || build_devices(config, plan) < 0)
		return -1;
	plan->umask = config->umask;
	plan->personality = config->personality;
	plan->root_propagation = config->root_propagation;
	plan->groups = config->supplementary_groups;
	plan->group_count = config->supplementary_group_count;
	/* docker's /dev/shm: 64 MiB unless --shm-size says otherwise. */
	if (config->shm_size >= 0)
		snprintf(plan->shm_options, sizeof plan->shm_options, "mode=1777,size=%lld",
		         (long long)(config->shm_size > 0 ? config->shm_size : 64LL << 20));
	snprintf(plan->domainname, sizeof plan->domainname, "%s", config->domainname ? config->domainname : "");
	if (cv_process_limits_build(config, &plan->process_limits) < 0 ||
	    cv_devices_plan(config, &plan->host_devices, &plan->host_device_count) < 0)
		return -1;
	if (prepare_stdio(c, plan, io) < 0)
		return -1;
	/*
	 * Created empty for each start: an empty exit.json after the init died means it was killed.
	 * None when the waiter removes it: it reaps the init, which exits with the command's code.
	 */
	bool removed_by_waiter = c->config.autoremove && !c->config.autoremove_monitor;
	if (!removed_by_waiter) {
		plan->exit_fd = openat(plan->state_dir_fd, "exit.json",
		                       O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (plan->exit_fd < 0)
			return cv_error_sys("create exit.json of %.12s", c->id);
		plan_keep(plan, plan->exit_fd);
	}
	if (build_mounts(c, plan) < 0 || build_security(c, plan) < 0 || open_joined_namespaces(c, plan) < 0)
		return -1;
	find_command_line(plan);
	for (int i = 0; i < 3; i++)
		plan_keep(plan, plan->stdio[i]);
	return 0;
}

static int write_id_map(pid_t pid, const char *file, const struct cv_idmap *map, const struct cv_idmap *fallback)
{
	char path[64], text[64];
	const struct cv_idmap *use = map->set ? map : fallback;

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	snprintf(text, sizeof text, "%u %u %u\n", use->child_start, use->host_start, use->count);
	return cv_write_file(path, text);
}

/*
 * A configured path's cgroup is the container's only once it made it: the marker says so to every later
 * open (cv_container_cgroup), so that a removal never kills and removes a cgroup someone else had there.
 * Written first, so that no cgroup of ours is ever without it; taken back when the create fails.
 */
static int create_configured_cgroup(struct containerv_container *c, const char *name, struct cv_cgroup **cgroup)
{
	char marker[PATH_MAX];
	int fd;

	if (snprintf(marker, sizeof marker, "%s/" CV_CGROUP_MADE_MARKER, c->dir) >= (int)sizeof marker)
		return cv_error_errno(ENAMETOOLONG, "%s: path too long", c->dir);
	fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cv_error_sys("create %s", marker);
	close(fd);
	if (cv_cgroup_create(name, &c->config.limits, cgroup) == 0)
		return 0;
	int saved = errno;
	unlink(marker);
	if (saved == EEXIST)
		return cv_error_errno(EEXIST, "cgroup path %s: the cgroup already exists", c->config.cgroup_path);
	errno = saved;
	return -1;
}

/*
 * The container's cgroup, new: one a killed earlier start left (EEXIST) is removed first. Not a configured
 * path's: that one may be anybody's, and removing it would kill what runs there.
 */
static int create_clean_cgroup(struct containerv_container *c, struct cv_cgroup **cgroup)
{
	struct cv_cgroup *left = NULL;
	cleanup_free char *name = NULL;

	if (cv_container_cgroup_name(c, &name) < 0)
		return -1;
	if (c->config.cgroup_path != NULL)
		return create_configured_cgroup(c, name, cgroup);
	if (cv_cgroup_create(name, &c->config.limits, cgroup) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (cv_cgroup_open(name, &left) < 0)
		return -1;
	cv_error_clear();
	int ret = cv_cgroup_destroy(left);
	cv_cgroup_free(left);
	return ret < 0 ? -1 : cv_cgroup_create(name, &c->config.limits, cgroup);
}

/* One rule of the config, "TYPE MAJOR:MINOR ACCESS" (containerv_options_allow_device's; '*' for any). */
static int parse_device_rule(const char *text, struct cv_device_rule *rule, char access[4])
{
	char major[16], minor[16];

	if (sscanf(text, "%c %15[0-9*]:%15[0-9*] %3[rwm]", &rule->type, major, minor, access) != 4)
		return cv_error_errno(EINVAL, "device rule \"%s\": malformed", text);
	rule->major = major[0] == '*' ? -1 : atoi(major);
	rule->minor = minor[0] == '*' ? -1 : atoi(minor);
	rule->access = access;
	return 0;
}

/* The config's cgroup v2 files ("KEY=VALUE", containerv_options_set_cgroup_file), in their order. */
static int write_cgroup_files(struct containerv_container *c, struct cv_cgroup *cgroup)
{
	for (size_t i = 0; c->config.cgroup_unified != NULL && c->config.cgroup_unified[i] != NULL; i++) {
		cleanup_free char *key = cv_strdup(c->config.cgroup_unified[i]);
		char *equals = key != NULL ? strchr(key, '=') : NULL;

		if (equals == NULL)
			return key == NULL ? -1 : cv_error_errno(EINVAL, "cgroup file \"%s\": no value", key);
		*equals = '\0';
		if (cv_cgroup_write_unified(cgroup, key, equals + 1) < 0)
			return -1;
	}
	return 0;
}

/* A new cgroup, with the device list (before any process of the container can open a device). */
static int make_cgroup(struct containerv_container *c, const struct cv_init_plan *plan, struct cv_cgroup **cgroup)
{
	size_t extra = cv_strv_length(c->config.device_rules), rest = 0;
	cleanup_free struct cv_device_rule *defaults = NULL;

	/* docker's list and the --device nodes the plan read (and the level judged) before anything is made. */
	if (!c->config.security->privileged &&
	    cv_devices_rules(plan->host_devices, plan->host_device_count, &defaults, &rest) < 0)
		return -1;
	if (create_clean_cgroup(c, cgroup) < 0 || write_cgroup_files(c, *cgroup) < 0)
		return -1;
	if (c->config.security->privileged)
		return 0;
	if (extra == 0)
		return cv_cgroup_restrict_devices(*cgroup, defaults, rest);
	/* The config's rules first, in their order (v1 lists them so), then the defaults and --device's. */
	cleanup_free struct cv_device_rule *rules = cv_malloc0((extra + rest) * sizeof *rules);
	cleanup_free char(*access)[4] = cv_malloc0(extra * sizeof *access);
	if (rules == NULL || access == NULL)
		return -1;
	for (size_t i = 0; i < extra; i++)
		if (parse_device_rule(c->config.device_rules[i], &rules[i], access[i]) < 0)
			return -1;
	memcpy(rules + extra, defaults, rest * sizeof *rules);
	return cv_cgroup_restrict_devices(*cgroup, rules, extra + rest);
}

/*
 * cgroup v1, while the init mounts: the cgroup is made and its "tasks" files go to the init, which
 * joins by itself (cgroup.h says why). Should none be open, the init is moved instead.
 */
static int give_cgroup(struct containerv_container *c, const struct cv_init_plan *plan, pid_t pid, int sync_fd,
                       struct cv_cgroup **cgroup)
{
	int fds[CV_CGROUP_JOIN_FDS_MAX];
	int count;

	if (make_cgroup(c, plan, cgroup) < 0)
		return -1;
	count = cv_cgroup_open_join_fds(*cgroup, fds, CV_CGROUP_JOIN_FDS_MAX);
	if (count < 0 || (count == 0 && cv_cgroup_add_pid(*cgroup, pid) < 0))
		return -1;
	int ret = cv_sync_send(sync_fd, CV_SYNC_CGROUP, fds, (size_t)count);
	cv_idmap_close(fds, (size_t)count);
	/* EPIPE or ECONNRESET: the init has failed and gone; its message, already queued, says why. */
	return ret < 0 && errno != EPIPE && errno != ECONNRESET ? cv_error_sys("send the cgroup to the init") : 0;
}

/*
 * The init's next message but the terminal's master (CV_SYNC_CONSOLE, sent before "ready" with -t), which
 * goes to *console (closed when nobody asked for one).
 */
static ssize_t receive_from_init(int sync_fd, struct cv_sync_message *message, int *console, int flags)
{
	for (;;) {
		int fd;
		ssize_t n = cv_receive_with_fd(sync_fd, message, sizeof *message, &fd, flags);
		if (n != (ssize_t)sizeof *message || message->type != CV_SYNC_CONSOLE) {
			if (fd >= 0)
				close(fd);
			return n;
		}
		if (console != NULL && *console < 0)
			*console = fd;
		else if (fd >= 0)
			close(fd);
	}
}

/*
 * Records the init's report of a failure: its message and errno, and CONTAINERV_E_EXEC when the
 * command itself could not be executed (errno ENOENT or EACCES then say which).
 */
static int init_failed(const struct cv_sync_message *message)
{
	int err = message->error ? message->error : EIO;

	if (message->type == CV_SYNC_EXEC_ERROR)
		return cv_error_code(CONTAINERV_E_EXEC, err, "%s", message->text);
	return cv_error_errno(err, "%s", message->text);
}

/*
 * A step of ours failed while the init sets up: if the init failed first (and our step failed
 * because it was gone), its queued message is the reason to report.
 */
static int prefer_init_reason(int sync_fd, bool *exec_failed)
{
	struct cv_sync_message message;
	int ours = errno;

	if (receive_from_init(sync_fd, &message, NULL, MSG_DONTWAIT) == (ssize_t)sizeof message &&
	    (message.type == CV_SYNC_SETUP_ERROR || message.type == CV_SYNC_EXEC_ERROR)) {
		message.text[sizeof message.text - 1] = '\0';
		*exec_failed = message.type == CV_SYNC_EXEC_ERROR;
		return init_failed(&message);
	}
	errno = ours; /* nothing queued (EAGAIN): our own step's error stands */
	return -1;
}

/* The parent's side of the start-up handshake; makes the cgroup when the init was not cloned into it. */
static int release_child(struct containerv_container *c, const struct cv_init_plan *plan, pid_t pid, int sync_fd,
                         struct cv_cgroup **cgroup, struct cv_network_plan *network, bool *exec_failed, int *console)
{
	struct cv_sync_message message;
	ssize_t n;

	if (*cgroup == NULL ? give_cgroup(c, plan, pid, sync_fd, cgroup) < 0
	                    : cv_cgroup_clone_fd(*cgroup) < 0 && cv_cgroup_add_pid(*cgroup, pid) < 0)
		return prefer_init_reason(sync_fd, exec_failed);
	if (c->config.namespaces & CV_NS_USER) {
		if (write_id_map(pid, "uid_map", &c->config.uid_map, &c->config.gid_map) < 0 ||
		    write_id_map(pid, "gid_map", &c->config.gid_map, &c->config.uid_map) < 0) {
			cv_error_prefix("user namespace");
			return prefer_init_reason(sync_fd, exec_failed);
		}
	}
	/* The network, while the init mounts its root: ready before the main command runs. */
	if (cv_network_attach(c, network, pid) < 0)
		return prefer_init_reason(sync_fd, exec_failed);
	/*
	 * The init may already have failed and gone (it sets up while we attach): then the send fails
	 * with EPIPE (no SIGPIPE for the caller) and its message, already queued, says why.
	 */
	int idmapped[CV_IDMAP_LAYERS_MAX];
	size_t layers = 0;
	char go = CV_GO_PLAIN;
	/* A root used in place is the engine's, owned as it made it (runc neither id-maps nor copies it). */
	if ((c->config.namespaces & CV_NS_USER) && !c->config.rootfs_in_place &&
	    cv_strv_length(c->config.layers) <= CV_IDMAP_LAYERS_MAX) {
		int made = idmap_disabled_for_tests()
		                   ? 0
		                   : cv_idmap_layers(pid, c->config.layers, idmapped, cv_strv_length(c->config.layers));
		if (made < 0)
			return -1;
		layers = made ? cv_strv_length(c->config.layers) : 0;
		go = made ? CV_GO_IDMAPPED : CV_GO_SHIFTED;
		if (!made && make_shifted_layers(c) < 0)
			return -1;
	}
	cv_sync_send(sync_fd, go, idmapped, layers);
	cv_idmap_close(idmapped, layers);
	n = receive_from_init(sync_fd, &message, console, 0);
	if (n != (ssize_t)sizeof message)
		return cv_error_errno(EIO, "the container's init died during setup");
	*exec_failed = message.type == CV_SYNC_EXEC_ERROR;
	if (message.type != CV_SYNC_READY && message.type != CV_SYNC_HELD)
		return init_failed(&message);
	return 0;
}

/* A release socket's address: through the state directory's descriptor, as <dir>/held.sock may not fit sun_path. */
static void release_address(int dirfd, struct sockaddr_un *address)
{
	memset(address, 0, sizeof *address);
	address->sun_family = AF_UNIX;
	snprintf(address->sun_path, sizeof address->sun_path, "/proc/self/fd/%d/" CV_RELEASE_SOCKET, dirfd);
}

/*
 * Held start: the socket the held init accepts its release on, bound here as host root (a user-namespaced
 * init could not). The state directory is root's alone (0700): only root can connect.
 */
static int make_release_socket(struct containerv_container *c, struct cv_init_plan *plan)
{
	struct sockaddr_un address;

	plan->release_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (plan->release_fd < 0)
		return cv_error_sys("release socket of %.12s", c->id);
	/* One a killed held start left behind. */
	if (unlinkat(plan->state_dir_fd, CV_RELEASE_SOCKET, 0) < 0 && errno != ENOENT)
		return cv_error_sys("remove the old release socket of %.12s", c->id);
	release_address(plan->state_dir_fd, &address);
	if (bind(plan->release_fd, (struct sockaddr *)&address, sizeof address) < 0 ||
	    fchmodat(plan->state_dir_fd, CV_RELEASE_SOCKET, 0600, 0) < 0 || listen(plan->release_fd, 1) < 0)
		return cv_error_sys("release socket of %.12s", c->id);
	plan_keep(plan, plan->release_fd);
	return 0;
}

/* The caller's ends go to the handle (containerv_take_stdio); a previous start's that were not taken are closed. */
static void give_host_ends(struct containerv_container *c, struct start_stdio *io)
{
	if (c->platform->have_stdio_host)
		for (int i = 0; i < 3; i++)
			close_if_open(&c->platform->stdio_host[i]);
	for (int i = 0; i < 3; i++) {
		c->platform->stdio_host[i] = io->host_ends[i];
		io->host_ends[i] = -1;
	}
	c->platform->have_stdio_host = true;
}

static pid_t clone_init(unsigned long long flags, int cgroup_fd)
{
	struct clone_args args = {
	        .flags = flags,
	        .exit_signal = SIGCHLD,
	};

	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (unsigned long long)cgroup_fd;
	}
	return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

/*
 * The clone, inside a joined pid namespace when there is one: setns() on a pid namespace changes only
 * where this thread's next children go, so the thread enters it for the clone and goes back at once.
 */
static pid_t clone_init_joined(const struct cv_init_plan *plan, int flags, int cgroup_fd)
{
	cleanup_close int own = -1;
	pid_t pid;

	if (plan->join_pid_fd < 0)
		return clone_init((unsigned long long)flags, cgroup_fd);
	own = open("/proc/thread-self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (own < 0)
		return cv_error_sys("open our pid namespace");
	if (setns(plan->join_pid_fd, CLONE_NEWPID) < 0)
		return cv_error_sys("join the pid namespace");
	pid = clone_init((unsigned long long)flags, cgroup_fd);
	if (pid == 0)
		return 0;
	int saved = errno;
	if (setns(own, CLONE_NEWPID) < 0) {
		/* This thread's children would be born in the container's namespace: no going on like that. */
		cv_error_sys("return to our pid namespace");
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	errno = saved;
	return pid;
}

/*
 * The monitor of a detached container (like podman's conmon): a daemonized
 * grandchild of the caller, outside the container, that records the
 * container's stdout and stderr pipes to its log (common/log-file.c) and, for
 * an autoremove container, removes it once the init has ended (pidfd). Made
 * with fork() (not a raw clone), so the library is usable in it; the middle
 * child exits at once and is reaped here. It holds nothing else of the
 * caller's. fds: the pidfd, the two pipes, the log's directory and file.
 */
static void __attribute__((noreturn))
monitor_main(const char *id, const int fds[5], struct cv_log_writer *log, bool remove)
{
	struct containerv_container *c = NULL;
	struct pollfd ended = {.fd = fds[0], .events = POLLIN};

	if (fds[4] >= 0) {
		log->dirfd = fds[3];
		log->fd = fds[4];
		cv_log_copy_until_ended(log, fds[1], fds[2], fds[0]);
		/* Only the descriptor: no free() in a fork of a threaded caller (see cv_log_copy_until_ended). */
		close(log->fd);
	}
	/* The log's lock goes with its directory: waiters (containerv_wait, logs -f) may read everything now. */
	if (fds[3] >= 0)
		close(fds[3]);
	if (remove) {
		while (poll(&ended, 1, -1) < 0 && errno == EINTR)
			;
		if (containerv_open(id, &c) == 0)
			containerv_remove(
			        c, CV_REMOVE_VOLUMES); /* --rm takes the anonymous volumes along, as docker's does */
	}
	_exit(0);
}

/* Puts the monitor's descriptors on 3, 4, ... (-1 stays -1) and closes every other one of the caller's. */
#define MONITOR_FDS 5
static void keep_only(int fds[MONITOR_FDS])
{
	int moved[MONITOR_FDS];

	for (int i = 0; i < MONITOR_FDS; i++)
		moved[i] = fds[i] >= 0 ? fcntl(fds[i], F_DUPFD, 3 + MONITOR_FDS) : -1;
	for (int i = 0; i < MONITOR_FDS; i++) {
		fds[i] = moved[i] >= 0 ? dup2(moved[i], 3 + i) : -1;
		if (moved[i] >= 0)
			close(moved[i]);
	}
	close_range(3 + MONITOR_FDS, ~0U, 0);
	for (int i = 0; i < MONITOR_FDS; i++)
		if (fds[i] < 0)
			close(3 + i);
}

static int start_monitor(struct containerv_container *c, struct start_stdio *io)
{
	int pidfd = (int)syscall(SYS_pidfd_open, c->state.pid, 0);
	bool remove = c->config.autoremove_monitor;
	pid_t middle;

	if (pidfd < 0)
		return cv_error_sys("watch %.12s", c->id);
	middle = fork();
	if (middle < 0) {
		close(pidfd);
		return cv_error_sys("fork the monitor of %.12s", c->id);
	}
	if (middle == 0) {
		int fds[MONITOR_FDS] = {pidfd, io->log_read[0], io->log_read[1], io->log_dir, io->log.fd};
		setsid();
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int fd = 0; fd < 3; fd++)
			dup2(devnull, fd);
		/* Nothing of the caller's (its pipes, its terminal) may stay open in the monitor. */
		keep_only(fds);
		prctl(PR_SET_NAME, "containerv-mon");
		if (fork() == 0)
			monitor_main(c->id, fds, &io->log, remove);
		_exit(0);
	}
	close(pidfd);
	while (waitpid(middle, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

int cv_runtime_start(struct containerv_container *c, bool hold)
{
	struct cv_init_plan plan;
	struct cv_network_plan network;
	bool network_prepared = false;
	struct cv_cgroup *cgroup = NULL;
	struct start_stdio io;
	int sync_fds[2] = {-1, -1};
	pid_t pid = -1;
	bool exec_failed = false;
	int ret = -1;

	memset(&plan, 0, sizeof plan);
	plan.state_dir_fd = plan.exit_fd = -1;
	plan.join_fds[0] = plan.join_fds[1] = plan.join_fds[2] = plan.join_pid_fd = -1;
	start_stdio_init(&io);
	if (cv_network_prepare(c, &network) < 0)
		goto done;
	network_prepared = true;
	if (build_plan(c, &plan, &io, cv_network_plan_address(&network), cv_network_plan_dns_server(&network)) < 0)
		goto done;
	plan.hold = hold;
	if (hold && make_release_socket(c, &plan) < 0)
		goto done;
	/* v2: made first, for clone3's CLONE_INTO_CGROUP. v1: made by the parent while the init mounts. */
	plan.cgroup_follows = !cv_cgroup_placed_by_clone();
	if (!plan.cgroup_follows && make_cgroup(c, &plan, &cgroup) < 0)
		goto done;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync_fds) < 0) {
		cv_error_sys("socketpair");
		goto done;
	}
	plan.sync_fd = sync_fds[1];
	plan_keep(&plan, plan.sync_fd);
	/* No handler of the caller may run in the child before the init has blocked every signal. */
	sigset_t all, previous;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &previous);
	/* No CLONE_NEWCGROUP: the init unshares it once it sits in its cgroup, so that the cgroup is its root. */
	pid = clone_init_joined(&plan, cv_namespace_flags(namespaces_to_make(&c->config)),
	                        cgroup != NULL ? cv_cgroup_clone_fd(cgroup) : -1);
	if (pid != 0)
		pthread_sigmask(SIG_SETMASK, &previous, NULL);
	if (pid < 0) {
		cv_error_sys("clone the container's init");
		goto done;
	}
	if (pid == 0)
		cv_init_main(&plan);
	close(sync_fds[1]);
	sync_fds[1] = -1;
	/* The init has its ends: ours would keep its pipes from ending. */
	for (int i = 0; i < 3; i++)
		close_if_open(&io.container_ends[i]);
	if (release_child(c, &plan, pid, sync_fds[0], &cgroup, &network, &exec_failed,
	                  plan.tty ? &io.host_ends[0] : NULL) < 0)
		goto done;
	c->state.status = hold ? CV_STATE_HELD : CV_STATE_RUNNING;
	c->state.paused = false; /* a fresh cgroup: nothing frozen */
	c->state.pid = pid;
	if (cv_process_start_time(pid, &c->state.pid_start_time) < 0)
		goto done;
	/* A held container starts at its release. */
	c->state.started_ns = hold ? 0 : cv_now_ns();
	c->state.finished_ns = 0;
	memset(&c->state.exit, 0, sizeof c->state.exit);
	c->platform->is_parent = true;
	if (cv_state_save(c) < 0)
		goto done;
	if ((io.log.fd >= 0 || c->config.autoremove_monitor) && start_monitor(c, &io) < 0)
		goto done;
	/* A held start is supervised from its release on (release_held starts the supervisor). */
	if (!hold && cv_supervision_wanted(&c->config) && !cv_supervisor_active && cv_supervisor_spawn(c) < 0)
		goto done;
	give_host_ends(c, &io);
	ret = 0;
done:
	if (ret < 0 && pid > 0) {
		int saved = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		c->state.status = c->state.started_ns ? CV_STATE_EXITED : CV_STATE_CREATED;
		c->state.pid = 0;
		c->platform->is_parent = false;
		errno = saved;
	}
	if (ret < 0 && plan.release_fd >= 0)
		unlinkat(plan.state_dir_fd, CV_RELEASE_SOCKET, 0);
	if (ret < 0 && network_prepared) {
		/* What the network took goes too (the veth went with the init's namespace). */
		struct cv_error_saved saved;
		cv_error_save(&saved);
		cv_network_release(c->id);
		cv_error_restore(&saved);
	}
	if (network_prepared)
		cv_network_plan_free(&network);
	if (ret < 0 && cgroup != NULL) {
		/* Keep the reason while the cgroup goes. */
		struct cv_error_saved saved;
		cv_error_save(&saved);
		cv_cgroup_destroy(cgroup);
		cv_cgroup_free(cgroup);
		cv_error_restore(&saved);
	} else if (ret == 0) {
		cv_cgroup_free(c->platform->cgroup);
		c->platform->cgroup = cgroup;
	}
	if (sync_fds[0] >= 0)
		close(sync_fds[0]);
	if (sync_fds[1] >= 0)
		close(sync_fds[1]);
	start_stdio_close(&io);
	plan_free(&plan);
	/* ENOENT and EACCES are kept for "the command could not be executed" (127 and 126). */
	if (ret < 0 && !exec_failed && (errno == ENOENT || errno == EACCES))
		errno = EIO;
	return ret;
}

/*
 * Releases a held init: one connection to its release socket, "go", and the init's answer (the main
 * command executed, or why not), as a start gets it over the sync socket. The caller holds the lock. With a
 * payload (containerv_start_workload) the workload goes along instead of the plain "go".
 * *exec_failed says the command could not be executed (ENOENT, EACCES); the init is then ending.
 */
int cv_runtime_release(struct containerv_container *c, const struct cv_release_payload *payload, bool *exec_failed)
{
	cleanup_close int dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int fd = -1;
	struct sockaddr_un address;
	struct cv_sync_message message;
	ssize_t n;

	*exec_failed = false;
	if (dirfd < 0)
		return cv_error_sys("open %s", c->dir);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cv_error_sys("release %.12s", c->id);
	release_address(dirfd, &address);
	if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0)
		return cv_error_errno(errno == ENOENT || errno == ECONNREFUSED ? ESRCH : errno,
		                      "release %.12s: its init is not waiting (%s)", c->id, strerrordesc_np(errno));
	/* Released once: nobody may connect again (the init has closed its end of the listening socket too). */
	unlinkat(dirfd, CV_RELEASE_SOCKET, 0);
	if (payload == NULL ? cv_sync_send(fd, CV_RELEASE_GO, NULL, 0) < 0 : cv_release_send_payload(fd, payload) < 0)
		return cv_error_sys("release %.12s", c->id);
	struct iovec iov = {.iov_base = &message, .iov_len = sizeof message};
	struct msghdr header = {.msg_iov = &iov, .msg_iovlen = 1};
	n = cv_sync_recvmsg(fd, &header, 0);
	if (n != (ssize_t)sizeof message)
		return cv_error_errno(EIO, "the init of %.12s died at its release", c->id);
	message.text[sizeof message.text - 1] = '\0';
	*exec_failed = message.type == CV_SYNC_EXEC_ERROR;
	if (message.type != CV_SYNC_READY)
		return init_failed(&message);
	return 0;
}
