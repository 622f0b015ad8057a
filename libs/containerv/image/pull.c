/*
 * containerv_image_pull: manifest (through an index for the platform) ->
 * config -> layers into the store, then unpack, then the name.
 *
 * Crash safety comes from the order: blobs enter blobs/ only verified
 * (ingest partials are renamed in by the store), the manifest only after
 * its config and layers, the name in index.json last. A pull killed at any
 * moment leaves partials (resumed next time) and complete blobs, never a
 * name pointing at something missing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <chef/containerv/registry.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/manifest.h"
#include "image/platform.h"
#include "image/pull-unpack.h"
#include "image/reference.h"
#include "image/registry.h"
#include "image/store.h"

struct pull {
	const struct containerv_registry_options *options;
	struct cv_store *store;
	struct cv_unpack_pool *unpacker;    /* NULL: everything is unpacked at the end */
	bool *committed;                    /* per fetch: renamed into blobs/ already */
	bool commit_failed;                 /* reported after the downloads: */
	struct cv_error_saved commit_error; /* the first commit failure */
	const char *name;
	struct cv_blob_fetch *fetches;
	unsigned *layer_index; /* fetch -> position in the manifest */
	unsigned layer_count;
};

static void report(const struct pull *pull, enum containerv_transfer_event event, const char *digest, unsigned index,
                   uint64_t current, uint64_t total)
{
	if (pull->options->progress == NULL)
		return;
	struct containerv_transfer_progress progress = {
	        .event = event,
	        .name = pull->name,
	        .digest = digest,
	        .index = index,
	        .count = pull->layer_count,
	        .current = current,
	        .total = total,
	};
	pull->options->progress(&progress, pull->options->user);
}

/*
 * A step of ours (the store) failed: the pulled name goes in front. The registry's errors name
 * the registry and the repository already, and go up as they are.
 */
static int store_failed(const struct pull *pull)
{
	return cv_error_prefix("pull %s", pull->name);
}

/* A blob is complete and verified: into blobs/ at once, and its layer to the unpackers. */
static void fetch_done(struct cv_blob_fetch *fetch, void *user)
{
	struct pull *pull = user;
	size_t slot = (size_t)(fetch - pull->fetches);

	if (cv_store_ingest_commit(pull->store, fetch->digest) < 0) {
		if (!pull->commit_failed) {
			pull->commit_failed = true;
			if (errno == 0)
				errno = EIO;
			cv_error_prefix("blob %s", fetch->digest);
			store_failed(pull);
			cv_error_save(&pull->commit_error);
		}
		return;
	}
	pull->committed[slot] = true;
	report(pull, CONTAINERV_TRANSFER_LAYER_DONE, fetch->digest, pull->layer_index[slot], fetch->size, fetch->size);
	cv_unpack_pool_blob_ready(pull->unpacker, fetch->digest);
}

static void fetch_progress(struct cv_blob_fetch *fetch, void *user)
{
	struct pull *pull = user;
	report(pull, CONTAINERV_TRANSFER_LAYER_PROGRESS, fetch->digest, *(unsigned *)fetch->user, fetch->received,
	       fetch->size);
}

void cv_pull_registry_options(const struct containerv_registry_options *options, struct cv_registry_options *out)
{
	memset(out, 0, sizeof *out);
	out->tls_verify = options->tls_verify != 0;
	out->cert_dir = options->cert_dir;
	out->username = options->username;
	out->password = options->password;
	out->auth_file = options->auth_file;
}

/* The four manifest types we ask for; "" when the registry sent no Content-Type (the body says). */
static bool is_known_type(const char *media_type)
{
	return media_type[0] == '\0' || strcmp(media_type, CV_MEDIA_OCI_MANIFEST) == 0 ||
	       strcmp(media_type, CV_MEDIA_OCI_INDEX) == 0 || strcmp(media_type, CV_MEDIA_DOCKER_MANIFEST) == 0 ||
	       strcmp(media_type, CV_MEDIA_DOCKER_LIST) == 0;
}

