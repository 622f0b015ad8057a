/*
 * The Linux backend's table (core/backend.h): what core asks of the platform.
 */
#include "core/backend.h"
#include "platform/linux/container-private.h"

static const struct cv_backend_ops linux_backend = {
        .name = "linux",
        .platform_size = sizeof(struct cv_platform_container),
        .handle_init = cv_state_handle_init,
        .release = cv_state_handle_release,
        .refresh = cv_state_refresh,
        .collect = cv_state_collect,
        .stats = cv_linux_stats_sample,
};

const struct cv_backend_ops *cv_backend(void)
{
	return &linux_backend;
}
