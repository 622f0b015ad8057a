/*
 * The volume store against the real kernel (run as root): plain and
 * size-limited volumes, with real loop devices and mounts, users recorded
 * by fake containers, races on one name, and nothing left behind.
 */
#include <chef/containerv.h>

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/volume.h"
#include "test.h"

static char root[256];

static const char id_a[] = "aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111";
static const char id_b[] = "bbbbbbbbbbbb2222222222222222222222222222222222222222222222222222";

static int count_entries(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *entry;
	int n = 0;

	if (dir == NULL)
		return 0;
	while ((entry = readdir(dir)) != NULL) {
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
			n++;
	}
	closedir(dir);
	return n;
}

static const char *volumes_path(void)
{
	static char path[512];

	snprintf(path, sizeof path, "%s/volumes", root);
	return path;
}

/* A container "exists" for the store when its directory holds state.json. */
static void fake_container(const char *id)
{
	char path[512];
	int fd;

	snprintf(path, sizeof path, "%s/containers/%s", root, id);
	CHECK(mkdir(path, 0700) == 0 || errno == EEXIST);
	snprintf(path, sizeof path, "%s/containers/%s/state.json", root, id);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	close(fd);
}

static void remove_fake_container(const char *id)
{
	char command[600];

	snprintf(command, sizeof command, "rm -rf %s/containers/%s", root, id);
	CHECK(system(command) == 0);
}

static bool mounted(const char *path)
{
	FILE *mounts = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	bool found = false;

	if (mounts == NULL)
		return false;
	while (!found && fgets(line, sizeof line, mounts) != NULL)
		found = strstr(line, path) != NULL;
	fclose(mounts);
	return found;
}

/* Whether a loop device's backing file lies under prefix. */
static bool loop_backed_under(const char *prefix)
{
	glob_t matches;
	bool found = false;

	if (glob("/sys/block/loop*/loop/backing_file", 0, NULL, &matches) != 0)
		return false;
	for (size_t i = 0; !found && i < matches.gl_pathc; i++) {
		char line[4096] = "";
		FILE *file = fopen(matches.gl_pathv[i], "r");

		if (file == NULL)
			continue;
		if (fgets(line, sizeof line, file) != NULL)
			found = strncmp(line, prefix, strlen(prefix)) == 0;
		fclose(file);
	}
	globfree(&matches);
	return found;
}

/* The loop device of an unmounted image goes at its last close, which a loaded kernel may finish a little later. */
static bool loop_released_under(const char *prefix)
{
	for (int i = 0; i < 100; i++) {
		if (!loop_backed_under(prefix))
			return true;
		usleep(50000);
	}
	return false;
}

static void check_no_leftovers(void)
{
	CHECK(!mounted(root));
	CHECK(loop_released_under(root));
	CHECK_EQ_INT(count_entries(volumes_path()), 0);
}

struct collected {
	char names[8][129];
	int count;
};

static int collect(const struct containerv_volume_info *info, void *user)
{
	struct collected *collected = user;

	if (collected->count < 8)
		snprintf(collected->names[collected->count], sizeof collected->names[0], "%s", info->name);
	collected->count++;
	return 0;
}