/* The manifest for our platform: itself, or the one an index points at. */
static int resolve_manifest(struct cv_registry *registry, const char *repository, const char *reference,
                            const struct containerv_registry_options *options, struct cv_registry_manifest *out)
{
	struct cv_platform platform;
	char digest[72], media_type[128];
	long long size;

	if (cv_registry_get_manifest(registry, repository, reference, out) < 0)
		return -1;
	if (!is_known_type(out->media_type))
		return cv_error_errno(EMEDIUMTYPE, "registry %s: manifest %s:%s: unsupported media type \"%.100s\"",
		                      registry->name, repository, reference, out->media_type);
	if (strcmp(out->media_type, CV_MEDIA_OCI_INDEX) != 0 && strcmp(out->media_type, CV_MEDIA_DOCKER_LIST) != 0)
		return 0;
	if (cv_platform_wanted(options->os, options->architecture, options->variant, &platform) < 0 ||
	    cv_platform_select(out->body, out->length, &platform, digest, media_type, sizeof media_type, &size) < 0)
		return cv_error_prefix("registry %s: %s:%s", registry->name, repository, reference);
	cv_registry_manifest_clear(out);
	if (cv_registry_get_manifest(registry, repository, digest, out) < 0)
		return -1;
	if ((long long)out->length != size)
		return cv_error_errno(EBADMSG, "registry %s: manifest %s@%s: %zu bytes, the index says %lld",
		                      registry->name, repository, digest, out->length, size);
	if (strcmp(out->media_type, CV_MEDIA_OCI_INDEX) == 0 || strcmp(out->media_type, CV_MEDIA_DOCKER_LIST) == 0)
		return cv_error_errno(EINVAL, "registry %s: manifest %s@%s: an index inside an index", registry->name,
		                      repository, digest);
	return 0;
}

/*
 * A platform asked for explicitly must be the image's, also when the registry has a single
 * manifest (no index to choose from): docker refuses the mismatch too.
 */
static int check_platform(const struct containerv_registry_options *options, const char *config, size_t length)
{
	struct cv_image_config parsed;
	int result = 0;

	if ((options->os == NULL || options->os[0] == '\0') &&
	    (options->architecture == NULL || options->architecture[0] == '\0'))
		return 0;
	if (cv_image_config_parse(config, length, &parsed) < 0)
		return -1;
	const char *os = options->os && options->os[0] ? options->os : "linux";
	if ((parsed.os != NULL && strcmp(parsed.os, os) != 0) ||
	    (parsed.architecture != NULL && options->architecture != NULL && options->architecture[0] != '\0' &&
	     strcmp(parsed.architecture, options->architecture) != 0))
		result = cv_error_errno(ENOENT, "the image is %s/%s, not the %s/%s asked for",
		                        parsed.os ? parsed.os : "?", parsed.architecture ? parsed.architecture : "?",
		                        os, options->architecture ? options->architecture : "?");
	cv_image_config_clear(&parsed);
	return result;
}

