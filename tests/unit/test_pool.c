/*
 * Pools (pool.h) and the workload a held init receives at its release (linux/workload.h), run as root:
 * a claimed container is never swept by a keeper that starts meanwhile, a dead take's is; the init's parser
 * refuses hostile messages whole and closes every descriptor that came with them.
 */
#include <chef/containerv.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "platform/linux/init-plan.h"
#include "platform/linux/workload.h"
#include "test.h"

static char root[256];

/* ---- The init's parser ---- */

struct message {
	char data[CV_WORKLOAD_MAX + 64];
	size_t size;
};

static void message_start(struct message *m, uint32_t flags, uint32_t argc, uint32_t envc, uint32_t mask)
{
	struct cv_workload_header header = {0, flags, 1000, 1000, argc, envc, mask};

	memcpy(m->data, &header, sizeof header);
	m->size = sizeof header;
}

static void message_add(struct message *m, const char *bytes, size_t length)
{
	memcpy(m->data + m->size, bytes, length);
	m->size += length;
}

/* The header's size field set to the real size (what a well-behaved releaser sends). */
static void message_seal(struct message *m)
{
	uint32_t size = (uint32_t)m->size;

	memcpy(m->data, &size, sizeof size);
}

/* Sends m to a fresh plan's socket and parses it with count descriptors (pipes' ends we check afterwards). */
static int receive(const struct message *m, size_t count, struct cv_init_plan *plan, int *fds)
{
	int pair[2], ret;

	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair));
	memset(plan, 0, sizeof *plan);
	plan->sync_fd = pair[1];
	for (int i = 0; i < 3; i++)
		plan->stdio[i] = -1;
	for (size_t i = 0; i < count; i++)
		fds[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
	CHECK(send(pair[0], m->data, m->size, 0) == (ssize_t)m->size);
	ret = cv_workload_receive(plan, fds, count);
	close(pair[0]);
	close(pair[1]);
	return ret;
}

static bool all_closed(const int *fds, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (fcntl(fds[i], F_GETFD) >= 0)
			return false;
	return true;
}

static void check_refused(const struct message *m, size_t count, const char *what)
{
	struct cv_init_plan plan;
	int fds[3] = {-1, -1, -1};

	if (receive(m, count, &plan, fds) != -1 || errno != EPROTO) {
		fprintf(stderr, "  accepted: %s\n", what);
		CHECK(0);
	}
	CHECK(all_closed(fds, count));
	CHECK(plan.argv == NULL && plan.env == NULL && plan.workdir == NULL);
	CHECK(plan.stdio[0] == -1 && plan.stdio[1] == -1 && plan.stdio[2] == -1);
}

TEST(workload_message_is_bound_whole)
{
	struct message m;
	struct cv_init_plan plan;
	int fds[3];
	static const char body[] = "/work\0/bin/sh\0-c\0echo hi\0A=1\0B=2";

	message_start(&m, CV_WORKLOAD_ARGV | CV_WORKLOAD_ENV | CV_WORKLOAD_WORKDIR | CV_WORKLOAD_USER, 3, 2, 0x5);
	message_add(&m, body, sizeof body);
	message_seal(&m);
	CHECK_OK(receive(&m, 2, &plan, fds));
	CHECK_EQ_STR(plan.workdir, "/work");
	CHECK_EQ_STR(plan.argv[0], "/bin/sh");
	CHECK_EQ_STR(plan.argv[2], "echo hi");
	CHECK(plan.argv[3] == NULL);
	CHECK_EQ_STR(plan.env[0], "A=1");
	CHECK_EQ_STR(plan.env[1], "B=2");
	CHECK(plan.env[2] == NULL);
	CHECK(plan.uid == 1000 && plan.gid == 1000);
	/* stdin and stderr came (mask 0x5), stdout is the container's /dev/null. */
	CHECK(plan.stdio[0] == fds[0] && plan.stdio[1] == -1 && plan.stdio[2] == fds[1]);
	cv_workload_close_stdio();
	CHECK(all_closed(fds, 2));
}

