/*
 * spec/: docker's syntax into options. Good values land in the options as
 * docker means them; bad ones fail with EINVAL (or the system's error),
 * add nothing, and give the exact line the CLI prints after "containerv: ".
 * Hostile text: over-long, separators in odd places, "..", empty fields.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "config/options.h"
#include "spec/spec-internal.h"
#include "test.h"

static char root[128];    /* the state root of the image tests */
static char scratch[128]; /* files and directories of the tests */

static struct containerv_options *new_options(void)
{
	struct containerv_options *options = NULL;

	CHECK_OK(containerv_options_new(&options));
	return options;
}

/* call failed with err, the message is exactly expected and nothing was added. */
#define CHECK_REFUSED(call, err, expected)                                                                             \
	do {                                                                                                           \
		errno = 0;                                                                                             \
		CHECK_EQ_INT((call), -1);                                                                              \
		CHECK_EQ_INT(errno, (err));                                                                            \
		CHECK_EQ_STR(containerv_last_error(), (expected));                                                     \
	} while (0)

static const struct cv_mount *last_mount(const struct containerv_options *options)
{
	CHECK(options->mount_count > 0);
	return &options->mounts[options->mount_count - 1];
}

TEST(volume_flag_forms)
{
	struct containerv_options *o = new_options();
	const struct cv_mount *m;

	CHECK_OK(containerv_spec_add_volume(o, "/srv/missing-is-made-at-start:/data"));
	m = last_mount(o);
	CHECK_EQ_INT(m->type, CV_MOUNT_TYPE_BIND);
	CHECK_EQ_STR(m->source, "/srv/missing-is-made-at-start");
	CHECK_EQ_STR(m->target, "/data");
	CHECK_EQ_INT(m->flags, CV_MOUNT_RECURSIVE | CV_MOUNT_CREATE);
	CHECK_OK(containerv_spec_add_volume(o, "/h:/ro:ro,rshared,z,Z,nocopy"));
	m = last_mount(o);
	CHECK(m->flags & CV_MOUNT_READONLY);
	CHECK_EQ_INT(m->propagation, CV_PROPAGATION_SHARED);
	CHECK_OK(containerv_spec_add_volume(o, "/h:/rw:ro,rw,slave"));
	m = last_mount(o);
	CHECK(!(m->flags & CV_MOUNT_READONLY));
	CHECK_EQ_INT(m->propagation, CV_PROPAGATION_SLAVE);
	CHECK_OK(containerv_spec_add_volume(o, "keep:/store"));
	m = last_mount(o);
	CHECK_EQ_INT(m->type, CV_MOUNT_TYPE_VOLUME);
	CHECK_EQ_STR(m->source, "keep");
	CHECK_OK(containerv_spec_add_volume(o, "/scratch"));
	m = last_mount(o);
	CHECK_EQ_INT(m->type, CV_MOUNT_TYPE_VOLUME);
	CHECK_EQ_STR(m->source, "");
	CHECK_EQ_INT(o->mount_count, 5);
	containerv_options_delete(o);
}

