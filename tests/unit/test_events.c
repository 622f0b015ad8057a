/*
 * Events (containerv_subscribe, containerv_dispatch_events): a poll loop over
 * containerv_watch_fd() sees every state change, made by this process or
 * through another handle, in order, without a blocking call. Run as root.
 */
#include <chef/containerv.h>

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "common/util.h"
#include "test.h"

static char root[256];
static const char *rootfs = CV_TEST_ROOTFS;

struct seen {
	size_t count;
	enum containerv_event_type types[16];
	int codes[16];
	char id[65];
};

static void record(const struct containerv_event *event, void *user)
{
	struct seen *seen = user;

	CHECK_EQ_INT(event->version, CONTAINERV_EVENT_VERSION);
	snprintf(seen->id, sizeof seen->id, "%s", event->id);
	if (seen->count < 16) {
		seen->types[seen->count] = event->type;
		seen->codes[seen->count] = event->exit.code;
	}
	seen->count++;
}

/* Polls the handle's watch descriptor and dispatches until an event of type until arrives (10 s at most). */
static void dispatch_until(struct containerv_container *c, struct seen *seen, enum containerv_event_type until)
{
	struct pollfd entry = {.events = POLLIN};
	int64_t deadline = cv_monotonic_ns() + 10LL * 1000000000LL;

	CHECK_OK(containerv_watch_fd(c, &entry.fd));
	for (;;) {
		for (size_t i = 0; i < seen->count && i < 16; i++)
			if (seen->types[i] == until)
				return;
		CHECK(cv_monotonic_ns() < deadline);
		if (poll(&entry, 1, 100) > 0)
			CHECK_OK(containerv_dispatch_events(c));
	}
}

static struct containerv_container *make(const char *const *argv, bool hold, struct containerv_limits *limits)
{
	struct containerv_options *o = NULL;
	struct containerv_container *c = NULL;

	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_rootfs(o, rootfs));
	CHECK_OK(containerv_options_set_command(o, argv));
	CHECK_OK(containerv_options_set_stdio(o, -1, -1, -1));
	if (limits != NULL)
		CHECK_OK(containerv_options_set_limits(o, limits));
	if (hold)
		CHECK_OK(containerv_options_set_hold(o, 1));
	CHECK_OK(cv_test_create(o, &c));
	containerv_options_delete(o);
	return c;
}

TEST(a_release_by_another_handle_and_the_exit_arrive_in_order)
{
	const char *argv[] = {"sh", "-c", "sleep 0.2; exit 7", NULL};
	struct containerv_container *c = make(argv, true, NULL), *other = NULL;
	struct seen seen = {0};

	CHECK(containerv_dispatch_events(c) == -1); /* no subscription yet */
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_OK(containerv_subscribe(c, record, &seen));
	CHECK_OK(containerv_dispatch_events(c)); /* nothing happened since the subscription */
	CHECK_EQ_INT(seen.count, 0);
	CHECK_OK(containerv_open(containerv_id(c), &other));
	CHECK_OK(containerv_start(other));
	containerv_close(other);
	dispatch_until(c, &seen, CV_EVENT_EXITED);
	CHECK_EQ_INT(seen.count, 2);
	CHECK_EQ_INT(seen.types[0], CV_EVENT_STARTED);
	CHECK_EQ_INT(seen.types[1], CV_EVENT_EXITED);
	CHECK_EQ_INT(seen.codes[1], 7);
	CHECK_EQ_STR(seen.id, containerv_id(c));
	CHECK_OK(containerv_destroy(c));
}

