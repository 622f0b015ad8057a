/* cv_device_identify on Windows: there are no device nodes to pass into a container. */
#include <errno.h>

#include "common/error.h"
#include "security/security-internal.h"

int cv_device_identify(const char *host_path, struct cv_device_identity *identity)
{
	(void)identity;
	return cv_error_errno(ENOTSUP, "device %s: host devices are not supported on Windows", host_path);
}