TEST(volume_flag_refusals)
{
	struct containerv_options *o = new_options();
	char *long_text = malloc(CONTAINERV_SPEC_MOUNT_TEXT_MAX + 2);

	CHECK_REFUSED(containerv_spec_add_volume(o, "a:b:c:d"), EINVAL,
	              "invalid -v \"a:b:c:d\": expected [SOURCE:]TARGET[:OPTIONS]");
	CHECK_REFUSED(containerv_spec_add_volume(o, ""), EINVAL, "invalid -v \"\": expected [SOURCE:]TARGET[:OPTIONS]");
	CHECK_REFUSED(containerv_spec_add_volume(o, ":::"), EINVAL, "invalid -v \":::\": empty section between colons");
	/* As docker refuses them: an empty section is not a shorter spec. */
	CHECK_REFUSED(containerv_spec_add_volume(o, ":/data"), EINVAL,
	              "invalid -v \":/data\": empty section between colons");
	CHECK_REFUSED(containerv_spec_add_volume(o, "/h::/e"), EINVAL,
	              "invalid -v \"/h::/e\": empty section between colons");
	CHECK_REFUSED(containerv_spec_add_volume(o, "/h:/e:"), EINVAL,
	              "invalid -v \"/h:/e:\": empty section between colons");
	CHECK_REFUSED(containerv_spec_add_volume(o, "/h:/d:ro,bogus"), EINVAL,
	              "invalid -v \"/h:/d:ro,bogus\": unknown option \"bogus\"");
	CHECK_REFUSED(containerv_spec_add_volume(o, "/h:/d:ro=1"), EINVAL,
	              "invalid -v \"/h:/d:ro=1\": unknown option \"ro=1\"");
	CHECK_REFUSED(
	        containerv_spec_add_volume(o, "/h:relative"), EINVAL,
	        "invalid -v \"/h:relative\": invalid mount target \"relative\": use an absolute path other than / "
	        "without . or ..");
	CHECK_REFUSED(containerv_spec_add_volume(o, "/h:/a/../../etc"), EINVAL,
	              "invalid -v \"/h:/a/../../etc\": invalid mount target \"/a/../../etc\": use an absolute path "
	              "other than / without . or ..");
	CHECK_REFUSED(containerv_spec_add_volume(o, "/h:/"), EINVAL,
	              "invalid -v \"/h:/\": invalid mount target \"/\": use an absolute path other than / without . "
	              "or ..");
	/* Not a path: a volume name, and ".." is no volume name. */
	CHECK_REFUSED(containerv_spec_add_volume(o, "../../etc:/x"), EINVAL,
	              "invalid -v \"../../etc:/x\": invalid volume name \"../../etc\": use "
	              "[a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters");
	CHECK_REFUSED(containerv_spec_add_volume(o, "a=b,c:/x"), EINVAL,
	              "invalid -v \"a=b,c:/x\": invalid volume name \"a=b,c\": use "
	              "[a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters");
	CHECK(long_text != NULL);
	memset(long_text, 'a', CONTAINERV_SPEC_MOUNT_TEXT_MAX + 1);
	long_text[0] = '/';
	long_text[CONTAINERV_SPEC_MOUNT_TEXT_MAX + 1] = '\0';
	CHECK_REFUSED(containerv_spec_add_volume(o, long_text), EINVAL, "invalid -v: too long");
	CHECK_REFUSED(containerv_spec_add_mount(o, long_text), EINVAL, "invalid --mount: too long");
	CHECK_REFUSED(containerv_spec_add_tmpfs(o, long_text), EINVAL, "invalid --tmpfs: too long");
	/* At the limit it is parsed: a 4095-byte clean path is a target; a relative one is refused in one line. */
	long_text[CONTAINERV_SPEC_MOUNT_TEXT_MAX] = '\0';
	CHECK_OK(containerv_spec_add_volume(o, long_text));
	memcpy(long_text, "/h:", 3);
	CHECK_EQ_INT(containerv_spec_add_volume(o, long_text), -1);
	CHECK(strncmp(containerv_last_error(), "invalid -v \"/h:aaa", 18) == 0);
	CHECK(strchr(containerv_last_error(), '\n') == NULL);
	free(long_text);
	CHECK_OK(containerv_spec_add_volume(o, "/h:/a"));
	CHECK_REFUSED(containerv_spec_add_volume(o, "/h:/a"), EINVAL, "invalid -v \"/h:/a\": duplicate mount point /a");
	CHECK_EQ_INT(o->mount_count, 2);
	CHECK_REFUSED(containerv_spec_add_volume(NULL, "/h:/b"), EINVAL,
	              "invalid -v \"/h:/b\": add_mount: missing argument");
	CHECK_REFUSED(containerv_spec_add_volume(o, NULL), EINVAL, "invalid -v: missing");
	CHECK_EQ_INT(o->mount_count, 2);
	containerv_options_delete(o);
}

