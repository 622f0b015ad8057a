/*
 * Manifest and config parsing against hostile JSON: wrong types, bad
 * digests, negative sizes, unknown media types, an index where a manifest
 * is expected, too many layers; chain ids against the OCI spec's rule;
 * and a burst of random bytes that must only ever give one-line errors.
 */
#include <chef/containerv.h>

#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/util.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/store.h"
#include "test.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static const char good_manifest[] =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1 "\",\"size\":7},"
        "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" D2 "\","
        "\"size\":9}]}";

static void check_manifest_refused(const char *text, int expected_errno)
{
	struct cv_manifest manifest;

	errno = 0;
	if (cv_manifest_parse(text, strlen(text), &manifest) == 0) {
		fprintf(stderr, "  accepted: %s\n", text);
		cv_manifest_clear(&manifest);
		CHECK(!"a bad manifest was accepted");
	}
	CHECK_EQ_INT(errno, expected_errno);
	CHECK(manifest.layers == NULL && manifest.media_type == NULL);
	CHECK(strchr(containerv_last_error(), '\n') == NULL);
}

TEST(good_manifest_parses)
{
	struct cv_manifest manifest;

	CHECK_OK(cv_manifest_parse(good_manifest, strlen(good_manifest), &manifest));
	CHECK_EQ_STR(manifest.config.digest, D1);
	CHECK_EQ_INT(manifest.layer_count, 1);
	CHECK_EQ_STR(manifest.layers[0].digest, D2);
	CHECK_EQ_INT(manifest.layers[0].size, 9);
	CHECK_EQ_INT(cv_layer_media_compression(manifest.layers[0].media_type), CV_LAYER_GZIP);
	cv_manifest_clear(&manifest);
	CHECK_EQ_INT(cv_layer_media_compression(CV_MEDIA_OCI_LAYER_ZSTD), CV_LAYER_ZSTD);
	CHECK_EQ_INT(cv_layer_media_compression("application/vnd.docker.image.rootfs.diff.tar.gzip"), CV_LAYER_GZIP);
	CHECK_EQ_INT(cv_layer_media_compression("text/html"), -1);
}

TEST(hostile_manifests_are_refused)
{
	char *many = NULL;
	size_t used;

	check_manifest_refused("", EINVAL);
	check_manifest_refused("[]", EINVAL);
	check_manifest_refused("{\"schemaVersion\":2", EINVAL);
	check_manifest_refused("{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}",
	                       EMEDIUMTYPE);
	check_manifest_refused("{\"schemaVersion\":2,\"manifests\":[]}", EINVAL);
	check_manifest_refused("{\"mediaType\":\"application/vnd.docker.distribution.manifest.v1+json\"}", EINVAL);
	check_manifest_refused(
	        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	        "\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:../../etc\",\"size\":1},\"layers\":[]}",
	        EINVAL);
	check_manifest_refused("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	                       "\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}",
	                       EINVAL);
	check_manifest_refused("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	                       "\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":1},\"layers\":{}}",
	                       EINVAL);
	check_manifest_refused("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	                       "\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1
	                       "\",\"size\":1},\"layers\":[{\"mediaType\":"
	                       "\"text/plain\",\"digest\":\"" D2 "\",\"size\":1}]}",
	                       EINVAL);
	check_manifest_refused("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	                       "\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":\"1\"},\"layers\":[]}",
	                       EINVAL);
	/* A hostile media type with a newline and an escape: still one line. */
	check_manifest_refused("{\"mediaType\":\"x\\ny\\u001b[31m\"}", EINVAL);
	CHECK(strchr(containerv_last_error(), '\033') == NULL);
	/* Duplicate keys could make two parsers see two manifests. */
	check_manifest_refused("{\"schemaVersion\":2,\"schemaVersion\":2}", EINVAL);
	/* 300 layers: more than any image has. */
	CHECK_OK(cv_asprintf(&many, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	                            "\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1 "\",\"size\":1},\"layers\":["));
	for (int i = 0; i < 300; i++) {
		char *grown = NULL;
		CHECK_OK(cv_asprintf(&grown, "%s%s{\"mediaType\":\"%s\",\"digest\":\"" D2 "\",\"size\":1}", many,
		                     i ? "," : "", CV_MEDIA_OCI_LAYER));
		free(many);
		many = grown;
	}
	used = strlen(many);
	many = realloc(many, used + 3);
	strcpy(many + used, "]}");
	check_manifest_refused(many, EINVAL);
	CHECK(strstr(containerv_last_error(), "more than 256") != NULL);
	free(many);
}

