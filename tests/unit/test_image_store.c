/*
 * The image store (an OCI layout under the state root): blobs in only by
 * verified rename, partial downloads with resume, names in index.json
 * under concurrent writers, resolve by name / id / digest, the lock, and
 * unpacking a real gzip layer. Every failure leaves the store usable.
 */
#include <chef/containerv.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/digest.h"
#include "common/util.h"
#include "image/image-private.h"
#include "image/store.h"
#include "test.h"

static char root[256];

static void path_of(char *out, size_t size, const char *relative)
{
	snprintf(out, size, "%s/images/%s", root, relative);
}

static bool exists(const char *relative)
{
	char path[512];
	struct stat st;

	path_of(path, sizeof path, relative);
	return lstat(path, &st) == 0;
}

/* Entries of a store directory whose name starts with prefix (".tmp", ".put"...). */
static int count_prefixed(const char *relative, const char *prefix)
{
	char path[512];
	DIR *dir;
	struct dirent *entry;
	int n = 0;

	path_of(path, sizeof path, relative);
	dir = opendir(path);
	if (dir == NULL)
		return 0;
	while ((entry = readdir(dir)) != NULL)
		n += strncmp(entry->d_name, prefix, strlen(prefix)) == 0;
	closedir(dir);
	return n;
}

static void check_no_temporaries(void)
{
	CHECK_EQ_INT(count_prefixed("", ".tmp"), 0);
	CHECK_EQ_INT(count_prefixed("layers", ".tmp"), 0);
	CHECK_EQ_INT(count_prefixed("blobs/sha256", ".tmp"), 0);
	CHECK_EQ_INT(count_prefixed("ingest", ".put"), 0);
}

TEST(open_creates_the_oci_layout)
{
	struct cv_store *store = NULL;
	char *text = NULL;

	CHECK_OK(cv_store_open(&store));
	CHECK(exists("oci-layout") && exists("index.json") && exists("blobs/sha256") && exists("ingest") &&
	      exists("layers") && exists("lock"));
	cv_store_close(store);
	CHECK_OK(cv_store_open(&store)); /* again: nothing changes */
	cv_store_close(store);
	cv_store_close(NULL);
	{
		char path[512];
		path_of(path, sizeof path, "oci-layout");
		CHECK_OK(cv_read_file(path, &text, NULL, 4096));
		CHECK(strstr(text, "\"imageLayoutVersion\":\"1.0.0\"") != NULL);
		free(text);
	}
	check_no_temporaries();
}

TEST(blobs_are_verified_in_and_out)
{
	struct cv_store *store = NULL;
	char digest[72], other[72], path[512];
	char *data = NULL;
	size_t length = 0;
	int fd;

	CHECK_OK(cv_store_open(&store));
	CHECK_OK(cv_store_put_blob(store, "hello", 5, NULL, digest));
	CHECK(cv_store_blob_exists(store, digest));
	CHECK_OK(cv_store_put_blob(store, "hello", 5, digest, NULL)); /* idempotent */
	CHECK_OK(cv_store_read_blob(store, digest, 100, &data, &length));
	CHECK_EQ_INT(length, 5);
	CHECK_EQ_STR(data, "hello");
	free(data);
	data = NULL;
	/* Too large for the reader's bound. */
	CHECK(cv_store_read_blob(store, digest, 4, &data, &length) != 0);
	CHECK_EQ_INT(errno, EFBIG);
	/* Wrong expected digest: refused, nothing written. */
	CHECK_OK(cv_digest_buffer("other", 5, other));
	CHECK(cv_store_put_blob(store, "hello!", 6, other, NULL) != 0);
	CHECK(strstr(containerv_last_error(), "digest mismatch") != NULL);
	CHECK(!cv_store_blob_exists(store, other));
	/* Invalid digests never become paths. */
	CHECK(cv_store_blob_path(store, "sha256:../../etc", path, sizeof path) != 0);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(!cv_store_blob_exists(store, "sha256:../../../etc/passwd"));
	CHECK(cv_store_read_blob(store, "sha256:zz", 100, &data, &length) != 0);
	/* A blob corrupted on disk is detected on read. */
	CHECK_OK(cv_store_blob_path(store, digest, path, sizeof path));
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK(write(fd, "jello", 5) == 5);
	close(fd);
	CHECK(cv_store_read_blob(store, digest, 100, &data, &length) != 0);
	CHECK_EQ_INT(errno, EIO);
	CHECK(strstr(containerv_last_error(), "corrupt") != NULL);
	CHECK(strchr(containerv_last_error(), '\n') == NULL);
	/* Unknown blob. */
	CHECK(cv_store_read_blob(store, other, 100, &data, &length) != 0);
	CHECK_EQ_INT(errno, ENOENT);
	/* The store still works. */
	unlink(path);
	CHECK_OK(cv_store_put_blob(store, "hello", 5, digest, NULL));
	CHECK_OK(cv_store_read_blob(store, digest, 100, &data, &length));
	free(data);
	cv_store_close(store);
	check_no_temporaries();
}

