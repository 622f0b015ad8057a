/*
 * Internal: unpacking one image layer (a tar stream, gzip, zstd or plain)
 * into a fresh directory, as an OverlayFS lower layer: OCI whiteouts become
 * overlay whiteouts (.wh.NAME -> char device 0:0 NAME, .wh..wh..opq ->
 * trusted.overlay.opaque=y on its directory).
 *
 * Every entry is hostile: names with "..", absolute names, parents that
 * are symlinks (a write through a link), hardlinks to paths outside the
 * layer, overlay xattrs and oversize streams are refused; nothing is ever
 * written outside the layer directory.
 */
#ifndef CV_IMAGE_UNPACK_H
#define CV_IMAGE_UNPACK_H

#include <stdint.h>

struct cv_unpack_limits {
	uint64_t max_bytes;   /* uncompressed stream and sum of entry sizes */
	uint64_t max_entries; /* tar entries */
};

/* 64 GiB and 4 million entries: far above real images, far below a full disk from a 1 MiB bomb. */
#define CV_UNPACK_LIMITS_DEFAULT                                                                                       \
	{                                                                                                              \
		.max_bytes = 64ull << 30, .max_entries = 4000000                                                       \
	}

struct cv_unpack_result {
	char diff_id[72]; /* sha256 of the uncompressed stream */
	uint64_t uncompressed_size;
	uint64_t entries;
};

/*
 * Extracts the layer stream read from fd (compression detected from the
 * data: gzip, zstd or none) into the empty directory dir_fd. Fills result.
 * On failure the directory holds a partial tree the caller removes.
 */
int cv_unpack_layer_stream(int fd, int dir_fd, const struct cv_unpack_limits *limits, struct cv_unpack_result *result);

/*
 * Unpacks blob_fd into layers_fd/<hex of chain_id>: extracted into
 * layers_fd/.tmp-*, checked against expected_diff_id (when not NULL),
 * synced and renamed into place, so the layer exists complete or not at
 * all. A layer another process finished first is kept. chain_id NULL: a
 * base layer, named by its diff_id once known. The temporary
 * directory is removed on every failure.
 */
int cv_unpack_layer(int layers_fd, const char *layers_path, int blob_fd, const char *chain_id,
                    const char *expected_diff_id, const struct cv_unpack_limits *limits,
                    struct cv_unpack_result *result);

#endif
