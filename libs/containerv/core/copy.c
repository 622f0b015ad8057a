/*
 * docker cp and commit, the rules every platform shares: the arguments, the
 * context, the messages ("copy to NAME:DIR: ..."), and what commit needs
 * (a layer of the container's changes; none for a root used in place). The
 * work is the backend's (struct cv_backend_ops copy and write_changes):
 * Linux reaches the container's root in a child process with openat2
 * (platform/linux/copy.c, tar.c) and writes the overlay upper directory as
 * an OCI layer (platform/linux/commit.c).
 */
#include <errno.h>

#include <chef/containerv/image.h>

#include "common/error.h"
#include "core/backend.h"
#include "core/container.h"
#include "image/image-commit.h"

static int copy_paths(struct containerv_container *c, const char *const *sources, const char *const *targets,
                      size_t count, enum cv_copy_direction direction, unsigned int flags)
{
	struct cv_copy_request request = {.direction = direction,
	                                  .sources = sources,
	                                  .targets = targets,
	                                  .count = count,
	                                  .fd = -1,
	                                  .flags = flags};

	cv_error_clear();
	if (c == NULL || (count > 0 && (sources == NULL || targets == NULL)))
		return cv_error_errno(EINVAL, "copy: missing argument");
	if ((flags & ~(unsigned int)(CV_COPY_ARCHIVE | CV_COPY_FOLLOW_LINK)) != 0)
		return cv_error_errno(EINVAL, "copy: unknown flags 0x%x", flags);
	CV_CONTEXT_SCOPE(c->context);
	return cv_backend()->copy(c, &request);
}

int containerv_upload(struct containerv_container *container, const char *const *host_paths,
                      const char *const *container_paths, size_t count)
{
	return copy_paths(container, host_paths, container_paths, count, CV_COPY_IN, 0);
}

int containerv_upload_flags(struct containerv_container *container, const char *const *host_paths,
                            const char *const *container_paths, size_t count, unsigned int flags)
{
	return copy_paths(container, host_paths, container_paths, count, CV_COPY_IN, flags);
}

int containerv_download(struct containerv_container *container, const char *const *container_paths,
                        const char *const *host_paths, size_t count)
{
	return copy_paths(container, container_paths, host_paths, count, CV_COPY_OUT, 0);
}

int containerv_download_flags(struct containerv_container *container, const char *const *container_paths,
                              const char *const *host_paths, size_t count, unsigned int flags)
{
	return copy_paths(container, container_paths, host_paths, count, CV_COPY_OUT, flags);
}

int containerv_upload_tar(struct containerv_container *container, containerv_fd_t fd, const char *container_dir)
{
	struct cv_copy_request request = {.direction = CV_COPY_TAR_IN, .fd = fd, .path = container_dir};

	cv_error_clear();
	if (container == NULL || fd < 0 || container_dir == NULL || container_dir[0] != '/')
		return cv_error_errno(EINVAL, "upload tar: give a descriptor and an absolute directory");
	CV_CONTEXT_SCOPE(container->context);
	if (cv_backend()->copy(container, &request) < 0)
		return cv_error_prefix("copy to %s:%s", containerv_name(container), container_dir);
	return 0;
}

int containerv_download_tar(struct containerv_container *container, const char *container_path, containerv_fd_t fd)
{
	struct cv_copy_request request = {.direction = CV_COPY_TAR_OUT, .fd = fd, .path = container_path};

	cv_error_clear();
	if (container == NULL || container_path == NULL || fd < 0)
		return cv_error_errno(EINVAL, "download tar: missing argument");
	CV_CONTEXT_SCOPE(container->context);
	if (cv_backend()->copy(container, &request) < 0)
		return cv_error_prefix("copy from %s:%s", containerv_name(container), container_path);
	return 0;
}

/* cv_commit_source.write_layer: the backend writes the container's changes. */
static int write_changes(void *user, int fd)
{
	struct containerv_container *container = user;

	/* A root used in place has no layer of its own: its changes are the bundle's directory. */
	if (container->config.rootfs_in_place)
		return cv_error_errno(ENOTSUP,
		                      "commit %s: its root filesystem is used in place, it has no layer of changes",
		                      container->name);
	return cv_backend()->write_changes(container, fd);
}

int containerv_image_commit(struct containerv_container *container, const char *name,
                            const struct containerv_import_options *changes, char *digest)
{
	struct cv_commit_source source;

	cv_error_clear();
	if (container == NULL || name == NULL)
		return cv_error_errno(EINVAL, "commit: missing argument");
	CV_CONTEXT_SCOPE(container->context);
	source = (struct cv_commit_source){
	        .name = container->name,
	        .image_digest = container->config.image_digest,
	        .write_layer = write_changes,
	        .user = container,
	};
	return cv_image_commit(&source, name, changes, digest);
}
