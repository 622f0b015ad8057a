#include "test.h"

int cv_test_passed, cv_test_failed, cv_test_skipped;
jmp_buf cv_test_jump;
const char *cv_test_skip_reason;
void (*cv_test_after_each)(void);

void cv_test_run(const char *name, void (*function)(void))
{
	int outcome = setjmp(cv_test_jump);

	if (outcome == 0) {
		function();
		printf("ok      %s\n", name);
		cv_test_passed++;
	} else if (outcome == 2) {
		printf("skip    %s: %s\n", name, cv_test_skip_reason);
		cv_test_skipped++;
	} else {
		printf("FAILED  %s\n", name);
		cv_test_failed++;
	}
	fflush(stdout);
	if (cv_test_after_each != NULL)
		cv_test_after_each();
}

int cv_test_summary(void)
{
	printf("%d passed, %d failed, %d skipped\n", cv_test_passed, cv_test_failed, cv_test_skipped);
	return cv_test_failed == 0 ? 0 : 1;
}
