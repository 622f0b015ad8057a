/*
 * The container's own cgroup at /sys/fs/cgroup, read-only, as docker
 * shows it: programs read their limits there (a JVM's heap, Go's
 * GOMAXPROCS, nginx's workers). Mounted by the init once it sits in its
 * cgroup namespace (so the hierarchy's root is the container's cgroup, never
 * the host's tree) and after pivot_root: /sys is a sysfs of our own (or the
 * host's, bound for --network host), never a path the image controls.
 *
 * v2: cgroup2 itself. v1: a small tmpfs with one mount per hierarchy, named
 * as /proc/self/cgroup lists them (cpu,cpuacct ...; co-mounted controllers
 * must be mounted together). A hierarchy the kernel refuses to mount here
 * is left out (an empty directory): the view is a convenience, the limits
 * are enforced from outside either way.
 *
 * The init is a clone of a caller that may have threads: nothing here
 * allocates (no stdio), since another thread may have held the allocator's
 * lock at the clone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "platform/linux/init-plan.h"

#define VIEW "/sys/fs/cgroup"
#define VIEW_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY)

/* One v1 hierarchy: "cpu,cpuacct" at /sys/fs/cgroup/cpu,cpuacct; "name=systemd" at systemd. */
static void mount_v1_hierarchy(const char *controllers)
{
	char target[256], options[256];
	const char *name = strncmp(controllers, "name=", 5) == 0 ? controllers + 5 : controllers;

	if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return;
	snprintf(target, sizeof target, VIEW "/%s", name);
	snprintf(options, sizeof options, "%s%s", name == controllers ? "" : "none,", controllers);
	if (mkdir(target, 0755) < 0 && errno != EEXIST)
		return;
	if (mount("cgroup", target, "cgroup", VIEW_FLAGS, options) < 0)
		rmdir(target);
}

/* Reads a small file into buffer (NUL-terminated); no allocation (see the file's comment). */
static size_t read_small_file(const char *path, char *buffer, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t used = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	while (used + 1 < size && ((n = read(fd, buffer + used, size - 1 - used)) > 0 || (n < 0 && errno == EINTR)))
		used += n > 0 ? (size_t)n : 0;
	close(fd);
	buffer[used] = '\0';
	return used;
}

static int mount_v1_view(void)
{
	char cgroups[4096];

	if (mount("cgroup", VIEW, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k") < 0)
		return cv_error_sys("mount a tmpfs on " VIEW);
	read_small_file("/proc/self/cgroup", cgroups, sizeof cgroups);
	for (char *line = cgroups, *next; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		/* "ID:CONTROLLERS:PATH"; v2's line has no controllers. */
		char *controllers = strchr(line, ':');
		char *end = controllers != NULL ? strchr(controllers + 1, ':') : NULL;
		if (end == NULL)
			continue;
		*end = '\0';
		mount_v1_hierarchy(controllers + 1);
	}
	if (mount(NULL, VIEW, NULL, MS_REMOUNT | VIEW_FLAGS, "mode=755,size=64k") < 0)
		return cv_error_sys("make " VIEW " read-only");
	return 0;
}

int cv_mount_cgroup_view(bool unified)
{
	struct stat st;

	/* A /sys without the directory (no cgroup support built in): nothing to show. */
	if (stat(VIEW, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (!unified)
		return mount_v1_view();
	if (mount("cgroup2", VIEW, "cgroup2", VIEW_FLAGS, NULL) < 0)
		return cv_error_sys("mount cgroup2 on " VIEW);
	return 0;
}