TEST(put_blob_fd_streams_and_verifies)
{
	struct cv_store *store = NULL;
	char digest[72], expected[72];
	uint64_t size = 0;
	int pipe_fds[2];

	CHECK_OK(cv_store_open(&store));
	CHECK_OK(cv_digest_buffer("streamed", 8, expected));
	CHECK(pipe(pipe_fds) == 0);
	CHECK(write(pipe_fds[1], "streamed", 8) == 8);
	close(pipe_fds[1]);
	CHECK_OK(cv_store_put_blob_fd(store, pipe_fds[0], 1000, expected, digest, &size));
	close(pipe_fds[0]);
	CHECK_EQ_STR(digest, expected);
	CHECK_EQ_INT(size, 8);
	CHECK(cv_store_blob_exists(store, digest));
	/* Over the bound: refused, no temporary left. */
	CHECK(pipe(pipe_fds) == 0);
	CHECK(write(pipe_fds[1], "streamed-more", 13) == 13);
	close(pipe_fds[1]);
	CHECK(cv_store_put_blob_fd(store, pipe_fds[0], 10, NULL, digest, &size) != 0);
	CHECK_EQ_INT(errno, EFBIG);
	close(pipe_fds[0]);
	cv_store_close(store);
	check_no_temporaries();
}

TEST(ingest_resumes_commits_and_aborts)
{
	struct cv_store *store = NULL;
	char digest[72];
	uint64_t offset = 99;
	int fd = -1;

	CHECK_OK(cv_store_open(&store));
	CHECK_OK(cv_digest_buffer("0123456789", 10, digest));
	CHECK_OK(cv_store_ingest_open(store, digest, &fd, &offset));
	CHECK_EQ_INT(offset, 0);
	CHECK(write(fd, "01234", 5) == 5);
	close(fd);
	/* Interrupted: the next open resumes at 5. */
	CHECK_OK(cv_store_ingest_open(store, digest, &fd, &offset));
	CHECK_EQ_INT(offset, 5);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(fd, F_GETFL) & O_APPEND);
	CHECK(write(fd, "56789", 5) == 5);
	CHECK(!cv_store_blob_exists(store, digest));
	CHECK_OK(cv_store_ingest_commit(store, digest));
	close(fd);
	CHECK(cv_store_blob_exists(store, digest));
	CHECK_EQ_INT(count_prefixed("ingest", ""), 2); /* "." and ".." */
	/* Abort drops a partial; aborting nothing is fine. */
	CHECK_OK(cv_digest_buffer("x", 1, digest));
	CHECK_OK(cv_store_ingest_open(store, digest, &fd, &offset));
	close(fd);
	CHECK_OK(cv_store_ingest_abort(store, digest));
	CHECK_OK(cv_store_ingest_abort(store, digest));
	CHECK_EQ_INT(count_prefixed("ingest", ""), 2);
	CHECK(cv_store_ingest_open(store, "sha256:nope", &fd, &offset) != 0);
	cv_store_close(store);
}