TEST(create_inspect_list_remove)
{
	const char *labels[] = {"app=web", "tier=db", NULL};
	struct containerv_volume_options options = CONTAINERV_VOLUME_OPTIONS_INIT;
	struct containerv_volume_info info = {.version = CONTAINERV_VOLUME_INFO_VERSION};
	struct collected collected = {.count = 0};
	char expected[512], file[600];
	struct stat st;
	int fd;

	options.labels = labels;
	options.uid = 1234;
	options.gid = 4321;
	CHECK_OK(containerv_volume_create("web-data", &options));
	CHECK_OK(containerv_volume_create("a.first", NULL));
	CHECK_OK(containerv_volume_inspect("web-data", &info));
	CHECK_EQ_STR(info.name, "web-data");
	snprintf(expected, sizeof expected, "%s/volumes/web-data/_data", root);
	CHECK_EQ_STR(info.mountpoint, expected);
	CHECK(stat(info.mountpoint, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK_EQ_INT(st.st_uid, 1234);
	CHECK_EQ_INT(st.st_gid, 4321);
	CHECK(info.created_ns > 0);
	CHECK_EQ_INT(info.size_limit, 0);
	CHECK_EQ_INT(info.anonymous, 0);
	CHECK_EQ_STR(info.labels[0], "app=web");
	CHECK_EQ_STR(info.labels[1], "tier=db");
	CHECK(info.labels[2] == NULL);
	CHECK(info.used_by != NULL && info.used_by[0] == NULL);
	/* bytes_used follows what is written (allocated blocks). */
	uint64_t before = info.bytes_used;
	snprintf(file, sizeof file, "%s/blob", info.mountpoint);
	containerv_volume_info_clear(&info);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	static char buffer[1 << 20];
	memset(buffer, 'x', sizeof buffer);
	CHECK(write(fd, buffer, sizeof buffer) == (ssize_t)sizeof buffer);
	close(fd);
	info.version = CONTAINERV_VOLUME_INFO_VERSION;
	CHECK_OK(containerv_volume_inspect("web-data", &info));
	CHECK(info.bytes_used >= before + (1 << 20));
	CHECK(info.bytes_used < before + (2 << 20));
	containerv_volume_info_clear(&info);

	CHECK_OK(containerv_volume_list(collect, &collected));
	CHECK_EQ_INT(collected.count, 2);
	CHECK_EQ_STR(collected.names[0], "a.first");
	CHECK_EQ_STR(collected.names[1], "web-data");

	CHECK_OK(containerv_volume_remove("web-data", 0));
	CHECK_OK(containerv_volume_remove("a.first", 0));
	CHECK(containerv_volume_inspect("web-data", &info) == -1 && errno == ENOENT);
	CHECK(strstr(containerv_last_error(), "web-data") != NULL);
	CHECK(containerv_volume_remove("web-data", 0) == -1 && errno == ENOENT);
	CHECK(strstr(containerv_last_error(), "web-data") != NULL);
	check_no_leftovers();
}

TEST(invalid_names_are_refused_and_create_nothing)
{
	char long_name[201];
	const char *names[] = {"../../etc", "", long_name, "-x", ".hidden", "a/b", NULL};
	struct containerv_volume_options small = CONTAINERV_VOLUME_OPTIONS_INIT;

	memset(long_name, 'a', 200);
	long_name[200] = '\0';
	for (size_t i = 0; names[i] != NULL; i++) {
		errno = 0;
		CHECK(containerv_volume_create(names[i], NULL) == -1);
		CHECK_EQ_INT(errno, EINVAL);
		CHECK(strstr(containerv_last_error(), "invalid volume name") != NULL);
	}
	CHECK(containerv_volume_create("../../etc", NULL) == -1 && errno == EINVAL);
	CHECK(strstr(containerv_last_error(), "../../etc") != NULL);
	CHECK(containerv_volume_create(NULL, NULL) == -1 && errno == EINVAL);
	CHECK(containerv_volume_remove("../../etc", 1) == -1 && errno == EINVAL);
	/* Too small for ext4 to be useful: refused before anything is made. */
	small.size_limit = 1 << 20;
	CHECK(containerv_volume_create("tiny", &small) == -1 && errno == EINVAL);
	CHECK(strstr(containerv_last_error(), "minimum") != NULL);
	check_no_leftovers();
}

TEST(concurrent_creates_of_one_name_leave_one_volume)
{
	pid_t children[8];
	int successes = 0, exists = 0;

	for (int i = 0; i < 8; i++) {
		children[i] = fork();
		CHECK(children[i] >= 0);
		if (children[i] == 0) {
			if (containerv_volume_create("contested", NULL) == 0)
				_exit(0);
			_exit(errno == EEXIST && strstr(containerv_last_error(), "already exists") != NULL ? 17 : 1);
		}
	}
	for (int i = 0; i < 8; i++) {
		int status;
		CHECK(waitpid(children[i], &status, 0) == children[i]);
		CHECK(WIFEXITED(status));
		if (WEXITSTATUS(status) == 0)
			successes++;
		else if (WEXITSTATUS(status) == 17)
			exists++;
	}
	CHECK_EQ_INT(successes, 1);
	CHECK_EQ_INT(exists, 7);
	CHECK_EQ_INT(count_entries(volumes_path()), 1);
	CHECK(containerv_volume_create("contested", NULL) == -1 && errno == EEXIST);
	CHECK_EQ_STR(containerv_last_error(), "volume contested already exists");
	CHECK_OK(containerv_volume_remove("contested", 0));
	check_no_leftovers();
}

TEST(users_keep_a_volume_until_released)
{
	struct containerv_volume_info info = {.version = CONTAINERV_VOLUME_INFO_VERSION};
	char host_path[4096], expected[512];

	fake_container(id_a);
	fake_container(id_b);
	CHECK_OK(containerv_volume_create("shared", NULL));
	CHECK_OK(cv_volume_acquire("shared", id_b, host_path, sizeof host_path));
	CHECK_OK(cv_volume_acquire("shared", id_a, host_path, sizeof host_path));
	CHECK_OK(cv_volume_acquire("shared", id_a, host_path, sizeof host_path)); /* idempotent */
	snprintf(expected, sizeof expected, "%s/volumes/shared/_data", root);
	CHECK_EQ_STR(host_path, expected);
	CHECK_OK(containerv_volume_inspect("shared", &info));
	CHECK_EQ_STR(info.used_by[0], id_a);
	CHECK_EQ_STR(info.used_by[1], id_b);
	CHECK(info.used_by[2] == NULL);
	containerv_volume_info_clear(&info);
	CHECK(containerv_volume_remove("shared", 0) == -1 && errno == EBUSY);
	CHECK_EQ_STR(containerv_last_error(), "volume shared is in use by container aaaaaaaaaaaa");
	CHECK_OK(cv_volume_release("shared", id_a));
	CHECK(containerv_volume_remove("shared", 0) == -1 && errno == EBUSY);
	CHECK_OK(cv_volume_release("shared", id_b));
	CHECK_OK(cv_volume_release("shared", id_b)); /* idempotent */
	CHECK_OK(containerv_volume_remove("shared", 0));
	CHECK(cv_volume_acquire("shared", id_a, host_path, sizeof host_path) == -1 && errno == ENOENT);
	CHECK(cv_volume_acquire("x", "../../x", host_path, sizeof host_path) == -1 && errno == EINVAL);
	remove_fake_container(id_a);
	remove_fake_container(id_b);
	check_no_leftovers();
}

TEST(size_limited_volume_is_a_loop_mounted_ext4_image)
{
	struct containerv_volume_options options = CONTAINERV_VOLUME_OPTIONS_INIT;
	struct containerv_volume_info info = {.version = CONTAINERV_VOLUME_INFO_VERSION};
	char host_path[4096], image[512], file[4200];
	static char buffer[1 << 20];
	struct stat st;
	int fd, err = 0;

	options.size_limit = 16 << 20;
	options.uid = 1000;
	options.gid = 1000;
	fake_container(id_a);
	CHECK_OK(containerv_volume_create("limited", &options));
	snprintf(image, sizeof image, "%s/volumes/limited/disk.img", root);
	CHECK(stat(image, &st) == 0);
	CHECK_EQ_INT(st.st_size, 16 << 20);
	CHECK(st.st_blocks * 512 < st.st_size); /* sparse */
	CHECK(!mounted(root));

	CHECK_OK(cv_volume_acquire("limited", id_a, host_path, sizeof host_path));
	CHECK(mounted(host_path));
	CHECK(loop_backed_under(image));
	CHECK(stat(host_path, &st) == 0);
	CHECK_EQ_INT(st.st_uid, 1000);
	/* 20 MiB do not fit in 16. */
	snprintf(file, sizeof file, "%s/fill", host_path);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	memset(buffer, 'y', sizeof buffer);
	for (int i = 0; i < 20 && err == 0; i++) {
		if (write(fd, buffer, sizeof buffer) < 0)
			err = errno;
	}
	if (err == 0 && fsync(fd) < 0)
		err = errno;
	close(fd);
	CHECK_EQ_INT(err, ENOSPC);
	CHECK_OK(containerv_volume_inspect("limited", &info));
	CHECK_EQ_INT(info.size_limit, 16 << 20);
	CHECK(info.bytes_used > (12 << 20));
	CHECK(info.bytes_used <= (16 << 20));
	CHECK_EQ_STR(info.used_by[0], id_a);
	containerv_volume_info_clear(&info);

	CHECK_OK(cv_volume_release("limited", id_a));
	CHECK(!mounted(host_path));
	CHECK(loop_released_under(image));
	/* The data survives an unmount. */
	CHECK_OK(cv_volume_acquire("limited", id_a, host_path, sizeof host_path));
	CHECK(stat(file, &st) == 0 && st.st_size > (12 << 20));
	/* A forced removal unmounts first. */
	CHECK(containerv_volume_remove("limited", 0) == -1 && errno == EBUSY);
	CHECK_OK(containerv_volume_remove("limited", 1));
	CHECK(loop_released_under(image));
	remove_fake_container(id_a);
	check_no_leftovers();
}

TEST(reconcile_drops_dead_users_unmounts_and_removes_tmp_dirs)
{
	struct containerv_volume_options options = CONTAINERV_VOLUME_OPTIONS_INIT;
	struct containerv_volume_info info = {.version = CONTAINERV_VOLUME_INFO_VERSION};
	char host_path[4096], stale[512], live[512];

	options.size_limit = 8 << 20;
	fake_container(id_a);
	fake_container(id_b);
	CHECK_OK(containerv_volume_create("orphaned", &options));
	CHECK_OK(cv_volume_acquire("orphaned", id_a, host_path, sizeof host_path));
	CHECK_OK(cv_volume_acquire("orphaned", id_b, host_path, sizeof host_path));
	/* A crashed create (dead pid) and one in progress (ours). */
	snprintf(stale, sizeof stale, "%s/.tmp-crashed-2147483647-0011223344556677", volumes_path());
	snprintf(live, sizeof live, "%s/.tmp-busy-%d-0011223344556677", volumes_path(), (int)getpid());
	CHECK(mkdir(stale, 0700) == 0 && mkdir(live, 0700) == 0);

	remove_fake_container(id_a); /* as if its CLI was killed before release */
	CHECK_OK(cv_volume_reconcile());
	CHECK(access(stale, F_OK) != 0);
	CHECK(access(live, F_OK) == 0);
	CHECK(mounted(host_path));
	CHECK_OK(containerv_volume_inspect("orphaned", &info));
	CHECK_EQ_STR(info.used_by[0], id_b);
	CHECK(info.used_by[1] == NULL);
	containerv_volume_info_clear(&info);

	remove_fake_container(id_b);
	CHECK_OK(cv_volume_reconcile());
	CHECK(!mounted(host_path));
	CHECK(loop_released_under(root));
	CHECK(rmdir(live) == 0);
	/* Nobody uses it any more: removable without force. */
	CHECK_OK(containerv_volume_remove("orphaned", 0));
	check_no_leftovers();
}

TEST(prune_removes_unused_volumes_only)
{
	char host_path[4096], anonymous[65];
	struct containerv_volume_info info = {.version = CONTAINERV_VOLUME_INFO_VERSION};
	size_t removed = 99;

	fake_container(id_a);
	CHECK_OK(containerv_volume_create("kept", NULL));
	CHECK_OK(containerv_volume_create("unused1", NULL));
	CHECK_OK(containerv_volume_create("unused2", NULL));
	CHECK_OK(cv_volume_create_anonymous(anonymous, sizeof anonymous));
	CHECK_EQ_INT(strlen(anonymous), 64);
	CHECK_OK(containerv_volume_inspect(anonymous, &info));
	CHECK_EQ_INT(info.anonymous, 1);
	containerv_volume_info_clear(&info);
	CHECK_OK(cv_volume_acquire("kept", id_a, host_path, sizeof host_path));
	CHECK_OK(containerv_volume_prune(&removed));
	CHECK_EQ_INT(removed, 3);
	CHECK_EQ_INT(count_entries(volumes_path()), 1);
	CHECK_OK(containerv_volume_inspect("kept", &info));
	containerv_volume_info_clear(&info);
	CHECK_OK(containerv_volume_prune(&removed));
	CHECK_EQ_INT(removed, 0);
	CHECK_OK(cv_volume_release("kept", id_a));
	CHECK_OK(containerv_volume_prune(NULL));
	remove_fake_container(id_a);
	check_no_leftovers();
}

int main(void)
{
	char command[512];

	if (geteuid() != 0) {
		printf("skip: volumes need root\n0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	snprintf(root, sizeof root, "/tmp/cvtest-vol-%d", (int)getpid());
	if (containerv_set_root(root) != 0) {
		fprintf(stderr, "set_root: %s\n", containerv_last_error());
		return 1;
	}
	snprintf(command, sizeof command, "mkdir -p %s/containers", root);
	if (system(command) != 0)
		return 1;
	RUN(create_inspect_list_remove);
	RUN(invalid_names_are_refused_and_create_nothing);
	RUN(concurrent_creates_of_one_name_leave_one_volume);
	RUN(users_keep_a_volume_until_released);
	RUN(size_limited_volume_is_a_loop_mounted_ext4_image);
	RUN(reconcile_drops_dead_users_unmounts_and_removes_tmp_dirs);
	RUN(prune_removes_unused_volumes_only);
	/* Whatever a failed test left: unmount, then delete. */
	snprintf(command, sizeof command,
	         "grep -o ' %s/[^ ]*' /proc/self/mountinfo | xargs -r -n1 umount -l; rm -rf %s", root, root);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return cv_test_summary();
}
