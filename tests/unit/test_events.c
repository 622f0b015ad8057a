/*
 * Events (containerv_subscribe, containerv_dispatch_events): a poll loop over
 * containerv_watch_fd() sees every state change, made by this process or
 * through another handle, in order, without a blocking call. Run as root.
 */
#include <chef/containerv.h>

#include <poll.h>
#include <signal.h>
#include <string.h>
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

/* The events of a context subscription: which container (by id) and what, in arrival order. */
struct context_seen {
	size_t count;
	char ids[32][65];
	enum containerv_event_type types[32];
	int codes[32];
};

static void record_in_context(const struct containerv_event *event, void *user)
{
	struct context_seen *seen = user;

	if (seen->count < 32) {
		snprintf(seen->ids[seen->count], sizeof seen->ids[0], "%s", event->id);
		seen->types[seen->count] = event->type;
		seen->codes[seen->count] = event->exit.code;
	}
	seen->count++;
}

/* The events of container id, in order, as a string of letters (C H S O E P R X: created ... removed). */
static const char *events_of(const struct context_seen *seen, const char *id, int *last_code)
{
	static char letters[33];
	size_t n = 0;

	for (size_t i = 0; i < seen->count && i < 32; i++) {
		if (strcmp(seen->ids[i], id) != 0)
			continue;
		letters[n++] = "CHSOEPRX"[seen->types[i]];
		if (last_code != NULL)
			*last_code = seen->codes[i];
	}
	letters[n] = '\0';
	return letters;
}

/* Polls the context's descriptor and dispatches until container id has had the events wanted (10 s). */
static void dispatch_context_until(struct context_seen *seen, const char *id, const char *wanted)
{
	struct pollfd entry = {.events = POLLIN};
	int64_t deadline = cv_monotonic_ns() + 10LL * 1000000000LL;

	CHECK_OK(containerv_context_watch_fd(NULL, &entry.fd));
	while (strcmp(events_of(seen, id, NULL), wanted) != 0) {
		if (cv_monotonic_ns() >= deadline)
			fprintf(stderr, "  %.12s: got \"%s\", want \"%s\"\n", id, events_of(seen, id, NULL), wanted);
		CHECK(cv_monotonic_ns() < deadline);
		if (poll(&entry, 1, 100) > 0)
			CHECK_OK(containerv_context_dispatch_events(NULL));
	}
}

TEST(a_context_subscription_sees_every_container_new_ones_included_and_no_other_context)
{
	const char *sleeper[] = {"sleep", "30", NULL}, *three[] = {"sh", "-c", "exit 3", NULL};
	struct containerv_container *before = make(sleeper, false, NULL), *later, *elsewhere = NULL, *other = NULL;
	struct containerv_context *second = NULL;
	struct containerv_options *o = NULL;
	struct context_seen seen = {0};
	char second_root[300];
	containerv_fd_t fd;
	int code = -1;

	CHECK(containerv_context_dispatch_events(NULL) == -1); /* no subscription yet */
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_OK(containerv_context_subscribe(NULL, record_in_context, &seen));
	CHECK_OK(containerv_context_dispatch_events(NULL)); /* nothing happened since */
	CHECK_EQ_INT(seen.count, 0);

	/* Made after the subscription, held, then released: every step, CREATED first. */
	later = make(three, true, NULL);
	dispatch_context_until(&seen, containerv_id(later), "CH");
	CHECK_OK(containerv_start(later));
	dispatch_context_until(&seen, containerv_id(later), "CHSE");
	events_of(&seen, containerv_id(later), &code);
	CHECK_EQ_INT(code, 3);

	/* One that was there before: only what changes from now; its removal by another handle ends it. */
	CHECK_OK(containerv_kill(before, SIGKILL));
	dispatch_context_until(&seen, containerv_id(before), "E");
	CHECK_OK(containerv_open(containerv_id(before), &other));
	CHECK_OK(containerv_remove(other, 0));
	dispatch_context_until(&seen, containerv_id(before), "EX");

	/* Another context's container is not this context's. */
	snprintf(second_root, sizeof second_root, "%s-second", root);
	CHECK_OK(containerv_context_open(second_root, &second));
	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_rootfs(o, rootfs));
	CHECK_OK(containerv_options_set_command(o, three));
	CHECK_OK(containerv_options_set_stdio(o, -1, -1, -1));
	CHECK_OK(containerv_create_in(second, o, &elsewhere));
	containerv_options_delete(o);
	containerv_close(before); /* removed through the other handle */
	dispatch_context_until(&seen, containerv_id(later), "CHSE");
	CHECK_OK(containerv_context_dispatch_events(NULL));
	CHECK_EQ_STR(events_of(&seen, containerv_id(elsewhere), NULL), "");
	CHECK_OK(containerv_destroy(elsewhere));
	containerv_context_close(second);

	/* Ending it closes what it held; the descriptor is gone with it. */
	CHECK_OK(containerv_context_subscribe(NULL, NULL, NULL));
	CHECK(containerv_context_watch_fd(NULL, &fd) == -1);
	CHECK_OK(containerv_destroy(later));
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
	RUN(a_context_subscription_sees_every_container_new_ones_included_and_no_other_context);
	snprintf(command, sizeof command, "rm -rf %s %s-second", root, root);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return cv_test_summary();
}