TEST(ingest_serializes_two_downloads_of_one_blob)
{
	struct cv_store *store = NULL;
	char digest[72];
	uint64_t offset = 0;
	int fd = -1, status;
	pid_t child;

	CHECK_OK(cv_store_open(&store));
	CHECK_OK(cv_digest_buffer("abc", 3, digest));
	CHECK_OK(cv_store_ingest_open(store, digest, &fd, &offset));
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		/* Waits for the parent's download, then sees the committed blob's partial gone: a fresh one. */
		struct cv_store *mine = NULL;
		int other = -1;
		uint64_t other_offset = 77;
		close(fd); /* the inherited description holds the parent's flock */
		if (cv_store_open(&mine) != 0 || cv_store_ingest_open(mine, digest, &other, &other_offset) != 0)
			_exit(1);
		_exit(other_offset == 0 && cv_store_blob_exists(mine, digest) ? 0 : 2);
	}
	usleep(100000);
	CHECK(write(fd, "abc", 3) == 3);
	CHECK_OK(cv_store_ingest_commit(store, digest));
	close(fd);
	CHECK(waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_OK(cv_store_ingest_abort(store, digest));
	cv_store_close(store);
}

static const char manifest_media[] = CV_MEDIA_OCI_MANIFEST;

TEST(tags_survive_concurrent_writers)
{
	struct cv_store *store = NULL;
	struct cv_store_name *names = NULL;
	size_t count = 0;
	char digest[72];
	pid_t children[8];

	CHECK_OK(cv_store_open(&store));
	CHECK_OK(cv_store_put_blob(store, "{}", 2, NULL, digest));
	for (int i = 0; i < 8; i++) {
		children[i] = fork();
		CHECK(children[i] >= 0);
		if (children[i] == 0) {
			struct cv_store *mine = NULL;
			char name[64];
			if (cv_store_open(&mine) != 0)
				_exit(1);
			for (int j = 0; j < 5; j++) {
				snprintf(name, sizeof name, "docker.io/library/c%d:t%d", i, j);
				if (cv_store_tag(mine, name, digest, manifest_media, 2) != 0)
					_exit(2);
			}
			_exit(0);
		}
	}
	for (int i = 0; i < 8; i++) {
		int status;
		CHECK(waitpid(children[i], &status, 0) == children[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK_OK(cv_store_names(store, &names, &count));
	CHECK_EQ_INT(count, 40);
	cv_store_names_free(names, count);
	/* Retagging a name replaces it; untag removes it. */
	CHECK_OK(cv_store_tag(store, "docker.io/library/c0:t0", digest, manifest_media, 2));
	CHECK_OK(cv_store_names(store, &names, &count));
	CHECK_EQ_INT(count, 40);
	cv_store_names_free(names, count);
	for (int i = 0; i < 8; i++) {
		for (int j = 0; j < 5; j++) {
			char name[64];
			snprintf(name, sizeof name, "docker.io/library/c%d:t%d", i, j);
			CHECK_OK(cv_store_untag(store, name));
		}
	}
	CHECK(cv_store_untag(store, "docker.io/library/c0:t0") != 0);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK_OK(cv_store_names(store, &names, &count));
	CHECK_EQ_INT(count, 0);
	cv_store_names_free(names, count);
	/* Bad names, digests and media types are refused. */
	CHECK(cv_store_tag(store, "busybox", digest, manifest_media, 2) != 0);
	CHECK(cv_store_tag(store, "docker.io/library/Bad:x", digest, manifest_media, 2) != 0);
	CHECK(cv_store_tag(store, "docker.io/library/x:1", "sha256:12", manifest_media, 2) != 0);
	CHECK(cv_store_tag(store, "docker.io/library/x:1", digest, "text/plain", 2) != 0);
	CHECK(cv_store_tag(store, "docker.io/library/x:1", digest, manifest_media, -1) != 0);
	cv_store_close(store);
	check_no_temporaries();
}

TEST(lock_excludes)
{
	struct cv_store *store = NULL;
	pid_t child;
	int status;

	CHECK_OK(cv_store_open(&store));
	CHECK_OK(cv_store_lock(store, LOCK_EX));
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		struct cv_store *mine = NULL;
		if (cv_store_open(&mine) != 0)
			_exit(1);
		_exit(cv_store_lock(mine, LOCK_SH | LOCK_NB) != 0 && errno == EBUSY ? 0 : 2);
	}
	CHECK(waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_OK(cv_store_lock(store, LOCK_UN));
	cv_store_close(store);
}

/* A gzip'ed tar in memory: one directory and one file. Writes the blob and the diff_id. */
static void make_layer(struct cv_store *store, const char *file_content, char blob_digest[72], char diff_id[72],
                       int64_t *blob_size)
{
	static char tar[1 << 16], gz[1 << 16];
	size_t tar_used = 0, gz_used = 0;
	struct archive *a;
	struct archive_entry *e;

	for (int pass = 0; pass < 2; pass++) {
		a = archive_write_new();
		if (pass == 1)
			archive_write_add_filter_gzip(a);
		archive_write_set_format_pax_restricted(a);
		archive_write_open_memory(a, pass == 0 ? tar : gz, sizeof tar, pass == 0 ? &tar_used : &gz_used);
		e = archive_entry_new();
		archive_entry_set_pathname(e, "etc");
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, 0755);
		CHECK(archive_write_header(a, e) == ARCHIVE_OK);
		archive_entry_clear(e);
		archive_entry_set_pathname(e, "etc/motd");
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)strlen(file_content));
		CHECK(archive_write_header(a, e) == ARCHIVE_OK);
		CHECK(archive_write_data(a, file_content, strlen(file_content)) == (la_ssize_t)strlen(file_content));
		archive_entry_free(e);
		archive_write_close(a);
		archive_write_free(a);
	}
	CHECK_OK(cv_digest_buffer(tar, tar_used, diff_id));
	CHECK_OK(cv_store_put_blob(store, gz, gz_used, NULL, blob_digest));
	*blob_size = (int64_t)gz_used;
}

