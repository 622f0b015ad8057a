/*
 * Layer extraction. libarchive only parses: it never writes to disk. Two
 * archive objects are chained: the first decompresses (gzip or zstd,
 * detected from the data, or none) and its output is hashed on the way
 * into the second, which parses tar; so the diff_id is the sha256 of
 * exactly the uncompressed stream, computed in the one pass that extracts.
 * Entries are made by unpack-entry.c; this file is the stream, the
 * bounds, and the temporary-directory-then-rename of a whole layer.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/unpack-private.h"
#include "image/unpack.h"

struct decoder {
	struct archive *archive;
	struct cv_digester *digester;
	uint64_t total, max;
	char buffer[128 * 1024];
};

static la_ssize_t decoder_read(struct archive *tar, void *user, const void **buffer)
{
	struct decoder *decoder = user;
	la_ssize_t n = archive_read_data(decoder->archive, decoder->buffer, sizeof decoder->buffer);

	if (n < 0) {
		archive_set_error(tar, EIO, "decompress: %s", archive_error_string(decoder->archive));
		return -1;
	}
	decoder->total += (uint64_t)n;
	if (decoder->total > decoder->max) {
		archive_set_error(tar, EFBIG, "uncompressed layer larger than %llu bytes",
		                  (unsigned long long)decoder->max);
		return -1;
	}
	if (n > 0 && cv_digester_update(decoder->digester, decoder->buffer, (size_t)n) != 0) {
		archive_set_error(tar, EIO, "sha256 failed");
		return -1;
	}
	*buffer = decoder->buffer;
	return n;
}
int cv_unpack_layer_stream(int fd, int dir_fd, const struct cv_unpack_limits *limits, struct cv_unpack_result *result)
{
	struct decoder *decoder = NULL;
	struct archive *tar = NULL;
	struct archive_entry *entry;
	struct unpack u = {.root_fd = dir_fd, .limits = limits};
	int ret = -1, status;

	decoder = cv_malloc0(sizeof *decoder);
	if (decoder == NULL)
		return -1;
	decoder->max = limits->max_bytes;
	decoder->archive = archive_read_new();
	tar = archive_read_new();
	if (decoder->archive == NULL || tar == NULL || cv_digester_new(&decoder->digester) != 0) {
		cv_error_errno(ENOMEM, "out of memory");
		goto out;
	}
	/* Only these filters: "all" would include ones that run external programs. */
	archive_read_support_filter_gzip(decoder->archive);
	archive_read_support_filter_zstd(decoder->archive);
	archive_read_support_filter_none(decoder->archive);
	archive_read_support_format_raw(decoder->archive);
	archive_read_support_format_empty(decoder->archive);
	archive_read_support_format_tar(tar);
	if (archive_read_open_fd(decoder->archive, fd, 128 * 1024) != ARCHIVE_OK) {
		cv_error_errno(EINVAL, "layer: %s", archive_error_string(decoder->archive));
		goto out;
	}
	status = archive_read_next_header(decoder->archive, &entry);
	if (status == ARCHIVE_EOF) {
		/* An empty blob: no entries, the digest of nothing. */
	} else if (status != ARCHIVE_OK) {
		cv_error_errno(EINVAL, "layer: %s", archive_error_string(decoder->archive));
		goto out;
	} else {
		if (archive_read_open(tar, decoder, NULL, decoder_read, NULL) != ARCHIVE_OK) {
			cv_error_errno(EINVAL, "layer: %s", archive_error_string(tar));
			goto out;
		}
		while ((status = archive_read_next_header(tar, &entry)) == ARCHIVE_OK || status == ARCHIVE_WARN) {
			if (cv_unpack_entry(&u, tar, entry) != 0)
				goto out;
		}
		if (status != ARCHIVE_EOF) {
			cv_error_errno(archive_errno(tar) == EFBIG ? EFBIG : EINVAL, "layer: %s",
			               archive_error_string(tar));
			goto out;
		}
		/* The tar reader stops at the end-of-archive blocks; the diff_id covers the padding after them too. */
		for (;;) {
			const void *unused;
			la_ssize_t n = decoder_read(tar, decoder, &unused);
			if (n < 0) {
				cv_error_errno(archive_errno(tar) == EFBIG ? EFBIG : EIO, "layer: %s",
				               archive_error_string(tar));
				goto out;
			}
			if (n == 0)
				break;
		}
	}
	cv_unpack_directory_times(&u);
	if (cv_digester_final(decoder->digester, result->diff_id) != 0)
		goto out;
	result->uncompressed_size = decoder->total;
	result->entries = u.entries;
	ret = 0;
out:
	cv_unpack_free(&u);
	if (tar != NULL)
		archive_read_free(tar);
	if (decoder->archive != NULL)
		archive_read_free(decoder->archive);
	cv_digester_free(decoder->digester);
	free(decoder);
	return ret;
}

int cv_unpack_layer(int layers_fd, const char *layers_path, int blob_fd, const char *chain_id,
                    const char *expected_diff_id, const struct cv_unpack_limits *limits,
                    struct cv_unpack_result *result)
{
	char temporary[96];
	cleanup_close int dir_fd = -1;
	struct cv_unpack_result local;

	static atomic_uint counter;

	if (result == NULL)
		result = &local;
	if (chain_id != NULL && !cv_digest_is_valid(chain_id))
		return cv_error_errno(EINVAL, "unpack: invalid chain id");
	snprintf(temporary, sizeof temporary, ".tmp-%.12s-%d-%u", chain_id != NULL ? cv_digest_hex(chain_id) : "base",
	         (int)getpid(), atomic_fetch_add(&counter, 1));
	cv_unpack_remove_tree(layers_fd, temporary); /* a crashed attempt of this process id */
	if (mkdirat(layers_fd, temporary, 0755) < 0)
		return cv_error_sys("unpack: mkdir %s/%s", layers_path, temporary);
	dir_fd = openat(layers_fd, temporary, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir_fd < 0) {
		cv_error_sys("unpack: open %s/%s", layers_path, temporary);
		goto fail;
	}
	if (cv_unpack_layer_stream(blob_fd, dir_fd, limits, result) != 0)
		goto fail;
	if (expected_diff_id != NULL && strcmp(result->diff_id, expected_diff_id) != 0) {
		cv_error_errno(EBADMSG, "diff_id mismatch: the config says %s, the layer is %s", expected_diff_id,
		               result->diff_id);
		goto fail;
	}
	/* Complete on disk before the name says so: a crash after the rename must not leave half a layer. */
	if (syncfs(dir_fd) < 0) {
		cv_error_sys("unpack: sync");
		goto fail;
	}
	/* No chain id given: a base layer, whose chain id is its diff_id. */
	if (renameat(layers_fd, temporary, layers_fd, cv_digest_hex(chain_id != NULL ? chain_id : result->diff_id)) <
	    0) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			cv_error_sys("unpack: rename into %s", layers_path);
			goto fail;
		}
		/* Another unpacker finished the same layer first: keep its copy. */
		cv_unpack_remove_tree(layers_fd, temporary);
	}
	return 0;
fail : {
	int saved = errno;
	cv_unpack_remove_tree(layers_fd, temporary);
	errno = saved;
	return -1;
}
}
