/*
 * Contexts (containerv_context_open): two state roots in one process, each
 * with its own containers, beside the default context of the root-less API.
 * Run as root: the containers are started, so that what a start reaches
 * below the state store (the root filesystem's mount point, the compiled
 * seccomp filters' cache) is checked to land in the handle's own root too.
 */
#include <chef/containerv.h>

#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "core/context.h"
#include "test.h"

static char base[256], default_root[300], root_a[300], root_b[300];
static const char *rootfs = CV_TEST_ROOTFS;

struct listing {
	size_t count;
	char ids[8][65];
};

static int collect(const struct containerv_info *info, void *user)
{
	struct listing *listing = user;

	if (listing->count < 8)
		snprintf(listing->ids[listing->count], sizeof listing->ids[0], "%s", info->id);
	listing->count++;
	return 0;
}

static bool exists(const char *root, const char *leaf)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", root, leaf);
	return access(path, F_OK) == 0;
}

/* Entries of <root>/containers that are containers (64 hex), not spares or the mount point. */
static int count_containers(const char *root)
{
	char path[512];
	struct dirent *entry;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof path, "%s/containers", root);
	dir = opendir(path);
	if (dir == NULL)
		return 0;
	while ((entry = readdir(dir)) != NULL)
		if (strlen(entry->d_name) == 64)
			n++;
	closedir(dir);
	return n;
}

/* A running "sleep" named name in context (NULL: the default one). */
static struct containerv_container *start_in(struct containerv_context *context, const char *name)
{
	const char *argv[] = {"sleep", "30", NULL};
	struct containerv_options *o = NULL;
	struct containerv_container *c = NULL;

	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_rootfs(o, rootfs));
	CHECK_OK(containerv_options_set_command(o, argv));
	CHECK_OK(containerv_options_set_name(o, name));
	CHECK_OK(containerv_create_in(context, o, &c));
	containerv_options_delete(o);
	return c;
}

static int remove_one(const struct containerv_info *info, void *user)
{
	struct containerv_container *c = NULL;

	if (containerv_open_in(user, info->id, &c) == 0)
		containerv_remove(c, CV_REMOVE_VOLUMES);
	return 0;
}

/* What a failed CHECK left in either root goes (it jumped over the test's own removal). */
static void remove_all_in_both_roots(void)
{
	const char *roots[] = {root_a, root_b};

	for (size_t i = 0; i < 2; i++) {
		struct containerv_context *context = NULL;
		if (containerv_context_open(roots[i], &context) == 0)
			containerv_list_in(context, remove_one, context);
		containerv_context_close(context);
	}
}

TEST(open_refuses_a_relative_root_and_the_default_context_keeps_set_root)
{
	struct containerv_context *context = NULL;

	CHECK(containerv_context_open("relative/root", &context) == -1);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_INVALID);
	CHECK(context == NULL);
	CHECK_EQ_STR(containerv_context_root(NULL), default_root);
	CHECK_EQ_STR(containerv_root(), default_root);
	CHECK_OK(containerv_context_open(root_a, &context));
	CHECK_EQ_STR(containerv_context_root(context), root_a);
	containerv_context_close(context);
	containerv_context_close(NULL);
}

TEST(two_contexts_each_list_and_find_only_their_own_containers)
{
	struct containerv_context *a = NULL, *b = NULL;
	struct containerv_container *in_a, *in_b, *found = NULL;
	struct listing listing;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};

	CHECK_OK(containerv_context_open(root_a, &a));
	CHECK_OK(containerv_context_open(root_b, &b));
	/* The same name in both: names are unique per root, not per process. */
	in_a = start_in(a, "same");
	in_b = start_in(b, "same");
	CHECK(strcmp(containerv_id(in_a), containerv_id(in_b)) != 0);

	memset(&listing, 0, sizeof listing);
	CHECK_OK(containerv_list_in(a, collect, &listing));
	CHECK_EQ_INT(listing.count, 1);
	CHECK_EQ_STR(listing.ids[0], containerv_id(in_a));
	memset(&listing, 0, sizeof listing);
	CHECK_OK(containerv_list_in(b, collect, &listing));
	CHECK_EQ_INT(listing.count, 1);
	CHECK_EQ_STR(listing.ids[0], containerv_id(in_b));
	memset(&listing, 0, sizeof listing);
	CHECK_OK(containerv_list(collect, &listing)); /* the default context has none */
	CHECK_EQ_INT(listing.count, 0);

	CHECK_OK(containerv_open_in(b, "same", &found));
	CHECK_EQ_STR(containerv_id(found), containerv_id(in_b));
	CHECK_OK(containerv_inspect(found, &info));
	CHECK_EQ_INT(info.state, CV_STATE_RUNNING);
	containerv_close(found);
	CHECK(containerv_open("same", &found) == -1);
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_NOT_FOUND);

	/* What the starts reached below the store is in each handle's root, none in the default one. */
	CHECK(exists(root_a, "containers/.rootfs") && exists(root_b, "containers/.rootfs"));
	/* The seccomp cache: reached by the backend through containerv_root(), the context of the call. */
	CHECK(exists(root_a, "cache/seccomp") && exists(root_b, "cache/seccomp"));
	CHECK(!exists(default_root, "containers/.rootfs") && !exists(default_root, "cache"));
	CHECK_EQ_STR(containerv_root(), default_root); /* each call's context ended with it */

	/* Removing through B's handle touches B's root only. */
	CHECK_OK(containerv_kill(in_b, SIGKILL));
	CHECK_OK(containerv_remove(in_b, 0));
	CHECK_EQ_INT(count_containers(root_b), 0);
	CHECK_EQ_INT(count_containers(root_a), 1);
	CHECK_OK(containerv_open_in(a, "same", &found));
	containerv_close(found);
	CHECK_OK(containerv_kill(in_a, SIGKILL));
	CHECK_OK(containerv_remove(in_a, 0));
	CHECK_EQ_INT(count_containers(root_a), 0);
	containerv_context_close(a);
	containerv_context_close(b);
}