TEST(hostile_workload_messages_are_refused_and_their_descriptors_closed)
{
	static struct message m;
	static const char two[] = "/bin/true\0X=1";

	/* Shorter than a header. */
	m.size = 5;
	memset(m.data, 0, 5);
	check_refused(&m, 0, "5 bytes");
	/* A size field that lies (larger, smaller). */
	message_start(&m, CV_WORKLOAD_ARGV, 1, 0, 0);
	message_add(&m, "/bin/true", 10);
	uint32_t lie = (uint32_t)m.size + 1;
	memcpy(m.data, &lie, sizeof lie);
	check_refused(&m, 0, "size + 1");
	lie = (uint32_t)m.size - 1;
	memcpy(m.data, &lie, sizeof lie);
	check_refused(&m, 0, "size - 1");
	/* Counts beyond the strings, or beyond the bounds (an overflow of argc + envc too). */
	message_start(&m, CV_WORKLOAD_ARGV | CV_WORKLOAD_ENV, 2, 1, 0);
	message_add(&m, two, sizeof two);
	message_seal(&m);
	check_refused(&m, 0, "argc 2 with one string");
	message_start(&m, CV_WORKLOAD_ARGV | CV_WORKLOAD_ENV, 1, 0xffffffffu, 0);
	message_add(&m, two, sizeof two);
	message_seal(&m);
	check_refused(&m, 0, "envc 2^32-1");
	message_start(&m, CV_WORKLOAD_ARGV, CV_WORKLOAD_WORDS_MAX + 1, 0, 0);
	for (int i = 0; i <= CV_WORKLOAD_WORDS_MAX; i++)
		message_add(&m, "", 1);
	message_seal(&m);
	check_refused(&m, 0, "too many words");
	/* An argv flag with no word; a string without its NUL; bytes after the last string. */
	message_start(&m, CV_WORKLOAD_ARGV, 0, 0, 0);
	message_seal(&m);
	check_refused(&m, 0, "empty argv");
	message_start(&m, CV_WORKLOAD_ARGV, 1, 0, 0);
	message_add(&m, "/bin/true", 9);
	message_seal(&m);
	check_refused(&m, 0, "no NUL");
	message_start(&m, CV_WORKLOAD_ARGV, 1, 0, 0);
	message_add(&m, "/bin/true\0junk", 14);
	message_seal(&m);
	check_refused(&m, 0, "trailing bytes");
	/* A relative working directory; one missing. */
	message_start(&m, CV_WORKLOAD_WORKDIR, 0, 0, 0);
	message_add(&m, "../../etc", 10);
	message_seal(&m);
	check_refused(&m, 0, "relative workdir");
	message_start(&m, CV_WORKLOAD_WORKDIR, 0, 0, 0);
	message_seal(&m);
	check_refused(&m, 0, "no workdir");
	/* Descriptors that do not match the stdio mask (more, fewer), or a mask beyond the three streams. */
	message_start(&m, CV_WORKLOAD_ARGV, 1, 0, 0x1);
	message_add(&m, "/bin/true", 10);
	message_seal(&m);
	check_refused(&m, 3, "3 descriptors for mask 0x1");
	check_refused(&m, 0, "no descriptor for mask 0x1");
	message_start(&m, CV_WORKLOAD_ARGV, 1, 0, 0xf);
	message_add(&m, "/bin/true", 10);
	message_seal(&m);
	check_refused(&m, 3, "mask 0xf");
	/* Larger than the init's buffer: truncated, refused. */
	message_start(&m, CV_WORKLOAD_ARGV, 1, 0, 0);
	memset(m.data + m.size, 'a', CV_WORKLOAD_MAX);
	m.size += CV_WORKLOAD_MAX;
	m.data[m.size - 1] = '\0';
	message_seal(&m);
	check_refused(&m, 1, "larger than CV_WORKLOAD_MAX");
}

/* ---- A claimed container and the sweep of a keeper that starts meanwhile ---- */

static pid_t start_keeper(const char *name)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		_exit(containerv_pool_keeper_run(name) == 0 ? 0 : 1);
	}
	CHECK(pid > 0);
	return pid;
}

static void stop_keeper(pid_t pid, int signal)
{
	kill(pid, signal);
	CHECK(waitpid(pid, NULL, 0) == pid);
}

/* Waits (30 s at most) until the pool has `ready` containers ready. */
static void wait_ready(const char *name, unsigned int ready)
{
	struct containerv_pool_info info;

	for (int i = 0; i < 600; i++) {
		CHECK_OK(containerv_pool_inspect(name, &info));
		if (info.ready == ready)
			return;
		usleep(50 * 1000);
	}
	fprintf(stderr, "  pool %s: %u ready, not %u\n", name, info.ready, ready);
	CHECK(0);
}

