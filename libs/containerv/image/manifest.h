/*
 * Internal: image manifests and configs (OCI image spec and Docker
 * schema2), parsed from hostile JSON into plain structs and validated
 * completely before anything uses them.
 */
#ifndef CV_IMAGE_MANIFEST_H
#define CV_IMAGE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* More layers than any real image has (docker caps at 127); bounds the work a manifest can ask for. */
#define CV_MANIFEST_MAX_LAYERS 256
#define CV_IMAGE_MAX_HISTORY 4096 /* entries of a config's "history" (empty layers included) */

enum cv_layer_compression {
	CV_LAYER_UNCOMPRESSED,
	CV_LAYER_GZIP,
	CV_LAYER_ZSTD,
};

struct cv_descriptor {
	char digest[72];
	char *media_type;
	int64_t size;
};

struct cv_manifest {
	char *media_type; /* CV_MEDIA_OCI_MANIFEST or CV_MEDIA_DOCKER_MANIFEST */
	struct cv_descriptor config;
	struct cv_descriptor *layers;
	size_t layer_count;
};

/* One entry of an image config's "history" (docker history's rows). */
struct cv_history_entry {
	char *created, *created_by, *comment; /* NULL when absent */
	bool empty_layer;                     /* no layer of rootfs.diff_ids belongs to it */
};

/* The parts of an image config that containerv uses. */
struct cv_image_config {
	char *architecture, *os, *created, *author;
	char **entrypoint, **cmd, **env, **volumes, **labels, **exposed_ports; /* labels "k=v" */
	char *working_dir, *user, *stop_signal;
	char *healthcheck_json; /* config.Healthcheck as it was (compact JSON), parsed where it is applied */
	char (*diff_ids)[72];
	size_t diff_id_count;
	struct cv_history_entry *history; /* oldest first */
	size_t history_count;
};

/*
 * Parses a single-platform manifest (OCI or Docker schema2). An index or
 * manifest list gets EMEDIUMTYPE with "is an image index" in the error;
 * any other media type, a bad digest, a negative size, an unknown layer
 * media type or too many layers gets EINVAL.
 */
int cv_manifest_parse(const char *text, size_t length, struct cv_manifest *out);
void cv_manifest_clear(struct cv_manifest *manifest);

/*
 * A hostile string fit for an error message: at most size-1 bytes, control
 * and non-ASCII bytes as '?', so that the last error stays one line.
 */
const char *cv_printable(const char *text, char *buffer, size_t size);

/* Layer compression from its media type; -1 for an unknown type. */
int cv_layer_media_compression(const char *media_type);

/* Parses an image config; rootfs.type must be "layers" and each diff_id a valid digest. */
int cv_image_config_parse(const char *text, size_t length, struct cv_image_config *out);
void cv_image_config_clear(struct cv_image_config *config);

/* chain ids per the OCI image spec: chain[0] = diff[0], chain[n] = sha256(chain[n-1] + " " + diff[n]). */
int cv_chain_ids(char (*diff_ids)[72], size_t count, char (*chain_ids)[72]);

#endif