/* Downloads the layers the store lacks into ingest partials; commits the verified ones. */
static int fetch_layers(struct cv_store *store, struct cv_registry *registry, const char *repository,
                        const struct cv_manifest *manifest, struct pull *pull)
{
	size_t count = 0, i, j;
	int result;

	pull->fetches = calloc(manifest->layer_count ? manifest->layer_count : 1, sizeof *pull->fetches);
	pull->layer_index = calloc(manifest->layer_count ? manifest->layer_count : 1, sizeof *pull->layer_index);
	pull->committed = calloc(manifest->layer_count ? manifest->layer_count : 1, sizeof *pull->committed);
	if (pull->fetches == NULL || pull->layer_index == NULL || pull->committed == NULL) {
		cv_error_errno(ENOMEM, "out of memory");
		return store_failed(pull);
	}
	for (i = 0; i < manifest->layer_count; i++) {
		const struct cv_descriptor *layer = &manifest->layers[i];
		bool duplicate = false;
		for (j = 0; j < i; j++)
			duplicate = duplicate || strcmp(manifest->layers[j].digest, layer->digest) == 0;
		if (duplicate)
			continue; /* one partial per blob: its lock would wait for ourselves */
		if (cv_store_blob_exists(store, layer->digest)) {
			report(pull, CONTAINERV_TRANSFER_LAYER_EXISTS, layer->digest, (unsigned)i,
			       (uint64_t)layer->size, (uint64_t)layer->size);
			continue;
		}
		struct cv_blob_fetch *fetch = &pull->fetches[count];
		pull->layer_index[count] = (unsigned)i;
		fetch->digest = layer->digest;
		fetch->size = (uint64_t)layer->size;
		fetch->user = &pull->layer_index[count];
		fetch->fd = -1;
		if (cv_store_ingest_open(store, layer->digest, &fetch->fd, &fetch->offset) < 0) {
			result = store_failed(pull);
			goto out;
		}
		count++;
	}
	result = cv_registry_fetch_blobs(registry, repository, pull->fetches, count, pull->options->max_parallel,
	                                 fetch_progress, fetch_done, pull);
	if (result == 0 && pull->commit_failed)
		result = cv_error_restore(&pull->commit_error);
	for (i = 0; i < count; i++) {
		/* Bad content never stays: the next pull starts this blob afresh. */
		if (pull->fetches[i].corrupt)
			cv_store_ingest_abort(store, pull->fetches[i].digest);
	}
out:
	for (i = 0; i < manifest->layer_count; i++)
		if (pull->fetches[i].fd >= 0 && pull->fetches[i].digest != NULL)
			close(pull->fetches[i].fd);
	return result;
}

