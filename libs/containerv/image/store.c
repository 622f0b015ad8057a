/*
 * The local image store: an OCI image layout under <root>/images (see
 * store.h). Blobs enter only by rename after their digest was checked, so
 * a reader that finds blobs/sha256/<hex> finds that content, whatever
 * crashed when; names change by an atomic rewrite of index.json under
 * index.lock, so concurrent tags never lose each other.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/store-private.h"
#include "image/store.h"

static const char empty_index[] = "{\"schemaVersion\":2,\"manifests\":[]}\n";
static const char layout_file[] = "{\"imageLayoutVersion\":\"1.0.0\"}\n";

void cv_store_close(struct cv_store *store)
{
	if (store == NULL)
		return;
	if (store->lock_fd >= 0)
		close(store->lock_fd);
	if (store->dir_fd >= 0)
		close(store->dir_fd);
	free(store);
}

int cv_store_temporary_name(const char *prefix, char *name, size_t size)
{
	static atomic_uint counter;
	unsigned int random_bits = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &random_bits, sizeof random_bits) < 0)
			random_bits = 0;
		close(fd);
	}
	snprintf(name, size, "%s%d-%u-%08x", prefix, (int)getpid(), atomic_fetch_add(&counter, 1), random_bits);
	return 0;
}

/* Writes content to dir/name through a fsync'ed temporary file; a crash leaves the old or the new file. */
int cv_store_write_durable(int dir_fd, const char *name, const void *content, size_t length, bool exclusive)
{
	char temporary[128];
	cleanup_close int fd = -1;
	int ret;

	cv_store_temporary_name(".tmp-", temporary, sizeof temporary);
	fd = openat(dir_fd, temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return cv_error_sys("create %s", temporary);
	if (cv_write_all(fd, content, length) < 0 || fsync(fd) < 0) {
		cv_error_sys("write %s", name);
		goto fail;
	}
	/* exclusive: link() fails when name exists, so a concurrent creator's file is never replaced. */
	ret = exclusive ? linkat(dir_fd, temporary, dir_fd, name, 0) : renameat(dir_fd, temporary, dir_fd, name);
	if (ret < 0 && !(exclusive && errno == EEXIST)) {
		cv_error_sys("rename %s", name);
		goto fail;
	}
	if (exclusive)
		unlinkat(dir_fd, temporary, 0);
	return 0;
fail : {
	int saved = errno;
	unlinkat(dir_fd, temporary, 0);
	errno = saved;
	return -1;
}
}

int cv_store_open(struct cv_store **out)
{
	/*
	 * All root's alone (0700): layers hold the images' setuid files and device nodes, under names
	 * (chain ids) anyone can compute. Containers' inits get their layers as descriptors (rootfs.c).
	 */
	static const char *const subdirs[] = {"blobs", "blobs/sha256", "ingest", "layers"};
	struct cv_store *store;
	struct stat st;

	store = cv_malloc0(sizeof *store);
	if (store == NULL)
		return -1;
	store->dir_fd = -1;
	store->lock_fd = -1;
	if (cv_mkdir_private(containerv_root(), "images", store->path, sizeof store->path) != 0)
		goto fail;
	store->dir_fd = open(store->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (store->dir_fd < 0) {
		cv_error_sys("open %s", store->path);
		goto fail;
	}
	for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
		struct stat sub;
		if (mkdirat(store->dir_fd, subdirs[i], 0700) < 0 && errno != EEXIST) {
			cv_error_sys("mkdir %s/%s", store->path, subdirs[i]);
			goto fail;
		}
		/* A store made by an older version had layers/ searchable by all (0711): tightened. */
		if (fstatat(store->dir_fd, subdirs[i], &sub, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sub.st_mode) &&
		    (sub.st_mode & 077) && fchmodat(store->dir_fd, subdirs[i], 0700, 0) < 0) {
			cv_error_sys("chmod 0700 %s/%s", store->path, subdirs[i]);
			goto fail;
		}
	}
	if (fstatat(store->dir_fd, "oci-layout", &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    cv_store_write_durable(store->dir_fd, "oci-layout", layout_file, strlen(layout_file), true) != 0)
		goto fail;
	if (fstatat(store->dir_fd, "index.json", &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    cv_store_write_durable(store->dir_fd, "index.json", empty_index, strlen(empty_index), true) != 0)
		goto fail;
	store->lock_fd = openat(store->dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (store->lock_fd < 0) {
		cv_error_sys("open %s/lock", store->path);
		goto fail;
	}
	*out = store;
	return 0;
fail:
	cv_error_prefix("image store %s", store->path);
	cv_store_close(store);
	return -1;
}

int cv_store_flock(int fd, int operation)
{
	while (flock(fd, operation) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int cv_store_lock(struct cv_store *store, int operation)
{
	if (cv_store_flock(store->lock_fd, operation) < 0) {
		if (errno == EWOULDBLOCK)
			return cv_error_errno(EBUSY, "image store %s: in use (locked)", store->path);
		return cv_error_sys("image store %s: lock", store->path);
	}
	return 0;
}

const char *cv_store_path(struct cv_store *store)
{
	return store->path;
}

int cv_store_dirfd(struct cv_store *store)
{
	return store->dir_fd;
}

static int check_digest(const char *digest)
{
	if (!cv_digest_is_valid(digest)) {
		char shown[80];
		return cv_error_errno(EINVAL, "invalid digest \"%s\"", cv_printable(digest, shown, sizeof shown));
	}
	return 0;
}

int cv_store_blob_path(struct cv_store *store, const char *digest, char *path, size_t size)
{
	if (check_digest(digest) != 0)
		return -1;
	if (snprintf(path, size, "%s/blobs/sha256/%s", store->path, cv_digest_hex(digest)) >= (int)size)
		return cv_error_errno(ENAMETOOLONG, "blob path too long");
	return 0;
}

void cv_store_blob_relative(const char *digest, char path[96])
{
	snprintf(path, 96, "blobs/sha256/%s", cv_digest_hex(digest));
}

bool cv_store_blob_exists(struct cv_store *store, const char *digest)
{
	char relative[96];
	struct stat st;

	if (!cv_digest_is_valid(digest))
		return false;
	cv_store_blob_relative(digest, relative);
	return fstatat(store->dir_fd, relative, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

static void ingest_relative(const char *digest, char path[96])
{
	snprintf(path, 96, "ingest/%s.partial", cv_digest_hex(digest));
}

int cv_store_ingest_open(struct cv_store *store, const char *digest, int *fd_out, uint64_t *offset)
{
	char relative[96];

	if (check_digest(digest) != 0)
		return -1;
	ingest_relative(digest, relative);
	for (;;) {
		cleanup_close int fd = -1;
		struct stat held, current;

		fd = openat(store->dir_fd, relative, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return cv_error_sys("ingest %s", digest);
		if (cv_store_flock(fd, LOCK_EX) < 0 || fstat(fd, &held) < 0)
			return cv_error_sys("ingest %s: lock", digest);
		/* Another download may have committed (renamed) or aborted the file we waited for. */
		if (fstatat(store->dir_fd, relative, &current, AT_SYMLINK_NOFOLLOW) < 0 ||
		    current.st_ino != held.st_ino || current.st_dev != held.st_dev)
			continue;
		if (!S_ISREG(held.st_mode))
			return cv_error_errno(EINVAL, "ingest %s: not a regular file", digest);
		*offset = (uint64_t)held.st_size;
		*fd_out = cv_steal_fd(&fd);
		return 0;
	}
}

int cv_store_ingest_commit(struct cv_store *store, const char *digest)
{
	char relative[96], blob[96];
	cleanup_close int fd = -1;

	if (check_digest(digest) != 0)
		return -1;
	ingest_relative(digest, relative);
	cv_store_blob_relative(digest, blob);
	fd = openat(store->dir_fd, relative, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return cv_error_sys("commit %s", digest);
	if (fsync(fd) < 0)
		return cv_error_sys("commit %s: fsync", digest);
	if (renameat(store->dir_fd, relative, store->dir_fd, blob) < 0)
		return cv_error_sys("commit %s: rename", digest);
	return 0;
}

int cv_store_ingest_abort(struct cv_store *store, const char *digest)
{
	char relative[96];

	if (check_digest(digest) != 0)
		return -1;
	ingest_relative(digest, relative);
	if (unlinkat(store->dir_fd, relative, 0) < 0 && errno != ENOENT)
		return cv_error_sys("abort %s", digest);
	return 0;
}

int cv_store_put_blob(struct cv_store *store, const void *data, size_t length, const char *expected_digest,
                      char digest_out[72])
{
	char digest[72], blob[96];
	cleanup_close int blobs_fd = -1;

	if (expected_digest != NULL && check_digest(expected_digest) != 0)
		return -1;
	if (cv_digest_buffer(data, length, digest) != 0)
		return -1;
	if (expected_digest != NULL && strcmp(digest, expected_digest) != 0)
		return cv_error_errno(EBADMSG, "blob %s: digest mismatch (content is %s)", expected_digest, digest);
	if (digest_out != NULL)
		memcpy(digest_out, digest, sizeof digest);
	if (cv_store_blob_exists(store, digest))
		return 0;
	blobs_fd = openat(store->dir_fd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (blobs_fd < 0)
		return cv_error_sys("open %s/blobs/sha256", store->path);
	snprintf(blob, sizeof blob, "%s", cv_digest_hex(digest));
	if (cv_store_write_durable(blobs_fd, blob, data, length, false) != 0)
		return cv_error_prefix("store blob %s", digest);
	return 0;
}

struct fd_reader {
	int fd;
};

static ssize_t read_fd(void *user, void *buffer, size_t size)
{
	struct fd_reader *reader = user;
	ssize_t n;

	do
		n = read(reader->fd, buffer, size);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		cv_error_sys("read");
	return n;
}

int cv_store_put_blob_fd(struct cv_store *store, int in_fd, uint64_t max, const char *expected_digest,
                         char digest_out[72], uint64_t *size_out)
{
	struct fd_reader reader = {in_fd};

	return cv_store_put_blob_stream(store, read_fd, &reader, max, expected_digest, digest_out, size_out);
}

int cv_store_put_blob_stream(struct cv_store *store, ssize_t (*reader)(void *user, void *buffer, size_t size),
                             void *user, uint64_t max, const char *expected_digest, char digest_out[72],
                             uint64_t *size_out)
{
	char temporary[160], digest[72], blob[96];
	cleanup_close int fd = -1;
	struct cv_digester *digester = NULL;
	cleanup_free char *buffer = NULL;
	uint64_t total = 0;
	ssize_t n;

	if (expected_digest != NULL && check_digest(expected_digest) != 0)
		return -1;
	buffer = cv_malloc0(65536);
	if (buffer == NULL)
		return -1;
	cv_store_temporary_name("ingest/.put-", temporary, sizeof temporary);
	fd = openat(store->dir_fd, temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return cv_error_sys("create %s/%s", store->path, temporary);
	if (cv_digester_new(&digester) != 0)
		goto fail;
	while ((n = reader(user, buffer, 65536)) != 0) {
		if (n < 0)
			goto fail;
		total += (uint64_t)n;
		if (total > max) {
			cv_error_errno(EFBIG, "blob larger than %llu bytes", (unsigned long long)max);
			goto fail;
		}
		if (cv_digester_update(digester, buffer, (size_t)n) != 0 || cv_write_all(fd, buffer, (size_t)n) < 0)
			goto fail;
	}
	if (cv_digester_final(digester, digest) != 0)
		goto fail;
	if (expected_digest != NULL && strcmp(digest, expected_digest) != 0) {
		cv_error_errno(EBADMSG, "blob %s: digest mismatch (content is %s)", expected_digest, digest);
		goto fail;
	}
	if (fsync(fd) < 0) {
		cv_error_sys("fsync");
		goto fail;
	}
	cv_store_blob_relative(digest, blob);
	if (renameat(store->dir_fd, temporary, store->dir_fd, blob) < 0) {
		cv_error_sys("rename into %s", blob);
		goto fail;
	}
	cv_digester_free(digester);
	if (digest_out != NULL)
		memcpy(digest_out, digest, sizeof digest);
	if (size_out != NULL)
		*size_out = total;
	return 0;
fail : {
	int saved = errno;
	cv_digester_free(digester);
	unlinkat(store->dir_fd, temporary, 0);
	errno = saved;
	return -1;
}
}

static int read_blob(struct cv_store *store, const char *digest, size_t max, char **data, size_t *length, bool verify)
{
	char relative[96], actual[72];
	cleanup_free char *content = NULL;
	size_t content_length = 0;

	if (check_digest(digest) != 0)
		return -1;
	cv_store_blob_relative(digest, relative);
	if (cv_read_file_at(store->dir_fd, relative, &content, &content_length, max) != 0) {
		if (errno == ENOENT)
			return cv_error_errno(ENOENT, "blob %s: not in the store", digest);
		return cv_error_prefix("blob %s", digest);
	}
	if (!verify) {
		*data = cv_steal_pointer(&content);
		if (length != NULL)
			*length = content_length;
		return 0;
	}
	if (cv_digest_buffer(content, content_length, actual) != 0)
		return -1;
	if (strcmp(actual, digest) != 0)
		return cv_error_errno(EIO, "blob %s: corrupt (content hashes to %s)", digest, actual);
	*data = cv_steal_pointer(&content);
	if (length != NULL)
		*length = content_length;
	return 0;
}

int cv_store_read_blob(struct cv_store *store, const char *digest, size_t max, char **data, size_t *length)
{
	return read_blob(store, digest, max, data, length, true);
}

int cv_store_read_trusted_blob(struct cv_store *store, const char *digest, size_t max, char **data, size_t *length)
{
	return read_blob(store, digest, max, data, length, false);
}

int cv_store_layer_path(struct cv_store *store, const char *chain_id, char *path, size_t size)
{
	if (check_digest(chain_id) != 0)
		return -1;
	if (snprintf(path, size, "%s/layers/%s", store->path, cv_digest_hex(chain_id)) >= (int)size)
		return cv_error_errno(ENAMETOOLONG, "layer path too long");
	return 0;
}