TEST(mount_flag_forms)
{
	struct containerv_options *o = new_options();
	const struct cv_mount *m;

	CHECK_OK(containerv_spec_add_mount(o, "type=bind,source=/tmp,target=/data,readonly"));
	m = last_mount(o);
	CHECK_EQ_INT(m->type, CV_MOUNT_TYPE_BIND);
	CHECK_EQ_STR(m->source, "/tmp");
	CHECK_EQ_INT(m->flags, CV_MOUNT_RECURSIVE | CV_MOUNT_READONLY); /* no CREATE: --mount's source must exist */
	CHECK_OK(containerv_spec_add_mount(o, "type=bind,src=/tmp,dst=/p,ro=1,ro=false,bind-propagation=rslave"));
	m = last_mount(o);
	CHECK(!(m->flags & CV_MOUNT_READONLY));
	CHECK_EQ_INT(m->propagation, CV_PROPAGATION_SLAVE);
	CHECK_OK(containerv_spec_add_mount(o, "type=tmpfs,destination=/t,tmpfs-size=2m,tmpfs-mode=1770"));
	m = last_mount(o);
	CHECK_EQ_INT(m->type, CV_MOUNT_TYPE_TMPFS);
	CHECK_EQ_INT(m->tmpfs_size, 2 * 1024 * 1024);
	CHECK_EQ_INT(m->tmpfs_mode, 01770);
	/* docker's default type is volume; the value is everything after the first "=". */
	CHECK_OK(containerv_spec_add_mount(o, "target=/a=b,,"));
	m = last_mount(o);
	CHECK_EQ_INT(m->type, CV_MOUNT_TYPE_VOLUME);
	CHECK_EQ_STR(m->target, "/a=b");
	CHECK_OK(containerv_spec_add_mount(o, "src=vol,target=/first,target=/v"));
	CHECK_EQ_STR(last_mount(o)->target, "/v"); /* the last one wins */
	containerv_options_delete(o);
}

TEST(mount_flag_refusals)
{
	struct containerv_options *o = new_options();

	CHECK_REFUSED(containerv_spec_add_mount(o, "type=nfs,target=/x"), EINVAL,
	              "invalid --mount \"type=nfs,target=/x\": unknown type \"nfs\"");
	CHECK_REFUSED(containerv_spec_add_mount(o, "type=bind,source=/tmp"), EINVAL,
	              "invalid --mount \"type=bind,source=/tmp\": target is required");
	CHECK_REFUSED(containerv_spec_add_mount(o, ""), EINVAL, "invalid --mount \"\": target is required");
	CHECK_REFUSED(containerv_spec_add_mount(o, "type=bind,source=/nonexistent-cvtest,target=/x"), ENOENT,
	              "invalid --mount \"type=bind,source=/nonexistent-cvtest,target=/x\": bind mount source "
	              "/nonexistent-cvtest: No such file or directory");
	CHECK_REFUSED(containerv_spec_add_mount(o, "type=bind,source=relative,target=/x"), EINVAL,
	              "invalid --mount \"type=bind,source=relative,target=/x\": bind mount /x: the source must be an "
	              "absolute host path");
	CHECK_REFUSED(containerv_spec_add_mount(o, "target=/x,readonly=maybe"), EINVAL,
	              "invalid --mount \"target=/x,readonly=maybe\": readonly takes true or false");
	CHECK_REFUSED(containerv_spec_add_mount(o, "target=/x,bind-propagation=wild"), EINVAL,
	              "invalid --mount \"target=/x,bind-propagation=wild\": unknown propagation \"wild\"");
	CHECK_REFUSED(containerv_spec_add_mount(o, "type=tmpfs,target=/x,tmpfs-mode=9"), EINVAL,
	              "invalid --mount \"type=tmpfs,target=/x,tmpfs-mode=9\": tmpfs-mode takes an octal mode");
	CHECK_REFUSED(containerv_spec_add_mount(o, "type=tmpfs,target=/x,tmpfs-mode=-1"), EINVAL,
	              "invalid --mount \"type=tmpfs,target=/x,tmpfs-mode=-1\": tmpfs-mode takes an octal mode");
	CHECK_REFUSED(containerv_spec_add_mount(o, "type=tmpfs,target=/x,tmpfs-mode=17777"), EINVAL,
	              "invalid --mount \"type=tmpfs,target=/x,tmpfs-mode=17777\": tmpfs-mode takes an octal mode");
	CHECK_REFUSED(containerv_spec_add_mount(o, "type=tmpfs,target=/x,tmpfs-size=12XB"), EINVAL,
	              "invalid --mount \"type=tmpfs,target=/x,tmpfs-size=12XB\": invalid size \"12XB\" (want a number "
	              "and a unit b, k, m, g or t)");
	CHECK_REFUSED(containerv_spec_add_mount(o, "=,=,"), EINVAL, "invalid --mount \"=,=,\": unknown field \"\"");
	CHECK_REFUSED(containerv_spec_add_mount(o, "target"), EINVAL,
	              "invalid --mount \"target\": unknown field \"target\"");
	CHECK_REFUSED(containerv_spec_add_mount(o, "type=volume,source=../x,target=/x"), EINVAL,
	              "invalid --mount \"type=volume,source=../x,target=/x\": invalid volume name \"../x\": use "
	              "[a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters");
	CHECK_REFUSED(containerv_spec_add_mount(o, "target=/x/.."), EINVAL,
	              "invalid --mount \"target=/x/..\": invalid mount target \"/x/..\": use an absolute path other "
	              "than / without . or ..");
	CHECK_EQ_INT(o->mount_count, 0);
	containerv_options_delete(o);
}