/* A one-layer image named name; writes its manifest digest. */
static void make_image(struct cv_store *store, const char *name, const char *content, const char *claimed_diff_id,
                       char manifest_digest[72], char config_digest[72])
{
	char layer[72], diff_id[72], *config = NULL, *manifest = NULL;
	int64_t layer_size;

	make_layer(store, content, layer, diff_id, &layer_size);
	CHECK_OK(
	        cv_asprintf(&config,
	                    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"cat\",\"/etc/motd\"]},"
	                    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
	                    claimed_diff_id != NULL ? claimed_diff_id : diff_id));
	CHECK_OK(cv_store_put_blob(store, config, strlen(config), NULL, config_digest));
	CHECK_OK(cv_asprintf(
	        &manifest,
	        "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\","
	        "\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%lld}]}",
	        CV_MEDIA_OCI_MANIFEST, CV_MEDIA_OCI_CONFIG, config_digest, strlen(config), CV_MEDIA_OCI_LAYER_GZIP,
	        layer, (long long)layer_size));
	CHECK_OK(cv_store_put_blob(store, manifest, strlen(manifest), NULL, manifest_digest));
	CHECK_OK(cv_store_tag(store, name, manifest_digest, CV_MEDIA_OCI_MANIFEST, (int64_t)strlen(manifest)));
	free(config);
	free(manifest);
}

TEST(resolve_by_name_id_and_digest)
{
	struct cv_store *store = NULL;
	char manifest[72], config[72], found[72], text[200];
	char *name = NULL;

	CHECK_OK(cv_store_open(&store));
	make_image(store, "docker.io/library/hello:latest", "hi\n", NULL, manifest, config);
	CHECK_OK(cv_store_resolve(store, "hello", found, &name));
	CHECK_EQ_STR(found, manifest);
	CHECK_EQ_STR(name, "docker.io/library/hello:latest");
	free(name);
	CHECK_OK(cv_store_resolve(store, "docker.io/library/hello", found, NULL));
	snprintf(text, sizeof text, "%.12s", cv_digest_hex(config));
	CHECK_OK(cv_store_resolve(store, text, found, NULL));
	CHECK_EQ_STR(found, manifest);
	CHECK_OK(cv_store_resolve(store, config, found, NULL));
	snprintf(text, sizeof text, "hello@%s", manifest);
	CHECK_OK(cv_store_resolve(store, text, found, NULL));
	CHECK(cv_store_resolve(store, "hello:other", found, NULL) != 0);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK_EQ_STR(containerv_last_error(), "image docker.io/library/hello:other: not found");
	CHECK(cv_store_resolve(store, "Bad Name", found, NULL) != 0);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_OK(cv_store_untag(store, "docker.io/library/hello:latest"));
	cv_store_close(store);
}