static int count_volume(const struct containerv_volume_info *info, void *user)
{
	(void)info;
	(*(int *)user)++;
	return 0;
}

static int count_network(const struct containerv_network_info *info, void *user)
{
	if (strcmp(info->name, "appnet") == 0)
		(*(int *)user)++;
	return 0;
}

static bool has_image(const char *reference)
{
	struct containerv_image_info info = {.version = CONTAINERV_IMAGE_INFO_VERSION};
	int ret = containerv_image_inspect(reference, &info);

	containerv_image_info_clear(&info);
	return ret == 0;
}

static bool has_volume(const char *name)
{
	struct containerv_volume_info info = {.version = CONTAINERV_VOLUME_INFO_VERSION};
	int ret = containerv_volume_inspect(name, &info);

	containerv_volume_info_clear(&info);
	return ret == 0;
}

TEST(images_volumes_and_networks_act_in_the_entered_context)
{
	struct containerv_context *a = NULL, *b = NULL, *previous;
	struct containerv_volume_options volume = CONTAINERV_VOLUME_OPTIONS_INIT;
	struct containerv_network_options network = CONTAINERV_NETWORK_OPTIONS_INIT;
	struct containerv_container *in_b;
	int volumes = 0, networks = 0;

	CHECK_OK(containerv_context_open(root_a, &a));
	CHECK_OK(containerv_context_open(root_b, &b));

	previous = containerv_context_enter(a);
	CHECK(previous == NULL); /* it was the default one */
	CHECK_EQ_STR(containerv_root(), root_a);
	CHECK_OK(containerv_volume_create("data", &volume));
	CHECK_OK(containerv_network_create("appnet", &network));
	CHECK_OK(containerv_image_import(rootfs, "local/app:1", NULL, NULL));
	CHECK(has_image("local/app:1") && has_volume("data"));
	containerv_context_leave(previous);
	CHECK_EQ_STR(containerv_root(), default_root);

	/* The same names are free in B, and A's are not seen there. */
	previous = containerv_context_enter(b);
	CHECK(!has_image("local/app:1"));
	CHECK_EQ_INT(containerv_last_error_code(), CONTAINERV_E_NOT_FOUND);
	CHECK(!has_volume("data"));
	CHECK_OK(containerv_network_list(count_network, &networks));
	CHECK_EQ_INT(networks, 0);
	CHECK_OK(containerv_volume_create("data", &volume));
	CHECK_OK(containerv_volume_create("only-b", &volume));
	CHECK_OK(containerv_volume_list(count_volume, &volumes));
	CHECK_EQ_INT(volumes, 2);
	/* Nested: A again inside B's scope, then B's back. */
	{
		struct containerv_context *outer = containerv_context_enter(a);
		CHECK(outer == b);
		CHECK(has_image("local/app:1") && !has_volume("only-b"));
		containerv_context_leave(outer);
	}
	CHECK(has_volume("only-b"));
	/* A container created in the scope belongs to B, and its handle keeps B after the scope. */
	in_b = start_in(NULL, "in-scope");
	containerv_context_leave(previous);
	CHECK_EQ_INT(count_containers(root_b), 1);
	CHECK_EQ_INT(count_containers(default_root), 0);
	CHECK_OK(containerv_kill(in_b, SIGKILL));
	CHECK_OK(containerv_remove(in_b, 0));
	CHECK_EQ_INT(count_containers(root_b), 0);

	/* The default context saw none of it. */
	CHECK(!has_image("local/app:1") && !has_volume("data"));
	networks = 0;
	CHECK_OK(containerv_network_list(count_network, &networks));
	CHECK_EQ_INT(networks, 0);
	CHECK(!exists(default_root, "volumes/data") && exists(root_a, "volumes/data") &&
	      exists(root_b, "volumes/only-b"));

	previous = containerv_context_enter(a);
	CHECK_OK(containerv_network_remove("appnet"));
	CHECK_OK(containerv_volume_remove("data", 0));
	CHECK_OK(containerv_image_remove("local/app:1", 0, NULL));
	containerv_context_leave(previous);
	previous = containerv_context_enter(b);
	CHECK_OK(containerv_volume_remove("data", 0));
	CHECK_OK(containerv_volume_remove("only-b", 0));
	containerv_context_leave(previous);
	containerv_context_close(a);
	containerv_context_close(b);
}