static int count_entries(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *entry;
	int n = 0;

	if (dir == NULL)
		return 0;
	while ((entry = readdir(dir)) != NULL)
		n += entry->d_name[0] != '.';
	closedir(dir);
	return n;
}

static bool container_exists(const char *id)
{
	struct containerv_container *c = NULL;

	if (containerv_open(id, &c) < 0)
		return false;
	containerv_close(c);
	return true;
}

TEST(a_claimed_container_is_never_swept_a_dead_takes_is)
{
	struct containerv_options *o = NULL;
	struct containerv_pool_config config = CONTAINERV_POOL_CONFIG_INIT;
	struct containerv_workload workload = CONTAINERV_WORKLOAD_INIT;
	const char *seven[] = {"/bin/sh", "-c", "exit 7", NULL};
	struct containerv_container *taken = NULL;
	struct containerv_exit e;
	char dead[65] = "", path[512];
	int pipe_fds[2], status;
	pid_t keeper;

	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_rootfs(o, CV_TEST_ROOTFS));
	CHECK_OK(containerv_pool_create("race", o, &config));
	containerv_options_delete(o);
	keeper = start_keeper("race");
	wait_ready("race", 1);

	/* Taken (claimed, still held); the keeper dies and a new one sweeps while we have not released it. */
	CHECK_OK(containerv_pool_take("race", 0, &taken));
	/*
	 * Its refill done first: a keeper killed inside containerv_create() between the init's start and the
	 * state's save leaves an init no state names (the runtime's matter: create is not atomic against SIGKILL).
	 */
	wait_ready("race", 1);
	stop_keeper(keeper, SIGKILL);
	keeper = start_keeper("race");
	wait_ready("race", 1); /* its sweep comes before its first refill */
	workload.argv = seven;
	CHECK_OK(containerv_pool_start(taken, &workload));
	CHECK_OK(containerv_wait(taken, &e));
	CHECK_EQ_INT(e.code, 7);
	snprintf(path, sizeof path, "%s/pools/race/claims/%s", root, containerv_id(taken));
	CHECK(access(path, F_OK) < 0 && errno == ENOENT); /* the claim went with the start */
	CHECK_OK(containerv_destroy(taken));

	/* A take that dies before its release: its container is the next sweep's. */
	CHECK_OK(pipe(pipe_fds));
	pid_t child = fork();
	if (child == 0) {
		struct containerv_container *c = NULL;
		if (containerv_pool_take("race", 0, &c) < 0)
			_exit(1);
		CHECK(write(pipe_fds[1], containerv_id(c), 64) == 64);
		_exit(0);
	}
	CHECK(child > 0 && waitpid(child, &status, 0) == child && status == 0);
	CHECK(read(pipe_fds[0], dead, 64) == 64);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	wait_ready("race", 1);
	CHECK(container_exists(dead));
	stop_keeper(keeper, SIGKILL);
	keeper = start_keeper("race");
	for (int i = 0; i < 600 && container_exists(dead); i++)
		usleep(50 * 1000);
	CHECK(!container_exists(dead));
	stop_keeper(keeper, SIGTERM);
	CHECK_OK(containerv_pool_remove("race"));
	snprintf(path, sizeof path, "%s/containers", root);
	CHECK_EQ_INT(count_entries(path), 0);
	snprintf(path, sizeof path, "%s/pools/race", root);
	CHECK(access(path, F_OK) < 0);
}

int main(void)
{
	RUN(workload_message_is_bound_whole);
	RUN(hostile_workload_messages_are_refused_and_their_descriptors_closed);
	if (geteuid() != 0) {
		printf("skip: containers need root\n");
		return cv_test_summary();
	}
	snprintf(root, sizeof root, "/tmp/cvtest-pool-%d", (int)getpid());
	if (containerv_set_root(root) != 0) {
		fprintf(stderr, "set_root: %s\n", containerv_last_error());
		return 1;
	}
	RUN(a_claimed_container_is_never_swept_a_dead_takes_is);
	cv_rm_rf(root);
	return cv_test_summary();
}
