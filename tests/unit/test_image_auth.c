/*
 * The registry client's parsers of hostile input and its auth files:
 * WWW-Authenticate challenges, base64, Location resolution and origins,
 * platform selection from an index, and the auth file round trip (0600).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "common/util.h"
#include "image/auth.h"
#include "image/http.h"
#include "image/platform.h"
#include "test.h"

TEST(challenge_bearer)
{
	struct cv_auth_challenge c;
	CHECK_OK(cv_auth_challenge_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
	                                 "scope=\"repository:library/busybox:pull\"",
	                                 &c));
	CHECK_EQ_INT(c.scheme, CV_AUTH_BEARER);
	CHECK_EQ_STR(c.realm, "https://auth.docker.io/token");
	CHECK_EQ_STR(c.service, "registry.docker.io");
	CHECK_EQ_STR(c.scope, "repository:library/busybox:pull");
	cv_auth_challenge_clear(&c);
	/* Unquoted values, spaces after commas, escapes, unknown parameters. */
	CHECK_OK(cv_auth_challenge_parse("bearer realm=http://127.0.0.1:1/t, error=\"insufficient_scope\", "
	                                 "service=\"a\\\"b\"",
	                                 &c));
	CHECK_EQ_STR(c.realm, "http://127.0.0.1:1/t");
	CHECK_EQ_STR(c.service, "a\"b");
	CHECK(c.scope == NULL);
	cv_auth_challenge_clear(&c);
}

TEST(challenge_basic)
{
	struct cv_auth_challenge c;
	CHECK_OK(cv_auth_challenge_parse("Basic realm=\"containerv-test\"", &c));
	CHECK_EQ_INT(c.scheme, CV_AUTH_BASIC);
	CHECK_EQ_STR(c.realm, "containerv-test");
	cv_auth_challenge_clear(&c);
}

TEST(challenge_refused)
{
	static const char *const bad[] = {
	        "Negotiate abc",
	        "Bearer",
	        "Bearer realm=\"unterminated",
	        "Bearer realm=\"a\"x=1",
	        "Bearer =\"x\"",
	        "Bearer service=x",
	        "Bearer realm=\"a\x01\"",
	        "Digest realm=x",
	        "Bearer realm=a,,,,,b c",
	        "",
	};
	struct cv_auth_challenge c;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (cv_auth_challenge_parse(bad[i], &c) == 0) {
			fprintf(stderr, "  accepted: %s\n", bad[i]);
			cv_auth_challenge_clear(&c);
			CHECK(0);
		}
	}
	/* Very long headers are refused, not copied. */
	char *huge = malloc(10000);
	CHECK(huge != NULL);
	memset(huge, 'a', 9999);
	memcpy(huge, "Bearer realm=", 13);
	huge[9999] = '\0';
	CHECK(cv_auth_challenge_parse(huge, &c) == -1);
	free(huge);
}

/* Every truncation and many one-byte changes of real challenges: parsed or refused, never a crash (ASan). */
TEST(challenge_mutations)
{
	static const char *const seeds[] = {
	        "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"a:b:pull\"",
	        "Basic realm=\"x\\\"y\"",
	        "Bearer realm=http://127.0.0.1:1/t,error=insufficient_scope",
	};
	static const char replacements[] = {'"', '\\', ',', '=', ' ', '\x01', '\x7f', '\xff', 'a', '\0'};
	char buffer[256];
	struct cv_auth_challenge c;

	for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
		size_t length = strlen(seeds[s]);
		for (size_t cut = 0; cut <= length; cut++) {
			memcpy(buffer, seeds[s], cut);
			buffer[cut] = '\0';
			if (cv_auth_challenge_parse(buffer, &c) == 0)
				cv_auth_challenge_clear(&c);
			for (size_t r = 0; r < sizeof replacements && cut < length; r++) {
				memcpy(buffer, seeds[s], length + 1);
				buffer[cut] = replacements[r];
				if (cv_auth_challenge_parse(buffer, &c) == 0)
					cv_auth_challenge_clear(&c);
			}
		}
	}
}

TEST(base64_round_trip)
{
	static const char *const samples[] = {"", "a", "ab", "abc", "alice:s3cr:et", "\xff\x00"};
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		char *encoded, *decoded;
		size_t length, original = strlen(samples[i]);
		CHECK_OK(cv_base64_encode(samples[i], original, &encoded));
		CHECK_OK(cv_base64_decode(encoded, &decoded, &length));
		CHECK_EQ_INT(length, original);
		CHECK(memcmp(decoded, samples[i], length) == 0);
		free(encoded);
		free(decoded);
	}
	char *out;
	size_t length;
	CHECK(cv_base64_decode("abc", &out, &length) == -1);
	CHECK(cv_base64_decode("a$==", &out, &length) == -1);
}

