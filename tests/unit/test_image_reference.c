/*
 * Digests and image references: docker's normalization rules and hostile
 * input (over-long, control characters, uppercase, bad digests, "..").
 */
#include <chef/containerv.h>

#include <string.h>

#include "common/digest.h"
#include "image/reference.h"
#include "test.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

TEST(digest_of_known_strings)
{
	char digest[72];
	struct cv_digester *d = NULL;

	CHECK_OK(cv_digest_buffer("", 0, digest));
	CHECK_EQ_STR(digest, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_OK(cv_digester_new(&d));
	CHECK_OK(cv_digester_update(d, "ab", 2));
	CHECK_OK(cv_digester_update(d, "c", 1));
	CHECK_OK(cv_digester_final(d, digest));
	CHECK(cv_digester_update(d, "x", 1) != 0);
	cv_digester_free(d);
	cv_digester_free(NULL);
	CHECK_EQ_STR(digest, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(digest_validation)
{
	CHECK(cv_digest_is_valid("sha256:" HEX64));
	CHECK(!cv_digest_is_valid(NULL));
	CHECK(!cv_digest_is_valid(""));
	CHECK(!cv_digest_is_valid("sha256:"));
	CHECK(!cv_digest_is_valid("sha256:" HEX64 "0"));
	CHECK(!cv_digest_is_valid("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
	CHECK(!cv_digest_is_valid("sha512:" HEX64));
	CHECK(!cv_digest_is_valid("sha256:../../../../etc/passwd/0123456789abcdef0123456789abcdef012345"));
	CHECK(!cv_digest_is_valid(HEX64));
}

static void check_parse(const char *text, const char *domain, const char *path, const char *tag, const char *digest,
                        const char *formatted)
{
	struct cv_reference ref;
	char *out = NULL;

	CHECK_OK(cv_reference_parse(text, &ref));
	CHECK_EQ_STR(ref.domain, domain);
	CHECK_EQ_STR(ref.path, path);
	if (tag == NULL)
		CHECK(ref.tag == NULL);
	else
		CHECK_EQ_STR(ref.tag, tag);
	if (digest == NULL)
		CHECK(ref.digest == NULL);
	else
		CHECK_EQ_STR(ref.digest, digest);
	CHECK_OK(cv_reference_format(&ref, &out));
	CHECK_EQ_STR(out, formatted);
	free(out);
	cv_reference_clear(&ref);
	cv_reference_clear(&ref); /* idempotent */
}

TEST(docker_normalization)
{
	check_parse("busybox", "docker.io", "library/busybox", "latest", NULL, "docker.io/library/busybox:latest");
	check_parse("busybox:1.36", "docker.io", "library/busybox", "1.36", NULL, "docker.io/library/busybox:1.36");
	check_parse("user/app", "docker.io", "user/app", "latest", NULL, "docker.io/user/app:latest");
	check_parse("docker.io/busybox", "docker.io", "library/busybox", "latest", NULL,
	            "docker.io/library/busybox:latest");
	check_parse("index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", NULL,
	            "docker.io/library/busybox:latest");
	check_parse("localhost/x", "localhost", "x", "latest", NULL, "localhost/x:latest");
	check_parse("localhost:5000/ns/x:1@sha256:" HEX64, "localhost:5000", "ns/x", "1", "sha256:" HEX64,
	            "localhost:5000/ns/x:1@sha256:" HEX64);
	check_parse("quay.io/a/b/c", "quay.io", "a/b/c", "latest", NULL, "quay.io/a/b/c:latest");
	check_parse("busybox@sha256:" HEX64, "docker.io", "library/busybox", NULL, "sha256:" HEX64,
	            "docker.io/library/busybox@sha256:" HEX64);
	check_parse("127.0.0.1:5000/a_b__c.d-e--f:V1.0_x-y", "127.0.0.1:5000", "a_b__c.d-e--f", "V1.0_x-y", NULL,
	            "127.0.0.1:5000/a_b__c.d-e--f:V1.0_x-y");
	/* A capitalized first component is a domain, as docker decides. */
	check_parse("Registry/x", "Registry", "x", "latest", NULL, "Registry/x:latest");
	check_parse("my-host.example:443/team/app:_t", "my-host.example:443", "team/app", "_t", NULL,
	            "my-host.example:443/team/app:_t");
}

static void check_refused(const char *text)
{
	struct cv_reference ref;

	errno = 0;
	if (cv_reference_parse(text, &ref) == 0) {
		fprintf(stderr, "  accepted: \"%s\"\n", text);
		CHECK(!"a hostile reference was accepted");
	}
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(ref.domain == NULL && ref.path == NULL && ref.tag == NULL && ref.digest == NULL);
	CHECK(strchr(containerv_last_error(), '\n') == NULL);
	CHECK(strlen(containerv_last_error()) < 400);
}

TEST(hostile_references_are_refused)
{
	char long_name[700], long_tag[300], long_path[300];

	check_refused("");
	check_refused("BusyBox");
	check_refused("library/BusyBox");
	check_refused("busybox:");
	check_refused("busybox:-tag");
	check_refused("busybox:.tag");
	check_refused(":tag");
	check_refused("@sha256:" HEX64);
	check_refused("busybox@sha256:abc");
	check_refused("busybox@sha512:" HEX64);
	check_refused("busybox@sha256:" HEX64 "@sha256:" HEX64);
	check_refused("busy box");
	check_refused("busybox\n");
	check_refused("busy\tbox");
	check_refused("b\xc3\xa9");
	check_refused("../busybox");
	check_refused("a/../b");
	check_refused("a//b");
	check_refused("a/");
	check_refused("/a");
	check_refused("a_");
	check_refused("a___b");
	check_refused("a-");
	check_refused("-a");
	check_refused("a..b");
	check_refused("a._b");
	check_refused("host:port/x");
	check_refused("host:123456/x");
	check_refused("-host.com/x");
	check_refused("host..com/x");
	check_refused("host.com./x");
	check_refused(HEX64);
	memset(long_name, 'a', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	check_refused(long_name);
	memset(long_tag, 'a', sizeof long_tag - 1);
	long_tag[sizeof long_tag - 1] = '\0';
	long_tag[1] = ':';
	check_refused(long_tag); /* a tag of 298 characters */
	memset(long_path, 'a', sizeof long_path - 1);
	long_path[sizeof long_path - 1] = '\0';
	check_refused(long_path); /* a name of 299 characters (> 255 with docker.io/library/) */
	check_refused(NULL);
}

TEST(tag_of_128_is_accepted_129_is_not)
{
	char text[200] = "x:";
	struct cv_reference ref;

	memset(text + 2, 't', 128);
	text[130] = '\0';
	CHECK_OK(cv_reference_parse(text, &ref));
	CHECK_EQ_INT(strlen(ref.tag), 128);
	cv_reference_clear(&ref);
	text[130] = 't';
	text[131] = '\0';
	CHECK(cv_reference_parse(text, &ref) != 0);
}

int main(void)
{
	RUN(digest_of_known_strings);
	RUN(digest_validation);
	RUN(docker_normalization);
	RUN(hostile_references_are_refused);
	RUN(tag_of_128_is_accepted_129_is_not);
	return cv_test_summary();
}