static int pull_image(struct cv_store *store, const struct cv_reference *reference, const char *name,
                      const struct containerv_registry_options *options, char *digest_out)
{
	cleanup_free char *config = NULL;
	struct cv_registry_options registry_options;
	struct cv_registry *registry = NULL;
	struct cv_registry_manifest raw = {0};
	struct cv_manifest manifest = {0};
	struct pull pull = {.options = options, .name = name, .store = store};
	size_t config_length = 0;
	const char *tag_or_digest = reference->digest ? reference->digest : reference->tag;
	int result = -1;

	cv_pull_registry_options(options, &registry_options);
	if (cv_registry_open(reference->domain, &registry_options, &registry) < 0)
		return -1;
	if (resolve_manifest(registry, reference->path, tag_or_digest, options, &raw) < 0)
		goto out;
	if (cv_manifest_parse(raw.body, raw.length, &manifest) < 0) {
		cv_error_prefix("registry %s: manifest %s@%s", registry->name, reference->path, raw.digest);
		goto out;
	}
	if (raw.media_type[0] != '\0' && strcmp(raw.media_type, manifest.media_type) != 0) {
		cv_error_errno(EINVAL, "registry %s: manifest %s@%s: served as \"%.100s\" but is %s", registry->name,
		               reference->path, raw.digest, raw.media_type, manifest.media_type);
		goto out;
	}
	if (strcmp(manifest.config.media_type, CV_MEDIA_OCI_CONFIG) != 0 &&
	    strcmp(manifest.config.media_type, CV_MEDIA_DOCKER_CONFIG) != 0) {
		cv_error_errno(EMEDIUMTYPE,
		               "registry %s: manifest %s@%s: not a container image (config media type \"%.100s\")",
		               registry->name, reference->path, raw.digest, manifest.config.media_type);
		goto out;
	}
	pull.layer_count = (unsigned)manifest.layer_count;
	report(&pull, CONTAINERV_TRANSFER_RESOLVED, raw.digest, 0, 0, 0);

	if (!cv_store_blob_exists(store, manifest.config.digest)) {
		if (manifest.config.size > (int64_t)CV_STORE_CONFIG_MAX) {
			cv_error_errno(EFBIG, "registry %s: config %s of %s: %lld bytes, more than %u", registry->name,
			               manifest.config.digest, reference->path, (long long)manifest.config.size,
			               CV_STORE_CONFIG_MAX);
			goto out;
		}
		if (cv_registry_get_blob(registry, reference->path, manifest.config.digest,
		                         (uint64_t)manifest.config.size, CV_STORE_CONFIG_MAX, &config) < 0)
			goto out;
		if (cv_store_put_blob(store, config, (size_t)manifest.config.size, manifest.config.digest, NULL) < 0) {
			store_failed(&pull);
			goto out;
		}
	}
	/* Layers unpack as they arrive (best effort; the final unpack does what is left). */
	if (config == NULL)
		cv_store_read_blob(store, manifest.config.digest, CV_STORE_CONFIG_MAX, &config, &config_length);
	else
		config_length = (size_t)manifest.config.size;
	if (config != NULL && check_platform(options, config, config_length) < 0) {
		cv_error_prefix("registry %s: %s:%s", registry->name, reference->path, tag_or_digest);
		goto out;
	}
	if (config != NULL)
		cv_unpack_pool_start(store, &manifest, config, config_length, &pull.unpacker);
	int fetched = fetch_layers(store, registry, reference->path, &manifest, &pull);
	cv_unpack_pool_finish(pull.unpacker);
	pull.unpacker = NULL;
	if (fetched < 0)
		goto out;
	/* The manifest enters the store only once everything it names is there. */
	if (cv_store_put_blob(store, raw.body, raw.length, raw.digest, NULL) < 0) {
		store_failed(&pull);
		goto out;
	}
	report(&pull, CONTAINERV_TRANSFER_UNPACKING, raw.digest, 0, 0, 0);
	if (cv_store_unpack_image(store, raw.digest) < 0 ||
	    cv_store_tag(store, name, raw.digest, manifest.media_type, (int64_t)raw.length) < 0) {
		store_failed(&pull);
		goto out;
	}
	report(&pull, CONTAINERV_TRANSFER_DONE, raw.digest, 0, 0, 0);
	if (digest_out != NULL)
		memcpy(digest_out, raw.digest, sizeof raw.digest);
	result = 0;
out:
	free(pull.fetches);
	free(pull.layer_index);
	free(pull.committed);
	cv_manifest_clear(&manifest);
	cv_registry_manifest_clear(&raw);
	cv_registry_free(registry);
	return result;
}

CONTAINERV_API int containerv_image_pull(const char *reference, const struct containerv_registry_options *options,
                                         char *digest)
{
	const struct containerv_registry_options defaults = CONTAINERV_REGISTRY_OPTIONS_INIT;
	struct cv_reference parsed = {0};
	cleanup_free char *name = NULL;
	struct cv_store *store = NULL;
	int result = -1;

	cv_error_clear();
	if (options == NULL)
		options = &defaults;
	if (options->version != CONTAINERV_REGISTRY_OPTIONS_VERSION)
		return cv_error_errno(EINVAL, "pull %s: unknown options version %u", reference ? reference : "(null)",
		                      options->version);
	if (reference == NULL)
		return cv_error_errno(EINVAL, "pull: no reference");
	if (cv_reference_parse(reference, &parsed) < 0 || cv_reference_format(&parsed, &name) < 0) {
		cv_error_prefix("pull %s", reference);
		goto out;
	}
	if (cv_store_open(&store) < 0 || cv_store_lock(store, LOCK_SH) < 0) {
		cv_error_prefix("pull %s", name);
		goto out;
	}
	/* Its errors say what failed already (the registry's name it, pull_image prefixes the store's). */
	result = pull_image(store, &parsed, name, options, digest);
	/* docker's: Actor.ID the reference pulled. */
	if (result == 0) {
		cleanup_free char *attribute = NULL;
		if (cv_asprintf(&attribute, "name=%s", name) == 0)
			cv_journal_note("image", "pull", name, (const char *const[]){attribute, NULL});
	}
out:
	cv_store_close(store);
	cv_reference_clear(&parsed);
	return result;
}
