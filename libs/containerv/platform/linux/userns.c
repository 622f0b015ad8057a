/*
 * --userns=auto: each container gets its own range of 65536 unprivileged
 * host ids, as subuid/subgid ranges are handed out, so that root in one
 * container is nobody to the host and to every other container.
 *
 * The ranges come from /etc/subuid and /etc/subgid's entry for the user
 * "containerv" when there is one (both must give the same start), else from
 * 100000 + 65536 * k for k < 1024. A range is leased by creating
 * <root>/userns/<start> with O_EXCL (atomic between processes) holding the
 * container's id; the lease goes with the container. A lease whose
 * container no longer exists (a killed CLI) is taken over at the next
 * allocation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/container-private.h"

#define RANGE_SIZE 65536u
#define DEFAULT_START 100000u
#define DEFAULT_SLOTS 1024u

/* The "containerv" entry of a subordinate id file: start and count; false when there is none. */
static bool read_subordinate(const char *path, uint32_t *start, uint32_t *count)
{
	cleanup_free char *text = NULL;
	char *save = NULL;

	if (cv_read_file(path, &text, NULL, 1024 * 1024) < 0) {
		cv_error_clear();
		return false;
	}
	for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		unsigned long s, c;
		if (strncmp(line, "containerv:", 11) == 0 && sscanf(line + 11, "%lu:%lu", &s, &c) == 2 && s > 0 &&
		    c >= RANGE_SIZE && s + c <= UINT32_MAX) {
			*start = (uint32_t)s;
			*count = (uint32_t)c;
			return true;
		}
	}
	return false;
}

static void pool(uint32_t *start, uint32_t *slots)
{
	uint32_t uid_start, uid_count, gid_start, gid_count;

	if (read_subordinate("/etc/subuid", &uid_start, &uid_count) &&
	    read_subordinate("/etc/subgid", &gid_start, &gid_count) && uid_start == gid_start) {
		*start = uid_start;
		*slots = (uid_count < gid_count ? uid_count : gid_count) / RANGE_SIZE;
		return;
	}
	*start = DEFAULT_START;
	*slots = DEFAULT_SLOTS;
}

static int leases_dir(char *dir, size_t size)
{
	return cv_mkdir_private(containerv_root(), "userns", dir, size);
}

/* A lease is stale when the container it names is gone. */
static bool lease_is_stale(int dirfd, const char *name)
{
	char owner[CV_ID_LENGTH + 2] = "", containers[PATH_MAX], path[PATH_MAX + CV_ID_LENGTH + 2];
	cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, owner, sizeof owner - 1);
	if (n != CV_ID_LENGTH || cv_state_containers_dir(cv_context_current(), containers, sizeof containers) < 0) {
		cv_error_clear();
		return n == 0; /* empty: its creator died before writing it */
	}
	owner[n] = '\0';
	snprintf(path, sizeof path, "%s/%s", containers, owner);
	return access(path, F_OK) < 0 && errno == ENOENT;
}

int cv_userns_allocate(const char *container_id, uint32_t *host_start)
{
	char dir[PATH_MAX];
	cleanup_close int dirfd = -1;
	uint32_t start, slots;

	if (leases_dir(dir, sizeof dir) < 0)
		return -1;
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return cv_error_sys("open %s", dir);
	pool(&start, &slots);
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t k = 0; k < slots; k++) {
			char name[16];
			uint32_t candidate = start + k * RANGE_SIZE;

			snprintf(name, sizeof name, "%u", candidate);
			/* Second pass: take over the leases of containers that are gone. */
			if (pass == 1 && lease_is_stale(dirfd, name))
				unlinkat(dirfd, name, 0);
			int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
			if (fd < 0) {
				if (errno == EEXIST)
					continue;
				return cv_error_sys("lease user namespace range %u", candidate);
			}
			ssize_t written = cv_write_all(fd, container_id, strlen(container_id));
			close(fd);
			if (written < 0) {
				unlinkat(dirfd, name, 0);
				return cv_error_sys("lease user namespace range %u", candidate);
			}
			*host_start = candidate;
			return 0;
		}
	}
	return cv_error_errno(ENOSPC, "no free user namespace range: all %u ranges of %u ids from %u are in use", slots,
	                      RANGE_SIZE, start);
}

void cv_userns_release(uint32_t host_start, const char *container_id)
{
	char path[PATH_MAX], owner[CV_ID_LENGTH + 1] = "";
	int n = snprintf(path, sizeof path, "%s/userns/%u", containerv_root(), host_start);
	int fd;

	if (n < 0 || (size_t)n >= sizeof path)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	/* Only our own lease: a range another container took over since must stay its. */
	if (read(fd, owner, CV_ID_LENGTH) == CV_ID_LENGTH && strcmp(owner, container_id) == 0)
		unlink(path);
	close(fd);
}
