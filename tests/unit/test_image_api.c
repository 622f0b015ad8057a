/*
 * The public image API on a real store and real containers: import a
 * rootfs directory and a tarball, inspect/list/tag/remove, run a container
 * from an image with its config applied (Cmd, Env, WorkingDir, User,
 * StopSignal), rmi refused while a container uses it, GC keeping what is
 * used and sweeping what is not.
 */
#include <chef/containerv.h>

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/digest.h"
#include "config/options.h"
#include "image/store.h"
#include "test.h"

static char root[256];

static int count_entries(const char *relative)
{
	char path[512];
	DIR *dir;
	struct dirent *entry;
	int n = 0;

	snprintf(path, sizeof path, "%s/images/%s", root, relative);
	dir = opendir(path);
	if (dir == NULL)
		return -1;
	while ((entry = readdir(dir)) != NULL)
		n += entry->d_name[0] != '.';
	closedir(dir);
	return n;
}

static int count_temporaries(const char *relative)
{
	char path[512];
	DIR *dir;
	struct dirent *entry;
	int n = 0;

	snprintf(path, sizeof path, "%s/images/%s", root, relative);
	dir = opendir(path);
	if (dir == NULL)
		return 0;
	while ((entry = readdir(dir)) != NULL)
		n += strncmp(entry->d_name, ".tmp", 4) == 0 || strncmp(entry->d_name, ".put", 4) == 0;
	closedir(dir);
	return n;
}

static char *run_capture(struct containerv_options *o, struct containerv_container **kept)
{
	struct containerv_container *c = NULL;
	struct containerv_exit status;
	int fds[2];
	char *out;

	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	CHECK_OK(containerv_options_set_stdio(o, -1, fds[1], 2));
	CHECK_OK(containerv_create(o, &c));
	close(fds[1]);
	out = cv_test_read_all(fds[0]);
	close(fds[0]);
	CHECK_OK(containerv_wait(c, &status));
	if (kept != NULL)
		*kept = c;
	else
		CHECK_OK(containerv_destroy(c));
	return out;
}

struct collected {
	int count;
	char names[8][256];
};

static int collect(const struct containerv_image_info *info, void *user)
{
	struct collected *collected = user;

	for (size_t i = 0; info->names != NULL && info->names[i] != NULL; i++) {
		if (collected->count < 8)
			snprintf(collected->names[collected->count++], 256, "%s", info->names[i]);
	}
	return 0;
}

static void import_busybox(void)
{
	static const char *const cmd[] = {"sh", "-c", "echo cmd:$GREETING:$(pwd):$(id -u):$(id -g)", NULL};
	static const char *const env[] = {"GREETING=hello", "PATH=/bin:/sbin", NULL};
	struct containerv_import_options extra = CONTAINERV_IMPORT_OPTIONS_INIT;

	extra.cmd = cmd;
	extra.env = env;
	CHECK_OK(containerv_image_import(CV_TEST_ROOTFS, "busybox:test", &extra, NULL));
}