TEST(unpack_image_once_and_refuse_a_wrong_diff_id)
{
	struct cv_store *store = NULL;
	char manifest[72], config[72], path[512], *content = NULL;
	char(*chains)[72] = NULL;
	size_t count = 0;
	struct stat before;

	CHECK_OK(cv_store_open(&store));
	make_image(store, "docker.io/library/motd:1", "hello layer\n", NULL, manifest, config);
	CHECK_OK(cv_store_lock(store, LOCK_SH));
	CHECK_OK(cv_store_unpack_image(store, manifest));
	CHECK_OK(cv_store_image_chain_ids(store, manifest, &chains, &count));
	CHECK_EQ_INT(count, 1);
	CHECK_OK(cv_store_layer_path(store, chains[0], path, sizeof path));
	CHECK(lstat(path, &before) == 0 && S_ISDIR(before.st_mode));
	strcat(path, "/etc/motd");
	CHECK_OK(cv_read_file(path, &content, NULL, 100));
	CHECK_EQ_STR(content, "hello layer\n");
	free(content);
	free(chains);
	/* A second unpack finds the layer and does nothing. */
	CHECK_OK(cv_store_unpack_image(store, manifest));
	/* A config whose diff_id lies: refused, no layer, no temporary. */
	make_image(store, "docker.io/library/liar:1", "other\n",
	           "sha256:"
	           "00000000000000000000000000000000"
	           "00000000000000000000000000000000",
	           manifest, config);
	CHECK(cv_store_unpack_image(store, manifest) != 0);
	CHECK(strstr(containerv_last_error(), "diff_id mismatch") != NULL);
	CHECK(exists("layers/0000000000000000000000000000000000000000000000000000000000000000") == false);
	check_no_temporaries();
	/* A corrupt manifest blob: refused with one line (a start reads the store's blobs without hashing them). */
	{
		char blob[512];
		int fd;
		CHECK_OK(cv_store_blob_path(store, manifest, blob, sizeof blob));
		fd = open(blob, O_WRONLY | O_TRUNC);
		CHECK(fd >= 0 && write(fd, "{", 1) == 1);
		close(fd);
		CHECK(cv_store_unpack_image(store, manifest) != 0);
		CHECK(strstr(containerv_last_error(), "manifest") != NULL &&
		      strchr(containerv_last_error(), '\n') == NULL);
		/* The verifying read, as save and push use it, names the corruption. */
		char *text = NULL;
		CHECK(cv_store_read_blob(store, manifest, 1 << 20, &text, NULL) != 0);
		CHECK(strstr(containerv_last_error(), "corrupt") != NULL);
	}
	CHECK_OK(cv_store_lock(store, LOCK_UN));
	cv_store_close(store);
	check_no_temporaries();
}