TEST(tmpfs_flag)
{
	struct containerv_options *o = new_options();
	const struct cv_mount *m;

	CHECK_OK(containerv_spec_add_tmpfs(o, "/t:size=1m,mode=700,uid=1,gid=4294967294,ro,rw,nosuid,nodev,noexec"));
	m = last_mount(o);
	CHECK_EQ_INT(m->type, CV_MOUNT_TYPE_TMPFS);
	CHECK_EQ_STR(m->target, "/t");
	CHECK_EQ_INT(m->tmpfs_size, 1024 * 1024);
	CHECK_EQ_INT(m->tmpfs_mode, 0700);
	CHECK_EQ_INT(m->tmpfs_uid, 1);
	CHECK_EQ_INT(m->tmpfs_gid, 4294967294U);
	CHECK(m->flags & CV_MOUNT_READONLY); /* rw does not undo ro for --tmpfs, as before */
	CHECK_OK(containerv_spec_add_tmpfs(o, "/plain"));
	CHECK_OK(containerv_spec_add_tmpfs(o, "/empty:,,"));
	CHECK_REFUSED(
	        containerv_spec_add_tmpfs(o, "/t2:size=12XB"), EINVAL,
	        "invalid --tmpfs \"/t2:size=12XB\": invalid size \"12XB\" (want a number and a unit b, k, m, g or t)");
	CHECK_REFUSED(containerv_spec_add_tmpfs(o, "/t2:mode=abc"), EINVAL,
	              "invalid --tmpfs \"/t2:mode=abc\": mode takes an octal mode");
	CHECK_REFUSED(containerv_spec_add_tmpfs(o, "/t2:uid=-1"), EINVAL, "invalid --tmpfs \"/t2:uid=-1\": bad uid");
	CHECK_REFUSED(containerv_spec_add_tmpfs(o, "/t2:gid=4294967295"), EINVAL,
	              "invalid --tmpfs \"/t2:gid=4294967295\": bad gid");
	CHECK_REFUSED(containerv_spec_add_tmpfs(o, "/t2:uid=99999999999999999999999"), EINVAL,
	              "invalid --tmpfs \"/t2:uid=99999999999999999999999\": bad uid");
	CHECK_REFUSED(containerv_spec_add_tmpfs(o, "/t2:exec"), EINVAL,
	              "invalid --tmpfs \"/t2:exec\": unknown option \"exec\"");
	CHECK_REFUSED(containerv_spec_add_tmpfs(o, "/t2:size"), EINVAL,
	              "invalid --tmpfs \"/t2:size\": unknown option \"size\"");
	CHECK_REFUSED(containerv_spec_add_tmpfs(o, "relative:size=1m"), EINVAL,
	              "invalid --tmpfs \"relative:size=1m\": invalid mount target \"relative\": use an absolute path "
	              "other than / without . or ..");
	CHECK_REFUSED(
	        containerv_spec_add_tmpfs(o, "/a/../b"), EINVAL,
	        "invalid --tmpfs \"/a/../b\": invalid mount target \"/a/../b\": use an absolute path other than / "
	        "without . or ..");
	CHECK_REFUSED(containerv_spec_add_tmpfs(o, ":size=1m"), EINVAL,
	              "invalid --tmpfs \":size=1m\": invalid mount target \"\": use an absolute path other than / "
	              "without . or ..");
	CHECK_EQ_INT(o->mount_count, 3);
	containerv_options_delete(o);
}