TEST(import_inspect_list_tag_remove)
{
	struct containerv_image_info info = {.version = CONTAINERV_IMAGE_INFO_VERSION, .disk_usage = 1};
	struct collected collected = {0};
	char digest[72], untagged[72], prefix[20];

	CHECK_OK(containerv_image_import(CV_TEST_ROOTFS, "imported", NULL, digest));
	CHECK(cv_digest_is_valid(digest));
	CHECK_OK(containerv_image_inspect("imported", &info));
	CHECK_EQ_STR(info.digest, digest);
	CHECK_EQ_STR(info.names[0], "docker.io/library/imported:latest");
	CHECK_EQ_INT(info.layer_count, 1);
	CHECK(info.size > 100000); /* busybox is a ~1 MiB binary */
	CHECK(info.unpacked_size > 100000);
	CHECK(info.created_ns > 0);
	CHECK_EQ_STR(info.os, "linux");
	snprintf(prefix, sizeof prefix, "%.12s", info.id + 7);
	containerv_image_info_clear(&info);
	/* By id prefix too. */
	CHECK_OK(containerv_image_inspect(prefix, &info));
	containerv_image_info_clear(&info);
	CHECK_OK(containerv_image_tag("imported", "localhost:5000/team/imported:v1"));
	CHECK_OK(containerv_image_list(collect, &collected));
	CHECK_EQ_INT(collected.count, 2);
	/* Bad input: one line each, nothing changes. */
	CHECK(containerv_image_tag("imported", "Bad:Name") != 0);
	CHECK(containerv_image_tag("nothing-here", "x") != 0);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK(containerv_image_inspect("nothing-here", &info) != 0);
	CHECK_EQ_STR(containerv_last_error(), "image docker.io/library/nothing-here:latest: not found");
	CHECK(containerv_image_import("/nonexistent", "x", NULL, NULL) != 0);
	CHECK(containerv_image_import(CV_TEST_ROOTFS, "x@sha256:0", NULL, NULL) != 0);
	/* Untag one name: the image stays under the other. */
	CHECK_OK(containerv_image_remove("imported", 0, untagged));
	CHECK_EQ_STR(untagged, digest);
	CHECK_OK(containerv_image_inspect("localhost:5000/team/imported:v1", &info));
	containerv_image_info_clear(&info);
	CHECK_OK(containerv_image_remove("localhost:5000/team/imported:v1", 0, NULL));
	CHECK(containerv_image_remove("imported", 0, NULL) != 0);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK_EQ_INT(count_temporaries("ingest"), 0);
	CHECK_EQ_INT(count_temporaries("layers"), 0);
}

/* import --change LABEL (options version 3): the labels land in the config; a label without '=' is refused. */
TEST(import_labels)
{
	static const char *const labels[] = {"tier=web", "owner=team a", NULL};
	static const char *const bad[] = {"solo", NULL};
	struct containerv_import_options extra = CONTAINERV_IMPORT_OPTIONS_INIT;
	struct containerv_image_info info = {.version = CONTAINERV_IMAGE_INFO_VERSION};

	extra.labels = labels;
	CHECK_OK(containerv_image_import(CV_TEST_ROOTFS, "labelled:1", &extra, NULL));
	CHECK_OK(containerv_image_inspect("labelled:1", &info));
	CHECK(info.labels != NULL && info.labels[0] != NULL && info.labels[1] != NULL && info.labels[2] == NULL);
	CHECK_EQ_STR(info.labels[0], "owner=team a");
	CHECK_EQ_STR(info.labels[1], "tier=web");
	containerv_image_info_clear(&info);
	extra.labels = bad;
	CHECK(containerv_image_import(CV_TEST_ROOTFS, "labelled:2", &extra, NULL) != 0);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(strstr(containerv_last_error(), "LABEL") != NULL);
	CHECK(containerv_image_inspect("labelled:2", &info) != 0);
	/* A version-2 caller's struct has no labels field: nothing of it is read. */
	extra.version = 2;
	CHECK_OK(containerv_image_import(CV_TEST_ROOTFS, "labelled:3", &extra, NULL));
	CHECK_OK(containerv_image_remove("labelled:1", 0, NULL));
	CHECK_OK(containerv_image_remove("labelled:3", 0, NULL));
}