TEST(pause_resume_kill_and_removal_are_each_one_event)
{
	const char *argv[] = {"sleep", "30", NULL};
	struct containerv_container *c = make(argv, false, NULL), *other = NULL;
	struct seen seen = {0};

	CHECK_OK(containerv_subscribe(c, record, &seen));
	CHECK_OK(containerv_pause(c));
	dispatch_until(c, &seen, CV_EVENT_PAUSED);
	CHECK_OK(containerv_resume(c));
	dispatch_until(c, &seen, CV_EVENT_RESUMED);
	CHECK_OK(containerv_kill(c, SIGKILL));
	dispatch_until(c, &seen, CV_EVENT_EXITED);
	CHECK_OK(containerv_open(containerv_id(c), &other));
	CHECK_OK(containerv_remove(other, 0));
	dispatch_until(c, &seen, CV_EVENT_REMOVED);
	CHECK_EQ_INT(seen.count, 4);
	CHECK_EQ_INT(seen.types[0], CV_EVENT_PAUSED);
	CHECK_EQ_INT(seen.types[1], CV_EVENT_RESUMED);
	CHECK_EQ_INT(seen.types[2], CV_EVENT_EXITED);
	CHECK_EQ_INT(seen.codes[2], 137);
	CHECK_EQ_INT(seen.types[3], CV_EVENT_REMOVED);
	/* The subscription ended with the removal. */
	CHECK(containerv_dispatch_events(c) == -1);
	containerv_close(c);
}

TEST(a_late_dispatch_reports_a_whole_run_start_first)
{
	const char *argv[] = {"true", NULL};
	struct containerv_options *o = NULL;
	struct containerv_container *c = NULL, *other = NULL;
	struct containerv_exit e;
	struct seen seen = {0};

	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_rootfs(o, rootfs));
	CHECK_OK(containerv_options_set_command(o, argv));
	CHECK_OK(containerv_options_set_autostart(o, 0));
	CHECK_OK(cv_test_create(o, &c));
	containerv_options_delete(o);
	CHECK_OK(containerv_subscribe(c, record, &seen));
	CHECK_OK(containerv_open(containerv_id(c), &other));
	CHECK_OK(containerv_start(other));
	CHECK_OK(containerv_wait(other, &e));
	containerv_close(other);
	CHECK_OK(containerv_dispatch_events(c)); /* one dispatch, after both changes */
	CHECK_EQ_INT(seen.count, 2);
	CHECK_EQ_INT(seen.types[0], CV_EVENT_STARTED);
	CHECK_EQ_INT(seen.types[1], CV_EVENT_EXITED);
	CHECK_EQ_INT(seen.codes[1], 0);
	CHECK_OK(containerv_destroy(c));
}

TEST(an_oom_kill_comes_before_the_exit_it_caused)
{
	const char *argv[] = {"dd", "if=/dev/zero", "of=/dev/null", "bs=96M", "count=1", NULL};
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct containerv_container *c;
	struct seen seen = {0};

	limits.memory_bytes = 32 << 20;
	c = make(argv, true, &limits);
	CHECK_OK(containerv_subscribe(c, record, &seen));
	CHECK_OK(containerv_start(c));
	dispatch_until(c, &seen, CV_EVENT_EXITED);
	CHECK_EQ_INT(seen.count, 3);
	CHECK_EQ_INT(seen.types[0], CV_EVENT_STARTED);
	CHECK_EQ_INT(seen.types[1], CV_EVENT_OOM);
	CHECK_EQ_INT(seen.types[2], CV_EVENT_EXITED);
	CHECK_EQ_INT(seen.codes[2], 137);
	CHECK_OK(containerv_destroy(c));
}

int main(void)
{
	char command[512];

	if (geteuid() != 0) {
		printf("skip: containers need root\n0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	snprintf(root, sizeof root, "/tmp/cvtest-events-%d", (int)getpid());
	if (containerv_set_root(root) != 0) {
		fprintf(stderr, "set_root: %s\n", containerv_last_error());
		return 1;
	}
	cv_test_after_each = cv_test_remove_all_containers;
	RUN(a_release_by_another_handle_and_the_exit_arrive_in_order);
	RUN(pause_resume_kill_and_removal_are_each_one_event);
	RUN(a_late_dispatch_reports_a_whole_run_start_first);
	RUN(an_oom_kill_comes_before_the_exit_it_caused);
	snprintf(command, sizeof command, "rm -rf %s", root);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return cv_test_summary();
}