/* The value of key in the options' environment, or NULL. */
static const char *env_value(const struct containerv_options *o, const char *key)
{
	size_t length = strlen(key);

	for (size_t i = 0; o->env != NULL && o->env[i] != NULL; i++)
		if (strncmp(o->env[i], key, length) == 0 && o->env[i][length] == '=')
			return o->env[i] + length + 1;
	return NULL;
}

static void write_file(const char *path, const char *text, size_t length)
{
	FILE *file = fopen(path, "we");

	CHECK(file != NULL);
	CHECK_EQ_INT(fwrite(text, 1, length, file), length);
	CHECK_EQ_INT(fclose(file), 0);
}

TEST(env_flags_and_files)
{
	static const char content[] =
	        "# comment\n\n  \t# indented comment\nFROM_FILE=1\r\nOVERRIDDEN=file\n"
	        "  SPACED=a b=c\nCV_SPEC_HOST_ONLY\nCV_SPEC_UNSET\nNUL=before\0after\nLAST=no-newline";
	struct containerv_options *o = new_options();
	char path[256];

	CHECK_EQ_INT(setenv("CV_SPEC_HOST_ONLY", "copied", 1), 0);
	unsetenv("CV_SPEC_UNSET");
	snprintf(path, sizeof path, "%s/vars.env", scratch);
	write_file(path, content, sizeof content - 1);
	CHECK_OK(containerv_spec_add_env_file(o, path));
	CHECK_OK(containerv_spec_add_env(o, "OVERRIDDEN=flag"));
	CHECK_OK(containerv_spec_add_env(o, "EMPTY="));
	CHECK_EQ_STR(env_value(o, "FROM_FILE"), "1");
	CHECK_EQ_STR(env_value(o, "OVERRIDDEN"), "flag");
	CHECK_EQ_STR(env_value(o, "SPACED"), "a b=c");
	CHECK_EQ_STR(env_value(o, "CV_SPEC_HOST_ONLY"), "copied");
	CHECK(env_value(o, "CV_SPEC_UNSET") == NULL);
	CHECK_EQ_STR(env_value(o, "NUL"), "before"); /* a NUL ends the value, never a line */
	CHECK_EQ_STR(env_value(o, "LAST"), "no-newline");
	CHECK_EQ_STR(env_value(o, "EMPTY"), "");

	CHECK_REFUSED(containerv_spec_add_env(o, "=x"), EINVAL, "invalid environment variable \"=x\"");
	CHECK_REFUSED(containerv_spec_add_env(o, ""), EINVAL, "invalid environment variable \"\"");
	write_file(path, "GOOD=1\n=bad\n", 12);
	char expected[512];
	snprintf(expected, sizeof expected, "invalid environment variable \"=bad\" in %s", path);
	CHECK_REFUSED(containerv_spec_add_env_file(o, path), EINVAL, expected);
	snprintf(path, sizeof path, "%s/missing.env", scratch);
	snprintf(expected, sizeof expected, "open env file %s: No such file or directory", path);
	CHECK_REFUSED(containerv_spec_add_env_file(o, path), ENOENT, expected);
	snprintf(expected, sizeof expected, "read env file %s: Is a directory", scratch);
	CHECK_REFUSED(containerv_spec_add_env_file(o, scratch), EISDIR, expected);
	containerv_options_delete(o);
	unsetenv("CV_SPEC_HOST_ONLY");
}