TEST(an_index_stands_for_this_hosts_manifest)
{
	struct cv_store *store = NULL;
	char manifest[72], config[72], index_digest[72], chosen[72], other[72];
	char *index = NULL, *media_type = NULL;
	char(*chains)[72] = NULL;
	size_t count = 0;
	int64_t size = 0;

	CHECK_OK(cv_store_open(&store));
	make_image(store, "docker.io/library/platform:1", "for this host\n", NULL, manifest, config);
	CHECK_OK(cv_digest_buffer("elsewhere", 9, other));
	CHECK_OK(cv_asprintf(&index,
	                     "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
	                     "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":10,\"platform\":{\"os\":\"linux\","
	                     "\"architecture\":\"not-this-one\"}},"
	                     "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":20,\"platform\":{\"os\":\"linux\","
	                     "\"architecture\":\"%s\"}}]}",
	                     CV_MEDIA_OCI_INDEX, CV_MEDIA_OCI_MANIFEST, other, CV_MEDIA_OCI_MANIFEST, manifest,
	                     cv_image_host_architecture()));
	CHECK_OK(cv_store_put_blob(store, index, strlen(index), NULL, index_digest));
	CHECK_OK(cv_store_tag(store, "docker.io/library/multi:1", index_digest, CV_MEDIA_OCI_INDEX,
	                      (int64_t)strlen(index)));
	free(index);
	CHECK_OK(cv_store_platform_manifest(store, index_digest, chosen, &media_type, &size));
	CHECK_EQ_STR(chosen, manifest);
	CHECK_EQ_STR(media_type, CV_MEDIA_OCI_MANIFEST);
	CHECK_EQ_INT(size, 20);
	free(media_type);
	CHECK_OK(cv_store_lock(store, LOCK_SH));
	CHECK_OK(cv_store_unpack_image(store, index_digest));
	CHECK_OK(cv_store_image_chain_ids(store, index_digest, &chains, &count));
	CHECK_EQ_INT(count, 1);
	free(chains);
	CHECK_OK(cv_store_lock(store, LOCK_UN));
	/* A manifest itself stands for itself. */
	CHECK_OK(cv_store_platform_manifest(store, manifest, chosen, NULL, NULL));
	CHECK_EQ_STR(chosen, manifest);
	CHECK_OK(cv_store_untag(store, "docker.io/library/multi:1"));
	CHECK_OK(cv_store_untag(store, "docker.io/library/platform:1"));
	cv_store_close(store);
}

TEST(concurrent_unpacks_of_one_image_leave_one_layer)
{
	struct cv_store *store = NULL;
	char manifest[72], config[72];
	pid_t children[4];

	CHECK_OK(cv_store_open(&store));
	make_image(store, "docker.io/library/race:1", "raced\n", NULL, manifest, config);
	for (int i = 0; i < 4; i++) {
		children[i] = fork();
		CHECK(children[i] >= 0);
		if (children[i] == 0) {
			struct cv_store *mine = NULL;
			if (cv_store_open(&mine) != 0 || cv_store_lock(mine, LOCK_SH) != 0 ||
			    cv_store_unpack_image(mine, manifest) != 0)
				_exit(1);
			_exit(0);
		}
	}
	for (int i = 0; i < 4; i++) {
		int status;
		CHECK(waitpid(children[i], &status, 0) == children[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	check_no_temporaries();
	{
		char(*chains)[72] = NULL;
		size_t count = 0;
		char path[512], *content = NULL;
		CHECK_OK(cv_store_image_chain_ids(store, manifest, &chains, &count));
		CHECK_OK(cv_store_layer_path(store, chains[0], path, sizeof path));
		strcat(path, "/etc/motd");
		CHECK_OK(cv_read_file(path, &content, NULL, 100));
		CHECK_EQ_STR(content, "raced\n");
		free(content);
		free(chains);
	}
	CHECK_OK(cv_store_untag(store, "docker.io/library/race:1"));
	cv_store_close(store);
}

int main(void)
{
	char command[512];

	if (geteuid() != 0) {
		printf("skip: the image store tests need root (chown in layers)\n0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	snprintf(root, sizeof root, "/tmp/cvtest-store-%d", (int)getpid());
	if (containerv_set_root(root) != 0)
		return 1;
	RUN(open_creates_the_oci_layout);
	RUN(blobs_are_verified_in_and_out);
	RUN(put_blob_fd_streams_and_verifies);
	RUN(ingest_resumes_commits_and_aborts);
	RUN(ingest_serializes_two_downloads_of_one_blob);
	RUN(tags_survive_concurrent_writers);
	RUN(lock_excludes);
	RUN(resolve_by_name_id_and_digest);
	RUN(unpack_image_once_and_refuse_a_wrong_diff_id);
	RUN(an_index_stands_for_this_hosts_manifest);
	RUN(concurrent_unpacks_of_one_image_leave_one_layer);
	snprintf(command, sizeof command, "rm -rf %s", root);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return cv_test_summary();
}
