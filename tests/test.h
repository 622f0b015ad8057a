/*
 * A minimal test harness: each unit test file is one program with
 * TEST(name) functions listed in main() through RUN(name). Prints one line
 * per test and a closing "N passed, N failed" line; exits non-zero when a
 * test failed. A test may call SKIP("why") when the host lacks something.
 */
#ifndef CV_TESTS_TEST_H
#define CV_TESTS_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int cv_test_passed, cv_test_failed, cv_test_skipped;
extern jmp_buf cv_test_jump;
extern const char *cv_test_skip_reason;

#define TEST(name) static void test_##name(void)

#define CHECK(condition)                                                                                               \
	do {                                                                                                           \
		if (!(condition)) {                                                                                    \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed (errno %d: %s)\n", __FILE__, __LINE__, #condition,  \
			        errno, strerror(errno));                                                               \
			longjmp(cv_test_jump, 1);                                                                      \
		}                                                                                                      \
	} while (0)

#define CHECK_EQ_INT(actual, expected)                                                                                 \
	do {                                                                                                           \
		long long a_ = (long long)(actual), e_ = (long long)(expected);                                        \
		if (a_ != e_) {                                                                                        \
			fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #actual, a_, e_);  \
			longjmp(cv_test_jump, 1);                                                                      \
		}                                                                                                      \
	} while (0)

#define CHECK_EQ_STR(actual, expected)                                                                                 \
	do {                                                                                                           \
		const char *a_ = (actual), *e_ = (expected);                                                           \
		if (a_ == NULL || strcmp(a_, e_) != 0) {                                                               \
			fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #actual,       \
			        a_ ? a_ : "(null)", e_);                                                               \
			longjmp(cv_test_jump, 1);                                                                      \
		}                                                                                                      \
	} while (0)

/* A call that must succeed; prints containerv_last_error() when it does not. */
#define CHECK_OK(call)                                                                                                 \
	do {                                                                                                           \
		if ((call) != 0) {                                                                                     \
			fprintf(stderr, "  %s:%d: %s failed: %s\n", __FILE__, __LINE__, #call,                         \
			        containerv_last_error());                                                              \
			longjmp(cv_test_jump, 1);                                                                      \
		}                                                                                                      \
	} while (0)

#define SKIP(reason)                                                                                                   \
	do {                                                                                                           \
		cv_test_skip_reason = (reason);                                                                        \
		longjmp(cv_test_jump, 2);                                                                              \
	} while (0)

#define RUN(name) cv_test_run(#name, test_##name)

/* Called after every test, passed or failed (a failed CHECK skips the test's own cleanup). */
extern void (*cv_test_after_each)(void);

void cv_test_run(const char *name, void (*function)(void));
/* test-containers.c: removes every container of the current state root (an after-each hook). */
void cv_test_remove_all_containers(void);
/* Everything fd gives until EOF (64 KiB at most), in a static buffer. */
char *cv_test_read_all(int fd);

/*
 * containerv_create(), and the id recorded: a leftover check judges only the containers this
 * program made (a user's own, or another test root's, are not its to judge).
 */
struct containerv_options;
struct containerv_container;
int cv_test_create(const struct containerv_options *o, struct containerv_container **c);
size_t cv_test_created_count(void);
const char *cv_test_created_id(size_t index);
/*
 * Creates a container from o (deleted) with stdout captured, waits for it, destroys it; returns the
 * output (cv_test_read_all's buffer) and fills exit_status unless NULL.
 */
struct containerv_options;
struct containerv_exit;
char *cv_test_run_capture(struct containerv_options *o, struct containerv_exit *exit_status);
int cv_test_summary(void);

#endif