TEST(user_flag)
{
	struct containerv_options *o = new_options();

	CHECK_OK(containerv_spec_set_user(o, "1000"));
	CHECK_EQ_INT(o->uid, 1000);
	CHECK_EQ_INT(o->gid, 0);
	CHECK_OK(containerv_spec_set_user(o, "4294967294:7"));
	CHECK_EQ_INT(o->uid, 4294967294U);
	CHECK_EQ_INT(o->gid, 7);
	static const char *const refused[] = {
	        "alice", "",   ":",          "1:",           ":1",    "+1",   "-1",
	        " 1",    "1 ", "4294967295", "1:4294967295", "1:2:3", "0x10", "99999999999999999999"};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		char expected[128];
		snprintf(expected, sizeof expected,
		         "invalid --user \"%s\": expected UID[:GID], or a name once the image or --rootfs is set",
		         refused[i]);
		CHECK_REFUSED(containerv_spec_set_user(o, refused[i]), EINVAL, expected);
	}
	CHECK_EQ_INT(o->uid, 4294967294U);
	containerv_options_delete(o);
}

TEST(limit_flags)
{
	struct containerv_spec_limit_flags flags = CONTAINERV_SPEC_LIMIT_FLAGS_INIT;
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;

	flags.memory = "64m";
	flags.memory_swap = "-1";
	flags.cpus = "0.5";
	flags.cpu_shares = "512";
	flags.cpuset_cpus = "0";
	flags.pids_limit = "0";
	flags.blkio_weight = "0";
	CHECK_OK(containerv_spec_parse_limits(&flags, &limits));
	CHECK_EQ_INT(limits.memory_bytes, 64 * 1024 * 1024);
	CHECK_EQ_INT(limits.memory_swap_bytes, -1);
	CHECK_EQ_INT(limits.cpu_quota_us, 50000);
	CHECK_EQ_INT(limits.cpu_shares, 512);
	CHECK_EQ_STR(limits.cpuset_cpus, "0");
	CHECK_EQ_INT(limits.pids_max, -1); /* docker's 0 is no limit */
	CHECK_EQ_INT(limits.io_weight, 0);

#define REFUSED_LIMIT(field, value, expected)                                                                          \
	do {                                                                                                           \
		struct containerv_spec_limit_flags bad = CONTAINERV_SPEC_LIMIT_FLAGS_INIT;                             \
		struct containerv_limits out = CONTAINERV_LIMITS_INIT;                                                 \
		bad.field = (value);                                                                                   \
		CHECK_REFUSED(containerv_spec_parse_limits(&bad, &out), EINVAL, (expected));                           \
	} while (0)
	REFUSED_LIMIT(memory_swap, "1g", "invalid --memory-swap \"1g\": it needs --memory too");
	REFUSED_LIMIT(cpu_shares, "1", "invalid --cpu-shares \"1\": expected an integer from 2 to 262144");
	REFUSED_LIMIT(cpu_shares, "2x", "invalid --cpu-shares \"2x\": expected an integer from 2 to 262144");
	REFUSED_LIMIT(pids_limit, "-2",
	              "invalid --pids-limit \"-2\": expected an integer from -1 to 9223372036854775807");
	REFUSED_LIMIT(
	        pids_limit, "99999999999999999999",
	        "invalid --pids-limit \"99999999999999999999\": expected an integer from -1 to 9223372036854775807");
	REFUSED_LIMIT(blkio_weight, "5", "invalid --blkio-weight \"5\": expected 0 or 10 to 1000");
	REFUSED_LIMIT(memory, "12XB",
	              "invalid --memory \"12XB\": invalid size \"12XB\" (want a number and a unit b, k, m, g or t)");
	char cpuset[160], expected_cpuset[256];
	memset(cpuset, '1', sizeof cpuset - 1);
	cpuset[sizeof cpuset - 1] = '\0';
	snprintf(expected_cpuset, sizeof expected_cpuset, "invalid --cpuset-mems \"%s\": too long", cpuset);
	REFUSED_LIMIT(cpuset_mems, cpuset, expected_cpuset);
	struct containerv_spec_limit_flags swap = CONTAINERV_SPEC_LIMIT_FLAGS_INIT;
	swap.memory = "1g";
	swap.memory_swap = "512m";
	CHECK_REFUSED(containerv_spec_parse_limits(&swap, &limits), EINVAL,
	              "invalid --memory-swap \"512m\": it must be at least --memory (1g)");
	swap.version = 99;
	CHECK_REFUSED(containerv_spec_parse_limits(&swap, &limits), EINVAL, "resource limits: unsupported version 99");
	REFUSED_LIMIT(cpus, "abc",
	              "invalid --cpus \"abc\": invalid cpus \"abc\" (want a decimal number with at most 3 decimals)");
}