TEST(location_resolution)
{
	char out[512];
	CHECK_OK(cv_http_resolve("http://127.0.0.1:5000/v2/x/blobs/uploads/", "/v2/x/blobs/uploads/u1?_state=abc", out,
	                         sizeof out));
	CHECK_EQ_STR(out, "http://127.0.0.1:5000/v2/x/blobs/uploads/u1?_state=abc");
	CHECK_OK(cv_http_resolve("http://127.0.0.1:5000/v2/", "https://other:9/b?x=1", out, sizeof out));
	CHECK_EQ_STR(out, "https://other:9/b?x=1");
	CHECK(cv_http_resolve("http://127.0.0.1:5000/v2/", "file:///etc/passwd", out, sizeof out) == -1);
	CHECK(cv_http_same_origin("http://127.0.0.1:5000/a", "http://127.0.0.1:5000/b?c"));
	CHECK(cv_http_same_origin("https://h/a", "https://h:443/b"));
	CHECK(!cv_http_same_origin("http://127.0.0.1:5000/a", "http://127.0.0.1:5001/a"));
	CHECK(!cv_http_same_origin("http://h/a", "https://h/a"));
}

static const char index_json[] =
        "{\"schemaVersion\":2,\"manifests\":["
        "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":10,"
        "\"digest\":\"sha256:1111111111111111111111111111111111111111111111111111111111111111\","
        "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
        "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":11,"
        "\"digest\":\"sha256:2222222222222222222222222222222222222222222222222222222222222222\","
        "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
        "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":12,"
        "\"digest\":\"sha256:3333333333333333333333333333333333333333333333333333333333333333\","
        "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}}]}";

TEST(platform_selection)
{
	struct cv_platform p;
	char digest[72], type[128];
	long long size;

	CHECK_OK(cv_platform_parse("linux/arm64", &p));
	CHECK_OK(cv_platform_select(index_json, strlen(index_json), &p, digest, type, sizeof type, &size));
	CHECK(strstr(digest, "1111") != NULL);
	CHECK_EQ_INT(size, 10);
	CHECK_OK(cv_platform_parse("linux/amd64", &p));
	CHECK_OK(cv_platform_select(index_json, strlen(index_json), &p, digest, type, sizeof type, &size));
	CHECK(strstr(digest, "2222") != NULL);
	CHECK_OK(cv_platform_parse("linux/arm/v7", &p));
	CHECK_OK(cv_platform_select(index_json, strlen(index_json), &p, digest, type, sizeof type, &size));
	CHECK(strstr(digest, "3333") != NULL);
	CHECK_OK(cv_platform_parse("linux/s390x", &p));
	CHECK(cv_platform_select(index_json, strlen(index_json), &p, digest, type, sizeof type, &size) == -1);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK(strstr(containerv_last_error(), "linux/amd64") != NULL);
	CHECK(cv_platform_parse("linux", &p) == -1);
	CHECK(cv_platform_parse("linux/AMD64", &p) == -1);
	CHECK(cv_platform_parse("a/b/c/d", &p) == -1);
	CHECK(cv_platform_select("[]", 2, &p, digest, type, sizeof type, &size) == -1);
}

TEST(auth_file_round_trip)
{
	char dir[] = "/tmp/cvauth.XXXXXX";
	char path[128];
	struct cv_credentials c;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/sub/auth.json", dir);
	CHECK_OK(cv_authfile_store(path, "127.0.0.1:5000", "alice", "pa:ss"));
	CHECK_OK(cv_authfile_store(path, "other:1", "bob", "x"));
	CHECK(stat(path, &st) == 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	CHECK_EQ_INT(cv_authfile_lookup(path, "127.0.0.1:5000", &c), 1);
	CHECK_EQ_STR(c.username, "alice");
	CHECK_EQ_STR(c.password, "pa:ss");
	cv_credentials_clear(&c);
	CHECK_EQ_INT(cv_authfile_lookup(path, "127.0.0.1:5001", &c), 0);
	CHECK_EQ_INT(cv_authfile_remove(path, "127.0.0.1:5000"), 1);
	CHECK_EQ_INT(cv_authfile_remove(path, "127.0.0.1:5000"), 0);
	CHECK_EQ_INT(cv_authfile_lookup(path, "127.0.0.1:5000", &c), 0);
	CHECK_EQ_INT(cv_authfile_lookup(path, "other:1", &c), 1);
	cv_credentials_clear(&c);

	/* Docker's own keys ("https://host/v1/"), and a malformed file is an error, not "no credentials". */
	snprintf(path, sizeof path, "%s/docker.json", dir);
	const char docker[] = "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"dTpw\"}}}";
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, docker, sizeof docker - 1) == (ssize_t)(sizeof docker - 1));
	close(fd);
	CHECK_EQ_INT(cv_authfile_lookup(path, "docker.io", &c), 1);
	CHECK_EQ_STR(c.username, "u");
	CHECK_EQ_STR(c.password, "p");
	cv_credentials_clear(&c);
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0 && write(fd, "{\"auths\":{\"h\":{\"auth\":\"!!\"}}}", 29) == 29);
	close(fd);
	CHECK_EQ_INT(cv_authfile_lookup(path, "h", &c), -1);
	CHECK(cv_rm_rf(dir) == 0);
}

int main(void)
{
	RUN(challenge_bearer);
	RUN(challenge_basic);
	RUN(challenge_refused);
	RUN(challenge_mutations);
	RUN(base64_round_trip);
	RUN(location_resolution);
	RUN(platform_selection);
	RUN(auth_file_round_trip);
	return cv_test_summary();
}