TEST(configs_and_chain_ids)
{
	struct cv_image_config config;
	const char *text =
	        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/e\"],\"Cmd\":[\"a\","
	        "\"b\"],\"Env\":[\"A=1\"],\"WorkingDir\":\"/w\",\"User\":\"1:2\",\"Labels\":{\"k\":\"v\"},"
	        "\"Volumes\":{\"/data\":{}},\"ExposedPorts\":{\"80/tcp\":{}},\"StopSignal\":\"SIGINT\"},"
	        "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]}}";
	char chains[2][72], joined[200], expected[72];

	CHECK_OK(cv_image_config_parse(text, strlen(text), &config));
	CHECK_EQ_STR(config.entrypoint[0], "/e");
	CHECK_EQ_STR(config.cmd[1], "b");
	CHECK_EQ_STR(config.env[0], "A=1");
	CHECK_EQ_STR(config.labels[0], "k=v");
	CHECK_EQ_STR(config.volumes[0], "/data");
	CHECK_EQ_STR(config.exposed_ports[0], "80/tcp");
	CHECK_EQ_STR(config.working_dir, "/w");
	CHECK_EQ_STR(config.user, "1:2");
	CHECK_EQ_STR(config.stop_signal, "SIGINT");
	CHECK_EQ_INT(config.diff_id_count, 2);
	CHECK_OK(cv_chain_ids(config.diff_ids, 2, chains));
	CHECK_EQ_STR(chains[0], D1);
	snprintf(joined, sizeof joined, "%s %s", D1, D2);
	CHECK_OK(cv_digest_buffer(joined, strlen(joined), expected));
	CHECK_EQ_STR(chains[1], expected);
	cv_image_config_clear(&config);

	static const char *const bad[] = {
	        "{}",
	        "{\"rootfs\":{\"type\":\"tar\",\"diff_ids\":[]}}",
	        "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":\"x\"}}",
	        "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:short\"]}}",
	        "{\"config\":{\"Cmd\":[1]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	        "{\"config\":{\"Env\":{}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	        "{\"config\":{\"Labels\":{\"k\":1}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	        "{\"config\":{\"User\":7},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	        "{\"config\":[],\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		CHECK(cv_image_config_parse(bad[i], strlen(bad[i]), &config) != 0);
		CHECK_EQ_INT(errno, EINVAL);
		CHECK(config.diff_ids == NULL && config.cmd == NULL);
	}
}

TEST(random_bytes_give_one_line_errors)
{
	unsigned int seed = 4;
	char buffer[600];

	for (int round = 0; round < 20000; round++) {
		size_t length = (size_t)(rand_r(&seed) % 500);
		struct cv_reference ref;
		struct cv_manifest manifest;
		struct cv_image_config config;

		for (size_t i = 0; i < length; i++) {
			/* Mostly the characters the grammars care about, some anything. */
			static const char alphabet[] = "abcz09._-/:@AZsha256{}[]\",:";
			int r = rand_r(&seed);
			buffer[i] = (r % 8 == 0) ? (char)(r >> 8) : alphabet[(r >> 3) % (sizeof alphabet - 1)];
			if (buffer[i] == '\0')
				buffer[i] = 'x';
		}
		buffer[length] = '\0';
		if (cv_reference_parse(buffer, &ref) == 0) {
			char *formatted = NULL;
			struct cv_reference again;
			/* Whatever parses formats to a reference that parses to itself. */
			CHECK_OK(cv_reference_format(&ref, &formatted));
			CHECK_OK(cv_reference_parse(formatted, &again));
			cv_reference_clear(&again);
			free(formatted);
			cv_reference_clear(&ref);
		} else {
			CHECK(strchr(containerv_last_error(), '\n') == NULL);
		}
		if (cv_manifest_parse(buffer, length, &manifest) == 0)
			cv_manifest_clear(&manifest);
		if (cv_image_config_parse(buffer, length, &config) == 0)
			cv_image_config_clear(&config);
	}
}

int main(void)
{
	RUN(good_manifest_parses);
	RUN(hostile_manifests_are_refused);
	RUN(configs_and_chain_ids);
	RUN(random_bytes_give_one_line_errors);
	return cv_test_summary();
}