TEST(pull_policy_and_paths)
{
	enum containerv_pull_policy policy = CONTAINERV_PULL_ALWAYS;

	CHECK_OK(containerv_spec_parse_pull_policy(NULL, &policy));
	CHECK_EQ_INT(policy, CONTAINERV_PULL_MISSING);
	CHECK_OK(containerv_spec_parse_pull_policy("always", &policy));
	CHECK_EQ_INT(policy, CONTAINERV_PULL_ALWAYS);
	CHECK_OK(containerv_spec_parse_pull_policy("never", &policy));
	CHECK_EQ_INT(policy, CONTAINERV_PULL_NEVER);
	CHECK_REFUSED(containerv_spec_parse_pull_policy("sometimes", &policy), EINVAL,
	              "invalid --pull sometimes: use missing, always or never");
	CHECK_REFUSED(containerv_spec_parse_pull_policy("Always", &policy), EINVAL,
	              "invalid --pull Always: use missing, always or never");
	CHECK_EQ_INT(policy, CONTAINERV_PULL_NEVER);

	CHECK(containerv_spec_image_is_path("/srv/rootfs"));
	CHECK(containerv_spec_image_is_path("./rootfs"));
	CHECK(containerv_spec_image_is_path("../rootfs"));
	CHECK(containerv_spec_image_is_path("."));
	CHECK(!containerv_spec_image_is_path(".."));
	CHECK(!containerv_spec_image_is_path("busybox"));
	CHECK(!containerv_spec_image_is_path("localhost:5000/x"));
	CHECK(!containerv_spec_image_is_path(NULL));
}

TEST(builtin_image_spellings)
{
	static const char *const builtin[] = {"busybox",
	                                      "busybox:latest",
	                                      "library/busybox",
	                                      "library/busybox:latest",
	                                      "docker.io/busybox",
	                                      "docker.io/busybox:latest",
	                                      "docker.io/library/busybox",
	                                      "docker.io/library/busybox:latest",
	                                      "index.docker.io/library/busybox"};
	static const char *const other[] = {
	        "busybox:1.36",
	        "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	        "evil/busybox",
	        "BUSYBOX",
	        "localhost/busybox",
	        "docker.io/library/busybox:latest/..",
	        "",
	        ":latest"};

	for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
		CHECK(cv_spec_is_builtin_image(builtin[i]));
	for (size_t i = 0; i < sizeof other / sizeof *other; i++)
		CHECK(!cv_spec_is_builtin_image(other[i]));
}

TEST(rootfs_directories)
{
	struct containerv_options *o = new_options();
	char path[256], expected[512];

	CHECK_OK(containerv_spec_set_rootfs(o, CV_TEST_ROOTFS "/./", 0));
	CHECK_EQ_STR(o->layers[0], CV_TEST_ROOTFS);
	CHECK_EQ_STR(o->argv[0], "/bin/sh");
	CHECK_REFUSED(containerv_spec_set_rootfs(o, "/nonexistent/rootfs", 1), ENOENT,
	              "rootfs /nonexistent/rootfs: No such file or directory");
	snprintf(path, sizeof path, "%s/a-file", scratch);
	write_file(path, "x", 1);
	snprintf(expected, sizeof expected, "rootfs %s: not a directory", path);
	CHECK_REFUSED(containerv_spec_set_rootfs(o, path, 1), ENOTDIR, expected);
	containerv_options_delete(o);
}