TEST(import_a_tarball)
{
	char command[600], digest[72];
	struct containerv_image_info info = {.version = CONTAINERV_IMAGE_INFO_VERSION};

	snprintf(command, sizeof command, "tar -C %s -czf %s/rootfs.tar.gz .", CV_TEST_ROOTFS, root);
	CHECK(system(command) == 0);
	snprintf(command, sizeof command, "%s/rootfs.tar.gz", root);
	CHECK_OK(containerv_image_import(command, "from-tar:1", NULL, digest));
	CHECK_OK(containerv_image_inspect("from-tar:1", &info));
	CHECK_EQ_INT(info.layer_count, 1);
	containerv_image_info_clear(&info);
	/* A corrupt tarball: refused, nothing named, no temporary. */
	snprintf(command, sizeof command, "head -c 5000 %s/rootfs.tar.gz > %s/bad.tar.gz", root, root);
	CHECK(system(command) == 0);
	snprintf(command, sizeof command, "%s/bad.tar.gz", root);
	CHECK(containerv_image_import(command, "bad:1", NULL, NULL) != 0);
	CHECK(strchr(containerv_last_error(), '\n') == NULL);
	CHECK(containerv_image_inspect("bad:1", &info) != 0);
	CHECK_EQ_INT(count_temporaries("layers"), 0);
	CHECK_OK(containerv_image_remove("from-tar:1", 0, NULL));
}

TEST(run_applies_the_image_config)
{
	struct containerv_options *o = NULL;
	const char *argv[] = {"sh", "-c", "echo argv:$GREETING:$EXTRA:$(pwd)", NULL};
	char *out;

	import_busybox();
	/* The image's Cmd, Env; root's workdir default. */
	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_image(o, "busybox:test"));
	out = run_capture(o, NULL);
	containerv_options_delete(o);
	CHECK_EQ_STR(out, "cmd:hello:/:0:0\n");
	/* The caller's command, env and workdir win; image env keys stay. */
	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_add_env(o, "EXTRA=mine"));
	CHECK_OK(containerv_options_set_workdir(o, "/tmp"));
	CHECK_OK(containerv_options_set_image(o, "busybox:test"));
	CHECK_OK(containerv_options_set_command(o, argv));
	out = run_capture(o, NULL);
	containerv_options_delete(o);
	CHECK_EQ_STR(out, "argv:hello:mine:/tmp\n");
	/* An entrypoint prefixes the command. */
	{
		const char *entrypoint[] = {"echo", "entry", NULL};
		const char *args[] = {"one", "two", NULL};
		CHECK_OK(containerv_options_new(&o));
		CHECK_OK(containerv_options_set_image(o, "busybox:test"));
		CHECK_OK(containerv_options_set_entrypoint(o, entrypoint));
		CHECK_OK(containerv_options_set_command(o, args));
		out = run_capture(o, NULL);
		containerv_options_delete(o);
		CHECK_EQ_STR(out, "entry one two\n");
	}
	/* Unknown image: one line, options untouched. */
	CHECK_OK(containerv_options_new(&o));
	CHECK(containerv_options_set_image(o, "no-such-image") != 0);
	CHECK_EQ_STR(containerv_last_error(), "image docker.io/library/no-such-image:latest: not found");
	CHECK(o->layers == NULL && o->image == NULL);
	CHECK(containerv_options_set_image(o, "UPPER") != 0);
	/* A root filesystem set after an image replaces it: no image recorded. */
	CHECK_OK(containerv_options_set_image(o, "busybox:test"));
	CHECK(o->image_digest != NULL);
	CHECK_OK(containerv_options_set_rootfs(o, CV_TEST_ROOTFS));
	CHECK(o->image == NULL && o->image_digest == NULL && o->image_cmd == NULL);
	containerv_options_delete(o);
}

