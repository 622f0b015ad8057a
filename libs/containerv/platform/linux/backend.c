/*
 * The Linux backend's table (core/backend.h): what core asks of the platform.
 */
#include <errno.h>

#include "common/error.h"
#include "core/backend.h"
#include "platform/linux/cgroup.h"
#include "platform/linux/host-limits.h"
#include "platform/linux/container-private.h"
#include "platform/linux/security-linux.h"
#include "platform/linux/topology.h"

/* Limits and the freezer act on the container's cgroup. */
static struct cv_cgroup *live_cgroup(struct containerv_container *c)
{
	struct cv_cgroup *cgroup = cv_container_cgroup(c);

	if (cgroup == NULL)
		cv_error_prefix("container %s has no cgroup", containerv_name(c));
	return cgroup;
}

static int update(struct containerv_container *c, const struct containerv_limits *request, unsigned *applied)
{
	struct cv_cgroup *cgroup = live_cgroup(c);

	*applied = 0;
	return cgroup != NULL ? cv_cgroup_update(cgroup, request, applied) : -1;
}

static int freeze(struct containerv_container *c, bool frozen)
{
	struct cv_cgroup *cgroup = live_cgroup(c);

	if (cgroup == NULL)
		return -1;
	return frozen ? cv_cgroup_freeze(cgroup) : cv_cgroup_thaw(cgroup);
}

static int check_host(const struct containerv_options *options)
{
	return cv_host_limits_check(&options->limits) < 0 ? -1 : cv_security_check_host(options->security);
}

static const struct cv_backend_ops linux_backend = {
        .name = "linux",
        .platform_size = sizeof(struct cv_platform_container),
        .handle_init = cv_state_handle_init,
        .release = cv_state_handle_release,
        .refresh = cv_state_refresh,
        .collect = cv_state_collect,
        .stats = cv_linux_stats_sample,
        .processes = cv_linux_processes,
        .check_host = check_host,
        .check_limits = cv_host_limits_check,
        .perf_host = cv_linux_perf_host,
        .prepare = cv_linux_prepare,
        .destroy = cv_linux_destroy,
        .lock = cv_state_lock,
        .unlock = cv_state_unlock,
        .adopt_lock = cv_state_adopt_lock,
        .start = cv_runtime_start,
        .clear_unrecorded_start = cv_linux_clear_unrecorded_start,
        .release_held = cv_linux_release_held,
        .exec = cv_linux_exec,
        .network_socket = cv_linux_network_socket,
        .supervisor_spawn = cv_supervisor_spawn,
        .signal = cv_linux_signal,
        .wait_exit = cv_linux_wait_exit,
        .is_init_parent = cv_linux_is_init_parent,
        .wait_output = cv_log_monitor_wait,
        .terminate = cv_linux_terminate,
        .watch_fd = cv_linux_watch_fd,
        .watch_state = cv_linux_watch_state,
        .update = update,
        .freeze = freeze,
        .copy = cv_linux_copy,
        .write_changes = cv_linux_write_changes,
        .volume_disk_create = cv_linux_volume_disk_create,
        .volume_disk_mount = cv_linux_volume_disk_mount,
        .volume_disk_unmount = cv_linux_volume_disk_unmount,
        .volume_disk_bytes_used = cv_linux_volume_disk_bytes_used,
        .context_watch_open = cv_linux_context_watch_open,
        .dir_watch_open = cv_linux_dir_watch_open,
        .context_watch_add_fd = cv_linux_context_watch_add_fd,
        .context_watch_remove_fd = cv_linux_context_watch_remove_fd,
        .context_watch_add_dir = cv_linux_context_watch_add_dir,
        .context_watch_remove_dir = cv_linux_context_watch_remove_dir,
        .context_watch_drain = cv_linux_context_watch_drain,
        .context_watch_close = cv_linux_context_watch_close,
};

const struct cv_backend_ops *cv_backend(void)
{
	return &linux_backend;
}