struct log_sink {
	int count;
	char last[128];
};

static void record_log(enum containerv_log_level level, const char *message, void *user)
{
	struct log_sink *sink = user;

	(void)level;
	sink->count++;
	snprintf(sink->last, sizeof sink->last, "%s", message);
}

/* A message logged while a call acts in context (what CV_CONTEXT_SCOPE marks). */
static void log_in(struct containerv_context *context, const char *message)
{
	CV_CONTEXT_SCOPE(context);
	cv_log(CONTAINERV_LOG_WARNING, "%s", message);
}

TEST(each_context_logs_to_its_own_callback_else_to_the_process_wide_one)
{
	struct containerv_context *a = NULL, *b = NULL, *quiet = NULL;
	struct log_sink process = {0}, sink_a = {0}, sink_b = {0};

	CHECK_OK(containerv_context_open(root_a, &a));
	CHECK_OK(containerv_context_open(root_b, &b));
	CHECK_OK(containerv_context_open(root_b, &quiet));
	containerv_set_log(record_log, &process);
	containerv_context_set_log(a, record_log, &sink_a);
	containerv_context_set_log(b, record_log, &sink_b);

	log_in(a, "to a");
	log_in(b, "to b");
	log_in(quiet, "to the process"); /* no callback of its own */
	cv_log(CONTAINERV_LOG_WARNING, "outside every call");
	CHECK_EQ_INT(sink_a.count, 1);
	CHECK_EQ_STR(sink_a.last, "to a");
	CHECK_EQ_INT(sink_b.count, 1);
	CHECK_EQ_STR(sink_b.last, "to b");
	CHECK_EQ_INT(process.count, 2);
	CHECK_EQ_STR(process.last, "outside every call");

	/* Nested calls: the inner context's callback, the outer's again after it. */
	{
		CV_CONTEXT_SCOPE(a);
		log_in(b, "inner");
		cv_log(CONTAINERV_LOG_WARNING, "outer again");
	}
	CHECK_EQ_STR(sink_b.last, "inner");
	CHECK_EQ_STR(sink_a.last, "outer again");
	CHECK_EQ_INT(process.count, 2);

	/* NULL is the default context: the process-wide callback. Removing a's falls back to it. */
	containerv_context_set_log(NULL, NULL, NULL);
	containerv_context_set_log(a, NULL, NULL);
	log_in(a, "dropped");
	CHECK_EQ_INT(process.count, 2);
	CHECK_EQ_INT(sink_a.count, 2);
	containerv_context_close(a);
	containerv_context_close(b);
	containerv_context_close(quiet);
}

int main(void)
{
	char command[512];

	if (geteuid() != 0) {
		printf("skip: containers need root\n0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	snprintf(base, sizeof base, "/tmp/cvtest-context-%d", (int)getpid());
	snprintf(default_root, sizeof default_root, "%s/default", base);
	snprintf(root_a, sizeof root_a, "%s/a", base);
	snprintf(root_b, sizeof root_b, "%s/b", base);
	if (containerv_set_root(default_root) != 0) {
		fprintf(stderr, "set_root: %s\n", containerv_last_error());
		return 1;
	}
	cv_test_after_each = remove_all_in_both_roots;
	RUN(open_refuses_a_relative_root_and_the_default_context_keeps_set_root);
	RUN(two_contexts_each_list_and_find_only_their_own_containers);
	RUN(images_volumes_and_networks_act_in_the_entered_context);
	RUN(each_context_logs_to_its_own_callback_else_to_the_process_wide_one);
	snprintf(command, sizeof command, "rm -rf %s", base);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", base);
	return cv_test_summary();
}