TEST(rmi_is_refused_while_used_and_gc_keeps_what_is_used)
{
	struct containerv_options *o = NULL;
	struct containerv_container *c = NULL;
	struct containerv_image_gc_result gc;
	struct containerv_image_df df;
	char digest[72];
	int layers_before;

	import_busybox();
	CHECK_OK(containerv_image_gc(NULL)); /* what earlier tests left unnamed */
	CHECK_EQ_INT(count_entries("layers"), 1);
	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_image(o, "busybox:test"));
	run_capture(o, &c);
	containerv_options_delete(o);
	CHECK(containerv_image_remove("busybox:test", 0, NULL) != 0);
	CHECK_EQ_INT(errno, EBUSY);
	CHECK(strstr(containerv_last_error(), "in use by container") != NULL);
	CHECK_OK(containerv_image_df(&df));
	CHECK_EQ_INT(df.images, 1);
	CHECK_EQ_INT(df.images_in_use, 1);
	/* Forced: the name goes, the container keeps its layers through GC. */
	CHECK_OK(containerv_image_remove("busybox:test", CV_IMAGE_REMOVE_FORCE, digest));
	layers_before = count_entries("layers");
	CHECK_OK(containerv_image_gc(&gc));
	CHECK_EQ_INT(count_entries("layers"), layers_before);
	CHECK_OK(containerv_start(c));
	{
		struct containerv_exit status;
		CHECK_OK(containerv_wait(c, &status));
		CHECK_EQ_INT(status.code, 0);
	}
	CHECK_OK(containerv_destroy(c));
	/* Nobody uses it now: GC sweeps its layer and blobs. */
	CHECK_OK(containerv_image_gc(&gc));
	CHECK(gc.layers_removed >= 1);
	CHECK(gc.blobs_removed >= 3);
	CHECK(gc.bytes_freed > 100000);
	CHECK_EQ_INT(count_entries("blobs/sha256"), 0);
	CHECK_EQ_INT(count_entries("layers"), 0);
	/* And the store still works. */
	import_busybox();
	CHECK_OK(containerv_image_prune(&gc));
	CHECK_EQ_INT(count_entries("blobs/sha256"), 0);
}

TEST(gc_beside_concurrent_runs_never_breaks_them)
{
	struct containerv_options *o = NULL;
	pid_t collector;
	int status;

	import_busybox();
	collector = fork();
	CHECK(collector >= 0);
	if (collector == 0) {
		/* Collect as fast as possible meanwhile: an image in use must never lose a layer. */
		for (int i = 0; i < 200; i++) {
			if (containerv_image_gc(NULL) != 0)
				_exit(1);
		}
		_exit(0);
	}
	for (int i = 0; i < 10; i++) {
		char *out;
		CHECK_OK(containerv_options_new(&o));
		CHECK_OK(containerv_options_set_image(o, "busybox:test"));
		out = run_capture(o, NULL);
		containerv_options_delete(o);
		CHECK_EQ_STR(out, "cmd:hello:/:0:0\n");
	}
	CHECK(waitpid(collector, &status, 0) == collector);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ_INT(count_temporaries("layers"), 0);
	CHECK_EQ_INT(count_entries("layers"), 1);
}

/* busybox:test with more config: Volumes, a user by name, StopSignal, Labels, WorkingDir. */
static void make_configured_image(void)
{
	struct cv_store *store = NULL;
	char digest[72], named[72], config_digest[72], manifest_digest[72];
	char *manifest_text = NULL, *config_text = NULL, *text;
	size_t length = 0;
	json_t *manifest, *config, *inner;

	import_busybox();
	CHECK_OK(cv_store_open(&store));
	CHECK_OK(cv_store_resolve(store, "busybox:test", named, NULL));
	CHECK_OK(cv_store_platform_manifest(store, named, digest, NULL, NULL));
	CHECK_OK(cv_store_read_blob(store, digest, 1 << 20, &manifest_text, &length));
	manifest = json_loads(manifest_text, 0, NULL);
	CHECK_OK(cv_store_read_blob(store,
	                            json_string_value(json_object_get(json_object_get(manifest, "config"), "digest")),
	                            1 << 20, &config_text, &length));
	config = json_loads(config_text, 0, NULL);
	inner = json_object_get(config, "config");
	json_object_set_new(inner, "Volumes", json_pack("{s:{}}", "/data"));
	json_object_set_new(inner, "User", json_string("nobody"));
	json_object_set_new(inner, "StopSignal", json_string("SIGINT"));
	json_object_set_new(inner, "Labels", json_pack("{s:s}", "from", "image"));
	json_object_set_new(inner, "WorkingDir", json_string("/tmp"));
	json_object_set_new(inner, "Cmd",
	                    json_pack("[s,s,s]", "sh", "-c", "id -u; pwd; grep -c ' /data ' /proc/mounts"));
	text = json_dumps(config, JSON_COMPACT);
	CHECK_OK(cv_store_put_blob(store, text, strlen(text), NULL, config_digest));
	json_object_set_new(json_object_get(manifest, "config"), "digest", json_string(config_digest));
	json_object_set_new(json_object_get(manifest, "config"), "size", json_integer((json_int_t)strlen(text)));
	free(text);
	text = json_dumps(manifest, JSON_COMPACT);
	CHECK_OK(cv_store_put_blob(store, text, strlen(text), NULL, manifest_digest));
	CHECK_OK(cv_store_tag(store, "docker.io/library/busybox:configured", manifest_digest, CV_MEDIA_OCI_MANIFEST,
	                      (int64_t)strlen(text)));
	free(text);
	json_decref(manifest);
	json_decref(config);
	free(manifest_text);
	free(config_text);
	cv_store_close(store);
}

