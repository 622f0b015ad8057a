/*
 * The limits of a container's log (containerv_options_set_log_limits, <chef/containerv/logs.h>);
 * the monitor that writes the log applies them (common/log-file.c).
 */
#include <errno.h>

#include <chef/containerv/logs.h>

#include "common/error.h"
#include "common/log-file.h"
#include "config/options.h"

/* Below this a file holds barely a record: a typo ("10" for "10m") rather than a wish. */
#define LOG_MAX_SIZE_MIN 1024

int containerv_options_set_log_limits(struct containerv_options *options, int64_t max_size, unsigned int max_files)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "log limits: missing options");
	if (max_size != 0 && max_size < LOG_MAX_SIZE_MIN)
		return cv_error_errno(EINVAL, "invalid log max-size %lld: at least %d bytes", (long long)max_size,
		                      LOG_MAX_SIZE_MIN);
	if (max_files > CV_LOG_MAX_FILES_LIMIT)
		return cv_error_errno(EINVAL, "invalid log max-file %u: at most %d", max_files, CV_LOG_MAX_FILES_LIMIT);
	options->log_max_size = (uint64_t)max_size;
	options->log_max_files = max_files;
	return 0;
}