/* The IMAGE word: a path, a legacy rootfs directory, the built-in import, a refusal without pulling. */
TEST(image_resolution)
{
	struct containerv_spec_image_options spec = CONTAINERV_SPEC_IMAGE_OPTIONS_INIT;
	struct containerv_options *o;
	char search[256], directory[300], expected[512];

	if (geteuid() != 0)
		SKIP("images need root");
	snprintf(search, sizeof search, "%s/rootfs-dirs", scratch);
	snprintf(directory, sizeof directory, "%s/myfs", search);
	CHECK_EQ_INT(mkdir(search, 0700), 0);
	CHECK_EQ_INT(mkdir(directory, 0700), 0);
	spec.pull = CONTAINERV_PULL_NEVER;
	spec.rootfs_search_path = search;

	o = new_options();
	CHECK_OK(containerv_spec_set_image(o, "myfs:latest", &spec)); /* "NAME:latest" may be the directory NAME */
	CHECK_EQ_STR(o->layers[0], directory);
	CHECK_EQ_STR(o->argv[0], "/bin/sh");
	CHECK_OK(containerv_spec_set_image(o, CV_TEST_ROOTFS, &spec));
	CHECK_EQ_STR(o->layers[0], CV_TEST_ROOTFS);
	/* Never a directory outside the search path, nor a tagged name, nor anything with --pull never. */
	CHECK_REFUSED(containerv_spec_set_image(o, "myfs:1", &spec), ENOENT,
	              "image docker.io/library/myfs:1: not found");
	CHECK_REFUSED(containerv_spec_set_image(o, "rootfs-dirs/../rootfs-dirs/myfs", &spec), EINVAL,
	              "invalid reference \"rootfs-dirs/../rootfs-dirs/myfs\": the repository name must be lowercase "
	              "components [a-z0-9] joined by '.', '_', '__' or '-', separated by '/'");
	CHECK_REFUSED(containerv_spec_set_image(o, "nothing-here", &spec), ENOENT,
	              "image docker.io/library/nothing-here:latest: not found");
	spec.pull = (enum containerv_pull_policy)9;
	CHECK_REFUSED(containerv_spec_set_image(o, "busybox", &spec), EINVAL, "image busybox: unknown pull policy 9");
	spec.pull = CONTAINERV_PULL_NEVER;
	spec.version = 7;
	CHECK_REFUSED(containerv_spec_set_image(o, "busybox", &spec), EINVAL,
	              "image busybox: unsupported options version 7");
	containerv_options_delete(o);

	/* busybox is built in: imported from the search path's "busybox" on first use, then found in the store. */
	spec.version = CONTAINERV_SPEC_IMAGE_OPTIONS_VERSION;
	snprintf(search, sizeof search, "%s", CV_TEST_ROOTFS);
	*strrchr(search, '/') = '\0';
	spec.rootfs_search_path = search;
	o = new_options();
	CHECK_OK(containerv_spec_set_image(o, "docker.io/busybox", &spec));
	CHECK(o->image_digest != NULL);
	CHECK(o->image_cmd != NULL && strcmp(o->image_cmd[0], "sh") == 0);
	spec.rootfs_search_path = NULL; /* in the store now */
	CHECK_OK(containerv_spec_set_image(o, "busybox", &spec));
	snprintf(expected, sizeof expected, "%s", "image docker.io/library/busybox:1: not found");
	CHECK_REFUSED(containerv_spec_set_image(o, "busybox:1", &spec), ENOENT, expected);
	containerv_options_delete(o);
}

int main(void)
{
	char command[512];
	int failed;

	snprintf(scratch, sizeof scratch, "/tmp/cvtest-spec-%d", (int)getpid());
	snprintf(root, sizeof root, "%s/root", scratch);
	if (mkdir(scratch, 0700) != 0 || containerv_set_root(root) != 0)
		return 1;
	RUN(volume_flag_forms);
	RUN(volume_flag_refusals);
	RUN(mount_flag_forms);
	RUN(mount_flag_refusals);
	RUN(tmpfs_flag);
	RUN(env_flags_and_files);
	RUN(user_flag);
	RUN(limit_flags);
	RUN(pull_policy_and_paths);
	RUN(builtin_image_spellings);
	RUN(rootfs_directories);
	RUN(image_resolution);
	failed = cv_test_summary();
	snprintf(command, sizeof command, "rm -rf %s", scratch);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", scratch);
	return failed;
}
