/*
 * The image store's part of create (image/image-options.h) on Windows, where there is no image
 * store yet (docs/windows.md): a config without an image needs nothing; one with an image is
 * refused (the backend's check_host refuses it first, naming the alternative).
 */
#include <errno.h>

#include "common/error.h"
#include "config/options.h"
#include "image/image-options.h"

int cv_image_create_begin(struct containerv_options *config, struct cv_store **store)
{
	*store = NULL;
	if (config->image != NULL)
		return cv_error_errno(ENOTSUP,
		                      "images are not in the Windows build yet: use --rootfs (docs/windows.md)");
	return 0;
}

void cv_image_create_end(struct cv_store *store)
{
	(void)store;
}