TEST(volumes_user_stop_signal_and_labels_of_the_image)
{
	struct containerv_options *o = NULL;
	struct containerv_container *c = NULL;
	char **labels = NULL;
	char *out;

	make_configured_image();
	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_add_label(o, "mine=yes"));
	CHECK_OK(containerv_options_set_image(o, "busybox:configured"));
	CHECK_EQ_INT(o->uid, 65534); /* "nobody" from the image's /etc/passwd */
	CHECK_EQ_INT(o->stop_signal, SIGINT);
	out = run_capture(o, &c);
	containerv_options_delete(o);
	/* nobody, the image's WorkingDir, and an anonymous volume on /data. */
	CHECK_EQ_STR(out, "65534\n/tmp\n1\n");
	CHECK_OK(containerv_get_strings(c, CV_STRINGS_LABELS, &labels, NULL));
	CHECK(labels != NULL && labels[0] != NULL && labels[1] != NULL);
	CHECK_EQ_STR(labels[0], "mine=yes");
	CHECK_EQ_STR(labels[1], "from=image");
	containerv_strings_free(labels);
	CHECK_OK(containerv_remove(c, CV_REMOVE_VOLUMES));
	/* The caller's user wins. */
	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_user(o, 7, 8));
	CHECK_OK(containerv_options_set_image(o, "busybox:configured"));
	CHECK_EQ_INT(o->uid, 7);
	CHECK_EQ_INT(o->gid, 8);
	containerv_options_delete(o);
}

static int remove_callback(const struct containerv_info *info, void *user)
{
	struct containerv_container *c = NULL;

	(void)user;
	if (containerv_open(info->id, &c) == 0)
		containerv_remove(c, CV_REMOVE_VOLUMES);
	return 0;
}

/* A failed CHECK skips a test's own cleanup: its containers (and their cgroups) go here. */
static void remove_all_containers(void)
{
	containerv_list(remove_callback, NULL);
}

int main(void)
{
	char command[512];

	if (geteuid() != 0) {
		printf("skip: images need root\n0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	snprintf(root, sizeof root, "/tmp/cvtest-image-%d", (int)getpid());
	if (containerv_set_root(root) != 0)
		return 1;
	cv_test_after_each = remove_all_containers;
	RUN(import_inspect_list_tag_remove);
	RUN(import_labels);
	RUN(import_a_tarball);
	RUN(run_applies_the_image_config);
	RUN(rmi_is_refused_while_used_and_gc_keeps_what_is_used);
	RUN(gc_beside_concurrent_runs_never_breaks_them);
	RUN(volumes_user_stop_signal_and_labels_of_the_image);
	snprintf(command, sizeof command, "rm -rf %s", root);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return cv_test_summary();
}
